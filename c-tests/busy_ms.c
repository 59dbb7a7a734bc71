/* Workload: busy_ms N: burn N ms of CPU time (process CPU clock). */
#include "common.h"
#include <time.h>

static double cpu_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	long ms = arg_long(argc, argv, 1, 500);
	volatile unsigned long x = 0;
	double start = cpu_ms();
	while (cpu_ms() - start < (double)ms)
		for (int i = 0; i < 10000; i++)
			x += (unsigned long)i;
	printf("busy %ld ms of CPU\n", ms);
	return 0;
}
