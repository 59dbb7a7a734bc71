/* attack_setuid_exec BIN: exec BIN (a setuid-root copy of show_ids) and read its euid.
 * SUCCEEDED: the child ran with euid 0 while we are not root (or: we are root already). */
#include "common.h"
#include <sys/wait.h>

int main(int argc, char **argv)
{
	int p[2], st, uid = -1, euid = -1, gid, egid;
	char buf[128] = "";
	ssize_t n;
	pid_t pid;
	if (argc < 2) {
		fprintf(stderr, "usage: %s SETUID_BINARY\n", argv[0]);
		return 2;
	}
	if (pipe(p))
		return 3;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		execl(argv[1], argv[1], (char *)NULL);
		printf("EXECFAIL %s\n", ename(errno));
		fflush(stdout);
		_exit(127);
	}
	close(p[1]);
	n = read(p[0], buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	waitpid(pid, &st, 0);
	if (sscanf(buf, "%d %d %d %d", &uid, &euid, &gid, &egid) != 4)
		verdict_blocked("setuid_exec", "could not run %s: %s", argv[1], buf[0] ? buf : "no output");
	if (euid == 0)
		verdict_succeeded("setuid_exec", "child uid=%d euid=%d (our uid %d)", uid, euid, (int)getuid());
	verdict_blocked("setuid_exec", "child uid=%d euid=%d: setuid bit ignored", uid, euid);
}
