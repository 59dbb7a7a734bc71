/* attack_process_vm_writev PID ADDR: write 8 bytes into another process (the host helper prints
 * the address of a scratch buffer it owns). SUCCEEDED: the write went through. */
#include "common.h"
#include <sys/uio.h>

int main(int argc, char **argv)
{
	char data[8] = "SBXPWND";
	long pid = arg_long(argc, argv, 1, (long)getppid());
	unsigned long addr = (unsigned long)arg_long(argc, argv, 2, 0x10000);
	struct iovec l = {data, sizeof data}, r = {(void *)addr, sizeof data};
	ssize_t n = process_vm_writev((pid_t)pid, &l, 1, &r, 1, 0);
	if (n == (ssize_t)sizeof data)
		verdict_succeeded("process_vm_writev", "wrote %zd bytes to pid %ld at 0x%lx", n, pid, addr);
	verdict_blocked("process_vm_writev", "pid %ld at 0x%lx: %s", pid, addr, n < 0 ? ename(errno) : "short");
}
