/* getppid_loop N: N raw getppid syscalls; prints "ns/call X" (wall clock, monotonic).
 * A raw syscall(2) so that no libc caching can hide the kernel entry. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 10000000L;
    if (n <= 0) { fprintf(stderr, "usage: getppid_loop N\n"); return 2; }
    long sink = 0;
    for (long i = 0; i < 1000; i++) sink += syscall(SYS_getppid); /* warm */
    double t0 = now_ns();
    for (long i = 0; i < n; i++) sink += syscall(SYS_getppid);
    double t1 = now_ns();
    printf("ns/call %.2f\n", (t1 - t0) / n);
    return sink == -1; /* keep sink alive */
}
