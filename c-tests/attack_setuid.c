/* setgid(0) and setuid(0). SUCCEEDED: either call worked. Details show the ids after. */
#include "common.h"

int main(void)
{
	uid_t u0 = getuid();
	int g = setgid(0), eg = errno;
	int u = setuid(0), eu = errno;
	if (g == 0 || u == 0)
		verdict_succeeded("setuid", "was uid %d; setgid(0)=%s setuid(0)=%s now uid=%d euid=%d gid=%d", (int)u0,
				  g ? ename(eg) : "OK", u ? ename(eu) : "OK", (int)getuid(), (int)geteuid(), (int)getgid());
	verdict_blocked("setuid", "uid %d: setgid(0)=%s setuid(0)=%s", (int)u0, ename(eg), ename(eu));
}
