/* An entry in the executable's .preinit_array: runs before any LD_PRELOAD constructor. */
#include "early_attack.h"

static struct early_result res;

static void preinit_hook(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	early_attack(&res, "preinit_array");
}

__attribute__((section(".preinit_array"), used)) static void (*preinit_entry)(int, char **, char **) =
	preinit_hook;

int main(void)
{
	early_report("preinit", &res);
}
