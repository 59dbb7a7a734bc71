/* Benchmark workload: compute [ITERS=300000000]: fixed arithmetic loop; prints result + elapsed. */
#include "common.h"
#include <stdint.h>
#include <time.h>

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 300000000L);
	uint64_t x = 88172645463325252ULL;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("compute: %ld iterations result %016llx\n", n, (unsigned long long)x);
	fprintf(stderr, "elapsed_ms: %.1f\n",
		(double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6);
	return 0;
}
