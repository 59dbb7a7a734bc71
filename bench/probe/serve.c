/* serve SOCKET SECONDS WORKDIR LIBPATH: a throw-away prototype of the warm pool of issue 13,
 * to measure what a server path costs on this kernel. NOT `sandbox serve`: no seccomp, no
 * Landlock, no cgroups, no report, the run is root of its own user namespace mapped to the
 * host's root. It keeps POOL sandboxes armed, each one:
 *   C  unshare user+mount+pid+ipc+uts+net (a fresh network namespace, made at pool time),
 *      root mapped to itself
 *   G  pid 1: the jail from a clone of the read-only template (probe/jail.c), pivot_root
 *   A  the app: parked in recvmsg() on its socketpair with the server, NO_NEW_PRIVS set
 * A client (probe/client) connects, sends argv and its fds 0-2; the server forwards them to
 * an armed A, which dup2()s them and execs; G sends A's exit status back, the server relays
 * it to the client and starts a replacement sandbox. Teardown (G, C and their namespaces)
 * happens after the reply. The socket is owner-only and removed at the end; every sandbox
 * process has PDEATHSIG and is killed at the end. Needs root. */
#define JAIL_NO_MAIN
#include "jail.c"
#include "fdpass.h"
#include <poll.h>
#include <sys/prctl.h>
#include <sys/un.h>

#define POOL 4
struct sb { pid_t c; int sock, client; };
static struct sb pool[POOL];

static void spawn(struct sb *b) {
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp)) DIE("socketpair");
    int cfd = open_tree_(tpl_fd, "", OPEN_TREE_CLONE | AT_RECURSIVE | AT_EMPTY_PATH | O_CLOEXEC);
    if (cfd < 0) DIE("clone template");
    pid_t c = fork();
    if (c < 0) DIE("fork");
    if (c == 0) {
        signal(SIGCHLD, SIG_DFL);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        close(sp[0]);
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET)) FAIL("unshare");
        map_self();
        pid_t g = fork();
        if (g < 0) FAIL("fork pid 1");
        if (g == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            clone_fd = cfd;
            build(1);
            pid_t a = fork();
            if (a < 0) FAIL("fork app");
            if (a == 0) {
                prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                char buf[4097];
                int fds[3], nfd = 0;
                ssize_t n = recv_fds(sp[1], buf, sizeof buf - 1, fds, &nfd);
                if (n <= 0 || nfd != 3) _exit(125);
                buf[n] = 0;
                char *av[256];
                int ac = 0;
                for (char *p = buf; p < buf + n && ac < 255; p += strlen(p) + 1) av[ac++] = p;
                av[ac] = NULL;
                for (int i = 0; i < 3; i++)
                    if (dup2(fds[i], i) < 0) _exit(125);
                execv(av[0], av);
                _exit(127);
            }
            int st;
            if (waitpid(a, &st, 0) < 0) _exit(1);
            int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            if (write(sp[1], &code, sizeof code) != sizeof code) _exit(1);
            _exit(0);
        }
        int st;
        waitpid(g, &st, 0);
        _exit(0);
    }
    close(sp[1]);
    close(cfd);
    b->c = c;
    b->sock = sp[0];
    b->client = -1;
}

static char sockpath[108];
static volatile sig_atomic_t quit;
static void on_term(int sig) { (void)sig; quit = 1; }
static void stop(void) {
    for (int i = 0; i < POOL; i++)
        if (pool[i].c > 0) kill(pool[i].c, SIGKILL);
    if (sockpath[0]) unlink(sockpath);
    rmdir(stage);
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: serve SOCKET SECONDS WORKDIR LIBPATH\n"); return 2; }
    if (geteuid() != 0) { fprintf(stderr, "serve: needs root\n"); return 1; }
    int secs = atoi(argv[2]);
    WORK = argv[3];
    LIB = argv[4];
    sh = shared_page();
    make_template();
    signal(SIGCHLD, SIG_IGN); /* sandboxes are reaped by the kernel: teardown is not waited for */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    int l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(sockpath, sizeof sockpath, "%s", argv[1]);
    snprintf(a.sun_path, sizeof a.sun_path, "%s", sockpath);
    unlink(sockpath);
    mode_t old = umask(077);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 64)) DIE("listen %s", sockpath);
    umask(old);
    atexit(stop);
    for (int i = 0; i < POOL; i++) spawn(&pool[i]);
    printf("serve\tready: %d sandboxes armed\n", POOL);
    fflush(stdout);
    long served = 0, failed = 0;
    int64_t end = now_ns() + (int64_t)secs * 1000000000;
    struct pollfd pf[POOL + 1];
    while (!quit && now_ns() < end) {
        pf[0] = (struct pollfd){.fd = l, .events = POLLIN};
        for (int i = 0; i < POOL; i++) pf[i + 1] = (struct pollfd){.fd = pool[i].client >= 0 ? pool[i].sock : -1, .events = POLLIN};
        if (poll(pf, POOL + 1, 100) <= 0) continue;
        for (int i = 0; i < POOL; i++) {
            if (!(pf[i + 1].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            int code = 125;
            if (read(pool[i].sock, &code, sizeof code) != sizeof code) { code = 125; failed++; }
            if (write(pool[i].client, &code, sizeof code) < 0) failed++;
            close(pool[i].client);
            close(pool[i].sock);
            served++;
            spawn(&pool[i]);
        }
        if (pf[0].revents & POLLIN) {
            int c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
            if (c < 0) continue;
            struct ucred cr;
            socklen_t cl = sizeof cr;
            char buf[4096];
            int fds[3], nfd = 0;
            ssize_t n = -1;
            /* peer credentials: the prototype serves its own uid only */
            if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0 && cr.uid == geteuid())
                n = recv_fds(c, buf, sizeof buf, fds, &nfd);
            int i;
            for (i = 0; i < POOL && pool[i].client >= 0; i++) {}
            if (n <= 0 || nfd != 3 || i == POOL) {
                int code = 125;
                if (write(c, &code, sizeof code) < 0) {}
                close(c);
                for (int k = 0; k < nfd; k++) close(fds[k]);
                failed++;
                continue;
            }
            if (send_fds(pool[i].sock, buf, n, fds, 3)) failed++;
            for (int k = 0; k < 3; k++) close(fds[k]);
            pool[i].client = c;
        }
    }
    printf("serve\tserved %ld runs, %ld failed or refused\n", served, failed);
    return 0;
}
