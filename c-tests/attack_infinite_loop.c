/* Spins forever. No verdict line: the harness expects a time limit to kill it. */
int main(void)
{
	volatile unsigned long n = 0;
	for (;;)
		n++;
}
