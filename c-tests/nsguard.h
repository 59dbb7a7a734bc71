/* in_child_pidns(): 1 when /proc/self/status NSpid lists more than one level, i.e. this process
 * is inside a pid namespace below the host's. Used to refuse host-wide actions (kill(-1)). */
#ifndef SBX_NSGUARD_H
#define SBX_NSGUARD_H
#include "common.h"
static int in_child_pidns(void)
{
	/* The runner passes its own pid namespace: a different one here is a child namespace.
	 * (NSpid cannot tell inside a sandbox with its own /proc: it lists one level there.) */
	const char *host = getenv("SBX_HOST_PIDNS");
	char self[64];
	ssize_t n = readlink("/proc/self/ns/pid", self, sizeof self - 1);
	if (host && n > 0) {
		self[n] = 0;
		return strcmp(self, host) != 0;
	}
	char v[128];
	status_field("NSpid", v, sizeof v);
	return strchr(v, '\t') != NULL || strchr(v, ' ') != NULL;
}
#endif
