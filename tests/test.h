/* test.h: the tiny test framework of backing.h's suite.

   TEST(name) { ... }        defines a test; it registers itself at start-up.
   CHECK(cond)               records a failure (file:line and the condition) and continues;
                             it evaluates to cond, so `if (!CHECK(x)) return;` stops a test.
   CHECK_EQ(a, b)            the same for two integers (both values are printed).
   CHECKF(cond, fmt, ...)    CHECK with a printf-style explanation.
   CHILD(name) { ... }       a child-process mode: `tests --child name args...` runs it
                             (argc/argv hold the args); test_spawn_child() re-executes us.

   test_main(argc, argv) runs every test (or only the ones named in argv), each in its own
   forked process with a time limit, prints one FAIL line per failing test and, as the
   very last line, `N passed, M failed`. Exit status 1 when anything failed.
   Environment: TEST_NOFORK=1 runs tests in-process (for a debugger), TEST_TIMEOUT=seconds
   (default 120), TEST_KEEP=1 keeps the temporary directory. */
#ifndef TEST_H_INCLUDED
#define TEST_H_INCLUDED

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

typedef void (*test_fn)(void);
typedef int (*test_child_fn)(int argc, char **argv);

struct test__case {
  const char *name;
  const char *file;
  int line;
  test_fn fn;
};
struct test__child {
  const char *name;
  test_child_fn fn;
};

#define TEST__MAX 512
static struct test__case test__cases[TEST__MAX];
static int test__ncases;
static struct test__child test__children[32];
static int test__nchildren;

static const char *test__current = "";
static int test__failures;    /* failed checks in the current test */
static char test__root[256];  /* per-run temporary directory */
static char test__self[4096]; /* path of this executable, for re-exec */

static void test__register(const char *name, const char *file, int line, test_fn fn) {
  if (test__ncases < TEST__MAX) {
    test__cases[test__ncases].name = name;
    test__cases[test__ncases].file = file;
    test__cases[test__ncases].line = line;
    test__cases[test__ncases].fn = fn;
    test__ncases++;
  }
}
static void test__register_child(const char *name, test_child_fn fn) {
  if (test__nchildren < (int)(sizeof test__children / sizeof test__children[0])) {
    test__children[test__nchildren].name = name;
    test__children[test__nchildren].fn = fn;
    test__nchildren++;
  }
}

#define TEST(name)                                                  \
  static void test_##name(void);                                    \
  __attribute__((constructor)) static void test__reg_##name(void) { \
    test__register(#name, __FILE__, __LINE__, test_##name);         \
  }                                                                 \
  static void test_##name(void)

#define CHILD(name)                                                      \
  static int child_##name(int argc, char **argv);                        \
  __attribute__((constructor)) static void test__regchild_##name(void) { \
    test__register_child(#name, child_##name);                           \
  }                                                                      \
  static int child_##name(int argc, char **argv)

/* Records a failure; returns ok so callers can stop early. */
__attribute__((format(printf, 4, 5))) static int test__check(int ok, const char *file, int line,
                                                             const char *fmt, ...) {
  va_list ap;
  if (ok) return 1;
  test__failures++;
  if (test__failures <= 25) {
    printf("  %s:%d: [%s] ", file, line, test__current);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
  } else if (test__failures == 26) {
    printf("  [%s] (further failures not shown)\n", test__current);
  }
  fflush(stdout);
  return 0;
}

#define CHECK(cond) test__check(!!(cond), __FILE__, __LINE__, "CHECK(%s) failed", #cond)
#define CHECKF(cond, ...) test__check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_EQ(a, b) \
  test__check_eq((unsigned long long)(a), (unsigned long long)(b), __FILE__, __LINE__, #a, #b)

static int test__check_eq(unsigned long long a, unsigned long long b, const char *file, int line,
                          const char *as, const char *bs) {
  return test__check(a == b, file, line, "CHECK_EQ(%s, %s) failed: %lld (0x%llx) != %lld (0x%llx)",
                     as, bs, (long long)a, a, (long long)b, b);
}

/* Prints a note that is part of the test's output (seeds, counts, skips). */
__attribute__((format(printf, 1, 2))) static void test_note(const char *fmt, ...) {
  va_list ap;
  printf("  [%s] ", test__current);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  fflush(stdout);
}

/* The current test's own directory, <root>/<test name>, created on first use. */
static const char *test_dir(void) {
  static char dir[512];
  snprintf(dir, sizeof dir, "%s/%s", test__root, test__current);
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
    test__check(0, __FILE__, __LINE__, "mkdir %s: %s", dir, strerror(errno));
  }
  return dir;
}

/* `<test dir>/<sub>` in buf. */
static const char *test_path(char *buf, size_t n, const char *sub) {
  snprintf(buf, n, "%s/%s", test_dir(), sub);
  return buf;
}

