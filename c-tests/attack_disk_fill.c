/* attack_disk_fill PATH [CAP_MB=2048]: write 1 MiB blocks to PATH until error, then unlink it.
 * SUCCEEDED: CAP_MB written. BLOCKED: write/open failed first (errno reported). */
#include "common.h"
#include <fcntl.h>
#include <signal.h>

int main(int argc, char **argv)
{
	static char block[1 << 20];
	long cap = arg_long(argc, argv, 2, 2048), written = 0;
	int fd, err = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH [CAP_MB]\n", argv[0]);
		return 2;
	}
	signal(SIGXFSZ, SIG_IGN); /* report EFBIG instead of dying */
	memset(block, 'x', sizeof block);
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		verdict_blocked("disk_fill", "open %s: %s", argv[1], ename(errno));
	while (written < ((long)cap << 20)) {
		ssize_t w = write(fd, block, sizeof block);
		if (w <= 0) {
			err = w < 0 ? errno : ENOSPC;
			break;
		}
		written += w;
	}
	close(fd);
	unlink(argv[1]);
	if (err)
		verdict_blocked("disk_fill", "stopped after %ld bytes: %s", written, ename(err));
	verdict_succeeded("disk_fill", "wrote %ld MiB (cap) without error", written >> 20);
}
