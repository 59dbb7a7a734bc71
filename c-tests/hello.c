/* Workload: hello world (built dynamic, static and static-pie). */
#include <stdio.h>

int main(void)
{
	printf("hello, world\n");
	return 0;
}
