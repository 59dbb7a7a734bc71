/* Workload: big_stdout [MB=16]: write MB MiB of a deterministic pattern to stdout. */
#include "common.h"

int main(int argc, char **argv)
{
	static char buf[1 << 20];
	long mb = arg_long(argc, argv, 1, 16);
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (i % 64 == 63) ? '\n' : (char)('a' + (i % 26));
	for (long m = 0; m < mb; m++) {
		size_t off = 0;
		while (off < sizeof buf) {
			ssize_t w = write(1, buf + off, sizeof buf - off);
			if (w <= 0)
				return 1;
			off += (size_t)w;
		}
	}
	return 0;
}
