/* Workload: tmp_scratch [MB=10]: write MB MiB to a file in /tmp, read it back, compare, remove. */
#include "common.h"
#include <fcntl.h>

int main(int argc, char **argv)
{
	static unsigned char buf[1 << 20], back[1 << 20];
	long mb = arg_long(argc, argv, 1, 10);
	char path[] = "/tmp/sbx-scratch-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return perror("mkstemp /tmp"), 1;
	for (long m = 0; m < mb; m++) {
		for (size_t i = 0; i < sizeof buf; i++)
			buf[i] = (unsigned char)(i * 31 + (size_t)m);
		if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
			return perror("write"), unlink(path), 1;
	}
	for (long m = 0; m < mb; m++) {
		for (size_t i = 0; i < sizeof buf; i++)
			buf[i] = (unsigned char)(i * 31 + (size_t)m);
		if (pread(fd, back, sizeof back, (off_t)m << 20) != (ssize_t)sizeof back || memcmp(buf, back, sizeof buf))
			return fprintf(stderr, "mismatch at MiB %ld\n", m), unlink(path), 1;
	}
	close(fd);
	unlink(path);
	printf("tmp_scratch: %ld MiB written and verified\n", mb);
	return 0;
}
