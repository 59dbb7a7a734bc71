/* attack_memory_bomb [CAP_MB=4096]: allocate and touch 16 MiB chunks.
 * SUCCEEDED: CAP_MB reached. BLOCKED: allocation failed (or killed: harness sees the signal). */
#include "common.h"
#include <sys/mman.h>

int main(int argc, char **argv)
{
	long cap = arg_long(argc, argv, 1, 4096), mb = 0;
	const long chunk = 16;
	while (mb < cap) {
		char *p = mmap(NULL, chunk << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			verdict_blocked("memory_bomb", "mmap failed after %ld MiB: %s", mb, ename(errno));
		for (long i = 0; i < (chunk << 20); i += 4096)
			p[i] = 1;
		mb += chunk;
	}
	verdict_succeeded("memory_bomb", "allocated and touched %ld MiB (cap)", mb);
}
