/* One message with up to 3 file descriptors over a unix socket (SCM_RIGHTS). */
#include <sys/socket.h>
#include <sys/uio.h>

static __attribute__((unused)) int send_fds(int s, const void *buf, size_t n, const int *fds, int nfd) {
    char c[CMSG_SPACE(sizeof(int) * 3)];
    memset(c, 0, sizeof c);
    struct iovec io = {.iov_base = (void *)buf, .iov_len = n};
    struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = c, .msg_controllen = CMSG_SPACE(sizeof(int) * nfd)};
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int) * nfd);
    memcpy(CMSG_DATA(h), fds, sizeof(int) * nfd);
    return sendmsg(s, &m, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

static __attribute__((unused)) ssize_t recv_fds(int s, void *buf, size_t n, int *fds, int *nfd) {
    char c[CMSG_SPACE(sizeof(int) * 3)];
    struct iovec io = {.iov_base = buf, .iov_len = n};
    struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = c, .msg_controllen = sizeof c};
    ssize_t r = recvmsg(s, &m, MSG_CMSG_CLOEXEC);
    int got = 0;
    for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); r >= 0 && h; h = CMSG_NXTHDR(&m, h))
        if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
            got = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            if (got > 3) got = 3;
            memcpy(fds, CMSG_DATA(h), sizeof(int) * got);
        }
    *nfd = got;
    return r;
}
