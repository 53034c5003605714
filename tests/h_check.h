/* h_check.h: units, printing and error codes for the suites' checks: ULL() for %llu, err_name(),
   EXPECT_RC, EXPECT_FAIL0 and CHECK_OK. Each h_*.h needs backing.h included first. */
#ifndef H_CHECK_H_INCLUDED
#define H_CHECK_H_INCLUDED

#include <stdint.h>

#include "test.h"

#define KIB (1024ull)
#define MIB (1024ull * 1024ull)
#define GIB (1024ull * 1024ull * 1024ull)

/* ULL(x): x as unsigned long long, the type %llu and %llx print whatever the width of
   uint64_t, size_t or backing_addr on the target (64-bit or -m32). */
#define ULL(x) ((unsigned long long)(x))

/* ---- error codes ---------------------------------------------------------------------- */

static const char *err_name(int e) {
  static char buf[8][96];
  static int next;
  char *b = buf[next++ & 7];
  switch (e) {
  case 0:
    return "0";
#define ERRNAME_(name, value, text) \
  case value:                       \
    return #name;
    BACKING_ERRORS(ERRNAME_)
#undef ERRNAME_
  default:
    break;
  }
  if (e > 0)
    snprintf(b, 96, "errno %d (%s)", e, strerror(e));
  else
    snprintf(b, 96, "unknown code %d", e);
  return b;
}

/* Sets backing_last_error() to something other than `avoid`, so that the next check sees the
   value the call under test stored, not a stale one. */
static void prime_error(int avoid) {
  if (avoid != BACKING_EINVAL) {
    (void)backing_close(NULL); /* EINVAL */
  } else {
    backing_config c;
    memset(&c, 0, sizeof c);
    c.dirname = "/nonexistent-backing-test-dir";
    c.name = "none";
    (void)backing_destroy(&c); /* ENOENT */
  }
}

static int expect_rc_(const char *file, int line, const char *expr, int got, int last, int want) {
  if (got != want)
    return test__check(0, file, line, "%s returned %s, want %s", expr, err_name(got),
                       err_name(want));
  if (want != 0 && last != want)
    return test__check(0, file, line, "%s: backing_last_error() is %s, want %s", expr,
                       err_name(last), err_name(want));
  return 1;
}
static int expect_fail0_(const char *file, int line, const char *expr, uint64_t got, int last,
                         int want) {
  if (got != 0)
    return test__check(0, file, line, "%s returned %llu (0x%llx), want 0 with %s", expr, ULL(got),
                       ULL(got), err_name(want));
  if (last != want)
    return test__check(0, file, line, "%s: backing_last_error() is %s, want %s", expr,
                       err_name(last), err_name(want));
  return 1;
}

/* An int-returning call must return `code` (and, for a failure, set backing_last_error). */
#define EXPECT_RC(expr, code)                             \
  do {                                                    \
    int want_ = (code), r_, e_;                           \
    if (want_) prime_error(want_);                        \
    r_ = (expr);                                          \
    e_ = backing_last_error();                            \
    expect_rc_(__FILE__, __LINE__, #expr, r_, e_, want_); \
  } while (0)
/* A call returning an address or a size must return 0 with backing_last_error() == code. */
#define EXPECT_FAIL0(expr, code)                             \
  do {                                                       \
    int want_ = (code), e_;                                  \
    uint64_t r_;                                             \
    prime_error(want_);                                      \
    r_ = (uint64_t)(expr);                                   \
    e_ = backing_last_error();                               \
    expect_fail0_(__FILE__, __LINE__, #expr, r_, e_, want_); \
  } while (0)
#define CHECK_OK(expr) test__check_ok_((expr), __FILE__, __LINE__, #expr)
static int test__check_ok_(int rc, const char *file, int line, const char *expr) {
  return test__check(rc == 0, file, line, "%s returned %s, want 0", expr, err_name(rc));
}

#endif /* H_CHECK_H_INCLUDED */
