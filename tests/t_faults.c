/* t_faults.c: regression tests for the faults of issue 7 (items 1-6, 8-15, 19-25), one test
   per item, named fault_<item>_<word>. Each asserts what a user of backing.h would notice:
   a crash, a hang, a lost or changed store, a wrong error code. A test that waits for
   something that may never happen (a lock, a blocking open) waits a few seconds at most and
   fails; one that may crash does so in a forked child, so that a crash is a failed check. */

#include <dirent.h>

/* Sanitizers that report a use after free (the double close of item 6 is one on purpose). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define FZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define FZ_ASAN 1
#endif
#endif
#ifndef FZ_ASAN
#define FZ_ASAN 0
#endif

/* ---- helpers ------------------------------------------------------------------------- */

/* Runs fn(arg) in a forked child that dies with us and gets SIGALRM after `secs`; returns
   its wait status (exit 0 when no check failed in it). */
static int fz_run(void (*fn)(void *), void *arg, unsigned secs) {
  pid_t parent = getpid(), pid;
  fflush(stdout);
  fflush(stderr);
  pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    die_with_parent(parent);
    alarm(secs);
    test__failures = 0;
    fn(arg);
    fflush(stdout);
    _exit(test__failures ? 1 : 0);
  }
  return wait_pid(pid);
}

/* `<this binary> --child what a1 a2`, not waited for. */
static pid_t fz_spawn(const char *what, const char *a1, const char *a2) {
  pid_t pid;
  fflush(stdout);
  fflush(stderr);
  pid = fork();
  if (pid == 0) {
    execl(test__self, test__self, "--child", what, a1, a2, (char *)NULL);
    _exit(127);
  }
  return pid;
}

/* Waits up to `secs` for pid; kills it (and returns -2) if it has not ended by then. */
static int fz_wait_for(pid_t pid, double secs) {
  uint64_t t0 = now_ns();
  int st = 0;
  for (;;) {
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) return st;
    if (r < 0 && errno != EINTR) return -1;
    if ((double)(now_ns() - t0) > secs * 1e9) {
      kill(pid, SIGKILL);
      wait_pid(pid);
      return -2;
    }
    sleep_ns(2000000);
  }
}

static int fz_wait_file(const char *path, double secs) {
  uint64_t t0 = now_ns();
  while (!path_exists(path)) {
    if ((double)(now_ns() - t0) > secs * 1e9) return 0;
    sleep_ns(2000000);
  }
  return 1;
}

static void fz_touch(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT, 0600);
  if (fd >= 0) close(fd);
}

/* A call on another thread, waited for with a time limit: a hang is a failed check, not a
   hung test. The thread is left behind if it does not finish (the test's process ends). */
struct fz_timed {
  void (*fn)(struct fz_timed *);
  backing *s;
  backing_addr a;
  int rc;
  int done;
};
static void *fz_timed_main(void *arg) {
  struct fz_timed *t = (struct fz_timed *)arg;
  t->fn(t);
  __atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
  return NULL;
}
/* 1 if fn finished within secs. */
static int fz_timed_run(struct fz_timed *t, double secs) {
  pthread_t th;
  uint64_t t0 = now_ns();
  t->done = 0;
  if (pthread_create(&th, NULL, fz_timed_main, t) != 0) return 0;
  while (!__atomic_load_n(&t->done, __ATOMIC_ACQUIRE)) {
    if ((double)(now_ns() - t0) > secs * 1e9) {
      pthread_detach(th);
      return 0;
    }
    sleep_ns(1000000);
  }
  pthread_join(th, NULL);
  return 1;
}
static void fz_timed_alloc(struct fz_timed *t) {
  t->a = backing_alloc(t->s, 100);
  t->rc = backing_last_error();
}

/* Byte offset of p (inside arena i, as the library maps it) in the store file. */
static uint64_t fz_file_off(backing *s, uint32_t i, const void *p) {
  backing_stats st = stat_of(s);
  return (uint64_t)i * st.arena_size +
         (uint64_t)((const unsigned char *)p - (const unsigned char *)backing__ar(s, i));
}

static int fz_pwrite(const char *path, uint64_t off, const void *p, size_t n) {
  int fd = open(path, O_WRONLY);
  ssize_t w;
  if (fd < 0) return -1;
  w = pwrite(fd, p, n, (off_t)off);
  close(fd);
  return w == (ssize_t)n ? 0 : -1;
}
static int fz_pwrite_u32(const char *path, uint64_t off, uint32_t v) {
  return fz_pwrite(path, off, &v, sizeof v);
}

/* -1 if the file at path still holds exactly `before`, else the first offset that differs. */
static long long fz_first_diff(const unsigned char *before, size_t blen, const char *path) {
  size_t len, i, n;
  unsigned char *now = read_whole(path, &len);
  long long at = -1;
  if (!now) return 0;
  n = len < blen ? len : blen;
  for (i = 0; i < n && at < 0; i++)
    if (now[i] != before[i]) at = (long long)i;
  if (at < 0 && len != blen) at = (long long)n;
  free(now);
  return at;
}
static int fz_same_file(const unsigned char *before, size_t blen, const char *path) {
  long long at = fz_first_diff(before, blen, path);
  if (at >= 0) test_note("%s: first changed byte at offset %lld", path, at);
  return at < 0;
}

static int fz_dir_entries(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;
  if (!d) return -1;
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
  closedir(d);
  return n;
}

/* ---- 1. arenas another process added work with every accessor ---------------------------- */

#define FZ01_ARENAS 5
#define FZ01_MAGIC 0x0123456789abcdefull

CHILD(fault01_reader) {
  char path[600];
  backing_config c;
  backing *s = NULL;
  int k, rc, bad = 0;
  if (argc < 1) return 2;
  c = mmap_cfg(argv[0], "grow", 0);
  rc = backing_open(&s, &c);
  if (rc != 0) {
    printf("  [fault01 reader] open: %s\n", err_name(rc));
    return 2;
  }
  snprintf(path, sizeof path, "%s/ready", argv[0]);
  fz_touch(path);
  snprintf(path, sizeof path, "%s/go", argv[0]);
  if (!fz_wait_file(path, 30)) return 3;
  for (k = 0; k < FZ01_ARENAS; k++) {
    char name[16];
    backing_addr a;
    uint64_t v = 0, want = FZ01_MAGIC ^ (uint64_t)k, res = 0, tot = 0;
    snprintf(name, sizeof name, "far%d", k);
    a = backing_root_get(s, name);
    if (!a) {
      printf("  [fault01 reader] root %s: %s\n", name, err_name(backing_last_error()));
      bad++;
      continue;
    }
#define FZ01_STEP(what, cond)                                             \
  do {                                                                    \
    printf("  [fault01 reader] %s %s at %llu: ", name, what, ULL(a));     \
    fflush(stdout);                                                       \
    if (cond)                                                             \
      printf("ok\n");                                                     \
    else {                                                                \
      printf("FAILED (last error %s)\n", err_name(backing_last_error())); \
      bad++;                                                              \
    }                                                                     \
  } while (0)
    FZ01_STEP("backing_get_u64", backing_get_u64(s, a) == want);
    FZ01_STEP("backing_atomic_load_u64", backing_atomic_load_u64(s, a) == want);
    FZ01_STEP("backing_read", backing_read(s, a, &v, 8) == 0 && v == want);
    FZ01_STEP("backing_copy",
              backing_copy(s, a + 8, a, 8) == 0 && backing_get_u64(s, a + 8) == want);
    FZ01_STEP("backing_write",
              backing_write(s, a + 16, &want, 8) == 0 && backing_get_u64(s, a + 16) == want);
    FZ01_STEP("backing_incore", backing_incore(s, a, 8, &res, &tot) == 0 && tot >= 1);
    FZ01_STEP("backing_sizeof", backing_sizeof(s, a) >= 40000);
#undef FZ01_STEP
  }
  rc = backing_close(s);
  if (rc != 0) bad++;
  fflush(stdout);
  return bad ? 1 : 0;
}

