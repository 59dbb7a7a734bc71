/* cgroup: the cost of putting a run into its cgroups at run time (as the judge profile
 * does on this host: memory and pids leaves on cgroup v1, plus a controller-less v2 leaf
 * that init is born in) versus leaves made, and a holder process moved in, ahead of time
 * (the pool), so that at run time the app is only forked from inside them.
 *
 *   cgroup ITERATIONS
 *
 * Modes:
 *   runtime   mkdir the three leaves, write memory.limit_in_bytes and pids.max,
 *             clone3(CLONE_INTO_CGROUP) into the v2 leaf, then write the pid into the v1
 *             memory and pids cgroup.procs (each write timed: the v1 migration), release the
 *             child, reap it, rmdir the leaves (timed: the part a run's exit pays today).
 *   v2-write  the same v2 leaf entered by a write to cgroup.procs instead of CLONE_INTO_CGROUP
 *   pool      off the critical path: mkdir + limits + fork a holder + attach it (timed as
 *             "pool side"); on it: the holder forks the app, which starts in every leaf
 *             already (no migration; timed fork to the app's first instruction); teardown
 *             after the run (reap, rmdir) is off the path too.
 * Every mode runs three times: back to back; 10 ms apart (as runs of a judge are: the
 * rcu_sync state of the rwsem goes idle between them, so each first writer waits for a full
 * RCU grace period); and with "churn": a background process that keeps
 * making and dropping user+net namespaces with lo up (what back-to-back sandbox runs do),
 * which keeps RCU grace periods busy; the v1 write to cgroup.procs waits for one (the
 * global cgroup_threadgroup_rwsem is taken for writing: rcu_sync without favordynmods).
 * Only cgroups this probe creates are touched: sandbox-perf-probe.<pid> at the top of the
 * memory, pids and unified hierarchies, removed at the end (and on error). Needs root. */
#include "common.h"
#include <linux/sched.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static pid_t churner = -1;
static void churn_start(void) {
    churner = fork();
    if (churner < 0) DIE("fork churner");
    if (churner) return;
    for (;;) {
        pid_t c = fork();
        if (c == 0) {
            if (unshare(CLONE_NEWUSER | CLONE_NEWNET)) _exit(1);
            int s = socket(AF_INET, SOCK_DGRAM, 0);
            struct ifreq r = {0};
            strcpy(r.ifr_name, "lo");
            if (s >= 0 && ioctl(s, SIOCGIFFLAGS, &r) == 0) { r.ifr_flags |= IFF_UP; ioctl(s, SIOCSIFFLAGS, &r); }
            _exit(0);
        }
        if (c > 0) waitpid(c, NULL, 0);
        if (getppid() == 1) _exit(0);
    }
}
static void churn_stop(void) {
    if (churner > 0) { kill(churner, SIGKILL); waitpid(churner, NULL, 0); churner = -1; }
}

static char base[3][160];
static const char *hier[3] = {"/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified"};
enum { MEM, PIDS, V2 };

static void cleanup(void) {
    char p[256];
    for (int h = 0; h < 3; h++) {
        /* leaves first (a failed run may have left one), then the probe's own dir */
        for (int i = 0; i < 4; i++) {
            snprintf(p, sizeof p, "%s/l%d", base[h], i);
            rmdir(p);
        }
        rmdir(base[h]);
    }
}

static void on_exit_cleanup(void) { churn_stop(); cleanup(); }

static void leaf(int h, int i, char *out, size_t n) { snprintf(out, n, "%s/l%d", base[h], i); }

static int64_t write_pid(int h, int i, pid_t pid) {
    char p[256], s[32];
    leaf(h, i, p, sizeof p);
    strcat(p, "/cgroup.procs");
    snprintf(s, sizeof s, "%d", pid);
    int64_t t = now_ns();
    write_str(p, s);
    return now_ns() - t;
}

static void make_leaves(int i) {
    char p[256], f[300];
    for (int h = 0; h < 3; h++) {
        leaf(h, i, p, sizeof p);
        if (mkdir(p, 0755)) DIE("mkdir %s", p);
    }
    leaf(MEM, i, p, sizeof p);
    snprintf(f, sizeof f, "%s/memory.limit_in_bytes", p);
    write_str(f, "268435456");
    leaf(PIDS, i, p, sizeof p);
    snprintf(f, sizeof f, "%s/pids.max", p);
    write_str(f, "64");
}

static int64_t rm_leaves(int i) {
    char p[256];
    int64_t t = now_ns();
    for (int h = 0; h < 3; h++) {
        leaf(h, i, p, sizeof p);
        if (rmdir(p)) DIE("rmdir %s", p);
    }
    return now_ns() - t;
}

static pid_t clone_into(int cgfd) {
    struct clone_args a = {0};
    a.flags = CLONE_INTO_CGROUP;
    a.exit_signal = SIGCHLD;
    a.cgroup = cgfd;
    return syscall(SYS_clone3, &a, sizeof a);
}

