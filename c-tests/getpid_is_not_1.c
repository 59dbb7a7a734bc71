/* Workload: the program must not be pid 1 (a pid-1 process ignores default-action signals). */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	pid_t p = getpid();
	printf("pid: %d\n", (int)p);
	return p == 1 ? 1 : 0;
}
