/* Runner tool: exec_env NAME=VALUE... -- PROG [ARGS]: set the variables and exec PROG directly.
 * Used as build/exec_env.static, so that no dynamic program stands between LD_PRELOAD/LD_AUDIT
 * and the program under test: a dynamic env(1) would load the library itself, be contained,
 * and contain everything it execs, hiding what bare mode does with a static binary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int i = 1;
	for (; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (putenv(argv[i]) != 0)
			return 127;
	if (i + 1 >= argc)
		return fprintf(stderr, "usage: exec_env NAME=VALUE... -- PROG [ARGS]\n"), 127;
	execv(argv[i + 1], argv + i + 1);
	perror("exec_env: exec");
	return 127;
}
