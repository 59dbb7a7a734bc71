/* attack_many_fds [N=100000]: open /dev/null until EMFILE or N open descriptors.
 * SUCCEEDED: N descriptors opened. */
#include "common.h"
#include <fcntl.h>

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 100000), made = 0;
	int err = 0;
	while (made < n) {
		int fd = open("/dev/null", O_RDONLY);
		if (fd < 0) {
			err = errno;
			break;
		}
		made++;
	}
	if (made >= n)
		verdict_succeeded("many_fds", "%ld descriptors opened (cap)", made);
	verdict_blocked("many_fds", "%ld descriptors opened, then %s", made, ename(err));
}
