/* Workload: sig_handler [self] [SECONDS=10]: handlers for SIGTERM and SIGINT print
 * "CAUGHT SIG..." and exit 42. Prints READY, then waits. With `self`, sends itself SIGTERM. */
#include "common.h"
#include <signal.h>

static void on_sig(int s)
{
	const char *m = s == SIGTERM ? "CAUGHT SIGTERM\n" : "CAUGHT SIGINT\n";
	if (write(1, m, strlen(m)) < 0) {
	}
	_exit(42);
}

int main(int argc, char **argv)
{
	int self = argc > 1 && strcmp(argv[1], "self") == 0;
	unsigned secs = (unsigned)arg_long(argc, argv, self ? 2 : 1, 10);
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	printf("READY\n");
	fflush(stdout);
	if (self)
		kill(getpid(), SIGTERM);
	while (secs)
		secs = sleep(secs);
	printf("no signal\n");
	return 0;
}
