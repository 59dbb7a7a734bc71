/* attack_proc_mem PID: read the first mapping of /proc/PID/mem (e.g. the supervisor).
 * SUCCEEDED: read bytes of the other process's memory. */
#include "common.h"
#include <fcntl.h>

int main(int argc, char **argv)
{
	char path[64], buf[256];
	long pid = arg_long(argc, argv, 1, (long)getppid());
	unsigned long start = 0;
	FILE *m;
	int fd;
	ssize_t n;
	snprintf(path, sizeof path, "/proc/%ld/maps", pid);
	m = fopen(path, "r");
	if (!m || fscanf(m, "%lx", &start) != 1)
		verdict_blocked("proc_mem", "%s: %s", path, m ? "unparseable" : ename(errno));
	fclose(m);
	snprintf(path, sizeof path, "/proc/%ld/mem", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		verdict_blocked("proc_mem", "open %s: %s", path, ename(errno));
	n = pread(fd, buf, sizeof buf, (off_t)start);
	if (n <= 0)
		verdict_blocked("proc_mem", "pread %s at 0x%lx: %s", path, start, n < 0 ? ename(errno) : "empty");
	verdict_succeeded("proc_mem", "read %zd bytes of %s at 0x%lx", n, path, start);
}
