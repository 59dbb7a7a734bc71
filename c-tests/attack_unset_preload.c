/* Re-exec with LD_PRELOAD / LD_AUDIT removed: is the child still contained? */
#include "common.h"
#include <sys/wait.h>

int main(int argc, char **argv)
{
	extern char **environ;
	char *env[256];
	int n = 0, p[2], st;
	char **e, buf[16384];
	ssize_t len = 0, r;
	pid_t pid;
	char *sc, *nnp;

	if (argc > 1 && strcmp(argv[1], "--status") == 0) {
		FILE *f = fopen("/proc/self/status", "r");
		while (f && fgets(buf, sizeof buf, f))
			fputs(buf, stdout);
		return f ? 0 : 2;
	}
	for (e = environ; *e && n < 254; e++)
		if (strncmp(*e, "LD_PRELOAD=", 11) && strncmp(*e, "LD_AUDIT=", 9))
			env[n++] = *e;
	env[n] = NULL;
	if (pipe(p))
		verdict_blocked("unset_preload", "pipe: %s", ename(errno));
	pid = fork();
	if (pid < 0)
		verdict_blocked("unset_preload", "fork: %s", ename(errno));
	if (pid == 0) {
		char *shargv[] = {"sh", "-c", "cat /proc/self/status", NULL};
		char *selfargv[] = {"self", "--status", NULL};
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execve("/bin/sh", shargv, env);
		execve("/proc/self/exe", selfargv, env);
		printf("EXECFAIL %s\n", ename(errno));
		fflush(stdout);
		_exit(127);
	}
	close(p[1]);
	while (len < (ssize_t)sizeof buf - 1 && (r = read(p[0], buf + len, sizeof buf - 1 - len)) > 0)
		len += r;
	buf[len] = 0;
	waitpid(pid, &st, 0);
	if (WIFSIGNALED(st))
		verdict_blocked("unset_preload", "child killed by signal %d", WTERMSIG(st));
	if (strncmp(buf, "EXECFAIL", 8) == 0)
		verdict_blocked("unset_preload", "exec refused: %s", buf + 9);
	sc = strstr(buf, "\nSeccomp:");
	nnp = strstr(buf, "\nNoNewPrivs:");
	if (!sc || !nnp)
		verdict_blocked("unset_preload", "child produced no status (exit %d)", WEXITSTATUS(st));
	sc = sc + 9 + strspn(sc + 9, " \t");
	nnp = nnp + 12 + strspn(nnp + 12, " \t");
	sc[strcspn(sc, "\n")] = 0;
	nnp[strcspn(nnp, "\n")] = 0;
	if (strcmp(sc, "0") == 0 || strcmp(nnp, "0") == 0)
		verdict_succeeded("unset_preload", "child without LD_PRELOAD is uncontained: Seccomp=%s NoNewPrivs=%s", sc, nnp);
	verdict_blocked("unset_preload", "child still contained: Seccomp=%s NoNewPrivs=%s", sc, nnp);
}
