/* Shared helpers of the direction probes: a monotonic clock, samples, and a one-line
 * summary (median, p10-p90, min-max) per measured quantity. Standalone: no project code. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

#define DIE(...) do { fprintf(stderr, "probe: " __VA_ARGS__); fprintf(stderr, ": %s\n", strerror(errno)); exit(1); } while (0)

struct samples { const char *name; int n, cap; int64_t *v; };

static __attribute__((unused)) void add(struct samples *s, int64_t ns) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->v = realloc(s->v, sizeof(int64_t) * s->cap);
        if (!s->v) DIE("realloc");
    }
    s->v[s->n++] = ns;
}

static int cmp64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* "name  median  [p10-p90]  (min-max)  n" in microseconds; one machine-readable line. */
static __attribute__((unused)) void report(const char *probe, struct samples *s) {
    if (s->n == 0) { printf("%s\t%s\tn=0\n", probe, s->name); return; }
    qsort(s->v, s->n, sizeof(int64_t), cmp64);
    double us = 1000.0;
    printf("%s\t%-44s\tmedian_us=%.1f\tp10_us=%.1f\tp90_us=%.1f\tmin_us=%.1f\tmax_us=%.1f\tn=%d\n", probe, s->name,
           s->v[s->n / 2] / us, s->v[s->n / 10] / us, s->v[s->n * 9 / 10] / us, s->v[0] / us, s->v[s->n - 1] / us, s->n);
    fflush(stdout);
}

/* Shared page for timestamps written by children. */
static __attribute__((unused)) int64_t *shared_page(void) {
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) DIE("mmap");
    return p;
}

static __attribute__((unused)) void write_str(const char *path, const char *s) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) DIE("open %s", path);
    if (write(fd, s, strlen(s)) != (ssize_t)strlen(s)) DIE("write %s", path);
    close(fd);
}

static __attribute__((unused)) int wait_ok(pid_t p) {
    int st;
    while (waitpid(p, &st, 0) < 0)
        if (errno != EINTR) DIE("waitpid");
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}