TEST(fault_01_grown_arenas) {
  char dir[512], ready[600], go[600];
  backing_config c = mmap_cfg(test_path(dir, sizeof dir, "s"), "grow", 64 * KIB);
  backing *s = OPEN(&c);
  backing_stats st;
  pid_t reader;
  int k, status;
  if (!s) return;
  CLOSE(s);
  snprintf(ready, sizeof ready, "%s/ready", dir);
  snprintf(go, sizeof go, "%s/go", dir);
  reader = fz_spawn("fault01_reader", dir, NULL);
  if (!CHECK(reader > 0)) return;
  if (!CHECKF(fz_wait_file(ready, 20), "the reader did not open the store")) {
    fz_wait_for(reader, 0);
    return;
  }
  /* the reader has the store open; now it grows by several arenas here */
  s = OPEN(&c);
  if (!s) {
    fz_wait_for(reader, 0);
    return;
  }
  for (k = 0; k < FZ01_ARENAS; k++) {
    char name[16];
    backing_addr a = backing_alloc(s, 50000); /* one per arena (64 KiB arenas) */
    if (!CHECKF(a != 0, "alloc: %s", err_name(backing_last_error()))) break;
    memset(backing_ptr(s, a), 0, 50000);
    backing_set_u64(s, a, FZ01_MAGIC ^ (uint64_t)k);
    snprintf(name, sizeof name, "far%d", k);
    CHECK_OK(backing_root_set(s, name, a));
  }
  st = stat_of(s);
  CHECKF(st.arena_count >= FZ01_ARENAS, "only %llu arenas", ULL(st.arena_count));
  CLOSE(s);
  fz_touch(go);
  status = fz_wait_for(reader, 30);
  CHECKF(exited_ok(status), "the reader of arenas another process added: %s",
         status == -2 ? "hung" : status_str(status));
}

/* ---- 2. a write through address 0 or a small address faults and cannot reach the file ---- */

struct fz02 {
  const char *dir;
  int memory;
  uint64_t addr;
};
static void fz02_child(void *arg) {
  struct fz02 *f = (struct fz02 *)arg;
  backing_config c = f->memory ? mem_cfg(64 * KIB, 0) : mmap_cfg(f->dir, "two", 0);
  backing *s = OPEN(&c);
  backing_addr a;
  if (!s) return;
  a = backing_root_get(s, "score"); /* not set: 0 */
  CHECK_EQ(a, 0);
  fflush(stdout);
  signal(SIGSEGV, SIG_DFL); /* a sanitizer's handler would turn the fault into an exit */
  backing_set_u32(s, a + f->addr, 1234); /* must die here with SIGSEGV */
  backing_set_u64(s, a + f->addr, 0x4141414141414141ull);
  backing_close(s);
  _exit(7); /* survived the write */
}

TEST(fault_02_null_write) {
  static const uint64_t addrs[] = {0, 8, 64, 1000, 4000};
  char dir[512];
  backing_config c = mmap_cfg(test_path(dir, sizeof dir, "s"), "two", 64 * KIB);
  backing *s = OPEN(&c);
  backing_addr keep;
  size_t i;
  int m;
  if (!s) return;
  keep = backing_alloc(s, 100);
  CHECK(keep != 0);
  fill_pattern(backing_ptr(s, keep), 100, 2);
  CHECK_OK(backing_root_set(s, "keep", keep));
  CLOSE(s);
  /* MMAP stores only: a MEMORY store has no closed header (README: "Stray writes") */
  for (m = 0; m < 1; m++)
    for (i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
      struct fz02 f;
      int st;
      f.dir = dir;
      f.memory = m;
      f.addr = addrs[i];
      st = fz_run(fz02_child, &f, 10);
      CHECKF(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
             "%s store: backing_set_u32(s, %llu, ...) gave %s, want SIGSEGV", m ? "MEMORY" : "MMAP",
             ULL(addrs[i]), status_str(st));
    }
  s = OPEN(&c);
  if (!s) return;
  CHECK_STORE(s);
  CHECK_EQ(backing_root_get(s, "keep"), keep);
  CHECK_PATTERN(backing_ptr(s, keep), 100, 2);
  CLOSE(s);
}

/* ---- 3. status-returning calls on a read-only handle: ERDONLY, nothing changes ------------ */

struct fz03 {
  const char *dir;
};
static void fz03_child(void *arg) {
  struct fz03 *f = (struct fz03 *)arg;
  backing_config c = mmap_cfg(f->dir, "ro", 0);
  backing *s;
  backing_addr a;
  uint64_t buf = 0x5151515151515151ull, exp64;
  uint32_t exp32;
  c.flags = BACKING_RDONLY;
  s = OPEN(&c);
  if (!s) return;
  a = backing_root_get(s, "blk");
  if (!CHECK(a != 0)) return;
  printf("  [fault_03_rdonly_write] backing_write\n");
  fflush(stdout);
  CHECK_EQ(backing_write(s, a, &buf, 8), BACKING_ERDONLY);
  printf("  [fault_03_rdonly_write] backing_copy\n");
  fflush(stdout);
  CHECK_EQ(backing_copy(s, a + 16, a, 8), BACKING_ERDONLY);
  printf("  [fault_03_rdonly_write] backing_atomic_cas_u64\n");
  fflush(stdout);
  exp64 = backing_get_u64(s, a);
  CHECK_EQ(backing_atomic_cas_u64(s, a, &exp64, 99), BACKING_ERDONLY);
  exp32 = backing_get_u32(s, a + 8);
  CHECK_EQ(backing_atomic_cas_u32(s, a + 8, &exp32, 99), BACKING_ERDONLY);
  CHECK_PATTERN(backing_ptr(s, a), 64, 3);
  CLOSE(s);
}

TEST(fault_03_rdonly_write) {
  char dir[512], path[600];
  backing_config c = mmap_cfg(test_path(dir, sizeof dir, "s"), "ro", 64 * KIB);
  backing *s = OPEN(&c);
  backing_addr a;
  struct fz03 f;
  unsigned char *before;
  size_t blen;
  int st;
  if (!s) return;
  a = backing_alloc(s, 64);
  CHECK(a != 0);
  fill_pattern(backing_ptr(s, a), 64, 3);
  CHECK_OK(backing_root_set(s, "blk", a));
  CLOSE(s);
  snprintf(path, sizeof path, "%s/ro.backing", dir);
  before = read_whole(path, &blen);
  if (!CHECK(before != NULL)) return;
  f.dir = dir;
  st = fz_run(fz03_child, &f, 20);
  CHECKF(exited_ok(st), "the read-only handle's calls: %s", status_str(st));
  CHECKF(fz_same_file(before, blen, path), "the store file changed through a read-only handle");
  free(before);
}

/* ---- 4. a handle used in a forked child: EFORKED, and its close leaves the parent alone ---- */

