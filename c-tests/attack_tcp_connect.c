/* attack_tcp_connect PORT: connect to a host server on 127.0.0.1:PORT. SUCCEEDED: connected. */
#include "common.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int s;
	char buf[64] = "";
	a.sin_port = htons((unsigned short)arg_long(argc, argv, 1, 0));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		verdict_blocked("tcp_connect", "socket: %s", ename(errno));
	if (connect(s, (struct sockaddr *)&a, sizeof a) != 0)
		verdict_blocked("tcp_connect", "connect 127.0.0.1:%d: %s", ntohs(a.sin_port), ename(errno));
	if (read(s, buf, sizeof buf - 1) > 0)
		buf[strcspn(buf, "\n")] = 0;
	verdict_succeeded("tcp_connect", "connected to 127.0.0.1:%d banner='%s'", ntohs(a.sin_port), buf);
}
