/* attack_cgroup_escape [PATH]: write our pid into every /sys/fs/cgroup/ * /cgroup.procs, the v2 root
 * and PATH (e.g. the host's parent cgroup). SUCCEEDED: any write was accepted. */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>

static int tries, wins;
static char last[256] = "none";

static void try_procs(const char *p)
{
	char pid[32];
	int fd = open(p, O_WRONLY), n;
	tries++;
	if (fd < 0) {
		snprintf(last, sizeof last, "%s", ename(errno));
		return;
	}
	n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
	if (write(fd, pid, (size_t)n) == n) {
		wins++;
		snprintf(last, sizeof last, "moved into %.200s", p);
	} else {
		snprintf(last, sizeof last, "write %s", ename(errno));
	}
	close(fd);
}

int main(int argc, char **argv)
{
	DIR *d = opendir("/sys/fs/cgroup");
	struct dirent *de;
	char p[512];
	try_procs("/sys/fs/cgroup/cgroup.procs");
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof p, "/sys/fs/cgroup/%s/cgroup.procs", de->d_name);
		if (access(p, F_OK) == 0)
			try_procs(p);
	}
	if (d)
		closedir(d);
	if (argc > 1)
		try_procs(argv[1]);
	if (wins)
		verdict_succeeded("cgroup_escape", "%d of %d cgroup.procs writes accepted (last: %s)", wins, tries, last);
	verdict_blocked("cgroup_escape", "0 of %d cgroup.procs writes accepted (last: %s)", tries, last);
}
