/* kill(0, SIGKILL): the caller's process group. If the sandbox shares the caller's group, host
 * processes in it die; the harness checks its victim. This program usually dies by its own
 * signal (the harness then sees SIGKILL); if it survives, kill failed. */
#include "common.h"
#include <signal.h>

int main(void)
{
	pid_t pg = getpgrp();
	if (kill(0, SIGKILL) != 0)
		verdict_blocked("kill_pgrp", "kill(0): %s", ename(errno));
	verdict_blocked("kill_pgrp", "kill(0) returned 0 but we survived (pgrp %d)", (int)pg);
}
