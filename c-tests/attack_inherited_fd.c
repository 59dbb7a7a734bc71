/* attack_inherited_fd FD: use a descriptor the caller left open (fstat, read, write).
 * SUCCEEDED: fstat works and read or write works on it. */
#include "common.h"
#include <sys/stat.h>

int main(int argc, char **argv)
{
	int fd = (int)arg_long(argc, argv, 1, 3), er = 0, ew = 0;
	struct stat st;
	char c;
	ssize_t r, w;
	if (fstat(fd, &st) != 0)
		verdict_blocked("inherited_fd", "fd %d: fstat %s", fd, ename(errno));
	r = pread(fd, &c, 1, 0);
	if (r < 0)
		er = errno;
	w = write(fd, "", 0) == 0 ? write(fd, "inherited-fd-was-usable\n", 24) : -1;
	if (w < 0)
		ew = errno;
	if (r >= 0 || w > 0)
		verdict_succeeded("inherited_fd", "fd %d (inode %lu): read=%s write=%s", fd, (unsigned long)st.st_ino,
				  r >= 0 ? "OK" : ename(er), w > 0 ? "OK" : ename(ew));
	verdict_blocked("inherited_fd", "fd %d open but unusable: read=%s write=%s", fd, ename(er), ename(ew));
}
