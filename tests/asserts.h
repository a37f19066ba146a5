/* SPDX-License-Identifier: MIT */
/*
 * asserts.h - what every test harness gives its tests (tests/harness.h
 * on POSIX, tests/win/harness_win.h on Windows): failing and skipping,
 * and the typed assertions that print both values.  The harness defines
 * tf_test_fail() and tf_test_skip().
 */
#ifndef TF_TEST_ASSERTS_H
#define TF_TEST_ASSERTS_H

#include <string.h>

void tf_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

#define FAIL(...) tf_test_fail(__FILE__, __LINE__, __VA_ARGS__)

/* End the test as skipped, with a one-line reason: only for what this
 * machine or user cannot do (not root, no strace), never to hide a
 * failure.  The runner counts it apart from passed and failed. */
void tf_test_skip(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

#define SKIP(...) tf_test_skip(__VA_ARGS__)

/* The exit status of a skipped test's child (automake's convention). */
#define TF_TEST_SKIPPED 77

#define ASSERT(cond)                                                         \
  do {                                                                       \
    if (!(cond))                                                             \
      FAIL("assertion failed: %s", #cond);                                   \
  } while (0)

#define ASSERT_INT_OP(a, op, b)                                              \
  do {                                                                       \
    long long a_ = (long long)(a), b_ = (long long)(b);                      \
    if (!(a_ op b_))                                                         \
      FAIL("%s %s %s: %lld vs %lld", #a, #op, #b, a_, b_);                   \
  } while (0)

#define ASSERT_EQ(a, b) ASSERT_INT_OP(a, ==, b)
#define ASSERT_NE(a, b) ASSERT_INT_OP(a, !=, b)
#define ASSERT_GE(a, b) ASSERT_INT_OP(a, >=, b)
#define ASSERT_GT(a, b) ASSERT_INT_OP(a, >, b)
#define ASSERT_LE(a, b) ASSERT_INT_OP(a, <=, b)
#define ASSERT_LT(a, b) ASSERT_INT_OP(a, <, b)

/* Octal, for modes. */
#define ASSERT_MODE(a, b)                                                    \
  do {                                                                       \
    unsigned a_ = (unsigned)(a), b_ = (unsigned)(b);                         \
    if (a_ != b_)                                                            \
      FAIL("%s == %s: 0%o vs 0%o", #a, #b, a_, b_);                          \
  } while (0)

#define ASSERT_STR_EQ(a, b)                                                  \
  do {                                                                       \
    const char *a_ = (a), *b_ = (b);                                         \
    if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)                     \
      FAIL("%s == %s: \"%s\" vs \"%s\"", #a, #b, a_ ? a_ : "(null)",         \
           b_ ? b_ : "(null)");                                              \
  } while (0)

/* A library call that must succeed (return >= 0). */
#define ASSERT_OK(expr)                                                      \
  do {                                                                       \
    long long rc_ = (long long)(expr);                                       \
    if (rc_ < 0)                                                             \
      FAIL("%s failed: %s (%s)", #expr, tf_err_name((int)rc_),               \
           tf_strerror((int)rc_));                                           \
  } while (0)

/* A library call that must fail with exactly this negative errno. */
#define ASSERT_ERR(expr, err)                                                \
  do {                                                                       \
    long long rc_ = (long long)(expr);                                       \
    if (rc_ != (long long)(err))                                             \
      FAIL("%s: expected %s, got %lld (%s)", #expr, tf_err_name(err), rc_,   \
           rc_ < 0 ? tf_err_name((int)rc_) : "success");                     \
  } while (0)

#endif
