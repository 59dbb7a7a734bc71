/* attack_proc_environ PID: read /proc/PID/environ of a host process. SUCCEEDED: got bytes. */
#include "common.h"
#include <fcntl.h>

int main(int argc, char **argv)
{
	char path[64], buf[4096];
	long pid = arg_long(argc, argv, 1, (long)getppid());
	int fd;
	ssize_t n;
	snprintf(path, sizeof path, "/proc/%ld/environ", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		verdict_blocked("proc_environ", "open %s: %s", path, ename(errno));
	n = read(fd, buf, sizeof buf);
	if (n <= 0)
		verdict_blocked("proc_environ", "read %s: %s", path, n < 0 ? ename(errno) : "empty");
	verdict_succeeded("proc_environ", "read %zd bytes of %s", n, path);
}
