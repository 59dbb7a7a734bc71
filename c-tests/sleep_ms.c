/* Workload: sleep_ms N: sleep N milliseconds (wall time, no CPU). */
#include "common.h"
#include <time.h>

int main(int argc, char **argv)
{
	long ms = arg_long(argc, argv, 1, 100);
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	printf("slept %ld ms\n", ms);
	return 0;
}
