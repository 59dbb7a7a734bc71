/* Links libattack_ctor.so (DT_NEEDED); the library's constructor does the attack. */
#include "early_attack.h"

const struct early_result *attack_ctor_result(void);

int main(void)
{
	early_report("ctor", attack_ctor_result());
}
