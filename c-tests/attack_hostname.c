/* attack_hostname [NAME=sbx-pwned]: sethostname. The harness compares the host's hostname
 * before/after (and passes the current name for host self-tests). SUCCEEDED: the call worked. */
#include "common.h"

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "sbx-pwned";
	char now[256] = "";
	if (sethostname(name, strlen(name)) != 0)
		verdict_blocked("hostname", "sethostname: %s", ename(errno));
	gethostname(now, sizeof now - 1);
	verdict_succeeded("hostname", "sethostname worked; hostname now '%s'", now);
}
