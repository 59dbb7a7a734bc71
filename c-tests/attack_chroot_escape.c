/* attack_chroot_escape HOSTPATH: classic double-chroot escape, then open HOSTPATH.
 * SUCCEEDED: HOSTPATH readable after the escape. */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
	char dir[] = "/tmp/chroot-esc-XXXXXX", sub[64];
	int i, fd, e;
	if (argc < 2) {
		fprintf(stderr, "usage: %s HOSTPATH\n", argv[0]);
		return 2;
	}
	if (!mkdtemp(dir) && (snprintf(dir, sizeof dir, "chroot-esc-%d", (int)getpid()), mkdir(dir, 0700)))
		verdict_blocked("chroot_escape", "cannot create a directory: %s", ename(errno));
	snprintf(sub, sizeof sub, "%s/sub", dir);
	mkdir(sub, 0700);
	if (chroot(sub) != 0) {
		e = errno;
		rmdir(sub);
		rmdir(dir);
		verdict_blocked("chroot_escape", "chroot: %s", ename(e));
	}
	for (i = 0; i < 64; i++)
		if (chdir("..") != 0)
			break;
	if (chroot(".") != 0)
		verdict_blocked("chroot_escape", "second chroot: %s", ename(errno));
	if (chdir("/") != 0)
		return 3;
	rmdir(sub);
	rmdir(dir);
	fd = open(argv[1], O_RDONLY);
	if (fd >= 0)
		verdict_succeeded("chroot_escape", "opened %s after escaping", argv[1]);
	verdict_blocked("chroot_escape", "chroot allowed but %s not reachable: %s", argv[1], ename(errno));
}