/* Runs `<this binary> --child what arg1 arg2` (args may be NULL) and returns its wait status. */
static int test_spawn_child(const char *what, const char *arg1, const char *arg2) {
  pid_t pid;
  int status = 0;
  fflush(stdout);
  fflush(stderr);
  pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    execl(test__self, test__self, "--child", what, arg1, arg2, (char *)NULL);
    _exit(127);
  }
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

static int test__rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)ftw;
  if (flag == FTW_DP)
    rmdir(path);
  else
    unlink(path);
  return 0;
}

static int test__cmp_case(const void *a, const void *b) {
  const struct test__case *x = (const struct test__case *)a, *y = (const struct test__case *)b;
  int c = strcmp(x->file, y->file);
  return c ? c : x->line - y->line;
}

static void test__run_one_here(const struct test__case *t) {
  test__current = t->name;
  test__failures = 0;
  t->fn();
  fflush(stdout);
}

static int test_main(int argc, char **argv) {
  int i, passed = 0, failed = 0, nofork, timeout = 120;
  const char *env;
  ssize_t n = readlink("/proc/self/exe", test__self, sizeof test__self - 1);
  if (n > 0)
    test__self[n] = 0;
  else
    snprintf(test__self, sizeof test__self, "%s", argv[0]);

  if (argc >= 3 && strcmp(argv[1], "--child") == 0) {
    for (i = 0; i < test__nchildren; i++) {
      if (strcmp(test__children[i].name, argv[2]) == 0) {
        test__current = argv[2];
        return test__children[i].fn(argc - 3, argv + 3);
      }
    }
    fprintf(stderr, "unknown child mode %s\n", argv[2]);
    return 127;
  }
  if (argc >= 2 && strcmp(argv[1], "--list") == 0) {
    qsort(test__cases, (size_t)test__ncases, sizeof test__cases[0], test__cmp_case);
    for (i = 0; i < test__ncases; i++) printf("%s\n", test__cases[i].name);
    return 0;
  }

  env = getenv("TEST_NOFORK");
  nofork = env && *env && strcmp(env, "0") != 0;
  env = getenv("TEST_TIMEOUT");
  if (env && atoi(env) > 0) timeout = atoi(env);

  snprintf(test__root, sizeof test__root, "/tmp/backing-tests-XXXXXX");
  if (!mkdtemp(test__root)) {
    printf("mkdtemp: %s\n0 passed, 1 failed\n", strerror(errno));
    return 1;
  }
  qsort(test__cases, (size_t)test__ncases, sizeof test__cases[0], test__cmp_case);

  for (i = 1; i < argc; i++) {
    int j, found = 0;
    for (j = 0; j < test__ncases; j++) found |= strcmp(test__cases[j].name, argv[i]) == 0;
    if (!found) {
      printf("FAIL %s: no such test\n", argv[i]);
      failed++;
    }
  }

  for (i = 0; i < test__ncases; i++) {
    const struct test__case *t = &test__cases[i];
    char why[128] = "";
    int ok;
    if (argc > 1) {
      int j, wanted = 0;
      for (j = 1; j < argc; j++) wanted |= strcmp(argv[j], t->name) == 0;
      if (!wanted) continue;
    }
    fflush(stdout);
    if (nofork) {
      test__run_one_here(t);
      ok = test__failures == 0;
      if (!ok) snprintf(why, sizeof why, "%d check(s) failed", test__failures);
    } else {
      int status = 0;
      pid_t pid = fork();
      if (pid < 0) {
        ok = 0;
        snprintf(why, sizeof why, "fork: %s", strerror(errno));
      } else if (pid == 0) {
        alarm((unsigned)timeout);
        test__run_one_here(t);
        if (test__failures) printf("  [%s] %d check(s) failed\n", t->name, test__failures);
        fflush(stdout);
        exit(test__failures ? 1 : 0);
      } else {
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
          snprintf(why, sizeof why, "checks failed");
        else if (WIFEXITED(status))
          snprintf(why, sizeof why, "exit status %d", WEXITSTATUS(status));
        else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
          snprintf(why, sizeof why, "timed out after %d s", timeout);
        else if (WIFSIGNALED(status))
          snprintf(why, sizeof why, "killed by signal %d (%s)", WTERMSIG(status),
                   strsignal(WTERMSIG(status)));
      }
    }
    if (ok)
      passed++;
    else {
      failed++;
      printf("FAIL %s (%s:%d): %s\n", t->name, t->file, t->line, why);
    }
    fflush(stdout);
  }

  env = getenv("TEST_KEEP");
  if (env && *env && strcmp(env, "0") != 0)
    printf("kept %s\n", test__root);
  else
    nftw(test__root, test__rm_cb, 16, FTW_DEPTH | FTW_PHYS);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}

#endif /* TEST_H_INCLUDED */
