/* kill(-1, SIGKILL): every process this uid may signal. The harness checks that a host process
 * survives. Safety: refuses to send unless inside a child pid namespace (SUCCEEDED then means
 * "would have reached host processes"). BLOCKED: kill failed (EPERM/ESRCH) or the
 * signal could only reach processes inside the sandbox. */
#include "nsguard.h"
#include <signal.h>

int main(void)
{
	if (!in_child_pidns())
		verdict_succeeded("kill_all", "not in a child pid namespace: kill(-1) would reach host processes (not sent)");
	if (kill(-1, SIGKILL) != 0)
		verdict_blocked("kill_all", "kill(-1): %s", ename(errno));
	verdict_blocked("kill_all", "kill(-1) returned 0 inside a pid namespace (harness checks the host victim)");
}
