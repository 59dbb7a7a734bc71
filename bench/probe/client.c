/* client SOCKET CMD [ARGS...]: the client side of probe/serve. Sends argv and fds 0-2 over
 * SCM_RIGHTS, waits for the exit status, exits with it (125 when the server is gone).
 * Built static: what a minimal `--server` client costs to start. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>
#include "fdpass.h"

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: client SOCKET CMD [ARGS...]\n"); return 2; }
    int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", argv[1]);
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a)) { perror("client: connect"); return 125; }
    char buf[4096];
    size_t n = 0;
    for (int i = 2; i < argc; i++) {
        size_t l = strlen(argv[i]) + 1;
        if (n + l > sizeof buf) { fprintf(stderr, "client: argv too long\n"); return 125; }
        memcpy(buf + n, argv[i], l);
        n += l;
    }
    int fds[3] = {0, 1, 2};
    if (send_fds(s, buf, n, fds, 3)) { perror("client: send"); return 125; }
    int code;
    if (read(s, &code, sizeof code) != sizeof code) { fprintf(stderr, "client: no status from the server\n"); return 125; }
    return code;
}
