/* personality(PER_BSD) and personality(READ_IMPLIES_EXEC). SUCCEEDED: either took effect. */
#include "common.h"
#include <sys/personality.h>

int main(void)
{
	int before = personality(0xffffffff), bsd = 0, rie = 0;
	if (personality(PER_BSD) != -1 && (personality(0xffffffff) & PER_MASK) == PER_BSD)
		bsd = 1;
	personality((unsigned long)before);
	if (personality(READ_IMPLIES_EXEC) != -1 && (personality(0xffffffff) & READ_IMPLIES_EXEC))
		rie = 1;
	personality((unsigned long)before);
	if (bsd || rie)
		verdict_succeeded("personality", "PER_BSD=%s READ_IMPLIES_EXEC=%s", bsd ? "set" : "no", rie ? "set" : "no");
	verdict_blocked("personality", "PER_BSD and READ_IMPLIES_EXEC refused (%s)", ename(errno));
}
