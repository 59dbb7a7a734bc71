/* Workload: TCP server and client in one process on 127.0.0.1 (ephemeral port): 1 MiB echo. */
#include "common.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>

static int lsock;

static void *server(void *a)
{
	char buf[65536];
	ssize_t n;
	int c = accept(lsock, NULL, NULL);
	(void)a;
	if (c < 0)
		return NULL;
	while ((n = read(c, buf, sizeof buf)) > 0)
		if (write(c, buf, (size_t)n) != n)
			break;
	close(c);
	return NULL;
}

int main(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t l = sizeof a;
	static char out[1 << 20], in[1 << 20];
	size_t got = 0, sent = 0;
	pthread_t t;
	int c;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lsock = socket(AF_INET, SOCK_STREAM, 0);
	if (lsock < 0 || bind(lsock, (struct sockaddr *)&a, sizeof a) || listen(lsock, 1) ||
	    getsockname(lsock, (struct sockaddr *)&a, &l))
		return perror("server socket"), 1;
	pthread_create(&t, NULL, server, NULL);
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a))
		return perror("connect"), 1;
	for (size_t i = 0; i < sizeof out; i++)
		out[i] = (char)(i * 7);
	while (got < sizeof in) {
		if (sent < sizeof out) {
			ssize_t w = write(c, out + sent, sizeof out - sent > 65536 ? 65536 : sizeof out - sent);
			if (w <= 0)
				return perror("write"), 1;
			sent += (size_t)w;
		}
		ssize_t r = read(c, in + got, sizeof in - got);
		if (r <= 0)
			return perror("read"), 1;
		got += (size_t)r;
	}
	close(c);
	pthread_join(t, NULL);
	if (memcmp(in, out, sizeof in))
		return fprintf(stderr, "echo mismatch\n"), 1;
	printf("tcp_loopback: 1 MiB echoed over 127.0.0.1\n");
	return 0;
}
