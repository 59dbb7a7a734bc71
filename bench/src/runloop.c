/* runloop WORKERS SECONDS -- CMD [ARGS...]
 * WORKERS processes each fork+execv+waitpid CMD in a loop until SECONDS have passed
 * (a run already started is allowed to finish). Child stdout/stderr go to /dev/null.
 * Prints one JSON object: totals, runs/s, failures, and per-second success counts,
 * so a caller can compare the first and last seconds (namespace-teardown backlog).
 * An argument containing "{W}" gets the worker's index (0, 1, ...) there, for tools that
 * need one slot per concurrent run (isolate --box-id={W}). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXSEC 3600

struct counters { long ok[MAXSEC]; long fail[MAXSEC]; };

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 5 || strcmp(argv[3], "--") != 0) {
        fprintf(stderr, "usage: runloop WORKERS SECONDS -- CMD [ARGS...]\n");
        return 2;
    }
    int workers = atoi(argv[1]);
    int secs = atoi(argv[2]);
    char **cmd = argv + 4;
    if (workers < 1 || secs < 1 || secs > MAXSEC) { fprintf(stderr, "runloop: bad arguments\n"); return 2; }

    struct counters *c = mmap(0, sizeof *c * workers, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (c == MAP_FAILED) { perror("mmap"); return 1; }
    int devnull = open("/dev/null", O_RDWR);
    double start = now_s(), end = start + secs;

    for (int w = 0; w < workers; w++) {
        pid_t p = fork();
        if (p < 0) { perror("fork"); return 1; }
        if (p == 0) {
            /* this worker's argv: "{W}" replaced by its index */
            for (char **a = cmd; *a; a++) {
                char *at = strstr(*a, "{W}");
                if (!at) continue;
                size_t n = strlen(*a) + 16;
                char *r = malloc(n);
                if (!r) _exit(1);
                snprintf(r, n, "%.*s%d%s", (int)(at - *a), *a, w, at + 3);
                *a = r;
            }
            for (;;) {
                double t = now_s();
                if (t >= end) _exit(0);
                pid_t q = fork();
                if (q == 0) {
                    dup2(devnull, 1); dup2(devnull, 2);
                    execv(cmd[0], cmd);
                    _exit(127);
                }
                int st = 0;
                int ok = q > 0 && waitpid(q, &st, 0) == q && WIFEXITED(st) && WEXITSTATUS(st) == 0;
                int sec = (int)(now_s() - start);
                if (sec >= secs) sec = secs - 1; /* a run finishing after the deadline counts in the last second */
                if (ok) c[w].ok[sec]++; else c[w].fail[sec]++;
            }
        }
    }
    for (int w = 0; w < workers; w++) wait(NULL);
    double elapsed = now_s() - start;

    long ok = 0, fail = 0;
    printf("{\"workers\": %d, \"seconds\": %d, \"elapsed\": %.3f, \"per_second\": [", workers, secs, elapsed);
    for (int s = 0; s < secs; s++) {
        long so = 0;
        for (int w = 0; w < workers; w++) { so += c[w].ok[s]; ok += c[w].ok[s]; fail += c[w].fail[s]; }
        printf("%s%ld", s ? ", " : "", so);
    }
    printf("], \"ok\": %ld, \"failed\": %ld, \"runs_per_s\": %.1f}\n", ok, fail, ok / elapsed);
    return fail ? 3 : 0;
}
