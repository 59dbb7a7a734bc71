/* netns: what a network namespace per run costs, and where its teardown lands.
 *
 *   netns ITERATIONS
 *
 * Per mode, ITERATIONS times: fork a child that makes (or enters) its namespaces, then
 * _exits; the parent reaps it. Timestamps on a shared page give, per run:
 *   op    the unshare()/setns() call itself (creation, or entering a pre-made one)
 *   exit  from the child's last instruction before _exit to waitpid() returning in the
 *         parent: the synchronous part of the teardown (the last process leaving drops the
 *         namespace; cleanup_net() itself runs later in the kernel's netns workqueue)
 *   total fork to reaped
 * Pre-made modes create the namespaces before the timed loop (a pool would do it off the
 * critical path; that cost is reported as "premake") and hand each run its own one; the
 * pool's reference is dropped once the run holds it, so the run's exit is the last user.
 * "kworker CPU" is the CPU time of the kernel's worker threads from the loop's start to 1 s
 * after its end, per run: the deferred teardown (cleanup_net in the netns workqueue), which a
 * pool moves off the critical path but not off the machine's CPUs (compare with "fork").
 * Needs root. Creates only namespaces, which disappear with their last reference. */
#include "common.h"
#include <net/if.h>
#include <sys/ioctl.h>
#include <dirent.h>
#include <sys/socket.h>

enum mode { FORK, NEWUSER, NEWNET, NEWUSERNET, NEWUSERNET_LO, SETNS_NET, SETNS_USERNET, NMODES };
static const char *names[] = {"fork (no namespace)", "unshare user", "unshare net (owned by host root)",
                              "unshare user+net", "unshare user+net, lo up", "setns pre-made net (host-owned)",
                              "setns pre-made user+net"};

static int64_t *sh;

static void lo_up(void) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq r = {0};
    strcpy(r.ifr_name, "lo");
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &r) < 0) _exit(3);
    r.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &r) < 0) _exit(4);
    close(s);
}

/* A user+net pair made by a helper that only waits: the pool keeps the fds. */
static void premake_usernet(int *ufd, int *nfd) {
    int p[2];
    if (pipe2(p, O_CLOEXEC)) DIE("pipe");
    pid_t c = fork();
    if (c < 0) DIE("fork");
    if (c == 0) {
        char b;
        close(p[1]);
        if (unshare(CLONE_NEWUSER | CLONE_NEWNET)) _exit(1);
        sh[8] = 1;
        if (read(p[0], &b, 1) < 0) _exit(1);
        _exit(0);
    }
    close(p[0]);
    while (!__atomic_load_n(&sh[8], __ATOMIC_SEQ_CST)) sched_yield();
    sh[8] = 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/user", c);
    *ufd = open(path, O_RDONLY | O_CLOEXEC);
    snprintf(path, sizeof path, "/proc/%d/ns/net", c);
    *nfd = open(path, O_RDONLY | O_CLOEXEC);
    if (*ufd < 0 || *nfd < 0) DIE("open ns of helper");
    close(p[1]);
    wait_ok(c);
}

/* A host-owned net namespace: unshare in this process, keep an fd, go back. */
static int premake_net(int home) {
    if (unshare(CLONE_NEWNET)) DIE("unshare net");
    int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0) DIE("open ns");
    if (setns(home, CLONE_NEWNET)) DIE("setns home");
    return fd;
}

/* CPU time (ticks) of all kernel workers (kworker/...): where cleanup_net() and the other
 * deferred namespace teardown run. Other users' work rarely lands there, unlike /proc/stat. */
