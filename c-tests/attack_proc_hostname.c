/* Write /proc/sys/kernel/hostname (the current value back: no change even if allowed).
 * SUCCEEDED: the write was accepted. */
#include "common.h"
#include <fcntl.h>

int main(void)
{
	char name[256];
	int fd;
	if (gethostname(name, sizeof name - 1) != 0)
		snprintf(name, sizeof name, "localhost");
	name[sizeof name - 1] = 0;
	fd = open("/proc/sys/kernel/hostname", O_WRONLY);
	if (fd < 0)
		verdict_blocked("proc_hostname", "open for writing: %s", ename(errno));
	if (write(fd, name, strlen(name)) < 0)
		verdict_blocked("proc_hostname", "write: %s", ename(errno));
	verdict_succeeded("proc_hostname", "rewrote hostname '%s' through /proc/sys", name);
}
