/* unshare(CLONE_NEWUSER) and unshare(CLONE_NEWNS), each tried in its own child.
 * SUCCEEDED: either worked. */
#include "common.h"
#include <sched.h>
#include <sys/wait.h>

static int try_in_child(int flag)
{
	int st;
	pid_t p = fork();
	if (p < 0)
		return errno;
	if (p == 0)
		_exit(unshare(flag) == 0 ? 0 : (errno & 0xff));
	if (waitpid(p, &st, 0) < 0 || !WIFEXITED(st))
		return EINTR;
	return WEXITSTATUS(st);
}

int main(void)
{
	int u = try_in_child(CLONE_NEWUSER), m = try_in_child(CLONE_NEWNS);
	if (u == 0 || m == 0)
		verdict_succeeded("unshare", "CLONE_NEWUSER=%s CLONE_NEWNS=%s", ename(u), ename(m));
	verdict_blocked("unshare", "CLONE_NEWUSER=%s CLONE_NEWNS=%s", ename(u), ename(m));
}
