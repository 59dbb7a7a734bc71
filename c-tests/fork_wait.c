/* Workload: fork a child that exits 7; the parent checks the status. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	int st;
	pid_t p = fork();
	if (p < 0)
		return perror("fork"), 1;
	if (p == 0)
		_exit(7);
	if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 7)
		return fprintf(stderr, "bad child status %d\n", st), 1;
	printf("fork_wait: child exited 7\n");
	return 0;
}
