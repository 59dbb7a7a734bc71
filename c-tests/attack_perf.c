/* perf_event_open of a software clock on ourselves. SUCCEEDED: got an event fd. */
#include "common.h"
#include <linux/perf_event.h>
#include <sys/syscall.h>

int main(void)
{
	struct perf_event_attr a;
	long fd;
	memset(&a, 0, sizeof a);
	a.size = sizeof a;
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_CPU_CLOCK;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
	if (fd < 0)
		verdict_blocked("perf", "perf_event_open: %s", ename(errno));
	verdict_succeeded("perf", "perf_event_open returned fd %ld", fd);
}
