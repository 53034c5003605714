/* wt.h: a minimal test runner and the few OS calls the portable tests need (tests/win/).
   tests/test.h forks once per test, which Windows cannot do; here every test runs in this
   process, one after the other, and a test that needs a process of its own (one to share
   a store with, one to kill) starts this same program again with a role argument.

   Include it after backing.h (which asks for the POSIX feature macros on Linux).

   Output: "ok   name", "FAIL name" after the failed checks, "SKIP name: reason"; then
   "K skipped" and, last, "N passed, M failed". A watchdog fails a test that runs longer
   than WT_TEST_SECONDS and prints the summary before exiting, so a hang still ends in a
   summary line. */
#ifndef WT_H_INCLUDED
#define WT_H_INCLUDED

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#include <direct.h>
#else
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
extern char **environ;
#endif

#ifdef _WIN32
#define WT_PLATFORM "windows"
#else
#define WT_PLATFORM "linux"
#endif

#ifndef WT_TEST_SECONDS
#define WT_TEST_SECONDS 120
#endif

/* ---- time ----------------------------------------------------------------------------- */

static uint64_t wt_now_ms(void) {
#ifdef _WIN32
  return (uint64_t)GetTickCount64();
#else
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
#endif
}

static void wt_sleep_ms(unsigned ms) {
#ifdef _WIN32
  Sleep(ms);
#else
  struct timespec ts;
  ts.tv_sec = (time_t)(ms / 1000);
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
#endif
}

/* ---- threads -------------------------------------------------------------------------- */

typedef void (*wt_thread_fn)(void *arg);
struct wt_thread_start {
  wt_thread_fn fn;
  void *arg;
};
#ifdef _WIN32
typedef HANDLE wt_thread;
static DWORD WINAPI wt_thread_main(LPVOID p) {
  struct wt_thread_start st = *(struct wt_thread_start *)p;
  free(p);
  st.fn(st.arg);
  return 0;
}
#else
typedef pthread_t wt_thread;
static void *wt_thread_main(void *p) {
  struct wt_thread_start st = *(struct wt_thread_start *)p;
  free(p);
  st.fn(st.arg);
  return NULL;
}
#endif

/* 0 on success. */
static int wt_thread_create(wt_thread *t, wt_thread_fn fn, void *arg) {
  struct wt_thread_start *st = (struct wt_thread_start *)malloc(sizeof *st);
  if (!st) return -1;
  st->fn = fn;
  st->arg = arg;
#ifdef _WIN32
  *t = CreateThread(NULL, 0, wt_thread_main, st, 0, NULL);
  if (*t == NULL) {
    free(st);
    return -1;
  }
#else
  if (pthread_create(t, NULL, wt_thread_main, st) != 0) {
    free(st);
    return -1;
  }
#endif
  return 0;
}

static void wt_thread_join(wt_thread t) {
#ifdef _WIN32
  WaitForSingleObject(t, INFINITE);
  CloseHandle(t);
#else
  pthread_join(t, NULL);
#endif
}

/* ---- files and directories ------------------------------------------------------------ */

static int wt_mkdir(const char *path) {
#ifdef _WIN32
  return _mkdir(path) == 0 || errno == EEXIST ? 0 : -1;
#else
  return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
#endif
}

/* The whole file, malloc'd (plus a NUL), or NULL. */
static unsigned char *wt_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  unsigned char *b = NULL;
  size_t cap = 0, n = 0, got;
  *len = 0;
  if (!f) return NULL;
  for (;;) {
    if (n + 65536 + 1 > cap) {
      unsigned char *nb = (unsigned char *)realloc(b, cap = (n + 65536 + 1) * 2);
      if (!nb) {
        free(b);
        fclose(f);
        return NULL;
      }
      b = nb;
    }
    got = fread(b + n, 1, 65536, f);
    n += got;
    if (got < 65536) break;
  }
  if (ferror(f)) {
    free(b);
    fclose(f);
    return NULL;
  }
  fclose(f);
  b[n] = 0;
  *len = n;
  return b;
}

static int wt_write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  int ok;
  if (!f) return -1;
  ok = fwrite(data, 1, len, f) == len;
  ok &= fclose(f) == 0;
  return ok ? 0 : -1;
}

/* -1 if it cannot be opened. */
static long long wt_file_size(const char *path) {
  size_t len;
  unsigned char *b = wt_read_file(path, &len);
  if (!b) return -1;
  free(b);
  return (long long)len;
}

static int wt_exists(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  fclose(f);
  return 1;
}

