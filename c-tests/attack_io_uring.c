/* io_uring_setup (raw syscall 425). SUCCEEDED: got a ring fd. */
#include "common.h"
#include <linux/io_uring.h>
#include <sys/syscall.h>

int main(void)
{
	struct io_uring_params p;
	long fd;
	memset(&p, 0, sizeof p);
	fd = syscall(425, 8, &p);
	if (fd < 0)
		verdict_blocked("io_uring", "io_uring_setup: %s", ename(errno));
	verdict_succeeded("io_uring", "io_uring_setup returned fd %ld", fd);
}
