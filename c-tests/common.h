/* Shared helpers for the sandbox C tests. Header-only; every program is one .c file. */
#ifndef SBX_COMMON_H
#define SBX_COMMON_H
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Verdict lines. SUCCEEDED: exit 0. BLOCKED: exit 1. */
__attribute__((format(printf, 2, 3), noreturn, unused))
static void verdict_succeeded(const char *name, const char *fmt, ...)
{
	va_list ap;
	printf("ATTACK %s: SUCCEEDED ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(0);
}

__attribute__((format(printf, 2, 3), noreturn, unused))
static void verdict_blocked(const char *name, const char *fmt, ...)
{
	va_list ap;
	printf("ATTACK %s: BLOCKED ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

/* errno name for short, stable detail strings */
__attribute__((unused))
static const char *ename(int e)
{
	switch (e) {
	case 0: return "OK";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENOTDIR: return "ENOTDIR";
	case EINVAL: return "EINVAL";
	case ENFILE: return "ENFILE";
	case EMFILE: return "EMFILE";
	case ENOTTY: return "ENOTTY";
	case EFBIG: return "EFBIG";
	case ENOSPC: return "ENOSPC";
	case EROFS: return "EROFS";
	case ENOSYS: return "ENOSYS";
	case ENOEXEC: return "ENOEXEC";
	case EXDEV: return "EXDEV";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ENETUNREACH: return "ENETUNREACH";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EDQUOT: return "EDQUOT";
	case ENODEV: return "ENODEV";
	case EKEYREJECTED: return "EKEYREJECTED";
	default: return strerror(e);
	}
}

/* Value of a "Key:\t..." line of /proc/self/status, copied into out; "?" if unreadable. */
__attribute__((unused))
static const char *status_field(const char *key, char *out, size_t outlen)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[512];
	size_t kl = strlen(key);
	snprintf(out, outlen, "?");
	if (!f)
		return out;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			char *v = line + kl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			v[strcspn(v, "\n")] = 0;
			{
				size_t i;
				for (i = 0; v[i] && i + 1 < outlen; i++)
					out[i] = v[i];
				out[i] = 0;
			}
			break;
		}
	}
	fclose(f);
	return out;
}

/* 1 if /proc/self/status says: seccomp on, no_new_privs on, no effective caps. */
__attribute__((unused))
static int self_contained(char *detail, size_t dlen)
{
	char sc[64], nnp[64], cap[64];
	status_field("Seccomp", sc, sizeof sc);
	status_field("NoNewPrivs", nnp, sizeof nnp);
	status_field("CapEff", cap, sizeof cap);
	snprintf(detail, dlen, "Seccomp=%s NoNewPrivs=%s CapEff=%s", sc, nnp, cap);
	return strcmp(sc, "0") != 0 && strcmp(sc, "?") != 0 && strcmp(nnp, "1") == 0 &&
	       strspn(cap, "0") == strlen(cap) && cap[0] != 0;
}

__attribute__((unused))
static long arg_long(int argc, char **argv, int i, long dflt)
{
	if (argc > i && argv[i][0])
		return strtol(argv[i], NULL, 0);
	return dflt;
}
#endif
