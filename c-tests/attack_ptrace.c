/* attack_ptrace [PID]: PTRACE_ATTACH to getppid() and to PID; detach at once if it worked.
 * SUCCEEDED: either attach worked. */
#include "common.h"
#include <sys/ptrace.h>
#include <sys/wait.h>

static int attach(pid_t p, int *err)
{
	if (p <= 0) {
		*err = ESRCH;
		return 0;
	}
	if (ptrace(PTRACE_ATTACH, p, 0, 0) != 0) {
		*err = errno;
		return 0;
	}
	waitpid(p, NULL, __WALL);
	ptrace(PTRACE_DETACH, p, 0, 0);
	*err = 0;
	return 1;
}

int main(int argc, char **argv)
{
	pid_t pp = getppid(), tp = (pid_t)arg_long(argc, argv, 1, 0);
	int e1, e2, a1 = attach(pp, &e1), a2 = argc > 1 ? attach(tp, &e2) : (e2 = 0, 0);
	if (a1 || a2)
		verdict_succeeded("ptrace", "parent(%d)=%s pid(%d)=%s", (int)pp, a1 ? "attached" : ename(e1), (int)tp,
				  a2 ? "attached" : argc > 1 ? ename(e2) : "-");
	verdict_blocked("ptrace", "parent(%d)=%s pid(%d)=%s", (int)pp, ename(e1), (int)tp, argc > 1 ? ename(e2) : "-");
}
