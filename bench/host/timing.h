/*
 * Timing loop shared by the host benchmark programs. Each benchmark is a
 * noinline function `bench_NAME(void)`; a run calls it `calls` times per
 * sample, `samples` times, and prints one line
 *   result NAME ns median MED min MIN max MAX calls C samples S
 * ns are per call, minus the per-call cost of an empty benchmark function
 * (`bench_empty`), so the figure is the operation, not the loop.
 * Under callgrind (mode "count") each benchmark runs `calls` times once,
 * so that --toggle-collect=bench_NAME gives instructions per call.
 */
#ifndef NEURON_BENCH_TIMING_H
#define NEURON_BENCH_TIMING_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct bench {
	const char *name;
	void (*fn)(void);
};

static inline uint64_t bench_now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int bench_compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double bench_sample(void (*fn)(void), unsigned long calls)
{
	uint64_t start = bench_now_ns();
	for (unsigned long i = 0; i < calls; i++)
		fn();
	return (double)(bench_now_ns() - start) / (double)calls;
}

__attribute__((noinline)) void bench_empty(void);
__attribute__((noinline)) void bench_empty(void)
{
	__asm__ volatile("" ::: "memory");
}

#define BENCH_MAX_SAMPLES 1001

/* argv: MODE CALLS SAMPLES, MODE "time" or "count". Returns exit status. */
static int bench_main(int argc, char **argv, const struct bench *benches, unsigned n)
{
	if (argc != 4 || (strcmp(argv[1], "time") != 0 && strcmp(argv[1], "count") != 0)) {
		fprintf(stderr, "usage: %s time|count CALLS SAMPLES\n", argv[0]);
		return 2;
	}
	unsigned long calls = strtoul(argv[2], NULL, 10);
	unsigned long samples = strtoul(argv[3], NULL, 10);
	if (calls == 0 || samples == 0 || samples > BENCH_MAX_SAMPLES) {
		fprintf(stderr, "%s: CALLS must be >= 1 and SAMPLES in 1..%d\n", argv[0],
			BENCH_MAX_SAMPLES);
		return 2;
	}
	if (strcmp(argv[1], "count") == 0) {
		for (unsigned b = 0; b < n; b++) {
			for (unsigned long i = 0; i < calls; i++)
				benches[b].fn();
			printf("count %s calls %lu\n", benches[b].name, calls);
		}
		return 0;
	}
	static double empty[BENCH_MAX_SAMPLES], taken[BENCH_MAX_SAMPLES];
	for (unsigned long s = 0; s < samples; s++)
		empty[s] = bench_sample(bench_empty, calls);
	qsort(empty, samples, sizeof(empty[0]), bench_compare);
	double overhead = empty[samples / 2];
	for (unsigned b = 0; b < n; b++) {
		bench_sample(benches[b].fn, calls);	/* warm caches and branch predictors */
		for (unsigned long s = 0; s < samples; s++)
			taken[s] = bench_sample(benches[b].fn, calls) - overhead;
		qsort(taken, samples, sizeof(taken[0]), bench_compare);
		printf("result %s ns median %.2f min %.2f max %.2f calls %lu samples %lu\n",
		       benches[b].name, taken[samples / 2], taken[0], taken[samples - 1], calls, samples);
	}
	printf("overhead ns %.2f\n", overhead);
	return 0;
}

#endif