int main(int argc, char **argv) {
    int iters = argc > 1 ? atoi(argv[1]) : 200;
    if (geteuid() != 0) { fprintf(stderr, "cgroup: needs root\n"); return 1; }
    for (int h = 0; h < 3; h++) {
        snprintf(base[h], sizeof base[h], "%s/sandbox-perf-probe.%d", hier[h], getpid());
        if (mkdir(base[h], 0755)) { cleanup(); DIE("mkdir %s", base[h]); }
    }
    atexit(on_exit_cleanup);
    int64_t *sh = shared_page();
    FILE *m = fopen("/proc/mounts", "r");
    char line[512];
    while (m && fgets(line, sizeof line, m))
        if (strstr(line, " cgroup") && (strstr(line, "memory") || strstr(line, "pids") || strstr(line, "cgroup2")))
            printf("cgroup\tmount: %s", line);
    if (m) fclose(m);

  for (int pass = 0; pass < 3; pass++) {
    int churn = pass == 2, gap = pass == 1;
    if (churn) { churn_start(); usleep(200000); }
    const char *sfx = churn ? " [churn]" : gap ? " [10 ms apart]" : "";
    /* runtime and v2-write */
    for (int mode = 0; mode < 2; mode++) {
        const char *mn = mode ? "v2-write" : "runtime";
        struct samples mk = {0}, cl = {0}, amem = {0}, apids = {0}, av2 = {0}, rm = {0}, crit = {0};
        for (int i = 0; i < iters; i++) {
            if (gap) usleep(10000);
            int64_t t0 = now_ns();
            make_leaves(0);
            int64_t t1 = now_ns();
            add(&mk, t1 - t0);
            int p[2];
            if (pipe2(p, O_CLOEXEC)) DIE("pipe");
            char lp[256];
            leaf(V2, 0, lp, sizeof lp);
            int cgfd = open(lp, O_PATH | O_DIRECTORY | O_CLOEXEC);
            pid_t c;
            int64_t a = now_ns();
            c = mode ? fork() : clone_into(cgfd);
            if (c < 0) DIE("clone3");
            if (c == 0) { char b; close(p[1]); if (read(p[0], &b, 1) < 0) _exit(1); _exit(0); }
            add(&cl, now_ns() - a);
            close(cgfd);
            close(p[0]);
            if (mode) add(&av2, write_pid(V2, 0, c));
            add(&amem, write_pid(MEM, 0, c));
            add(&apids, write_pid(PIDS, 0, c));
            add(&crit, now_ns() - t0);
            close(p[1]);
            if (!wait_ok(c)) { fprintf(stderr, "cgroup: child failed\n"); return 1; }
            add(&rm, rm_leaves(0));
        }
        char nm[7][96];
        const char *lbl[] = {"mkdir 3 leaves + limits", mode ? "fork" : "clone3 CLONE_INTO_CGROUP (v2 leaf)",
                             "attach v2 (write cgroup.procs)", "attach v1 memory (write cgroup.procs)",
                             "attach v1 pids (write cgroup.procs)", "rmdir 3 leaves after exit", "critical path total"};
        struct samples *ss[] = {&mk, &cl, &av2, &amem, &apids, &rm, &crit};
        for (int k = 0; k < 7; k++) {
            if (!ss[k]->n) continue;
            snprintf(nm[k], sizeof nm[k], "%s%s: %s", mn, sfx, lbl[k]);
            ss[k]->name = nm[k];
            report("cgroup", ss[k]);
        }
    }

    /* pool */
    struct samples pool = {0}, fk = {0}, fk2 = {0}, rm = {0};
    for (int i = 0; i < iters; i++) {
        if (gap) usleep(10000);
        int64_t t0 = now_ns();
        make_leaves(1);
        int go[2];
        if (pipe2(go, O_CLOEXEC)) DIE("pipe");
        char lp[256];
        leaf(V2, 1, lp, sizeof lp);
        int cgfd = open(lp, O_PATH | O_DIRECTORY | O_CLOEXEC);
        pid_t h = clone_into(cgfd);
        if (h < 0) DIE("clone3");
        if (h == 0) {
            /* the holder: waits for "run", then forks the app and reaps it */
            char b;
            close(go[1]);
            if (read(go[0], &b, 1) != 1) _exit(1);
            sh[1] = now_ns();
            pid_t app = fork();
            if (app == 0) { sh[2] = now_ns(); _exit(0); }
            sh[3] = now_ns();
            _exit(app > 0 && wait_ok(app) ? 0 : 1);
        }
        close(cgfd);
        close(go[0]);
        write_pid(MEM, 1, h);
        write_pid(PIDS, 1, h);
        add(&pool, now_ns() - t0);
        if (write(go[1], "r", 1) != 1) DIE("write");
        close(go[1]);
        if (!wait_ok(h)) { fprintf(stderr, "cgroup: holder failed\n"); return 1; }
        add(&fk, sh[3] - sh[1]);
        add(&fk2, sh[2] - sh[1]);
        add(&rm, rm_leaves(1));
    }
    char pn[4][96];
    snprintf(pn[0], 96, "pool%s: pool side (mkdir, limits, holder, attach)", sfx);
    snprintf(pn[1], 96, "pool%s: critical path (holder's fork returns)", sfx);
    snprintf(pn[2], 96, "pool%s: holder's fork to the app's first instruction", sfx);
    snprintf(pn[3], 96, "pool%s: rmdir 3 leaves after exit (off the path)", sfx);
    pool.name = pn[0]; fk.name = pn[1]; fk2.name = pn[2]; rm.name = pn[3];
    report("cgroup", &pool);
    report("cgroup", &fk);
    report("cgroup", &fk2);
    report("cgroup", &rm);
    churn_stop();
  }
    cleanup();
    return 0;
}
