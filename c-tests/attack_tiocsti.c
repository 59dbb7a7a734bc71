/* TIOCSTI: push one harmless byte (a space) into the input of the terminal on /dev/tty and fd 0.
 * SUCCEEDED: either ioctl returned 0. BLOCKED also when there is no terminal at all. */
#include "common.h"
#include <fcntl.h>
#include <sys/ioctl.h>

int main(void)
{
	char c = ' ';
	int e1 = 0, e2 = 0, ok = 0, fd = open("/dev/tty", O_RDWR | O_NOCTTY);
	if (fd < 0)
		e1 = errno;
	else if (ioctl(fd, TIOCSTI, &c) == 0)
		ok = 1;
	else
		e1 = errno;
	if (ioctl(0, TIOCSTI, &c) == 0)
		ok = 1;
	else
		e2 = errno;
	if (ok)
		verdict_succeeded("tiocsti", "injected a byte: /dev/tty=%s fd0=%s", ename(e1), ename(e2));
	verdict_blocked("tiocsti", "/dev/tty=%s fd0=%s", ename(e1), ename(e2));
}
