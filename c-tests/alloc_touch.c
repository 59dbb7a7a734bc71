/* Workload: alloc_touch [MB=100]: malloc MB MiB and touch every page. */
#include "common.h"

int main(int argc, char **argv)
{
	long mb = arg_long(argc, argv, 1, 100);
	unsigned char *p = malloc((size_t)mb << 20);
	unsigned long sum = 0;
	if (!p)
		return perror("malloc"), 1;
	for (size_t i = 0; i < ((size_t)mb << 20); i += 4096)
		p[i] = (unsigned char)i;
	for (size_t i = 0; i < ((size_t)mb << 20); i += 4096)
		sum += p[i];
	printf("alloc_touch: %ld MiB touched (sum %lu)\n", mb, sum);
	free(p);
	return 0;
}
