/* Benchmark: getppid_loop [N=1000000]: N getppid() calls (through libc); prints ns/call. */
#include "common.h"
#include <time.h>

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 1000000);
	struct timespec a, b;
	volatile pid_t sink = 0;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		sink = getppid();
	clock_gettime(CLOCK_MONOTONIC, &b);
	(void)sink;
	printf("getppid: %ld calls, %.1f ns/call\n", n,
	       ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / (double)(n ? n : 1));
	return 0;
}
