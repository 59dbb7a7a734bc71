/* Code that runs before main (preinit_array, a DT_NEEDED constructor, an IFUNC resolver).
 * Uses raw syscalls only: it may run before libc is initialised.
 * Target paths: env CANARY / PIDFILE, else argv[1] / argv[2] (read from /proc/self/cmdline). */
#ifndef SBX_EARLY_ATTACK_H
#define SBX_EARLY_ATTACK_H
#include "rawsys.h"
#include <fcntl.h>
#include <signal.h>
#include <time.h>

struct early_result {
	int ran;
	long canary;     /* bytes written to the canary, or -errno, or 0 when no path given */
	long child;      /* pid of the forked sleeper, or -errno */
	long seccomp;    /* Seccomp: value at hook time, -1 unknown */
	long nnp;        /* NoNewPrivs: value at hook time, -1 unknown */
};

static char early_buf[8192];

/* index-th NUL-separated string of a /proc/self file, or 0 */
static const char *early_nth(const char *file, int index, const char *envkey)
{
	long fd = raw4(SYS_openat, AT_FDCWD, file, O_RDONLY, 0);
	long n, pos = 0;
	int i = 0;
	if (fd < 0)
		return 0;
	n = raw3(SYS_read, fd, early_buf, sizeof early_buf - 1);
	raw1(SYS_close, fd);
	if (n <= 0)
		return 0;
	early_buf[n] = 0;
	while (pos < n) {
		const char *s = early_buf + pos;
		if (envkey) {
			unsigned long kl = raw_strlen(envkey), k;
			for (k = 0; k < kl && s[k] == envkey[k]; k++)
				;
			if (k == kl && s[kl] == '=')
				return s + kl + 1;
		} else if (i == index) {
			return s;
		}
		pos += (long)raw_strlen(s) + 1;
		i++;
	}
	return 0;
}

static void early_copy(char *dst, const char *src, unsigned long max)
{
	unsigned long i = 0;
	if (src)
		for (; src[i] && i < max - 1; i++)
			dst[i] = src[i];
	dst[i] = 0;
}

static long early_status_num(const char *key)
{
	long fd = raw4(SYS_openat, AT_FDCWD, "/proc/self/status", O_RDONLY, 0);
	long n, i;
	unsigned long kl = raw_strlen(key);
	if (fd < 0)
		return -1;
	n = raw3(SYS_read, fd, early_buf, sizeof early_buf - 1);
	raw1(SYS_close, fd);
	if (n <= 0)
		return -1;
	early_buf[n] = 0;
	for (i = 0; i < n; i++) {
		if ((i == 0 || early_buf[i - 1] == '\n')) {
			unsigned long k;
			for (k = 0; k < kl && early_buf[i + (long)k] == key[k]; k++)
				;
			if (k == kl && early_buf[i + (long)kl] == ':') {
				long j = i + (long)kl + 1, v = 0;
				while (early_buf[j] == ' ' || early_buf[j] == '\t')
					j++;
				while (early_buf[j] >= '0' && early_buf[j] <= '9')
					v = v * 10 + (early_buf[j++] - '0');
				return v;
			}
		}
	}
	return -1;
}

__attribute__((unused)) static void early_attack(struct early_result *r, const char *who)
{
	char canary[512], pidfile[512];
	const char *c;
	if (r->ran)
		return;
	r->ran = 1;
	c = early_nth("/proc/self/environ", 0, "CANARY");
	if (!c)
		c = early_nth("/proc/self/cmdline", 1, 0);
	early_copy(canary, c, sizeof canary);
	c = early_nth("/proc/self/environ", 0, "PIDFILE");
	if (!c)
		c = early_nth("/proc/self/cmdline", 2, 0);
	early_copy(pidfile, c, sizeof pidfile);

	r->seccomp = early_status_num("Seccomp");
	r->nnp = early_status_num("NoNewPrivs");

	r->canary = 0;
	if (canary[0]) {
		long fd = raw4(SYS_openat, AT_FDCWD, canary, O_WRONLY | O_APPEND | O_CLOEXEC, 0);
		if (fd < 0) {
			r->canary = fd;
		} else {
			raw_puts((int)fd, who);
			raw_puts((int)fd, " wrote to the canary before main\n");
			r->canary = 1;
			raw1(SYS_close, fd);
		}
	}

	r->child = raw5(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (r->child == 0) {
		/* sleeper: detach from the caller's fds so nobody waits on our pipes */
		struct timespec ts = {30, 0};
		char num[24];
		int i;
		raw0(SYS_setsid);
		for (i = 0; i < 3; i++)
			raw1(SYS_close, i);
		if (pidfile[0]) {
			long fd = raw4(SYS_openat, AT_FDCWD, pidfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd >= 0) {
				raw_puts((int)fd, raw_utoa((unsigned long)raw0(SYS_getpid), num));
				raw_puts((int)fd, "\n");
				raw1(SYS_close, fd);
			}
		}
		raw2(SYS_nanosleep, &ts, 0);
		raw1(SYS_exit_group, 0);
	}
}

#ifndef EARLY_NO_REPORT
#include "common.h"
__attribute__((unused)) static void early_report(const char *name, const struct early_result *r)
{
	char cbuf[64], kbuf[64];
	int canary_ok = r->canary > 0;
	int escaped = r->child > 0 && r->seccomp == 0;
	if (!r->ran)
		verdict_blocked(name, "hook did not run");
	if (r->canary > 0)
		snprintf(cbuf, sizeof cbuf, "written");
	else if (r->canary == 0)
		snprintf(cbuf, sizeof cbuf, "no-path");
	else
		snprintf(cbuf, sizeof cbuf, "%s", ename((int)-r->canary));
	if (r->child > 0)
		snprintf(kbuf, sizeof kbuf, "pid%ld", r->child);
	else
		snprintf(kbuf, sizeof kbuf, "%s", ename((int)-r->child));
	if (canary_ok || escaped)
		verdict_succeeded(name, "canary=%s child=%s seccomp_at_hook=%ld nnp_at_hook=%ld", cbuf,
				  kbuf, r->seccomp, r->nnp);
	verdict_blocked(name, "canary=%s child=%s seccomp_at_hook=%ld nnp_at_hook=%ld", cbuf, kbuf,
			r->seccomp, r->nnp);
}
#endif
#endif
