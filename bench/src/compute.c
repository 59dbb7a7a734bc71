/* compute [ITERS]: a fixed CPU-bound loop with no system calls inside; prints elapsed (wall) ms
 * and the process CPU time in ms (less sensitive to other load on the machine). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
    uint64_t iters = argc > 1 ? strtoull(argv[1], 0, 10) : 150000000ULL;
    struct timespec a, b, ca, cb;
    clock_gettime(CLOCK_MONOTONIC, &a);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ca);
    uint64_t x = 88172645463325252ULL, acc = 0;
    for (uint64_t i = 0; i < iters; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17; /* xorshift64 */
        acc += x >> 60;
    }
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cb);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
    double cpu = (cb.tv_sec - ca.tv_sec) * 1e3 + (cb.tv_nsec - ca.tv_nsec) / 1e6;
    printf("elapsed_ms %.3f cpu_ms %.3f checksum %llu\n", ms, cpu, (unsigned long long)acc);
    return 0;
}