CHILD(fault04_open) {
  backing_config c;
  backing *s = NULL;
  int rc;
  if (argc < 1) return 2;
  alarm(5); /* a blocked open must fail the test, not hang it */
  c = mmap_cfg(argv[0], "f4", 0);
  rc = backing_open(&s, &c);
  if (rc != 0) {
    printf("  [fault04 open] read-write open: %s\n", err_name(rc));
    return 1;
  }
  backing_close(s);
  c.flags = BACKING_RDONLY;
  rc = backing_open(&s, &c);
  if (rc != 0) {
    printf("  [fault04 open] read-only open: %s\n", err_name(rc));
    return 1;
  }
  backing_close(s);
  return 0;
}

struct fz04 {
  backing *s;
};
static void fz04_child(void *arg) {
  struct fz04 *f = (struct fz04 *)arg;
  backing_addr a;
  int e;
  a = backing_alloc(f->s, 64);
  e = backing_last_error();
  CHECKF(a == 0 && e == BACKING_EFORKED, "alloc through an inherited handle: %llu, %s", ULL(a),
         err_name(e));
  CHECK_OK(backing_close(f->s));
}

TEST(fault_04_forked_close) {
  char dir[512];
  backing_config c = mmap_cfg(test_path(dir, sizeof dir, "s"), "f4", 64 * KIB);
  backing *s = OPEN(&c);
  struct fz04 f;
  backing_addr a;
  int st;
  if (!s) return;
  a = backing_alloc(s, 64);
  CHECK(a != 0);
  f.s = s;
  st = fz_run(fz04_child, &f, 10);
  CHECKF(exited_ok(st), "the forked child: %s", status_str(st));
  /* the parent goes on */
  a = backing_alloc(s, 64);
  CHECKF(a != 0, "parent alloc after the child's close: %s", err_name(backing_last_error()));
  if (a) CHECK(backing_free(s, a) > 0);
  st = test_spawn_child("fault04_open", dir, NULL);
  CHECKF(exited_ok(st), "another process opening the store while the parent has it: %s",
         status_str(st));
  CHECK_CLOSE(s);
  st = test_spawn_child("fault04_open", dir, NULL);
  CHECKF(exited_ok(st), "another process opening the store after the parent closed: %s",
         status_str(st));
}

/* ---- 5. backing_close from a GC destructor: EBUSY, the cycle finishes -------------------- */

struct fz05 {
  int calls, rc;
};
static void fz05_dtor(backing *s, backing_addr a, void *ctx) {
  struct fz05 *f = (struct fz05 *)ctx;
  (void)a;
  f->calls++;
  f->rc = backing_close(s);
}

static void fz05_run(const backing_config *c, int use_gc_free) {
  backing *s = OPEN(c);
  struct fz05 f;
  backing_addr b, other;
  uint64_t freed;
  if (!s) return;
  memset(&f, 0, sizeof f);
  CHECK_OK(backing_gc_on_free(s, 5, fz05_dtor, &f));
  CHECK_OK(backing_gc_set_lifetime(s, 1));
  other = backing_gc_alloc(s, 64, 6, 0);
  b = backing_gc_alloc(s, 64, 5, 0);
  if (!CHECK(b != 0 && other != 0)) return;
  freed = use_gc_free ? backing_gc_free(s, b) : backing_gc_cycle(s);
  CHECK_EQ(f.calls, 1);
  if (!CHECKF(f.rc == BACKING_EBUSY, "%s: backing_close in a destructor returned %s, want EBUSY",
              use_gc_free ? "gc_free" : "gc_cycle", err_name(f.rc)))
    return; /* the handle is gone: nothing more can be done with it */
  CHECK_EQ(freed, use_gc_free ? 80 : 160);
  CHECK_CLOSE(s);
}

TEST(fault_05_close_in_destructor) {
  char dir[512];
  backing_config m = mem_cfg(64 * KIB, 0);
  backing_config c = mmap_cfg(test_path(dir, sizeof dir, "s"), "f5", 64 * KIB);
  fz05_run(&m, 0);
  fz05_run(&m, 1);
  fz05_run(&c, 0);
  fz05_run(&c, 1);
}

/* ---- 6. closing twice / using a closed handle: EINVAL where it is safe to try ------------ */

TEST(fault_06_double_close) {
  char dir[512];
  backing_config m = mem_cfg(64 * KIB, 0);
  backing_config c = mmap_cfg(test_path(dir, sizeof dir, "s"), "f6", 64 * KIB);
  backing *s, *t;
  if (FZ_ASAN) {
    test_note("skipped under AddressSanitizer (a closed handle is freed memory)");
    return;
  }
  s = OPEN(&m);
  if (!s) return;
  CLOSE(s);
  EXPECT_RC(backing_close(s), BACKING_EINVAL);
  EXPECT_RC(backing_check(s), BACKING_EINVAL);
  /* an MMAP store opened twice is one handle, closed by the second close */
  s = OPEN(&c);
  t = OPEN(&c);
  if (!s || !t) return;
  CHECK(s == t);
  CLOSE(s);
  CHECK(backing_alloc(t, 64) != 0); /* still open once */
  CLOSE(t);
  EXPECT_RC(backing_close(s), BACKING_EINVAL);
}

/* ---- 8. calloc zeroes, also where this thread holds an arena lock ------------------------ */

static const uint64_t fz08_sizes[] = {24, 100, 700, 3000, 4096, 5000, 9000};
#define FZ08_N (sizeof fz08_sizes / sizeof fz08_sizes[0])
struct fz08 {
  backing_addr got[64];
  int n;
  uint64_t last_arena;
  int arenas;
};
static int fz08_cb(backing *s, backing_addr a, uint64_t size, int state, void *ctx) {
  struct fz08 *f = (struct fz08 *)ctx;
  uint64_t ar = a >> 16;
  size_t k;
  (void)size, (void)state;
  if (f->arenas > 0 && ar == f->last_arena) return 0;
  f->last_arena = ar; /* once in each arena, while its lock is held */
  f->arenas++;
  for (k = 0; k < FZ08_N && f->n < 64; k++) f->got[f->n++] = backing_calloc(s, fz08_sizes[k]);
  return 0;
}

static void fz08_check_zero(backing *s, const backing_addr *a, int n, const char *where) {
  int k;
  for (k = 0; k < n; k++) {
    uint64_t us;
    if (!a[k]) continue; /* calloc may fail in a callback; it must not return dirt */
    us = backing_sizeof(s, a[k]);
    CHECKF(us > 0 && all_bytes_are(backing_ptr(s, a[k]), us, 0),
           "%s: calloc block %llu (usable %llu) is not all zero", where, ULL(a[k]), ULL(us));
  }
}

TEST(fault_08_calloc_zeroes) {
  backing *s = OPEN_MEMORY(64 * KIB, 8 * 64 * KIB);
  backing_addr dirty[400], out[FZ08_N];
  struct fz08 f;
  backing_stats st;
  int n = 0, k, round;
  if (!s) return;
  for (round = 0; round < 3; round++) {
    /* dirty every arena: fill blocks with 0xAB and free them */
    n = 0;
    for (k = 0; k < 400; k++) {
      uint64_t size = fz08_sizes[k % FZ08_N];
      backing_addr a = backing_alloc(s, size);
      if (!a) break;
      memset(backing_ptr(s, a), 0xAB, (size_t)backing_sizeof(s, a));
      dirty[n++] = a;
    }
    for (k = n - 1; k >= 0; k--) CHECK(backing_free(s, dirty[k]) > 0);
    memset(&f, 0, sizeof f);
    CHECK_OK(backing_walk(s, fz08_cb, &f));
    CHECK(f.n > 0);
    fz08_check_zero(s, f.got, f.n, "inside a walk callback");
    for (k = 0; k < f.n; k++)
      if (f.got[k]) CHECK(backing_free(s, f.got[k]) > 0);
    for (k = 0; k < (int)FZ08_N; k++) out[k] = backing_calloc(s, fz08_sizes[k]);
    fz08_check_zero(s, out, (int)FZ08_N, "outside a callback");
    for (k = 0; k < (int)FZ08_N; k++)
      if (CHECK(out[k] != 0)) CHECK(backing_free(s, out[k]) > 0);
  }
  st = stat_of(s);
  test_note("%llu arenas", ULL(st.arena_count));
  CHECK_CLOSE(s);
}

