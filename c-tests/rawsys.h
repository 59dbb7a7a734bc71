/* Raw x86-64 syscalls that do not go through libc: usable from .preinit_array,
 * IFUNC resolvers and interposed libc functions. */
#ifndef SBX_RAWSYS_H
#define SBX_RAWSYS_H
#include <sys/syscall.h>

__attribute__((unused)) static inline long raw6(long n, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#define raw0(n) raw6((n), 0, 0, 0, 0, 0, 0)
#define raw1(n, a) raw6((n), (long)(a), 0, 0, 0, 0, 0)
#define raw2(n, a, b) raw6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define raw3(n, a, b, c) raw6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define raw4(n, a, b, c, d) raw6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define raw5(n, a, b, c, d, e) raw6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

__attribute__((unused)) static unsigned long raw_strlen(const char *s)
{
	unsigned long n = 0;
	while (s[n])
		n++;
	return n;
}

__attribute__((unused)) static void raw_puts(int fd, const char *s)
{
	raw3(SYS_write, fd, s, raw_strlen(s));
}

/* decimal of v into buf (>= 24 bytes), returns buf */
__attribute__((unused)) static char *raw_utoa(unsigned long v, char *buf)
{
	char tmp[24];
	int i = 0, j = 0;
	do {
		tmp[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i)
		buf[j++] = tmp[--i];
	buf[j] = 0;
	return buf;
}
#endif
