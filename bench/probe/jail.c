/* jail: building the filesystem jail per run (as sandbox-core/src/fs.rs does today) versus
 * one recursive clone of a pre-built detached template plus the per-run mounts.
 *
 *   jail ITERATIONS WORKDIR LIBPATH
 *
 * Each run: fork C; C unshares user+mount+pid namespaces and maps root to itself; C forks
 * G (pid 1 of the new pid namespace), G builds the jail and enters it (pivot_root), exits.
 *   today     G: make / private; clone every source (open_tree + mount_setattr: /usr, the
 *             /etc directories, the devices, the work dir, the library); root tmpfs on the
 *             stage; attach each entry (mount points made with openat2 RESOLVE_IN_ROOT per
 *             component, move_mount), copy the small /etc files, symlinks, tmpfs /dev,
 *             /dev/shm, /tmp, proc; pivot_root, detach the old root, read-only root.
 *   template  once, before the loop: the same tree minus /tmp, /dev/shm, /proc and the work
 *             dir, read-only, detached (open_tree of the built stage, then the stage is
 *             unmounted). Per run: the pool clones it (open_tree(fd, OPEN_TREE_CLONE |
 *             AT_RECURSIVE), timed as "clone"), G attaches the clone at the stage, mounts
 *             /tmp, /dev/shm, /proc, binds the work dir, pivot_root as above.
 * Reported per run: the build (G's setup until it is in the jail), G's exit (pid namespace
 * teardown), C's exit (the last process of the mount namespace: the jail's mounts go here),
 * and fork-to-reaped. It also checks, once, whether a run could clear the read-only flag of
 * the shared template root (the clone shares the template's tmpfs superblock with every
 * other run).
 * Needs root. Everything lives in namespaces that die with the probe; the one temporary
 * directory (the template stage) is removed at the end. */
#include "common.h"
#include <dirent.h>
#include <sys/mount.h>
#include <linux/openat2.h>

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