static int64_t kworker_ticks(void) {
    DIR *d = opendir("/proc");
    struct dirent *e;
    int64_t sum = 0;
    char p[64], buf[512];
    while (d && (e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        snprintf(p, sizeof p, "/proc/%s/stat", e->d_name);
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0) continue;
        buf[n] = 0;
        char *c = strchr(buf, '('), *r = strrchr(buf, ')');
        if (!c || !r || strncmp(c + 1, "kworker/", 8)) continue;
        unsigned long long ut, stt;
        /* fields after the comm: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
        if (sscanf(r + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &stt) == 2) sum += ut + stt;
    }
    if (d) closedir(d);
    return sum;
}

int main(int argc, char **argv) {
    int iters = argc > 1 ? atoi(argv[1]) : 300;
    if (geteuid() != 0) { fprintf(stderr, "netns: needs root\n"); return 1; }
    sh = shared_page();
    int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home < 0) DIE("open own netns");
    long hz = sysconf(_SC_CLK_TCK);
    int *ufds = calloc(iters, sizeof(int)), *nfds = calloc(iters, sizeof(int));

    for (int m = 0; m < NMODES; m++) {
        struct samples op = {0}, ex = {0}, tot = {0}, pre = {0};
        char buf[4][96];
        if (m == SETNS_NET || m == SETNS_USERNET) {
            for (int i = 0; i < iters; i++) {
                int64_t t = now_ns();
                if (m == SETNS_NET) { ufds[i] = -1; nfds[i] = premake_net(home); }
                else premake_usernet(&ufds[i], &nfds[i]);
                add(&pre, now_ns() - t);
            }
        }
        int64_t k0 = kworker_ticks(), w0 = now_ns();
        for (int i = 0; i < iters; i++) {
            int64_t t0 = now_ns();
            pid_t c = fork();
            if (c < 0) DIE("fork");
            if (c == 0) {
                int r = 0;
                sh[1] = now_ns();
                switch (m) {
                case NEWUSER: r = unshare(CLONE_NEWUSER); break;
                case NEWNET: r = unshare(CLONE_NEWNET); break;
                case NEWUSERNET: r = unshare(CLONE_NEWUSER | CLONE_NEWNET); break;
                case NEWUSERNET_LO: r = unshare(CLONE_NEWUSER | CLONE_NEWNET); if (!r) lo_up(); break;
                case SETNS_NET: r = setns(nfds[i], CLONE_NEWNET); break;
                case SETNS_USERNET: r = setns(ufds[i], CLONE_NEWUSER) || setns(nfds[i], CLONE_NEWNET); break;
                }
                sh[2] = now_ns();
                if (r) _exit(2);
                if (ufds[i] > 0) close(ufds[i]);
                if (nfds[i] > 0) close(nfds[i]);
                sh[3] = now_ns();
                _exit(0);
            }
            /* The run holds the pre-made namespace now: drop the pool's reference. */
            if (m == SETNS_NET || m == SETNS_USERNET) {
                if (ufds[i] > 0) close(ufds[i]);
                close(nfds[i]);
                ufds[i] = nfds[i] = 0;
            }
            if (!wait_ok(c)) { fprintf(stderr, "netns: %s: child failed\n", names[m]); return 1; }
            int64_t t4 = now_ns();
            add(&op, sh[2] - sh[1]);
            add(&ex, t4 - sh[3]);
            add(&tot, t4 - t0);
        }
        int64_t wall = now_ns() - w0;
        sleep(1); /* the deferred teardown of this loop's namespaces drains into the count */
        int64_t other = (kworker_ticks() - k0) * (1000000000LL / hz);
        for (int k = 0; k < 4; k++) buf[k][0] = 0;
        snprintf(buf[0], sizeof buf[0], "%s: %s", names[m], "op");
        op.name = buf[0];
        snprintf(buf[1], sizeof buf[1], "%s: %s", names[m], "exit");
        ex.name = buf[1];
        snprintf(buf[2], sizeof buf[2], "%s: %s", names[m], "total");
        tot.name = buf[2];
        snprintf(buf[3], sizeof buf[3], "%s: %s", names[m], "premake");
        pre.name = buf[3];
        report("netns", &op);
        report("netns", &ex);
        report("netns", &tot);
        if (pre.n) report("netns", &pre);
        printf("netns\t%s: kworker CPU per run (loop + 1 s drain)\tus=%.1f\tloop_runs_per_s=%.0f\n", names[m],
               other / 1000.0 / iters, iters / (wall / 1e9));
        /* Let the rest of the deferred cleanup drain before the next mode. */
        sleep(1);
    }
    return 0;
}