/* ---- 9. backing_file_map on a FIFO: an error at once, never blocks ---------------------- */

struct fz09 {
  const char *path;
};
static void fz09_child(void *arg) {
  struct fz09 *f = (struct fz09 *)arg;
  backing_mapping m;
  EXPECT_RC(backing_file_map(&m, f->path, 0, 0, BACKING_MAP_READ), BACKING_EINVAL);
  EXPECT_RC(backing_file_map(&m, f->path, 0, 4096, BACKING_MAP_PRIVATE), BACKING_EINVAL);
  EXPECT_RC(backing_file_map(&m, f->path, 0, 4096, BACKING_MAP_SHARED), BACKING_EINVAL);
}

TEST(fault_09_fifo_map) {
  char path[600];
  struct fz09 f;
  int st;
  test_path(path, sizeof path, "fifo");
  if (!CHECKF(mkfifo(path, 0600) == 0, "mkfifo: %s", strerror(errno))) return;
  f.path = path;
  st = fz_run(fz09_child, &f, 2);
  CHECKF(exited_ok(st), "backing_file_map on a FIFO: %s",
         st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM ? "blocked for 2 s"
                                                                : status_str(st));
}

/* ---- 10. an open blocked on a store's lock does not stall other opens and closes --------- */

struct fz10 {
  backing_config blocked, other;
  backing *s1;
  int rc1, rc_mem_open, rc_mem_close, rc_other_open, rc_other_close;
  int done1, done2;
};
static void *fz10_t1(void *arg) {
  struct fz10 *f = (struct fz10 *)arg;
  f->rc1 = backing_open(&f->s1, &f->blocked);
  __atomic_store_n(&f->done1, 1, __ATOMIC_RELEASE);
  return NULL;
}
static void *fz10_t2(void *arg) {
  struct fz10 *f = (struct fz10 *)arg;
  backing_config m = mem_cfg(64 * KIB, 0);
  backing *s = NULL;
  f->rc_mem_open = backing_open(&s, &m);
  f->rc_mem_close = s ? backing_close(s) : -1;
  s = NULL;
  f->rc_other_open = backing_open(&s, &f->other);
  f->rc_other_close = s ? backing_close(s) : -1;
  __atomic_store_n(&f->done2, 1, __ATOMIC_RELEASE);
  return NULL;
}
static int fz10_wait(int *flag, double secs) {
  uint64_t t0 = now_ns();
  while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE)) {
    if ((double)(now_ns() - t0) > secs * 1e9) return 0;
    sleep_ns(1000000);
  }
  return 1;
}

TEST(fault_10_open_lock_wait) {
  char dir[512], path[600];
  static struct fz10 f;
  backing *s;
  int up[2], down[2], fin1, fin2;
  pid_t holder, parent = getpid();
  pthread_t t1, t2;
  char ch = 0;
  memset(&f, 0, sizeof f);
  f.blocked = mmap_cfg(test_path(dir, sizeof dir, "s"), "locked", 64 * KIB);
  f.other = mmap_cfg(dir, "other", 64 * KIB);
  s = OPEN(&f.blocked);
  if (!s) return;
  CLOSE(s);
  snprintf(path, sizeof path, "%s/locked.backing", dir);
  if (!CHECK(pipe(up) == 0 && pipe(down) == 0)) return;
  fflush(stdout);
  holder = fork();
  if (holder == 0) { /* holds the store's open lock byte until told to let go */
    struct flock fl;
    int fd;
    die_with_parent(parent);
    fd = open(path, O_RDWR);
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = (off_t)(1ull << 62);
    fl.l_len = 1;
    if (fd < 0 || fcntl(fd, F_OFD_SETLK, &fl) != 0) _exit(3);
    if (write(up[1], "k", 1) != 1) _exit(4);
    if (read(down[0], &ch, 1) < 0) _exit(5);
    _exit(0);
  }
  if (!CHECK(holder > 0)) return;
  if (!CHECKF(read(up[0], &ch, 1) == 1, "the lock holder did not start")) {
    kill(holder, SIGKILL);
    wait_pid(holder);
    return;
  }
  CHECK(pthread_create(&t1, NULL, fz10_t1, &f) == 0);
  sleep_ns(300000000);
  if (__atomic_load_n(&f.done1, __ATOMIC_ACQUIRE))
    test_note("the open of the locked store did not wait (rc %s)", err_name(f.rc1));
  CHECK(pthread_create(&t2, NULL, fz10_t2, &f) == 0);
  fin2 = fz10_wait(&f.done2, 2);
  CHECKF(fin2, "opening and closing other stores took over 2 s while one open waited for a lock");
  if (fin2) {
    CHECK_OK(f.rc_mem_open);
    CHECK_OK(f.rc_mem_close);
    CHECK_OK(f.rc_other_open);
    CHECK_OK(f.rc_other_close);
  }
  if (write(down[1], "g", 1) != 1) kill(holder, SIGKILL); /* let go */
  fin1 = fz10_wait(&f.done1, 5);
  CHECKF(fin1, "the waiting open did not complete after the lock was released");
  if (fin1) {
    CHECK_OK(f.rc1);
    pthread_join(t1, NULL);
    if (f.s1) CLOSE(f.s1);
  } else {
    pthread_detach(t1);
  }
  if (!fin2 && fz10_wait(&f.done2, 5)) fin2 = 1;
  if (fin2)
    pthread_join(t2, NULL);
  else
    pthread_detach(t2);
  CHECK(exited_ok(wait_pid(holder)));
}

/* ---- 11. a store refused after a machine crash is left byte for byte unchanged ---------- */

