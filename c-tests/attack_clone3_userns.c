/* clone3 (raw syscall 435) with CLONE_NEWUSER. SUCCEEDED: a child was created in a new
 * user namespace. (Filters often answer ENOSYS to clone3 so libc falls back to clone.) */
#include "common.h"
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>

int main(void)
{
	struct clone_args ca;
	long pid;
	memset(&ca, 0, sizeof ca);
	ca.flags = CLONE_NEWUSER;
	ca.exit_signal = SIGCHLD;
	pid = syscall(435, &ca, sizeof ca);
	if (pid < 0)
		verdict_blocked("clone3_userns", "clone3(CLONE_NEWUSER): %s", ename(errno));
	if (pid == 0)
		syscall(SYS_exit, 0);
	waitpid((pid_t)pid, NULL, 0);
	verdict_succeeded("clone3_userns", "clone3(CLONE_NEWUSER) made child %ld", pid);
}
