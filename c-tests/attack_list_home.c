/* List /home and /root. SUCCEEDED: either directory shows any entry. */
#include "common.h"
#include <dirent.h>

static int count(const char *p, int *err)
{
	DIR *d = opendir(p);
	struct dirent *de;
	int n = 0;
	if (!d) {
		*err = errno;
		return -1;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

int main(void)
{
	int e1 = 0, e2 = 0, h = count("/home", &e1), r = count("/root", &e2);
	char hs[32], rs[32];
	snprintf(hs, sizeof hs, "%d", h);
	snprintf(rs, sizeof rs, "%d", r);
	if (h > 0 || r > 0)
		verdict_succeeded("list_home", "/home=%s entries /root=%s entries", h < 0 ? ename(e1) : hs,
				  r < 0 ? ename(e2) : rs);
	verdict_blocked("list_home", "/home=%s /root=%s", h < 0 ? ename(e1) : hs, r < 0 ? ename(e2) : rs);
}
