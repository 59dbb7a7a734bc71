/* in_child_pidns(): 1 when /proc/self/status NSpid lists more than one level, i.e. this process
 * is inside a pid namespace below the host's. Used to refuse host-wide actions (kill(-1)). */
#ifndef SBX_NSGUARD_H
#define SBX_NSGUARD_H
#include "common.h"
static int in_child_pidns(void)
{
	char v[128];
	status_field("NSpid", v, sizeof v);
	return strchr(v, '\t') != NULL || strchr(v, ' ') != NULL;
}
#endif
