/* Write a debug-level line into the kernel log via /dev/kmsg. SUCCEEDED: the write worked. */
#include "common.h"
#include <fcntl.h>

int main(void)
{
	const char msg[] = "<7>sandbox c-tests: harmless /dev/kmsg probe\n";
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		verdict_blocked("kmsg", "open /dev/kmsg: %s", ename(errno));
	if (write(fd, msg, sizeof msg - 1) < 0)
		verdict_blocked("kmsg", "write: %s", ename(errno));
	verdict_succeeded("kmsg", "wrote a line to the kernel log");
}
