/* Raise the hard RLIMIT_NOFILE by one (needs CAP_SYS_RESOURCE). SUCCEEDED: accepted. */
#include "common.h"
#include <sys/resource.h>

int main(void)
{
	struct rlimit r;
	if (getrlimit(RLIMIT_NOFILE, &r) != 0)
		verdict_blocked("rlimit", "getrlimit: %s", ename(errno));
	if (r.rlim_max == RLIM_INFINITY)
		verdict_succeeded("rlimit", "hard RLIMIT_NOFILE is already unlimited");
	r.rlim_max += 1;
	if (setrlimit(RLIMIT_NOFILE, &r) != 0)
		verdict_blocked("rlimit", "raise hard NOFILE to %llu: %s", (unsigned long long)r.rlim_max, ename(errno));
	verdict_succeeded("rlimit", "raised hard NOFILE to %llu", (unsigned long long)r.rlim_max);
}
