/* Open a SOCK_RAW ICMP socket (needs CAP_NET_RAW). SUCCEEDED: got the socket. */
#include "common.h"
#include <netinet/in.h>
#include <sys/socket.h>

int main(void)
{
	int s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (s < 0)
		verdict_blocked("raw_socket", "socket(SOCK_RAW): %s", ename(errno));
	verdict_succeeded("raw_socket", "got raw socket fd %d", s);
}