static int open_tree_(int dfd, const char *p, unsigned f) { return syscall(SYS_open_tree, dfd, p, f); }
static int move_mount_(int fd, const char *fp, int tfd, const char *tp, unsigned f) {
    return syscall(SYS_move_mount, fd, fp, tfd, tp, f);
}
static int setattr_(int dfd, const char *p, unsigned f, uint64_t set, uint64_t clr) {
    struct mount_attr a = {.attr_set = set, .attr_clr = clr};
    return syscall(SYS_mount_setattr, dfd, p, f, &a, sizeof a);
}
static int openat2_(int dfd, const char *p, int fl) {
    struct open_how h = {.flags = fl, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    return syscall(SYS_openat2, dfd, p, &h, sizeof h);
}

#define RO (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)
#define RW (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)
#define FAIL(what) do { fprintf(stderr, "jail: %s: %s\n", what, strerror(errno)); _exit(9); } while (0)

enum kind { TREE, TMPFS, SYMLINK, FILEDATA, PROC };
struct entry { char dst[256]; enum kind k; int fd, dir; char *data; size_t len; uint64_t attrs; char src[256]; long size; int mode; };
static struct entry E[128];
static int NE;
static const char *WORK, *LIB;

static const char *SYSTEM[] = {"/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"};
static const char *ETC[] = {"/etc/alternatives", "/etc/ca-certificates", "/etc/gai.conf", "/etc/group", "/etc/host.conf",
                            "/etc/hosts", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/locale.alias",
                            "/etc/localtime", "/etc/mime.types", "/etc/nsswitch.conf", "/etc/os-release", "/etc/passwd",
                            "/etc/protocols", "/etc/resolv.conf", "/etc/services", "/etc/ssl/certs",
                            "/etc/ssl/openssl.cnf", "/etc/timezone"};
static const char *DEVS[] = {"null", "zero", "full", "random", "urandom", "tty"};

static struct entry *push(const char *dst, enum kind k) {
    struct entry *e = &E[NE++];
    memset(e, 0, sizeof *e);
    snprintf(e->dst, sizeof e->dst, "%s", dst);
    e->k = k;
    e->fd = -1;
    return e;
}

/* The plan of fs.rs: which entries, in its order; `per_run` selects the part that differs
 * per run (tmp, shm, proc, work dir), `fixed` the part a template holds. */
static void plan(int fixed, int per_run) {
    NE = 0;
    struct stat st;
    char lnk[256];
    if (fixed) {
        const char *all[64];
        int n = 0;
        for (size_t i = 0; i < sizeof SYSTEM / sizeof *SYSTEM; i++) all[n++] = SYSTEM[i];
        for (size_t i = 0; i < sizeof ETC / sizeof *ETC; i++) all[n++] = ETC[i];
        static char rt[16][256];
        int nrt = 0;
        DIR *d = opendir("/etc");
        struct dirent *de;
        while (d && (de = readdir(d)) && nrt < 16)
            if (!strncmp(de->d_name, "java-", 5) || !strncmp(de->d_name, "python3", 7) || !strncmp(de->d_name, "perl", 4))
                snprintf(rt[nrt++], 256, "/etc/%.200s", de->d_name);
        if (d) closedir(d);
        for (int i = 0; i < nrt; i++) all[n++] = rt[i];
        for (int i = 0; i < n; i++) {
            const char *p = all[i];
            ssize_t l = readlink(p, lnk, sizeof lnk - 1);
            if (l >= 0) { lnk[l] = 0; push(p, SYMLINK)->data = strdup(lnk); continue; }
            if (lstat(p, &st)) continue;
            if (S_ISREG(st.st_mode) && st.st_size <= 256 << 10 && (st.st_mode & 4)) {
                struct entry *e = push(p, FILEDATA);
                snprintf(e->src, sizeof e->src, "%s", p);
                continue;
            }
            struct entry *e = push(p, TREE);
            snprintf(e->src, sizeof e->src, "%s", p);
            e->attrs = RO;
        }
        push("/dev", TMPFS)->size = 64 << 10, E[NE - 1].mode = 0755;
        for (size_t i = 0; i < sizeof DEVS / sizeof *DEVS; i++) {
            char p[64];
            snprintf(p, sizeof p, "/dev/%s", DEVS[i]);
            struct entry *e = push(p, TREE);
            snprintf(e->src, sizeof e->src, "%s", p);
            e->attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC;
        }
        const char *sl[][2] = {{"/dev/fd", "/proc/self/fd"}, {"/dev/stdin", "/proc/self/fd/0"},
                               {"/dev/stdout", "/proc/self/fd/1"}, {"/dev/stderr", "/proc/self/fd/2"}};
        for (int i = 0; i < 4; i++) push(sl[i][0], SYMLINK)->data = strdup(sl[i][1]);
        /* The library, bound at its own path (outside the work dir and /usr). */
        struct entry *e = push(LIB, TREE);
        snprintf(e->src, sizeof e->src, "%s", LIB);
        e->attrs = RO;
    }
    if (per_run) {
        push("/dev/shm", TMPFS)->size = 64 << 20, E[NE - 1].mode = 01777;
        push("/tmp", TMPFS)->size = 64 << 20, E[NE - 1].mode = 01777;
        push("/proc", PROC);
        struct entry *e = push(WORK, TREE);
        snprintf(e->src, sizeof e->src, "%s", WORK);
        e->attrs = RW;
    }
}

/* fs-sources: clone every host tree, read every small file. */
static void sources(void) {
    struct stat st;
    for (int i = 0; i < NE; i++) {
        struct entry *e = &E[i];
        if (e->k == TREE) {
            e->fd = open_tree_(AT_FDCWD, e->src, OPEN_TREE_CLONE | AT_RECURSIVE | O_CLOEXEC);
            if (e->fd < 0) FAIL(e->src);
            if (setattr_(e->fd, "", AT_EMPTY_PATH | AT_RECURSIVE, e->attrs, 0)) FAIL("mount_setattr");
            if (fstat(e->fd, &st)) FAIL("fstat");
            e->dir = S_ISDIR(st.st_mode);
        } else if (e->k == FILEDATA) {
            int fd = open(e->src, O_RDONLY | O_CLOEXEC);
            if (fd < 0 || fstat(fd, &st)) FAIL(e->src);
            e->data = malloc(st.st_size + 1);
            e->len = read(fd, e->data, st.st_size);
            close(fd);
        }
    }
}

/* make_dst of fs.rs: every component opened with openat2 RESOLVE_IN_ROOT, made if missing. */
static int make_dst(int root, const char *path, int dir) {
    char buf[256], cur[256] = "/";
    snprintf(buf, sizeof buf, "%s", path);
    char *save, *c = strtok_r(buf, "/", &save);
    while (c) {
        char *next = strtok_r(NULL, "/", &save);
        int parent = openat2_(root, cur, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (parent < 0) FAIL("openat2 parent");
        int r = (!next && !dir) ? openat(parent, c, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644)
                                : mkdirat(parent, c, 0755);
        if (r >= 0 && !next && !dir) close(r);
        if (r < 0 && errno != EEXIST) FAIL("make mount point");
        close(parent);
        if (strlen(cur) > 1) strcat(cur, "/");
        strcat(cur, c);
        c = next;
    }
    int fd = openat2_(root, path, O_PATH | O_CLOEXEC);
    if (fd < 0) FAIL("openat2 dst");
    return fd;
}

static void make_parent(int root, const char *path) {
    char p[256];
    snprintf(p, sizeof p, "%s", path);
    char *s = strrchr(p, '/');
    if (s && s != p) { *s = 0; close(make_dst(root, p, 1)); }
}

static void mount_at(int fd, const char *src, const char *type, unsigned long fl, const char *data) {
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    if (mount(src, p, type, fl, data)) FAIL(type);
}

static void attach(int root) {
    char opts[64];
    for (int i = 0; i < NE; i++) {
        struct entry *e = &E[i];
        int dst;
        switch (e->k) {
        case SYMLINK: make_parent(root, e->dst); if (symlinkat(e->data, root, e->dst + 1)) FAIL("symlink"); break;
        case TREE:
            dst = make_dst(root, e->dst, e->dir);
            if (move_mount_(e->fd, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)) FAIL("move_mount");
            close(dst); close(e->fd); e->fd = -1;
            break;
        case TMPFS:
            dst = make_dst(root, e->dst, 1);
            snprintf(opts, sizeof opts, "size=%ld,mode=%o", e->size, e->mode);
            mount_at(dst, "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, opts);
            close(dst);
            break;
        case FILEDATA: {
            make_parent(root, e->dst);
            int fd = openat(root, e->dst + 1, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
            if (fd < 0 || write(fd, e->data, e->len) != (ssize_t)e->len) FAIL("copy");
            close(fd);
            break;
        }
        case PROC:
            dst = make_dst(root, e->dst, 1);
            mount_at(dst, "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "");
            close(dst);
            break;
        }
    }
}

static void enter(int root) {
    if (fchdir(root) || syscall(SYS_pivot_root, ".", ".") || umount2(".", MNT_DETACH) || chdir("/")) FAIL("pivot_root");
    close(root);
    if (setattr_(AT_FDCWD, "/", 0, RO, 0)) FAIL("read-only root");
    if (chdir(WORK)) FAIL("chdir work");
}

static int64_t *sh;
static int tpl_fd = -1, clone_fd = -1;

/* G, pid 1 inside: build the jail and enter it. */
static void build(int template) {
    int64_t t0 = now_ns();
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) FAIL("make / private");
    plan(!template, 1);
    sources();
    int64_t t1 = now_ns();
    int root;
    if (template) {
        /* The clone goes where the stage tmpfs went; it is the root. */
        int st = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (move_mount_(clone_fd, "", st, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)) FAIL("attach template");
        close(st); close(clone_fd);
        root = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (sh[20] == 0) {
            /* Can a run make the shared template root writable? (tried once) */
            sh[20] = 1;
            sh[21] = setattr_(root, "", AT_EMPTY_PATH, 0, MOUNT_ATTR_RDONLY) == 0 ? 1 : -errno;
            /* With the mount flag cleared, the superblock must still refuse a write. */
            sh[22] = mkdirat(root, "written-by-a-run", 0755) == 0 ? 1 : -errno;
            if (sh[21] == 1) setattr_(root, "", AT_EMPTY_PATH, MOUNT_ATTR_RDONLY, 0);
        }
    } else {
        if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")) FAIL("root tmpfs");
        root = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
    }
    attach(root);
    enter(root);
    int64_t t2 = now_ns();
    sh[1] = t1 - t0; /* sources */
    sh[2] = t2 - t1; /* filesystem */
    sh[3] = now_ns();
}

static void map_self(void) {
    int fd = open("/proc/self/setgroups", O_WRONLY);
    if (fd >= 0) { if (write(fd, "deny", 4) < 0) FAIL("setgroups"); close(fd); }
    const char *f[] = {"/proc/self/uid_map", "/proc/self/gid_map"};
    for (int i = 0; i < 2; i++) {
        fd = open(f[i], O_WRONLY);
        if (fd < 0 || write(fd, "0 0 1", 5) != 5) FAIL(f[i]);
        close(fd);
    }
}

/* The template: built once in this process's own private mount namespace, then detached. */
static char stage[] = "/tmp/sandbox-perf-tpl.XXXXXX";
static void make_template(void) {
    if (!mkdtemp(stage)) DIE("mkdtemp");
    if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) DIE("private mount ns");
    if (mount("tmpfs", stage, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")) DIE("template tmpfs");
    int root = open(stage, O_PATH | O_DIRECTORY | O_CLOEXEC);
    plan(1, 0);
    sources();
    attach(root);
    /* The skeleton of the per-run mount points. */
    const char *pts[] = {"/dev/shm", "/tmp", "/proc"};
    for (int i = 0; i < 3; i++) close(make_dst(root, pts[i], 1));
    close(make_dst(root, WORK, 1));
    close(root);
    /* Read-only at the superblock, not only the mount: the tmpfs belongs to the host's user
     * namespace, so no run (root in its own user namespace) can make it writable again. */
    if (mount(NULL, stage, NULL, MS_REMOUNT | MS_RDONLY, NULL)) DIE("template superblock read-only");
    tpl_fd = open_tree_(AT_FDCWD, stage, OPEN_TREE_CLONE | AT_RECURSIVE | O_CLOEXEC);
    if (tpl_fd < 0) DIE("open_tree template");
    if (setattr_(tpl_fd, "", AT_EMPTY_PATH, RO, 0)) DIE("template read-only");
    if (umount2(stage, MNT_DETACH)) DIE("umount stage");
}

#ifndef JAIL_NO_MAIN
int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: jail ITERATIONS WORKDIR LIBPATH\n"); return 2; }
    int iters = atoi(argv[1]);
    WORK = argv[2];
    LIB = argv[3];
    if (geteuid() != 0) { fprintf(stderr, "jail: needs root\n"); return 1; }
    sh = shared_page();
    make_template();
    printf("jail\ttemplate entries: %d (plus per run: /dev/shm, /tmp, /proc, work dir)\n", NE);
    int clone_from_detached = 1;
    for (int template = 0; template < 2; template++) {
        const char *m = template ? "template" : "today";
        struct samples s_src = {0}, s_fs = {0}, s_g = {0}, s_c = {0}, s_tot = {0}, s_clone = {0}, s_un = {0}, s_map = {0}, s_fc = {0}, s_fg = {0};
        char nm[10][80];
        for (int i = 0; i < iters; i++) {
            int64_t t0 = now_ns();
            if (template) {
                int64_t a = now_ns();
                clone_fd = open_tree_(tpl_fd, "", OPEN_TREE_CLONE | AT_RECURSIVE | AT_EMPTY_PATH | O_CLOEXEC);
                if (clone_fd < 0) DIE("clone of the detached template");
                add(&s_clone, now_ns() - a);
            }
            pid_t c = fork();
            if (c < 0) DIE("fork");
            if (c == 0) {
                sh[9] = now_ns();
                int64_t u0 = now_ns();
                if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID)) FAIL("unshare");
                int64_t u1 = now_ns();
                map_self();
                sh[6] = u1 - u0;
                sh[11] = now_ns();
                sh[7] = sh[11] - u1;
                pid_t g = fork();
                if (g < 0) FAIL("fork g");
                if (g == 0) { sh[10] = now_ns(); build(template); _exit(0); }
                int st;
                if (waitpid(g, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) _exit(8);
                sh[4] = now_ns() - sh[3]; /* G's exit, seen by C */
                sh[5] = now_ns();
                _exit(0);
            }
            if (clone_fd >= 0) { close(clone_fd); clone_fd = -1; }
            if (!wait_ok(c)) { fprintf(stderr, "jail: %s run failed\n", m); return 1; }
            int64_t t = now_ns();
            add(&s_src, sh[1]); add(&s_fs, sh[2]); add(&s_g, sh[4]); add(&s_c, t - sh[5]); add(&s_tot, t - t0);
            add(&s_un, sh[6]); add(&s_map, sh[7]);
            add(&s_fc, sh[9] - t0); add(&s_fg, sh[10] - sh[11]);
        }
        const char *lbl[] = {"sources (open_tree+setattr, reads)", "filesystem (attach, pivot_root)",
                             "exit of pid 1 (pid ns)", "exit of last process (mount ns)", "total fork..reaped",
                             "clone of template (pool side)", "unshare user+mnt+pid", "write id maps", "fork of C (to its first instruction)", "fork of pid 1 (to its first instruction)"};
        struct samples *ss[] = {&s_src, &s_fs, &s_g, &s_c, &s_tot, &s_clone, &s_un, &s_map, &s_fc, &s_fg};
        for (int k = 0; k < 10; k++) {
            if (!ss[k]->n) continue;
            snprintf(nm[k], sizeof nm[k], "%s: %s", m, lbl[k]);
            ss[k]->name = nm[k];
            report("jail", ss[k]);
        }
        sleep(1);
    }
    (void)clone_from_detached;
    printf("jail\ttemplate root writable from inside a run: %s\n",
           sh[21] == 1 ? "yes, the mount flag (mount_setattr cleared MOUNT_ATTR_RDONLY as root of the run's user ns)" : "no (mount_setattr refused)");
    if (sh[21] != 1) printf("jail\t  (mount_setattr: %s)\n", strerror((int)-sh[21]));
    printf("jail\ttemplate superblock writable from inside a run: %s\n",
           sh[22] == 1 ? "YES (a run could change what the next run sees)" : strerror((int)-sh[22]));
    close(tpl_fd);
    rmdir(stage);
    return 0;
}
#endif
