/* Workload: FNV-1a 64 of stdin. Prints "fnv1a64: <hex>" and "bytes: <n>". */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	static unsigned char buf[65536];
	uint64_t h = 1469598103934665603ULL, n = 0;
	ssize_t r;
	while ((r = read(0, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < r; i++) {
			h ^= buf[i];
			h *= 1099511628211ULL;
		}
		n += (uint64_t)r;
	}
	if (r < 0)
		return perror("read"), 1;
	printf("fnv1a64: %016llx\nbytes: %llu\n", (unsigned long long)h, (unsigned long long)n);
	return 0;
}
