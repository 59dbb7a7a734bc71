/* attack_overwrite_host CANARY: truncate+write, rename, unlink a host canary file.
 * SUCCEEDED: any of the three worked. */
#include "common.h"
#include <fcntl.h>

int main(int argc, char **argv)
{
	char renamed[4096];
	int fd, ok = 0, e1, e2 = 0, e3 = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: %s CANARY\n", argv[0]);
		return 2;
	}
	fd = open(argv[1], O_WRONLY | O_TRUNC);
	e1 = fd < 0 ? errno : 0;
	if (fd >= 0) {
		if (write(fd, "PWNED\n", 6) == 6)
			ok = 1;
		close(fd);
	}
	snprintf(renamed, sizeof renamed, "%s.renamed", argv[1]);
	if (rename(argv[1], renamed) == 0) {
		ok = 1;
		if (rename(renamed, argv[1]) != 0)
			e2 = errno;
	} else {
		e2 = errno;
	}
	if (unlink(argv[1]) == 0)
		ok = 1;
	else
		e3 = errno;
	if (ok)
		verdict_succeeded("overwrite_host", "open=%s rename=%s unlink=%s", ename(e1), ename(e2), ename(e3));
	verdict_blocked("overwrite_host", "open=%s rename=%s unlink=%s", ename(e1), ename(e2), ename(e3));
}
