/* An IFUNC resolver (resolved at load time: linked with -z now) that attacks during relocation. */
#include "early_attack.h"

static struct early_result res;

static int impl(int x)
{
	return x + 1;
}

typedef int (*impl_fn)(int);

static impl_fn resolve_target(void)
{
	early_attack(&res, "IFUNC resolver");
	return impl;
}

int target(int x) __attribute__((ifunc("resolve_target")));

int main(int argc, char **argv)
{
	(void)argv;
	if (target(argc) != argc + 1)
		return 3;
	early_report("ifunc", &res);
}
