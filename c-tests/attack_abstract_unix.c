/* attack_abstract_unix NAME: connect to the abstract unix socket @NAME of a host process.
 * SUCCEEDED: connected. */
#include "common.h"
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

int main(int argc, char **argv)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	const char *name = argc > 1 ? argv[1] : "sandbox-test";
	size_t l = strlen(name);
	int s;
	if (l > sizeof a.sun_path - 2)
		l = sizeof a.sun_path - 2;
	memcpy(a.sun_path + 1, name, l);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0)
		verdict_blocked("abstract_unix", "socket: %s", ename(errno));
	if (connect(s, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + l)))
		verdict_blocked("abstract_unix", "connect @%s: %s", name, ename(errno));
	verdict_succeeded("abstract_unix", "connected to @%s", name);
}
