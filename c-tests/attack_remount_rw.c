/* attack_remount_rw DIR: DIR is a read-only bind; try mount(NULL, DIR, NULL, MS_REMOUNT|MS_BIND)
 * to clear MS_RDONLY, then create a file in it (removed again). SUCCEEDED: the write worked. */
#include "common.h"
#include <fcntl.h>
#include <sys/mount.h>

int main(int argc, char **argv)
{
	char probe[4096];
	int r, er, fd;
	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	r = mount(NULL, argv[1], NULL, MS_REMOUNT | MS_BIND, NULL);
	er = r ? errno : 0;
	snprintf(probe, sizeof probe, "%s/.remount-probe-%d", argv[1], (int)getpid());
	fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd >= 0) {
		close(fd);
		unlink(probe);
		verdict_succeeded("remount_rw", "remount=%s; created a file in %s", ename(er), argv[1]);
	}
	verdict_blocked("remount_rw", "remount=%s write=%s", ename(er), ename(errno));
}
