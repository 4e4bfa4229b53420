/*
 * Minimal test macros: CHECK prints the failing expression with file:line
 * and keeps going; TEST_MAIN runs the list and ends with "N passed, N failed"
 * and a non-zero exit status if anything failed.
 */
#ifndef NEURON_TEST_CHECK_H
#define NEURON_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

extern int check_failures;	/* failed checks in the current test */

#define CHECK(cond) do {								\
	if (!(cond)) {									\
		check_failures++;							\
		printf("  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);		\
	}										\
} while (0)

#define CHECK_EQ(a, b) do {								\
	unsigned long long check_a = (unsigned long long)(a), check_b = (unsigned long long)(b); \
	if (check_a != check_b) {							\
		check_failures++;							\
		printf("  FAIL %s:%d: %s == %s (%llu != %llu)\n", __FILE__, __LINE__,	\
		       #a, #b, check_a, check_b);					\
	}										\
} while (0)

#define CHECK_CONTAINS(haystack, needle) do {						\
	const char *check_h = (haystack), *check_n = (needle);			\
	if (!check_h || !strstr(check_h, check_n)) {					\
		check_failures++;							\
		printf("  FAIL %s:%d: \"%s\" does not contain \"%s\"\n", __FILE__,	\
		       __LINE__, check_h ? check_h : "(null)", check_n);		\
	}										\
} while (0)

struct test_case {
	const char *name;
	void (*run)(void);
};

#define TEST_MAIN(...)									\
int check_failures;									\
int main(void)										\
{											\
	static const struct test_case tests[] = { __VA_ARGS__ };			\
	int passed = 0, failed = 0;							\
	for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {			\
		check_failures = 0;							\
		tests[i].run();								\
		printf("%s %s\n", check_failures ? "not ok" : "ok", tests[i].name);	\
		if (check_failures)							\
			failed++;							\
		else									\
			passed++;							\
	}										\
	printf("%d passed, %d failed\n", passed, failed);				\
	return failed ? 1 : 0;								\
}

#define TEST(fn) { #fn, fn }

#endif
