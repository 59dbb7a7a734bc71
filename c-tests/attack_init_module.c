/* init_module with a bogus 64-byte image (not an ELF module: can never load).
 * EPERM: BLOCKED. Any other error (ENOEXEC, EINVAL...): SUCCEEDED, the request reached the loader. */
#include "common.h"
#include <sys/syscall.h>

int main(void)
{
	static char image[64] = "not a kernel module";
	long r = syscall(SYS_init_module, image, sizeof image, "");
	int e = errno;
	if (r == 0)
		verdict_succeeded("init_module", "bogus image accepted?!");
	if (e == EPERM || e == ENOSYS || e == EACCES)
		verdict_blocked("init_module", "init_module: %s", ename(e));
	verdict_succeeded("init_module", "reached the module loader: %s", ename(e));
}
