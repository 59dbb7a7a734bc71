/* A DT_NEEDED library whose constructor attacks before an LD_PRELOAD constructor runs. */
#define EARLY_NO_REPORT
#include "early_attack.h"

static struct early_result res;

__attribute__((constructor)) static void attack_ctor_init(void)
{
	early_attack(&res, "DT_NEEDED constructor");
}

const struct early_result *attack_ctor_result(void);
const struct early_result *attack_ctor_result(void)
{
	return &res;
}
