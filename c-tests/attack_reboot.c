/* reboot(2) with LINUX_REBOOT_MAGIC1, a WRONG magic2 and a bogus command: it can never reboot.
 * The kernel checks CAP_SYS_BOOT before the magic numbers, so EPERM = BLOCKED and
 * EINVAL = SUCCEEDED (the capability check was passed; only the bad magic stopped it). */
#include "common.h"
#include <sys/syscall.h>

int main(void)
{
	long r = syscall(SYS_reboot, 0xfee1deadUL, 0x0badc0deUL, 0x0badc0deUL, NULL);
	int e = errno;
	if (r == 0)
		verdict_succeeded("reboot", "reboot returned 0?!");
	if (e == EINVAL)
		verdict_succeeded("reboot", "EINVAL: passed the CAP_SYS_BOOT check (bogus magic stopped it)");
	verdict_blocked("reboot", "reboot: %s", ename(e));
}
