/* Host-side helper for run-suite.sh (runs OUTSIDE the sandbox). Every mode prints one line of
 * facts on stdout, then serves until SIGTERM or its own deadline (SECONDS, default 900).
 *   host_helper tcp [SECONDS]     listen on 127.0.0.1:<ephemeral>; prints the port
 *   host_helper unix NAME [S]     listen on abstract @NAME; prints NAME
 *   host_helper ipc [S]           create a SysV shm segment + msg queue with a fresh key; prints
 *                                 the key; removes both on exit
 *   host_helper victim [S]        prints "PID ADDR" (ADDR = a scratch buffer for process_vm_writev) */
#include "common.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/un.h>

static volatile sig_atomic_t stop;
static int shm_id = -1, msg_id = -1;
static char scratch[64] = "victim scratch buffer";

static void on_sig(int s)
{
	(void)s;
	stop = 1;
}

static void serve(int s)
{
	while (!stop) {
		int c = accept(s, NULL, NULL);
		if (c >= 0) {
			if (write(c, "host-secret\n", 12) < 0) {
			}
			close(c);
		}
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	const char *mode = argc > 1 ? argv[1] : "";
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sig; /* no SA_RESTART: accept/pause return on the signal */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	/* A client that connects and exits at once (every attack does) leaves a peer that is
	 * gone by the time the greeting is written: EPIPE, not a SIGPIPE that kills the fixture
	 * and makes the next row's connect look refused. */
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IONBF, 0);

	if (strcmp(mode, "tcp") == 0) {
		struct sockaddr_in a = {.sin_family = AF_INET};
		socklen_t l = sizeof a;
		int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
		alarm((unsigned)arg_long(argc, argv, 2, 900));
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 16) ||
		    getsockname(s, (struct sockaddr *)&a, &l))
			return perror("tcp"), 1;
		printf("%d\n", ntohs(a.sin_port));
		serve(s);
	} else if (strcmp(mode, "unix") == 0 && argc > 2) {
		struct sockaddr_un a = {.sun_family = AF_UNIX};
		size_t n = strlen(argv[2]);
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		alarm((unsigned)arg_long(argc, argv, 3, 900));
		if (n > sizeof a.sun_path - 2)
			return 1;
		memcpy(a.sun_path + 1, argv[2], n);
		if (s < 0 || bind(s, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) ||
		    listen(s, 16))
			return perror("unix"), 1;
		printf("%s\n", argv[2]);
		serve(s);
	} else if (strcmp(mode, "ipc") == 0) {
		key_t key = (key_t)(0x5b000000 | (getpid() & 0xffffff));
		alarm((unsigned)arg_long(argc, argv, 2, 900));
		shm_id = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
		msg_id = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
		if (shm_id < 0 || msg_id < 0) {
			perror("ipc");
		} else {
			printf("%d\n", (int)key);
			while (!stop)
				pause();
		}
		if (shm_id >= 0)
			shmctl(shm_id, IPC_RMID, NULL);
		if (msg_id >= 0)
			msgctl(msg_id, IPC_RMID, NULL);
	} else if (strcmp(mode, "victim") == 0) {
		alarm((unsigned)arg_long(argc, argv, 2, 900));
		printf("%d %p\n", (int)getpid(), (void *)scratch);
		while (!stop)
			pause();
		if (strncmp(scratch, "victim", 6) != 0)
			fprintf(stderr, "host_helper victim: scratch buffer was overwritten\n");
	} else {
		fprintf(stderr, "usage: host_helper tcp|unix NAME|ipc|victim [SECONDS]\n");
		return 2;
	}
	return 0;
}
