/* Workload: two_busy_children [MS=300]: two children each burn MS ms of CPU; parent waits. */
#include "common.h"
#include <sys/wait.h>
#include <time.h>

static void burn(long ms)
{
	struct timespec t0, t;
	volatile unsigned long x = 0;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	do {
		for (int i = 0; i < 10000; i++)
			x += (unsigned long)i;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
}

int main(int argc, char **argv)
{
	long ms = arg_long(argc, argv, 1, 300);
	int ok = 0, st;
	for (int i = 0; i < 2; i++) {
		pid_t p = fork();
		if (p < 0)
			return perror("fork"), 1;
		if (p == 0) {
			burn(ms);
			_exit(0);
		}
	}
	while (wait(&st) > 0)
		ok += WIFEXITED(st) && WEXITSTATUS(st) == 0;
	printf("two_busy_children: %d of 2 finished\n", ok);
	return ok == 2 ? 0 : 1;
}
