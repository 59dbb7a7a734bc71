/* i386 syscalls from a 64-bit process via int $0x80 (getpid = 20, setuid32(0) = 213): a filter
 * that does not pin the architecture is bypassed. SUCCEEDED: the i386 getpid returned our pid. */
#include "common.h"

static long int80(long nr, long a)
{
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a) : "memory");
	return ret;
}

int main(void)
{
	long pid = int80(20, 0);
	long su = int80(213, 0);
	if (pid == (long)getpid())
		verdict_succeeded("int80", "i386 getpid=%ld setuid32(0)=%ld", pid, su);
	verdict_blocked("int80", "i386 getpid=%ld setuid32(0)=%ld", pid, su);
}
