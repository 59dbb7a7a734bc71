/* attack_thread_bomb [N=30000]: create sleeping threads (64 KiB stacks) until N or failure.
 * SUCCEEDED: N threads created. */
#include "common.h"
#include <pthread.h>

static void *sleeper(void *a)
{
	(void)a;
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 30000), made = 0;
	int err = 0;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, 65536);
	while (made < n) {
		pthread_t t;
		err = pthread_create(&t, &at, sleeper, NULL);
		if (err)
			break;
		made++;
	}
	if (made >= n)
		verdict_succeeded("thread_bomb", "%ld threads created (cap)", made);
	verdict_blocked("thread_bomb", "%ld threads created, then %s", made, ename(err));
}
