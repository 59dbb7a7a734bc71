/* Workload: open_n N: open /dev/null N times. Exit 0 if all opened, else print the first
 * failure (count and errno) and exit 1. */
#include "common.h"
#include <fcntl.h>

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 100);
	for (long i = 0; i < n; i++)
		if (open("/dev/null", O_RDONLY) < 0) {
			printf("open_n: failed after %ld opens: %s\n", i, ename(errno));
			return 1;
		}
	printf("open_n: %ld opened\n", n);
	return 0;
}
