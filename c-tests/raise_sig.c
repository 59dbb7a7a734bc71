/* Workload: raise_sig NAME|NUMBER: die by a signal (SEGV does a real NULL write, abort calls abort()). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	const char *s = argc > 1 ? argv[1] : "TERM";
	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	fflush(stdout);
	if (!strcmp(s, "abort") || !strcmp(s, "ABRT"))
		abort();
	if (!strcmp(s, "SEGV")) {
		volatile int *p = NULL;
		*p = 1;
	}
	if (!strcmp(s, "KILL"))
		raise(SIGKILL);
	if (!strcmp(s, "TERM"))
		raise(SIGTERM);
	if (!strcmp(s, "INT"))
		raise(SIGINT);
	if (!strcmp(s, "FPE"))
		raise(SIGFPE);
	if (!strcmp(s, "BUS"))
		raise(SIGBUS);
	if (atoi(s) > 0)
		raise(atoi(s));
	fprintf(stderr, "raise_sig: still alive after %s\n", s);
	return 1;
}
