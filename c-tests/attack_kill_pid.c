/* attack_kill_pid PID: kill(PID, SIGKILL) of a host process. SUCCEEDED: kill returned 0
 * (in a pid namespace the number may name a sandbox process: the harness checks the victim). */
#include "common.h"
#include <signal.h>

int main(int argc, char **argv)
{
	long pid = arg_long(argc, argv, 1, 0);
	if (pid <= 1)
		verdict_blocked("kill_pid", "refusing pid %ld", pid);
	if (kill((pid_t)pid, SIGKILL) != 0)
		verdict_blocked("kill_pid", "kill(%ld): %s", pid, ename(errno));
	verdict_succeeded("kill_pid", "kill(%ld, SIGKILL) returned 0", pid);
}
