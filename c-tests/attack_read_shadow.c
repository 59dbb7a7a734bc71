/* attack_read_shadow [ROOTFILE]: read /etc/shadow and a root-only (0600) file.
 * SUCCEEDED: either returned data. */
#include "common.h"
#include <fcntl.h>

static int try_read(const char *p, int *err)
{
	char buf[64];
	int fd = open(p, O_RDONLY);
	ssize_t n;
	if (fd < 0) {
		*err = errno;
		return 0;
	}
	n = read(fd, buf, sizeof buf);
	*err = n < 0 ? errno : 0;
	close(fd);
	return n > 0;
}

int main(int argc, char **argv)
{
	int e1 = 0, e2 = 0, ok1, ok2 = 0;
	ok1 = try_read("/etc/shadow", &e1);
	if (argc > 1)
		ok2 = try_read(argv[1], &e2);
	if (ok1 || ok2)
		verdict_succeeded("read_shadow", "shadow=%s rootfile=%s", ok1 ? "read" : ename(e1),
				  argc > 1 ? (ok2 ? "read" : ename(e2)) : "-");
	verdict_blocked("read_shadow", "shadow=%s rootfile=%s", ename(e1), argc > 1 ? ename(e2) : "-");
}
