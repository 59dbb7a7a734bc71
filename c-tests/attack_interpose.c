/* Built with -rdynamic: these definitions interpose libc for every library in the process,
 * including an LD_PRELOAD sandbox that arms through libc. Each prints INTERPOSED:<name> and
 * forwards to the real behaviour (raw syscalls, __libc_malloc, dlsym(RTLD_NEXT)). */
#define _GNU_SOURCE
#include "common.h"
#include "rawsys.h"
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern char **environ;
int seccomp(unsigned int op, unsigned int flags, void *args);

static volatile int in_main;
static volatile long premain_calls;

static void mark(const char *name)
{
	raw_puts(2, "INTERPOSED:");
	raw_puts(2, name);
	raw_puts(2, "\n");
	if (!in_main)
		premain_calls++;
}

static long fix(long r)
{
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

int prctl(int option, ...)
{
	va_list ap;
	unsigned long a[4];
	int i;
	va_start(ap, option);
	for (i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	mark("prctl");
	return (int)fix(raw5(SYS_prctl, option, a[0], a[1], a[2], a[3]));
}

long syscall(long n, ...)
{
	va_list ap;
	long a[6];
	int i;
	va_start(ap, n);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	mark("syscall");
	return fix(raw6(n, a[0], a[1], a[2], a[3], a[4], a[5]));
}

int seccomp(unsigned int op, unsigned int flags, void *args)
{
	mark("seccomp");
	return (int)fix(raw3(SYS_seccomp, op, flags, args));
}

#ifndef SBX_STATIC /* a static libc's malloc.o defines malloc too: nothing to interpose there */
void *malloc(size_t n)
{
	static int depth;
	if (!depth) { /* marker once per outermost call; write(2) does not allocate */
		depth++;
		mark("malloc");
		depth--;
	}
	return __libc_malloc(n);
}
#endif

void *memcpy(void *restrict d, const void *restrict s, size_t n)
{
	void *ret = d;
	mark("memcpy");
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return ret;
}

pid_t fork(void)
{
	static pid_t (*real)(void);
	mark("fork");
	if (!real)
		real = (pid_t(*)(void))dlsym(RTLD_NEXT, "fork");
	if (real)
		return real();
	return (pid_t)fix(raw5(SYS_clone, SIGCHLD, 0, 0, 0, 0));
}

char *getenv(const char *name)
{
	size_t l = raw_strlen(name);
	char **e;
	mark("getenv");
	for (e = environ; e && *e; e++) {
		size_t k = 0;
		while (k < l && (*e)[k] == name[k])
			k++;
		if (k == l && (*e)[l] == '=')
			return *e + l + 1;
	}
	return NULL;
}

int mount(const char *src, const char *dst, const char *type, unsigned long flags, const void *data)
{
	mark("mount");
	return (int)fix(raw5(SYS_mount, src, dst, type, flags, data));
}

int unshare(int flags)
{
	mark("unshare");
	return (int)fix(raw1(SYS_unshare, flags));
}

int setrlimit(__rlimit_resource_t res, const struct rlimit *rl)
{
	mark("setrlimit");
	return (int)fix(raw4(SYS_prlimit64, 0, res, rl, 0));
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	mark("open");
	return (int)fix(raw4(SYS_openat, AT_FDCWD, path, flags, mode));
}

int main(void)
{
	char detail[256], sc[32], nnp[32], cap[64];
	int contained, s, sock_ok;
	in_main = 1;
	printf("MAIN\n");
	printf("Seccomp: %s\n", status_field("Seccomp", sc, sizeof sc));
	printf("NoNewPrivs: %s\n", status_field("NoNewPrivs", nnp, sizeof nnp));
	printf("CapEff: %s\n", status_field("CapEff", cap, sizeof cap));
	s = socket(AF_INET, SOCK_STREAM, 0);
	sock_ok = s >= 0;
	printf("socket: %s\n", sock_ok ? "works" : ename(errno));
	if (s >= 0)
		close(s);
	contained = self_contained(detail, sizeof detail);
	if (!contained)
		verdict_succeeded("interpose", "not contained after interposing (%s) premain_interposed=%ld socket=%s",
				  detail, premain_calls, sock_ok ? "works" : "fails");
	verdict_blocked("interpose", "contained (%s) premain_interposed=%ld socket=%s", detail, premain_calls,
			sock_ok ? "works" : "fails");
}
