/* SPDX-License-Identifier: MIT
 * test.h: a tiny TAP producer for C unit tests. Each test is a function
 * registered with T_RUN; a failed assertion prints file:line, the expression
 * and both values as a TAP diagnostic, marks the test failed and returns
 * from it. main() ends with `return t_done();` (exit 0 only if all passed). */
#ifndef T_TEST_H
#define T_TEST_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int t_count_;
extern int t_failed_;
extern bool t_cur_failed_;

#define T_FAIL_(fmt, ...)                                                                          \
    do {                                                                                           \
        printf("# %s:%d: " fmt "\n", __FILE__, __LINE__, __VA_ARGS__);                             \
        t_cur_failed_ = true;                                                                      \
        return;                                                                                    \
    } while (0)

#define T_ASSERT(expr)                                                                             \
    do {                                                                                           \
        if (!(expr))                                                                               \
            T_FAIL_("assertion failed: %s", #expr);                                                \
    } while (0)

#define T_ASSERT_EQ(want, got)                                                                     \
    do {                                                                                           \
        long long w_ = (long long)(want), g_ = (long long)(got);                                   \
        if (w_ != g_)                                                                              \
            T_FAIL_("%s == %s: want %lld, got %lld", #want, #got, w_, g_);                         \
    } while (0)

#define T_ASSERT_OK(expr)                                                                          \
    do {                                                                                           \
        long long r_ = (long long)(expr);                                                          \
        if (r_ != 0)                                                                               \
            T_FAIL_("%s: want 0, got %lld", #expr, r_);                                            \
    } while (0)

#define T_ASSERT_STREQ(want, got)                                                                  \
    do {                                                                                           \
        const char *w_ = (want), *g_ = (got);                                                      \
        if (!w_ || !g_ || strcmp(w_, g_) != 0)                                                     \
            T_FAIL_("%s == %s: want \"%s\", got \"%s\"", #want, #got, w_ ? w_ : "(null)",          \
                    g_ ? g_ : "(null)");                                                           \
    } while (0)

/* Compare a (ptr, len) range with a C string. */
#define T_ASSERT_MEMEQ(want, ptr, len)                                                             \
    do {                                                                                           \
        const char *w_ = (want);                                                                   \
        size_t l_ = (size_t)(len);                                                                 \
        if (strlen(w_) != l_ || memcmp(w_, (ptr), l_) != 0)                                        \
            T_FAIL_("%s == %s: want \"%s\", got \"%.*s\"", #want, #ptr, w_, (int)l_,               \
                    (const char *)(ptr));                                                          \
    } while (0)

#define T_RUN(fn)                                                                                  \
    do {                                                                                           \
        t_cur_failed_ = false;                                                                     \
        fn();                                                                                      \
        t_count_++;                                                                                \
        if (t_cur_failed_)                                                                         \
            t_failed_++;                                                                           \
        printf("%sok %d - %s\n", t_cur_failed_ ? "not " : "", t_count_, #fn);                      \
        fflush(stdout);                                                                            \
    } while (0)

/* Print the TAP plan and return the process exit code. */
static inline int t_done(void)
{
    printf("1..%d\n", t_count_);
    return t_failed_ ? 1 : 0;
}

/* Define the counters once per test binary: put T_MAIN_GLOBALS in the file with main(). */
#define T_MAIN_GLOBALS                                                                             \
    int t_count_;                                                                                  \
    int t_failed_;                                                                                 \
    bool t_cur_failed_;

#endif
