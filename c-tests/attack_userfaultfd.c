/* userfaultfd(): a classic exploit helper. SUCCEEDED: got an fd. */
#include "common.h"
#include <fcntl.h>
#include <sys/syscall.h>

int main(void)
{
	long fd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (fd < 0)
		verdict_blocked("userfaultfd", "userfaultfd: %s", ename(errno));
	verdict_succeeded("userfaultfd", "userfaultfd returned fd %ld", fd);
}
