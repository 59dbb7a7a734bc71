/* Smallest useful target: one write, exit 0. Built with -static so no ld.so work. */
#include <unistd.h>
int main(void) {
    static const char msg[] = "hello\n";
    return write(1, msg, sizeof msg - 1) == (ssize_t)(sizeof msg - 1) ? 0 : 1;
}