/* Remove a directory and everything in it (no symlinks are followed: there are none). */
static void wt_rmtree(const char *path) {
  char sub[1024];
#ifdef _WIN32
  WIN32_FIND_DATAA fd;
  HANDLE h;
  snprintf(sub, sizeof sub, "%s\\*", path);
  h = FindFirstFileA(sub, &fd);
  if (h != INVALID_HANDLE_VALUE) {
    do {
      if (!strcmp(fd.cFileName, ".") || !strcmp(fd.cFileName, "..")) continue;
      snprintf(sub, sizeof sub, "%s\\%s", path, fd.cFileName);
      if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
        wt_rmtree(sub);
      else
        DeleteFileA(sub);
    } while (FindNextFileA(h, &fd));
    FindClose(h);
  }
  RemoveDirectoryA(path);
#else
  DIR *d = opendir(path);
  struct dirent *e;
  struct stat st;
  if (d) {
    while ((e = readdir(d)) != NULL) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
      if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
        wt_rmtree(sub);
      else
        unlink(sub);
    }
    closedir(d);
  }
  rmdir(path);
#endif
}

/* ---- this program, run again as a child ------------------------------------------------ */

static char wt_self_path[1024];

static void wt_set_self(const char *argv0) {
#ifdef _WIN32
  DWORD n = GetModuleFileNameA(NULL, wt_self_path, (DWORD)sizeof wt_self_path);
  if (n == 0 || n >= sizeof wt_self_path) snprintf(wt_self_path, sizeof wt_self_path, "%s", argv0);
#else
  ssize_t n = readlink("/proc/self/exe", wt_self_path, sizeof wt_self_path - 1);
  if (n > 0)
    wt_self_path[n] = 0;
  else
    snprintf(wt_self_path, sizeof wt_self_path, "%s", argv0);
#endif
}

typedef struct wt_proc {
#ifdef _WIN32
  HANDLE h;
#else
  pid_t pid;
#endif
  int running;
} wt_proc;

#ifdef _WIN32
/* Appends one argument quoted for CommandLineToArgvW / the C runtime's parser. */
static void wt_quote_arg(char *cmd, size_t cap, const char *arg) {
  size_t n = strlen(cmd), slashes = 0;
  const char *p;
  if (n + 2 < cap) {
    if (n) cmd[n++] = ' ';
    cmd[n++] = '"';
  }
  for (p = arg; *p && n + 4 < cap; p++) {
    if (*p == '\\') {
      slashes++;
    } else if (*p == '"') {
      while (slashes-- > 0 && n + 4 < cap) cmd[n++] = '\\'; /* double those before a quote */
      slashes = 0;
      cmd[n++] = '\\';
    } else {
      slashes = 0;
    }
    cmd[n++] = *p;
  }
  while (slashes-- > 0 && n + 3 < cap) cmd[n++] = '\\'; /* and those before the closing one */
  if (n + 1 < cap) cmd[n++] = '"';
  cmd[n] = 0;
}
#endif

