/* Open /proc/sysrq-trigger for writing and close it at once: NOTHING is ever written.
 * SUCCEEDED: the open worked (a write would then have reached sysrq). */
#include "common.h"
#include <fcntl.h>

int main(void)
{
	int fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		verdict_blocked("sysrq_open", "open for writing: %s", ename(errno));
	close(fd);
	verdict_succeeded("sysrq_open", "opened /proc/sysrq-trigger for writing (closed, nothing written)");
}
