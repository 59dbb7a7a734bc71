/* NETLINK_ROUTE RTM_NEWLINK on lo that changes nothing (ifi_change = 0, no attributes).
 * The kernel checks CAP_NET_ADMIN first. SUCCEEDED: the request was acked with 0. */
#include "common.h"
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

int main(void)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req;
	char buf[4096];
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	ssize_t n;
	if (s < 0)
		verdict_blocked("netlink_link", "socket(NETLINK_ROUTE): %s", ename(errno));
	memset(&req, 0, sizeof req);
	req.nh.nlmsg_len = sizeof req;
	req.nh.nlmsg_type = RTM_NEWLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.nh.nlmsg_seq = 1;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = (int)if_nametoindex("lo");
	if (!req.ifi.ifi_index)
		req.ifi.ifi_index = 1;
	if (sendto(s, &req, sizeof req, 0, (struct sockaddr *)&sa, sizeof sa) < 0)
		verdict_blocked("netlink_link", "sendto: %s", ename(errno));
	n = recv(s, buf, sizeof buf, 0);
	if (n < (ssize_t)sizeof(struct nlmsghdr))
		verdict_blocked("netlink_link", "recv: %s", n < 0 ? ename(errno) : "short");
	if (h->nlmsg_type == NLMSG_ERROR) {
		int e = -((struct nlmsgerr *)NLMSG_DATA(h))->error;
		if (e == 0)
			verdict_succeeded("netlink_link", "RTM_NEWLINK on lo accepted");
		verdict_blocked("netlink_link", "RTM_NEWLINK: %s", ename(e));
	}
	verdict_blocked("netlink_link", "unexpected reply type %d", h->nlmsg_type);
}