static void fz11_variant(const char *dir, const char *name, int truth_damage) {
  char path[600];
  backing_config c = mmap_cfg(dir, name, 64 * KIB);
  backing *s = OPEN(&c);
  backing_addr a[6];
  uint64_t off_dirty, off_boot, off_lock, off_slock, off_damage = 0;
  uint32_t damage = 0;
  unsigned char *before;
  uint8_t boot[16];
  uint64_t one = 1, owner;
  size_t blen;
  int k, rc;
  if (!s) return;
  for (k = 0; k < 6; k++) {
    a[k] = backing_alloc(s, 5000 + 16 * (uint64_t)k); /* large blocks: no slab */
    CHECK(a[k] != 0);
  }
  for (k = 1; k < 6; k += 2) CHECK(backing_free(s, a[k]) > 0);
  {
    backing__arena *ar = backing__ar(s, 0);
    backing__store *st = backing__st(s);
    off_dirty = fz_file_off(s, 0, &st->dirty);
    off_boot = fz_file_off(s, 0, st->boot_id);
    off_lock = fz_file_off(s, 0, &ar->lock);
    off_slock = fz_file_off(s, 0, &st->lock);
    if (truth_damage) { /* a block's size: the chain of blocks no longer holds together */
      off_damage = a[2] - 16 + offsetof(backing__blk, size);
      damage = 0x11; /* 16 bytes, used */
    } else {         /* the head of a free list points into a live block */
      unsigned fl, sl;
      for (fl = 0; fl < BACKING__FL && !off_damage; fl++)
        for (sl = 0; sl < BACKING__SL && !off_damage; sl++)
          if (ar->heads[fl][sl]) off_damage = fz_file_off(s, 0, &ar->heads[fl][sl]);
      damage = (uint32_t)(a[4] & 0xffff);
    }
  }
  CLOSE(s);
  if (!CHECK(off_damage != 0)) return;
  snprintf(path, sizeof path, "%s/%s.backing", dir, name);
  /* as a machine that went down would leave it: dirty, another boot, locks held */
  memset(boot, 0x5a, sizeof boot);
  owner = (uint64_t)200 << 54 | (uint64_t)77 << 22 | 4321; /* a slot nobody holds */
  CHECK(fz_pwrite(path, off_dirty, &one, 8) == 0);
  CHECK(fz_pwrite(path, off_boot, boot, 16) == 0);
  if (truth_damage) {
    CHECK(fz_pwrite(path, off_lock, &owner, 8) == 0);
    CHECK(fz_pwrite(path, off_slock, &owner, 8) == 0);
  }
  CHECK(fz_pwrite_u32(path, off_damage, damage) == 0);
  before = read_whole(path, &blen);
  if (!CHECK(before != NULL)) return;
  s = NULL;
  rc = backing_open(&s, &c);
  if (truth_damage || rc != 0) {
    CHECKF(rc == BACKING_ECORRUPT, "%s: open of a damaged store after a crash: %s, want ECORRUPT",
           name, err_name(rc));
    CHECKF(fz_same_file(before, blen, path), "%s: the refused store was written to", name);
  } else { /* derived lists may be rebuilt after a machine crash: then it must check clean */
    test_note("%s: open repaired the store instead of refusing it", name);
    CHECK_STORE(s);
  }
  if (rc == 0) backing_close(s);
  free(before);
}

TEST(fault_11_refused_untouched) {
  char dir[512];
  test_path(dir, sizeof dir, "s");
  fz11_variant(dir, "truth", 1);
  fz11_variant(dir, "lists", 0);
}

/* ---- 12 and 20. no lock word makes a caller wait forever ---------------------------------- */

static int fz12_kill_cb(backing *s, backing_addr a, uint64_t size, int state, void *ctx) {
  (void)s, (void)a, (void)size, (void)state, (void)ctx;
  kill(getpid(), SIGKILL); /* dies holding the arena's lock */
  return 1;
}

/* A lock word left by a dead owner: an alloc that needs the arena (there is no other, and
   the store cannot grow) returns within 5 s, and the store checks clean. */
static int fz12_alloc_returns(backing *s, const char *what) {
  struct fz_timed t;
  memset(&t, 0, sizeof t);
  t.fn = fz_timed_alloc;
  t.s = s;
  if (!CHECKF(fz_timed_run(&t, 5), "%s: alloc waited over 5 s for a dead owner's lock", what))
    return 0; /* the handle stays with the waiting thread */
  CHECKF(t.a != 0, "%s: alloc after a dead owner: %s", what, err_name(t.rc));
  CHECK_STORE(s);
  return 1;
}

