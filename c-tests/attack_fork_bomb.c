/* attack_fork_bomb [N=100000]: fork pausing children until N, failure, or 5 s; then kill them.
 * SUCCEEDED: N children existed at once. BLOCKED: fork failed first. */
#include "common.h"
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 100000), made = 0;
	int err = 0;
	pid_t pgid = getpid();
	time_t start = time(NULL);
	/* own process group so cleanup can kill(-pgid) without touching anything else */
	setpgid(0, 0);
	while (made < n && time(NULL) - start < 5) {
		pid_t p = fork();
		if (p < 0) {
			err = errno;
			break;
		}
		if (p == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != pgid)
				_exit(0);
			pause();
			_exit(0);
		}
		made++;
	}
	signal(SIGTERM, SIG_IGN);
	kill(-pgid, SIGTERM); /* the children die of it; we ignore it */
	while (wait(NULL) > 0 || errno == EINTR)
		;
	if (made >= n)
		verdict_succeeded("fork_bomb", "%ld children forked (cap)", made);
	verdict_blocked("fork_bomb", "%ld children forked, then %s", made, err ? ename(err) : "5 s elapsed");
}
