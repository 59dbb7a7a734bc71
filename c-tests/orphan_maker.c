/* Workload: a grandchild outlives its parent (re-parented to the namespace init), sleeps 200 ms
 * and exits; the main process exits without waiting for it. */
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	pid_t c = fork();
	if (c < 0)
		return perror("fork"), 1;
	if (c == 0) {
		if (fork() == 0) {
			struct timespec ts = {0, 200000000L};
			nanosleep(&ts, NULL);
			_exit(0);
		}
		_exit(0);
	}
	waitpid(c, NULL, 0);
	printf("orphan_maker: parent exiting, grandchild still running\n");
	return 0;
}