TEST(fault_12_dead_lock_owner) {
  const uint64_t asz = 64 * KIB;
  unsigned char *buf =
      (unsigned char *)mmap(NULL, asz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  backing_config c = mem_cfg(asz, asz);
  backing *s;
  pid_t pid, parent = getpid();
  int k, st;
  if (!CHECK(buf != MAP_FAILED)) return;
  c.source = BACKING_SOURCE_BUFFER;
  c.buffer = buf;
  c.buffer_size = asz;
  s = OPEN(&c);
  if (!s) return;
  for (k = 0; k < 8; k++) CHECK(backing_alloc(s, 200) != 0);
  fflush(stdout);
  pid = fork();
  if (pid == 0) { /* a second process on the shared buffer, killed holding arena 0's lock */
    backing *t = NULL;
    die_with_parent(parent);
    if (backing_open(&t, &c) != 0) _exit(3);
    backing_walk(t, fz12_kill_cb, NULL);
    _exit(4);
  }
  st = wait_pid(pid);
  if (!CHECKF(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
              "the child on the shared buffer: %s", status_str(st)))
    return;
  CHECK(__atomic_load_n(&backing__ar(s, 0)->lock, __ATOMIC_ACQUIRE) != 0);
  if (fz12_alloc_returns(s, "BUFFER store in shared memory, owner killed")) CLOSE(s);
}

/* The lock word a thread of this process writes into arena 0 (read from inside a walk
   callback, which runs with the arena locked); the thread has exited when this returns. */
struct fz20_cap {
  backing *s;
  uint64_t word;
};
static int fz20_cb(backing *s, backing_addr a, uint64_t size, int state, void *ctx) {
  struct fz20_cap *c = (struct fz20_cap *)ctx;
  (void)a, (void)size, (void)state;
  c->word = __atomic_load_n(&backing__ar(s, 0)->lock, __ATOMIC_ACQUIRE);
  return 1;
}
static void *fz20_thread(void *arg) {
  struct fz20_cap *c = (struct fz20_cap *)arg;
  backing_walk(c->s, fz20_cb, c);
  return NULL;
}
static uint64_t fz20_word_of_exited_thread(backing *s) {
  struct fz20_cap c;
  pthread_t th;
  c.s = s;
  c.word = 0;
  if (pthread_create(&th, NULL, fz20_thread, &c) != 0) return 0;
  pthread_join(th, NULL);
  return c.word;
}

TEST(fault_20_stray_lock_word) {
  const uint64_t asz = 64 * KIB;
  char dir[512];
  uint64_t words[2], lockword = 0;
  pid_t dead;
  int k;
  fflush(stdout);
  dead = fork(); /* a process id that names no live process */
  if (dead == 0) _exit(0);
  wait_pid(dead);
  words[0] = 1ull << 63 | (uint64_t)dead << 22 | 5;
  words[1] = 0x00000000deadbeefull; /* names nothing at all */
  for (k = 0; k < 2; k++) {
    unsigned char *buf = (unsigned char *)mmap(NULL, asz, PROT_READ | PROT_WRITE,
                                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    backing_config c = mem_cfg(asz, asz);
    backing *s;
    char what[96];
    if (!CHECK(buf != MAP_FAILED)) return;
    c.source = BACKING_SOURCE_BUFFER;
    c.buffer = buf;
    c.buffer_size = asz;
    s = OPEN(&c);
    if (!s) return;
    CHECK(backing_alloc(s, 5000) != 0);
    CLOSE(s);
    s = OPEN(&c);
    if (!s) return;
    __atomic_store_n(&backing__ar(s, 0)->lock, words[k], __ATOMIC_RELEASE);
    snprintf(what, sizeof what, "BUFFER store, lock word 0x%llx", ULL(words[k]));
    if (fz12_alloc_returns(s, what)) CLOSE(s);
  }
  { /* MMAP: the lock word names this process's own slot and generation, and a thread that
       has exited */
    backing_config c = mmap_cfg(test_path(dir, sizeof dir, "s"), "own", asz);
    backing *s;
    c.max_size = asz;
    s = OPEN(&c);
    if (!s) return;
    CHECK(backing_alloc(s, 5000) != 0);
    lockword = fz20_word_of_exited_thread(s);
    if (!CHECKF(lockword != 0, "could not capture a thread's lock word")) return;
    __atomic_store_n(&backing__ar(s, 0)->lock, lockword, __ATOMIC_RELEASE);
    if (fz12_alloc_returns(s, "MMAP store, own slot, a thread that has exited")) CLOSE(s);
  }
}

/* ---- 13. a success clears the last error, also when the answer is 0 ---------------------- */

#define FZ13_EXPECT_OK0(expr)                                                                \
  do {                                                                                       \
    uint64_t r_;                                                                             \
    int e_;                                                                                  \
    prime_error(0);                                                                          \
    r_ = (uint64_t)(expr);                                                                   \
    e_ = backing_last_error();                                                               \
    CHECKF(r_ == 0 && e_ == 0, "%s: returned %llu with last error %s, want 0 with 0", #expr, \
           ULL(r_), err_name(e_));                                                           \
  } while (0)

TEST(fault_13_last_error_cleared) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_addr one, zero, untyped;
  if (!s) return;
  one = backing_gc_alloc(s, 64, 3, 1);
  zero = backing_gc_alloc(s, 64, 3, 0);
  untyped = backing_gc_alloc(s, 64, 0, 1);
  if (!CHECK(one && zero && untyped)) return;
  FZ13_EXPECT_OK0(backing_gc_unref(s, one));     /* 1 -> 0: success */
  FZ13_EXPECT_OK0(backing_gc_refcount(s, zero)); /* waiting: count 0 */
  FZ13_EXPECT_OK0(backing_gc_age(s, untyped));   /* referenced: age 0 */
  FZ13_EXPECT_OK0(backing_gc_type(s, untyped));  /* type 0 */
  FZ13_EXPECT_OK0(backing_gc_unref(s, zero));    /* 0 stays 0 */
  FZ13_EXPECT_OK0(backing_gc_refcount(s, one));  /* now waiting too */
  CHECK_OK(backing_gc_set_lifetime(s, 5));
  FZ13_EXPECT_OK0(backing_gc_cycle(s)); /* nothing due: 0 bytes */
  CHECK_CLOSE(s);
}

/* ---- 14. error codes a user can read ------------------------------------------------------ */

TEST(fault_14_error_codes) {
  char path[600];
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_mapping m;
  backing_addr a;
  unsigned char buf[8];
  const char *msg;
  int k;
  if (!s) return;
  a = backing_alloc(s, 64);
  CHECK(a != 0);
  for (k = 0; k < BACKING_ROOT_MAX; k++) {
    char name[16];
    snprintf(name, sizeof name, "r%d", k);
    CHECK_OK(backing_root_set(s, name, a));
  }
  EXPECT_RC(backing_root_set(s, "one-too-many", a), BACKING_EFULL);
  EXPECT_FAIL0((uintptr_t)backing_ptr(NULL, 16), BACKING_EINVAL);
  CHECK_EQ(backing_read(NULL, 16, buf, 8), BACKING_EINVAL);
  test_path(path, sizeof path, "empty");
  CHECK(write_whole(path, "", 0) == 0);
  EXPECT_RC(backing_file_map(&m, path, 0, 0, BACKING_MAP_READ), BACKING_ERANGE);
  msg = backing_strerror(BACKING_ETOOBIG);
  CHECKF(msg && strstr(msg, "max_block"), "strerror(ETOOBIG) is \"%s\": it does not name the limit",
         msg ? msg : "(null)");
  CLOSE(s);
}

/* ---- 15. configuration that is refused, not accepted silently ----------------------------- */

TEST(fault_15_config_refused) {
  static const char *names[] = {".", "..", "a/b"};
  char dir[512], ndir[512];
  backing_config c = mmap_cfg(test_path(dir, sizeof dir, "s"), "cap", 64 * KIB);
  backing_config m;
  backing *s = OPEN(&c), *t = NULL;
  backing_stats st;
  size_t k;
  int rc;
  if (!s) return;
  for (k = 0; k < 3; k++) CHECK(backing_alloc(s, 50000) != 0); /* three arenas */
  st = stat_of(s);
  CHECK(st.arena_count >= 3);
  CLOSE(s);
  c.max_size = 2 * 64 * KIB; /* below the present size */
  rc = backing_open(&t, &c);
  CHECKF(rc == BACKING_EINVAL, "reopen with max_size below the store's size: %s", err_name(rc));
  if (rc == 0) backing_close(t);
  c.max_size = 8 * 64 * KIB + 4096; /* not a multiple of the arena size */
  rc = backing_open(&t, &c);
  CHECKF(rc == BACKING_EINVAL, "reopen with max_size not a multiple of arena_size: %s",
         err_name(rc));
  if (rc == 0) backing_close(t);
  m = mem_cfg(64 * KIB, 3 * 64 * KIB + 4096);
  rc = backing_open(&t, &m);
  CHECKF(rc == BACKING_EINVAL, "MEMORY store with max_size not a multiple of arena_size: %s",
         err_name(rc));
  if (rc == 0) backing_close(t);
  for (k = 0; k < sizeof names / sizeof names[0]; k++) {
    backing_config n;
    char sub[32];
    snprintf(sub, sizeof sub, "names%d", (int)k);
    test_path(ndir, sizeof ndir, sub);
    CHECK(mkdir(ndir, 0700) == 0);
    n = mmap_cfg(ndir, names[k], 64 * KIB);
    rc = backing_open(&t, &n);
    CHECKF(rc == BACKING_EINVAL, "store name \"%s\": %s", names[k], err_name(rc));
    if (rc == 0) backing_close(t);
    CHECKF(fz_dir_entries(ndir) == 0, "store name \"%s\" made a file in the directory", names[k]);
  }
}

/* ---- 19. a damaged doomed chain: check says so, a cycle frees no live plain block -------- */

struct fz19 {
  int variant;
};
static void fz19_child(void *arg) {
  struct fz19 *f = (struct fz19 *)arg;
  backing *s = OPEN_MEMORY(64 * KIB, 64 * KIB);
  backing_addr p, g;
  uint32_t doomed, refs;
  uint64_t size;
  int e;
  if (!s) return;
  p = backing_alloc(s, 5000);
  g = backing_gc_alloc(s, 64, 1, 1);
  if (!CHECK(p != 0 && g != 0)) return;
  fill_pattern(backing_ptr(s, p), 5000, 19);
  CHECK_OK(backing_root_set(s, "keep", p));
  CHECK_STORE(s);
  doomed = f->variant == 0   ? (uint32_t)(p & (64 * KIB - 1)) /* the rooted plain block */
           : f->variant == 1 ? 0x7ffffff0u                    /* far outside the arena */
                             : 48u;                           /* inside the arena header */
  backing__ar(s, 0)->gc_doomed = doomed;
  EXPECT_RC(backing_check(s), BACKING_ECORRUPT);
  (void)backing_gc_cycle(s);
  (void)backing_gc_cycle(s);
  size = backing_sizeof(s, p);
  e = backing_last_error();
  if (size == 0 && e == BACKING_ECORRUPT) /* its arena was quarantined: kept, not freed */
    test_note("doomed chain %u: the arena was quarantined", doomed);
  else
    CHECKF(size >= 5000, "doomed chain %u: the rooted plain block was freed (sizeof %llu, %s)",
           doomed, ULL(size), err_name(e));
  CHECK_PATTERN(backing_ptr(s, p), 5000, 19);
  CHECK_EQ(backing_root_get(s, "keep"), p);
  refs = backing_gc_refcount(s, g);
  e = backing_last_error();
  CHECKF(refs == 1 || (refs == 0 && e == BACKING_ECORRUPT),
         "doomed chain %u: the other GC block's count is %u (%s), want 1", doomed, refs,
         err_name(e));
  CLOSE(s);
}

TEST(fault_19_doomed_chain) {
  int v;
  for (v = 0; v < 3; v++) {
    struct fz19 f;
    int st;
    f.variant = v;
    st = fz_run(fz19_child, &f, 20);
    CHECKF(exited_ok(st), "doomed chain variant %d (%s): %s", v,
           v == 0   ? "a live rooted plain block"
           : v == 1 ? "out of bounds"
                    : "arena header",
           status_str(st));
  }
}

/* ---- 21. a stale header cannot make a double free succeed ------------------------------- */

TEST(fault_21_stale_header) {
  backing *s = OPEN_MEMORY(64 * KIB, 64 * KIB);
  backing_addr a, b, cc, d, x;
  uint64_t bs, got;
  unsigned char v;
  int e;
  if (!s) return;
  a = backing_alloc(s, 5000);
  b = backing_alloc(s, 5000);
  cc = backing_alloc(s, 5000);
  d = backing_alloc(s, 5000);
  if (!CHECK(a && b && cc && d)) return;
  bs = backing_sizeof(s, b);
  CHECK(backing_free(s, a) > 0);
  CHECK(backing_free(s, b) > 0);      /* merges into the free block a */
  x = backing_alloc(s, (b - a) + bs); /* exactly the merged block */
  if (!CHECKF(x == a, "the new block %llu does not cover the merged one at %llu", ULL(x), ULL(a)))
    return;
  /* the new owner writes one byte where b's header was: the size word's flag byte */
  v = backing_get_u8(s, b - 16 + offsetof(backing__blk, size));
  if (!(v & BACKING__USED))
    backing_set_u8(s, b - 16 + offsetof(backing__blk, size), (unsigned char)(v | BACKING__USED));
  else
    backing_set_u8(s, b - 16 + offsetof(backing__blk, aux),
                   (unsigned char)(backing_get_u8(s, b - 16 + offsetof(backing__blk, aux)) ^ 1));
  prime_error(0);
  got = backing_free(s, b);
  e = backing_last_error();
  CHECKF(got == 0 && (e == BACKING_EBADADDR || e == BACKING_EFREED),
         "free of the stale address %llu inside a live block: %llu (%s), want 0 with EBADADDR or "
         "EFREED",
         ULL(b), ULL(got), err_name(e));
  CHECK_STORE(s);
  CHECK(backing_sizeof(s, x) >= (b - a) + bs);
  CHECK(backing_free(s, x) > 0);
  CHECK_CLOSE(s);
}

/* ---- 22. a new handle does not inherit a closed one's preferred arena -------------------- */

TEST(fault_22_stale_preference) {
  char dir[512], path[600];
  backing_config y = mmap_cfg(test_path(dir, sizeof dir, "s"), "y", 64 * KIB);
  backing_config xc = mem_cfg(64 * KIB, 4 * 64 * KIB);
  backing *s, *ys = NULL;
  uint64_t off_magic = 0, off_partial = 0;
  uintptr_t xptr = 0;
  int k, tries, same = 0;
  s = OPEN(&y); /* Y: three arenas, and arena 2 damaged in the file */
  if (!s) return;
  for (k = 0; k < 3; k++) CHECK(backing_alloc(s, 50000) != 0);
  CHECK(stat_of(s).arena_count == 3);
  off_magic = fz_file_off(s, 2, &backing__ar(s, 2)->ident.magic);
  off_partial = fz_file_off(s, 2, backing__ar(s, 2)->partial);
  CLOSE(s);
  snprintf(path, sizeof path, "%s/y.backing", dir);
  CHECK(fz_pwrite_u32(path, off_magic, 0) == 0);
  for (k = 0; k < BACKING__NLIST; k++)
    CHECK(fz_pwrite_u32(path, off_partial + 4 * (uint64_t)k, 0x00ff8000u) == 0);
  for (tries = 0; tries < 6 && !same; tries++) {
    backing_addr a;
    s = OPEN(&xc); /* X: this thread comes to prefer its arena 2 */
    if (!s) return;
    for (k = 0; k < 3; k++) CHECK(backing_alloc(s, 50000) != 0);
    a = backing_alloc(s, 64);
    CHECKF(a >> 16 == 2, "X: the small block is in arena %llu, want 2", ULL(a >> 16));
    xptr = (uintptr_t)s;
    CLOSE(s);
    if (ys) CLOSE(ys);
    ys = OPEN(&y);
    if (!ys) return;
    same = (uintptr_t)ys == xptr;
  }
  if (!same) test_note("malloc never placed Y's handle where X's was; tried %d times", tries);
  for (k = 0; k < 20; k++) {
    backing_addr a = backing_alloc(ys, 64);
    if (!CHECKF(a != 0, "alloc in Y: %s", err_name(backing_last_error()))) break;
    CHECKF(a >> 16 != 2, "alloc in Y landed in its damaged arena 2 (%llu)", ULL(a));
  }
  CLOSE(ys);
}

/* ---- 23. wrapped ranges are refused ------------------------------------------------------- */

TEST(fault_23_wrapped_range) {
  unsigned char *p =
      (unsigned char *)mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  uint64_t len, res = 0, tot = 0;
  int k;
  if (!CHECK(p != MAP_FAILED)) return;
  p[0] = 1;
  for (k = 0; k < 2; k++) {
    unsigned char *q = p + (k ? 100 : 0);
    len = UINT64_MAX - (uint64_t)(uintptr_t)q + 2; /* q + len wraps to 1 */
    EXPECT_RC(backing_msync(q, len, BACKING_SYNC_ASYNC), BACKING_EINVAL);
    EXPECT_RC(backing_madvise(q, len, BACKING_ADVICE_NORMAL), BACKING_EINVAL);
    EXPECT_RC(backing_mincore(q, len, &res, &tot), BACKING_EINVAL);
  }
  munmap(p, 4096);
}

/* ---- 24. GC ages near 2^31 neither overflow nor free a block early ----------------------- */

TEST(fault_24_gc_age_overflow) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_addr b;
  uint32_t prev, age;
  int k, freed = 0;
  if (!s) return;
  CHECK_OK(backing_gc_set_lifetime(s, UINT32_MAX));
  b = backing_gc_alloc(s, 64, 1, 0); /* waiting at 0 */
  if (!CHECK(b != 0)) return;
  backing_set_i32(s, b - 8, -(INT32_MAX - 2)); /* white-box: it has waited 2^31 - 3 cycles */
  prev = backing_gc_age(s, b);
  CHECK_EQ(prev, (uint32_t)INT32_MAX - 2);
  for (k = 0; k < 6 && !freed; k++) {
    (void)backing_gc_cycle(s);
    if (backing_gc_sizeof(s, b) == 0) { /* freed: only once its age reached the lifetime */
      freed = 1;
      CHECKF(prev + 1 >= (uint32_t)INT32_MAX,
             "cycle %d freed the block at age %u, before the lifetime", k + 1, prev);
      break;
    }
    age = backing_gc_age(s, b);
    CHECKF(age == prev + 1 || (age == prev && prev == (uint32_t)INT32_MAX),
           "cycle %d: age %u after %u", k + 1, age, prev);
    CHECKF(age <= (uint32_t)INT32_MAX, "cycle %d: age %u over INT32_MAX", k + 1, age);
    CHECKF(backing_gc_refcount(s, b) == 0 && backing_last_error() == 0,
           "cycle %d: count %u (%s), want 0", k + 1, backing_gc_refcount(s, b),
           err_name(backing_last_error()));
    prev = age;
  }
  if (!freed) {
    CHECKF(backing_gc_ref(s, b) == 1, "ref of the old waiting block: %s",
           err_name(backing_last_error()));
    CHECK_EQ(backing_gc_age(s, b), 0);
    CHECK_EQ(backing_gc_unref(s, b), 0);
  }
  CHECK_CLOSE(s);
}

