/* Private mem* for libsandbox.so (see build.rs). Hidden: never exported, never interposed. */
#include <stddef.h>
#define HIDDEN __attribute__((visibility("hidden")))

HIDDEN void *memcpy(void *d, const void *s, size_t n) {
    unsigned char *dp = d;
    const unsigned char *sp = s;
    while (n--) *dp++ = *sp++;
    return d;
}
HIDDEN void *memmove(void *d, const void *s, size_t n) {
    unsigned char *dp = d;
    const unsigned char *sp = s;
    if (dp < sp) {
        while (n--) *dp++ = *sp++;
    } else {
        while (n--) dp[n] = sp[n];
    }
    return d;
}
HIDDEN void *memset(void *d, int c, size_t n) {
    unsigned char *dp = d;
    while (n--) *dp++ = (unsigned char)c;
    return d;
}
HIDDEN int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y) return *x - *y;
    return 0;
}
HIDDEN int bcmp(const void *a, const void *b, size_t n) { return memcmp(a, b, n); }
HIDDEN size_t strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}
