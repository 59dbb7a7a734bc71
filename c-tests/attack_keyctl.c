/* add_key("user", ...) into the process keyring (gone when we exit). SUCCEEDED: got a key id. */
#include "common.h"
#include <sys/syscall.h>

int main(void)
{
	long id = syscall(SYS_add_key, "user", "sandbox-c-tests", "x", (size_t)1, -2 /* KEY_SPEC_PROCESS_KEYRING */);
	if (id < 0)
		verdict_blocked("keyctl", "add_key: %s", ename(errno));
	verdict_succeeded("keyctl", "add_key returned key %ld", id);
}
