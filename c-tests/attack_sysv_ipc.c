/* attack_sysv_ipc KEY: find the host's shared memory segment / message queue with KEY.
 * SUCCEEDED: either was found. */
#include "common.h"
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/shm.h>

int main(int argc, char **argv)
{
	key_t key = (key_t)arg_long(argc, argv, 1, 0x5b0c5);
	int shm = shmget(key, 0, 0), e1 = errno;
	int msq = msgget(key, 0), e2 = errno;
	if (shm >= 0 || msq >= 0)
		verdict_succeeded("sysv_ipc", "key 0x%x: shm=%s msg=%s", (unsigned)key, shm >= 0 ? "found" : ename(e1),
				  msq >= 0 ? "found" : ename(e2));
	verdict_blocked("sysv_ipc", "key 0x%x: shm=%s msg=%s", (unsigned)key, ename(e1), ename(e2));
}
