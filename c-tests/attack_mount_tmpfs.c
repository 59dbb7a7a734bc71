/* attack_mount_tmpfs [DIR=/tmp]: mount a tmpfs over DIR; unmounted again at once.
 * SUCCEEDED: the mount call worked. */
#include "common.h"
#include <sys/mount.h>

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	if (mount("sbx-test", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m") != 0)
		verdict_blocked("mount_tmpfs", "mount tmpfs on %s: %s", dir, ename(errno));
	umount2(dir, MNT_DETACH);
	verdict_succeeded("mount_tmpfs", "mounted tmpfs on %s (unmounted again)", dir);
}