/* ---- 25. damaged stores opened without a check do not crash the allocator --------------- */

struct fz25_prep {
  backing_addr small[40], big[3], large[6], gc[6];
  uint64_t off_free_link, off_slot_link, off_partial_link, off_wait_link;
};
struct fz25_run {
  const char *dir, *name;
  const struct fz25_prep *p;
};

static void fz25_ops(void *arg) {
  struct fz25_run *r = (struct fz25_run *)arg;
  backing_config c = mmap_cfg(r->dir, r->name, 0);
  backing *s = NULL;
  backing_addr held[64];
  uint64_t rng = 0x25252525u;
  int nh = 0, op, rc, nold = 0;
  rc = backing_open(&s, &c);
  if (!CHECKF(rc == 0, "open of a store with damaged lists (an O(1) open): %s", err_name(rc)))
    return;
  for (op = 0; op < 200; op++) {
    backing_addr a = 0;
    switch (op % 10) {
    case 0:
    case 1:
      a = backing_alloc(s, 64);
      break;
    case 2:
      a = backing_alloc(s, 4000);
      break;
    case 3:
      a = backing_alloc(s, 4500 + rng_below(&rng, 1500));
      break;
    case 4:
      a = backing_gc_alloc(s, 64, 1, (uint32_t)(op & 1));
      break;
    case 5:
      if (nh > 0) {
        int i = (int)rng_below(&rng, (uint64_t)nh);
        (void)backing_free(s, held[i]);
        (void)backing_gc_unref(s, held[i]);
        held[i] = held[--nh];
      }
      break;
    case 6: /* what the store held before */
      if (nold < 40) (void)backing_free(s, r->p->small[nold]);
      if (nold < 6) (void)backing_free(s, r->p->large[nold]);
      if (nold < 3) (void)backing_free(s, r->p->big[nold]);
      nold++;
      break;
    case 7: {
      backing_addr g = r->p->gc[rng_below(&rng, 6)];
      (void)backing_gc_ref(s, g);
      (void)backing_gc_unref(s, g);
      (void)backing_gc_age(s, g);
      break;
    }
    case 8:
      (void)backing_gc_cycle(s);
      (void)backing_gc_step(s);
      break;
    default:
      a = backing_calloc(s, 200);
      if (a) a = backing_realloc(s, a, 6000);
      break;
    }
    if (a) {
      if (nh < 64)
        held[nh++] = a;
      else
        (void)backing_free(s, a);
    }
  }
  rc = backing_check(s);
  CHECKF(rc == BACKING_ECORRUPT, "backing_check after using the damaged store: %s, want ECORRUPT",
         err_name(rc));
  (void)backing_close(s);
}

