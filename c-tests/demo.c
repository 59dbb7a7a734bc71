/* The seeds' demo: what does a process see? One fact per line, "key: value", sorted, so two
 * runs (host vs sandbox) diff side by side. `demo eat` then allocates and touches 10 MiB
 * chunks, printing progress, until allocation fails or it is killed. */
#include "common.h"
#include <ctype.h>
#include <dirent.h>
#include <net/if.h>
#include <sys/mman.h>

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmpint(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static void list_root(void)
{
	DIR *d = opendir("/");
	struct dirent *de;
	char *names[1024];
	size_t n = 0, i;
	if (!d) {
		printf("root: %s\n", ename(errno));
		return;
	}
	while ((de = readdir(d)) && n < 1024)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof *names, cmpstr);
	printf("root.count: %zu\n", n);
	printf("root:");
	for (i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

static void list_pids(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	static int pids[65536];
	size_t n = 0, i;
	if (!d) {
		printf("pids: %s\n", ename(errno));
		return;
	}
	while ((de = readdir(d)) && n < 65536)
		if (isdigit((unsigned char)de->d_name[0]))
			pids[n++] = atoi(de->d_name);
	closedir(d);
	qsort(pids, n, sizeof *pids, cmpint);
	printf("pids.count: %zu\n", n);
	printf("pids:");
	for (i = 0; i < n && i < 50; i++)
		printf(" %d", pids[i]);
	printf("%s\n", n > 50 ? " ..." : "");
}

static void list_ifaces(void)
{
	struct if_nameindex *ifs = if_nameindex(), *p;
	char *names[256];
	size_t n = 0, i;
	if (!ifs) {
		printf("net: %s\n", ename(errno));
		return;
	}
	for (p = ifs; p->if_index && n < 256; p++)
		names[n++] = p->if_name;
	qsort(names, n, sizeof *names, cmpstr);
	printf("net.count: %zu\n", n);
	printf("net:");
	for (i = 0; i < n; i++)
		printf(" %s", names[i]);
	printf("\n");
	if_freenameindex(ifs);
}

static void eat(void)
{
	const size_t chunk = 10u << 20;
	unsigned long total = 0;
	for (;;) {
		char *p = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			printf("eat.failed: %lu MiB: %s\n", total, ename(errno));
			return;
		}
		memset(p, 0xa5, chunk);
		total += 10;
		printf("eat: %lu MiB\n", total);
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	char v[256], host[256] = "";
	const char *keys[] = {"CapEff", "CapPrm", "CapBnd", "NoNewPrivs", "Seccomp"};
	size_t i;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("uid.real: %d\n", (int)getuid());
	printf("uid.effective: %d\n", (int)geteuid());
	printf("gid.real: %d\n", (int)getgid());
	printf("gid.effective: %d\n", (int)getegid());
	printf("pid: %d\n", (int)getpid());
	printf("ppid: %d\n", (int)getppid());
	for (i = 0; i < sizeof keys / sizeof *keys; i++)
		printf("%s: %s\n", keys[i], status_field(keys[i], v, sizeof v));
	if (gethostname(host, sizeof host - 1) != 0)
		snprintf(host, sizeof host, "%s", ename(errno));
	printf("hostname: %s\n", host);
	list_root();
	list_pids();
	list_ifaces();
	if (argc > 1 && strcmp(argv[1], "eat") == 0)
		eat();
	return 0;
}
