/* Workload: 8 threads each sum a slice of 0..80M; prints the (fixed) total. */
#include <pthread.h>
#include <stdio.h>

#define N 8
#define PER 10000000ULL
static unsigned long long part[N];

static void *work(void *a)
{
	unsigned long long id = (unsigned long long)(size_t)a, s = 0;
	for (unsigned long long i = id * PER; i < (id + 1) * PER; i++)
		s += i % 7;
	part[id] = s;
	return NULL;
}

int main(void)
{
	pthread_t t[N];
	unsigned long long total = 0;
	for (size_t i = 0; i < N; i++)
		if (pthread_create(&t[i], NULL, work, (void *)i))
			return perror("pthread_create"), 1;
	for (size_t i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		total += part[i];
	}
	printf("threads: %d\ntotal: %llu\n", N, total);
	return total == 239999994ULL ? 0 : 1;
}