/* Start this program with args[] (NULL-terminated, not counting argv[0]). 0 on success. */
static int wt_spawn(wt_proc *p, const char *const *args) {
#ifdef _WIN32
  char cmd[4096];
  STARTUPINFOA si;
  PROCESS_INFORMATION pi;
  int i;
  cmd[0] = 0;
  wt_quote_arg(cmd, sizeof cmd, wt_self_path);
  for (i = 0; args[i]; i++) wt_quote_arg(cmd, sizeof cmd, args[i]);
  memset(&si, 0, sizeof si);
  si.cb = sizeof si;
  memset(&pi, 0, sizeof pi);
  fflush(stdout);
  fflush(stderr);
  if (!CreateProcessA(wt_self_path, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) return -1;
  CloseHandle(pi.hThread);
  p->h = pi.hProcess;
#else
  char *argv[32];
  int i, rc;
  argv[0] = wt_self_path;
  for (i = 0; args[i] && i < 30; i++) argv[i + 1] = (char *)(uintptr_t)args[i];
  argv[i + 1] = NULL;
  fflush(stdout);
  fflush(stderr);
  rc = posix_spawn(&p->pid, wt_self_path, NULL, NULL, argv, environ);
  if (rc != 0) return -1;
#endif
  p->running = 1;
  return 0;
}

/* Kill it the way a crash would: TerminateProcess / SIGKILL, no cleanup in the child. */
static void wt_kill(wt_proc *p) {
  if (!p->running) return;
#ifdef _WIN32
  TerminateProcess(p->h, 137);
#else
  kill(p->pid, SIGKILL);
#endif
}

#define WT_KILLED (-1000)  /* wt_wait: killed by wt_kill (or, on Linux, any SIGKILL) */
#define WT_TIMEOUT (-1001) /* wt_wait: still running after the timeout (now killed) */
/* Waits up to timeout_ms; the exit code (0..255 on Linux, the full code on Windows),
   WT_KILLED, -signal for another signal, or WT_TIMEOUT (after which it is killed). */
static int wt_wait(wt_proc *p, unsigned timeout_ms) {
#ifdef _WIN32
  DWORD code = 0;
  if (!p->running) return -1;
  if (WaitForSingleObject(p->h, timeout_ms) != WAIT_OBJECT_0) {
    TerminateProcess(p->h, 137);
    WaitForSingleObject(p->h, INFINITE);
    CloseHandle(p->h);
    p->running = 0;
    return WT_TIMEOUT;
  }
  GetExitCodeProcess(p->h, &code);
  CloseHandle(p->h);
  p->running = 0;
  return code == 137 ? WT_KILLED : (int)code;
#else
  int st = 0;
  uint64_t end = wt_now_ms() + timeout_ms;
  pid_t r;
  if (!p->running) return -1;
  for (;;) {
    r = waitpid(p->pid, &st, WNOHANG);
    if (r == p->pid) break;
    if (r < 0 && errno != EINTR) {
      p->running = 0;
      return -1;
    }
    if (wt_now_ms() > end) {
      kill(p->pid, SIGKILL);
      waitpid(p->pid, &st, 0);
      p->running = 0;
      return WT_TIMEOUT;
    }
    wt_sleep_ms(5);
  }
  p->running = 0;
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return WTERMSIG(st) == SIGKILL ? WT_KILLED : -WTERMSIG(st);
  return -1;
#endif
}

/* The child roles that fault on purpose exit with this code instead of crashing (no
   crash dialog or debugger on Windows, no core dump on Linux). */
#define WT_FAULT_EXIT 77
#ifdef _WIN32
static LONG WINAPI wt_on_fault(EXCEPTION_POINTERS *e) {
  (void)e;
  ExitProcess(WT_FAULT_EXIT);
  return EXCEPTION_EXECUTE_HANDLER;
}
static void wt_exit_on_fault(void) {
  SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
  SetUnhandledExceptionFilter(wt_on_fault);
}
#else
static void wt_on_fault(int sig) {
  (void)sig;
  _exit(WT_FAULT_EXIT);
}
static void wt_exit_on_fault(void) {
  signal(SIGSEGV, wt_on_fault);
  signal(SIGBUS, wt_on_fault);
}
#endif

/* ---- the runner ----------------------------------------------------------------------- */

struct wt_test {
  const char *name;
  void (*fn)(void);
};

static const char *wt_current = "";
static int wt_test_failed;  /* checks failed in the current test */
static int wt_test_skipped; /* the current test called SKIP */
static int wt_passed, wt_failed, wt_skipped;
static char wt_tmp_root[700];         /* this run's scratch directory */
static char wt_tmp_dir[800];          /* the current test's directory, inside it */
static volatile uint64_t wt_deadline; /* watchdog: ms, 0 = idle */

static const char *wt_err_name(int rc) {
  static char buf[4][160];
  static int k;
  char *b = buf[k++ & 3];
  static const struct {
    int code;
    const char *name;
  } names[] = {
#define WT__NAME(name, value, text) {value, #name},
      BACKING_ERRORS(WT__NAME)
#undef WT__NAME
          {0, "0"}};
  size_t i;
  for (i = 0; i < sizeof names / sizeof names[0]; i++)
    if (names[i].code == rc) return names[i].name;
  snprintf(b, sizeof buf[0], "%d (%s)", rc, backing_strerror(rc));
  return b;
}

static int wt_check(int ok, const char *file, int line, const char *fmt, ...) {
  va_list ap;
  if (ok) return 1;
  if (wt_test_failed++ < 12) {
    const char *f = strrchr(file, '/');
    printf("     %s:%d: ", f ? f + 1 : file, line);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
  }
  return 0;
}

#define CHECK(x) wt_check(!!(x), __FILE__, __LINE__, "%s", #x)
#define CHECKF(x, ...) wt_check(!!(x), __FILE__, __LINE__, __VA_ARGS__)
/* each side is evaluated once, as a uint64_t */
#define CHECK_EQ(a, b) wt_check_eq((uint64_t)(a), (uint64_t)(b), #a, #b, __FILE__, __LINE__)
static int wt_check_eq(uint64_t a, uint64_t b, const char *ea, const char *eb, const char *file,
                       int line) {
  return wt_check(a == b, file, line, "%s == %s: %llu != %llu", ea, eb, (unsigned long long)a,
                  (unsigned long long)b);
}
/* an int return code */
#define CHECK_RC(expr, want) wt_check_rc((expr), (want), #expr, __FILE__, __LINE__)
#define CHECK_OK(expr) wt_check_rc((expr), 0, #expr, __FILE__, __LINE__)
static int wt_check_rc(int rc, int want, const char *expr, const char *file, int line) {
  return wt_check(rc == want, file, line, "%s returned %s, want %s", expr, wt_err_name(rc),
                  wt_err_name(want));
}
/* a call that returns 0 on failure: the reason is backing_last_error() */
#define CHECK_LAST(want) \
  wt_check_rc(backing_last_error(), (want), "backing_last_error()", __FILE__, __LINE__)
#define SKIP(...)                    \
  do {                               \
    printf("SKIP %s: ", wt_current); \
    printf(__VA_ARGS__);             \
    printf("\n");                    \
    wt_test_skipped = 1;             \
    return;                          \
  } while (0)
#define NOTE(...)          \
  do {                     \
    printf("     note: "); \
    printf(__VA_ARGS__);   \
    printf("\n");          \
  } while (0)

/* A scratch path inside the current test's directory. */
static const char *wt_path(char *buf, size_t cap, const char *name) {
  snprintf(buf, cap, "%s/%s", wt_tmp_dir, name);
  return buf;
}

static void wt_summary(void) {
  printf("%d skipped\n", wt_skipped);
  printf("%d passed, %d failed\n", wt_passed, wt_failed);
  fflush(stdout);
}

static void wt_watchdog(void *arg) {
  (void)arg;
  for (;;) {
    uint64_t d = wt_deadline;
    if (d && wt_now_ms() > d) {
      printf("FAIL %s: still running after %d s\n", wt_current, WT_TEST_SECONDS);
      wt_failed++;
      wt_summary();
#ifdef _WIN32
      TerminateProcess(GetCurrentProcess(), 1); /* no atexit handlers, no waiting */
#else
      _exit(1);
#endif
    }
    wt_sleep_ms(200);
  }
}

static int wt_make_tmp_root(void) {
  const char *env = getenv("WT_TMP");
  char base[600];
  int i;
#ifdef _WIN32
  DWORD n = GetTempPathA((DWORD)sizeof base, base);
  unsigned long id = (unsigned long)GetCurrentProcessId();
  if (n == 0 || n >= sizeof base) snprintf(base, sizeof base, ".");
  if (n && n < sizeof base && (base[n - 1] == '\\' || base[n - 1] == '/')) base[n - 1] = 0;
#else
  unsigned long id = (unsigned long)getpid();
  snprintf(base, sizeof base, "%s", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
#endif
  if (env && *env) snprintf(base, sizeof base, "%s", env);
  for (i = 0; i < 1000; i++) {
    snprintf(wt_tmp_root, sizeof wt_tmp_root, "%s/t_win-%s-%lu-%d", base, WT_PLATFORM, id, i);
#ifdef _WIN32
    if (_mkdir(wt_tmp_root) == 0) return 0;
#else
    if (mkdir(wt_tmp_root, 0700) == 0) return 0;
#endif
    if (errno != EEXIST) break;
  }
  fprintf(stderr, "t_win: cannot make a scratch directory under %s\n", base);
  return -1;
}

/* Runs the tests named in argv (all when none); returns the exit status. */
static int wt_run(const struct wt_test *tests, size_t ntests, int argc, char **argv) {
  size_t i;
  int j, any;
  wt_thread dog;
  if (wt_make_tmp_root() != 0) {
    printf("0 passed, 1 failed\n");
    return 1;
  }
  if (wt_thread_create(&dog, wt_watchdog, NULL) != 0) printf("     note: no watchdog thread\n");
  for (j = 0; j < argc; j++) {
    for (i = 0, any = 0; i < ntests; i++) any |= !strcmp(tests[i].name, argv[j]);
    if (!any) {
      printf("FAIL %s: no such test\n", argv[j]);
      wt_failed++;
    }
  }
  for (i = 0; i < ntests; i++) {
    uint64_t t0;
    if (argc > 0) {
      for (j = 0, any = 0; j < argc; j++) any |= !strcmp(tests[i].name, argv[j]);
      if (!any) continue;
    }
    wt_current = tests[i].name;
    wt_test_failed = 0;
    wt_test_skipped = 0;
    snprintf(wt_tmp_dir, sizeof wt_tmp_dir, "%s/%s", wt_tmp_root, tests[i].name);
    wt_mkdir(wt_tmp_dir);
    t0 = wt_now_ms();
    wt_deadline = t0 + WT_TEST_SECONDS * 1000u;
    tests[i].fn();
    wt_deadline = 0;
    if (wt_test_failed) {
      printf("FAIL %s (%d failed check%s)\n", tests[i].name, wt_test_failed,
             wt_test_failed == 1 ? "" : "s");
      wt_failed++;
    } else if (wt_test_skipped) {
      wt_skipped++;
    } else {
      printf("ok   %s (%llu ms)\n", tests[i].name, (unsigned long long)(wt_now_ms() - t0));
      wt_passed++;
      wt_rmtree(wt_tmp_dir); /* a failed test's files stay for a look */
    }
    fflush(stdout);
  }
  if (!wt_failed) wt_rmtree(wt_tmp_root);
  wt_summary();
  return wt_failed ? 1 : 0;
}

#endif /* WT_H_INCLUDED */
