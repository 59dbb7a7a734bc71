/* Workload: write_file_size [MB=64] [PATH=./wfs-<pid>.tmp]: write until MB MiB or an error;
 * SIGXFSZ is ignored so a file-size limit shows as EFBIG. Exit 0 at the cap, 1 on error. */
#include "common.h"
#include <fcntl.h>
#include <signal.h>

int main(int argc, char **argv)
{
	static char buf[1 << 16];
	long mb = arg_long(argc, argv, 1, 64), total = 0;
	char path[4096];
	int fd, err = 0;
	if (argc > 2)
		snprintf(path, sizeof path, "%s", argv[2]);
	else
		snprintf(path, sizeof path, "./wfs-%d.tmp", (int)getpid());
	signal(SIGXFSZ, SIG_IGN);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return printf("write_file_size: open: %s\n", ename(errno)), 1;
	while (total < (mb << 20)) {
		ssize_t w = write(fd, buf, sizeof buf);
		if (w <= 0) {
			err = w < 0 ? errno : ENOSPC;
			break;
		}
		total += w;
	}
	close(fd);
	unlink(path);
	if (err) {
		printf("write_file_size: stopped at %ld bytes: %s\n", total, ename(err));
		return 1;
	}
	printf("write_file_size: %ld MiB written\n", mb);
	return 0;
}
