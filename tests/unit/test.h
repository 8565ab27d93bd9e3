/* test.h - the smallest unit-test harness that reports well.
 *
 * Each test file defines tests with TEST(name) and lists them in main()
 * with RUN(name).  A failing CHECK prints file:line and the expression,
 * marks the test failed and carries on; the process exit status is the
 * number of failed tests (capped), and the last line is "N passed, N failed".
 */
#ifndef VIGIL_TEST_H
#define VIGIL_TEST_H

#include <stdio.h>
#include <string.h>

static int test_failed_now;
static int tests_passed, tests_failed;

#define TEST(name) static void test_##name(void)

#define CHECK(expr)                                                          \
	do {                                                                 \
		if (!(expr)) {                                               \
			fprintf(stderr, "  %s:%d: CHECK(%s) failed\n",       \
				__FILE__, __LINE__, #expr);                  \
			test_failed_now = 1;                                 \
		}                                                            \
	} while (0)

#define CHECK_STR(got, want)                                                 \
	do {                                                                 \
		const char *g_ = (got), *w_ = (want);                        \
		if (!g_ || !w_ || strcmp(g_, w_) != 0) {                     \
			fprintf(stderr, "  %s:%d: %s is \"%s\", want \"%s\"\n", \
				__FILE__, __LINE__, #got, g_ ? g_ : "(null)",  \
				w_ ? w_ : "(null)");                         \
			test_failed_now = 1;                                 \
		}                                                            \
	} while (0)

#define CHECK_INT(got, want)                                                 \
	do {                                                                 \
		long long g_ = (long long)(got), w_ = (long long)(want);     \
		if (g_ != w_) {                                              \
			fprintf(stderr, "  %s:%d: %s is %lld, want %lld\n",  \
				__FILE__, __LINE__, #got, g_, w_);           \
			test_failed_now = 1;                                 \
		}                                                            \
	} while (0)

#define RUN(name)                                                            \
	do {                                                                 \
		test_failed_now = 0;                                         \
		test_##name();                                               \
		if (test_failed_now) {                                       \
			tests_failed++;                                      \
			fprintf(stderr, "FAIL %s\n", #name);                 \
		} else {                                                     \
			tests_passed++;                                      \
		}                                                            \
	} while (0)

#define TEST_SUMMARY()                                                       \
	(printf("%d passed, %d failed\n", tests_passed, tests_failed),       \
	 tests_failed > 100 ? 100 : tests_failed)

#endif