TEST(fault_25_damaged_lists) {
  static const char *what[4] = {"free-list link", "slab free-slot link", "partial-slab link",
                                "waiting-list link"};
  char dir[512], base[600];
  backing_config c = mmap_cfg(test_path(dir, sizeof dir, "s"), "base", 1 * MIB);
  static struct fz25_prep p;
  backing *s;
  backing__arena *ar;
  unsigned fl, sl;
  int k, v;
  c.max_size = 4 * MIB;
  s = OPEN(&c);
  if (!s) return;
  memset(&p, 0, sizeof p);
  for (k = 0; k < 40; k++) CHECK((p.small[k] = backing_alloc(s, 64)) != 0);
  for (k = 0; k < 3; k++) CHECK((p.big[k] = backing_alloc(s, 4000)) != 0);
  for (k = 0; k < 6; k++) CHECK((p.large[k] = backing_alloc(s, 6000)) != 0);
  for (k = 0; k < 6; k++) CHECK((p.gc[k] = backing_gc_alloc(s, 64, 1, 1)) != 0);
  for (k = 0; k < 40; k += 4) { /* free slots in the 64-byte slab */
    CHECK(backing_free(s, p.small[k]) > 0);
    p.small[k] = 0;
  }
  CHECK(backing_free(s, p.large[1]) > 0); /* two free blocks in the free lists */
  CHECK(backing_free(s, p.large[3]) > 0);
  p.large[1] = p.large[3] = 0;
  CHECK_EQ(backing_gc_unref(s, p.gc[1]), 0); /* a waiting list of three */
  CHECK_EQ(backing_gc_unref(s, p.gc[3]), 0);
  CHECK_EQ(backing_gc_unref(s, p.gc[4]), 0);
  CHECK_STORE(s);
  ar = backing__ar(s, 0);
  for (fl = 0; fl < BACKING__FL && !p.off_free_link; fl++)
    for (sl = 0; sl < BACKING__SL && !p.off_free_link; sl++)
      if (ar->heads[fl][sl]) p.off_free_link = fz_file_off(s, 0, ar) + ar->heads[fl][sl] + 16;
  {
    uint32_t x = ar->partial[backing__class_of(64)];
    if (CHECK(x != 0 && backing__slab_at(ar, x)->free != 0))
      p.off_slot_link = fz_file_off(s, 0, ar) + backing__slab_at(ar, x)->free;
    x = ar->partial[backing__class_of(4000)];
    if (CHECK(x != 0)) p.off_partial_link = fz_file_off(s, 0, &backing__slab_at(ar, x)->next);
    if (CHECK(ar->gc_head != 0))
      p.off_wait_link = fz_file_off(s, 0, ar) + ar->gc_head + offsetof(backing__gch, next);
  }
  CLOSE(s);
  if (!CHECK(p.off_free_link && p.off_slot_link && p.off_partial_link && p.off_wait_link)) return;
  snprintf(base, sizeof base, "%s/base.backing", dir);
  for (v = 0; v < 4; v++) {
    static const uint64_t *offs[4];
    char name[16], path[600], vname[16], vpath[600];
    struct fz25_run r;
    unsigned char *before;
    size_t blen;
    backing_config vc;
    backing *t = NULL;
    int st, rc;
    offs[0] = &p.off_free_link;
    offs[1] = &p.off_slot_link;
    offs[2] = &p.off_partial_link;
    offs[3] = &p.off_wait_link;
    snprintf(name, sizeof name, "d%d", v);
    snprintf(path, sizeof path, "%s/%s.backing", dir, name);
    snprintf(vname, sizeof vname, "v%d", v);
    snprintf(vpath, sizeof vpath, "%s/%s.backing", dir, vname);
    CHECK(copy_file(base, path) == 0);
    CHECK(fz_pwrite_u32(path, *offs[v], v == 2 ? 0x3fff8000u : 0x3ffffff0u) == 0);
    CHECK(copy_file(path, vpath) == 0);
    r.dir = dir;
    r.name = name;
    r.p = &p;
    st = fz_run(fz25_ops, &r, 30);
    CHECKF(exited_ok(st), "damaged %s: 200 operations: %s", what[v], status_str(st));
    /* BACKING_VERIFY: the whole check at open, and the store left as it was */
    before = read_whole(vpath, &blen);
    vc = mmap_cfg(dir, vname, 0);
    vc.flags = BACKING_VERIFY;
    rc = backing_open(&t, &vc);
    CHECKF(rc == BACKING_ECORRUPT, "damaged %s: open with BACKING_VERIFY: %s, want ECORRUPT",
           what[v], err_name(rc));
    if (rc == 0) backing_close(t);
    CHECKF(before && fz_same_file(before, blen, vpath),
           "damaged %s: the store refused by BACKING_VERIFY changed", what[v]);
    free(before);
  }
}
