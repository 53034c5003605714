/* crashpoints.c: the crash-point sweep (whitebox). Built on its own with
   -DBACKING_TEST_CRASH_POINTS (tests/run.sh), so that the library calls
   backing_test_crash_point(n) between the stores of every mutating operation; a child
   process runs the self-checking workload of helpers.h and SIGKILLs itself at the k-th hit
   of point n. Afterwards:
     (a) a fresh process opens the store: backing_check passes, every block the child held
         is intact, at most the block in flight is lost, and the store keeps working;
     (b) a process attached before the crash finds the same, its next calls taking the dead
         child's locks over;
     (c) double crash: the process recovering from (a) is itself killed inside the repair
         (points 29, 30), and a third one opens a clean store.
   Also: a store copied while a lock word is held opens without hanging, and a read-only
   open of a store a killed writer left dirty is BACKING_ERECOVER until a writer opens it.
   Usage: crashpoints [test names...]; the last line is `N passed, M failed`. */
#define _GNU_SOURCE
#ifndef BACKING_TEST_CRASH_POINTS
#define BACKING_TEST_CRASH_POINTS
#endif
#define BACKING_IMPLEMENTATION
#include "../backing.h"

/* test.h and helpers.h serve the main suite too: not everything in them is used here */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "test.h"
#include "helpers.h"

#define CP_WARM 400
#define CP_STEPS 6000
#define CP_ARENA (64 * KIB)

/* The crash points, as backing.h lists them (BACKING__CRASH_POINTS: name, number, what is
   true there). Two are inside recovery, reached by crashing a recovering process; the
   map's points are the instruction sweep's (tests/sweep.c), not this workload's, and a
   span's growth in place is crash_huge_grow_in_place_points' (and the sweep's). */
#define CP_ROW(name, n, what) {n, #name, what},
static const struct cp_point {
  int n;
  const char *name, *what;
} cp_points[] = {BACKING__CRASH_POINTS(CP_ROW)};
#undef CP_ROW
#define CP_NPOINTS ((int)(sizeof cp_points / sizeof cp_points[0]))
#define CP_REC0 BACKING__CP_REBUILD_CLEARED /* the first of the two inside recovery */
#define CP_IN_RECOVERY(n) ((n) == BACKING__CP_REBUILD_CLEARED || (n) == BACKING__CP_REBUILD_WALKED)
#define CP_NOT_HERE(n) \
  ((n) == BACKING__CP_MAP_SLOT || (n) == BACKING__CP_MAP_STALE || (n) == BACKING__CP_SPAN_GROWN)

/* ---- the hook ------------------------------------------------------------------------------ */

static int cp_armed, cp_n, cp_k, cp_hang_fd = -1;
static int cp_hits[BACKING__NCRASH + 1];
static int *cp_count; /* shared with the parent: hits per point (the dry run) */

static void (*cp_on)(int n); /* a test's own use of the points (section 7) */

void backing_test_crash_point(int n);
void backing_test_crash_point(int n) {
  if (cp_on) cp_on(n);
  if (!cp_armed || n < 0 || n > BACKING__NCRASH) return;
  cp_hits[n]++;
  if (cp_count) cp_count[n]++;
  if (n == cp_n && cp_hits[n] == cp_k) {
    if (cp_hang_fd >= 0) { /* stop here, lock held, and say so */
      char b = '!';
      if (write(cp_hang_fd, &b, 1) != 1) _exit(3);
      for (;;) pause();
    }
    kill(getpid(), SIGKILL);
    for (;;) pause();
  }
}

/* ---- shared state and the processes ------------------------------------------------------ */

struct cp_shared {
  struct sh_table t;
  int hits[BACKING__NCRASH + 1];
  int ready, go;
  char err[240];
};
static struct cp_shared *cp_sh;

__attribute__((format(printf, 1, 2))) static void cp_err(const char *fmt, ...) {
  va_list ap;
  if (cp_sh->err[0]) return;
  va_start(ap, fmt);
  vsnprintf(cp_sh->err, sizeof cp_sh->err, fmt, ap);
  va_end(ap);
}

static backing_config cp_cfg(const char *dir) {
  return mmap_cfg(dir, "cp", 0);
}

/* The child under test: a store (created if missing), CP_WARM unarmed steps, then up to
   CP_STEPS armed ones. Exits 0 if it was not killed. */
static int cp_workload(const char *dir, int n, int k, int hang_fd) {
  backing_config c = mmap_cfg(dir, "cp", CP_ARENA);
  backing *s = NULL;
  struct sh_opts o;
  int i, rc = backing_open(&s, &c);
  memset(&o, 0, sizeof o);
  o.sole_cycler = 1;
  o.big = 20000;
  if (rc != 0) {
    cp_err("workload open: %s", err_name(rc));
    return 1;
  }
  for (i = 0; i < CP_WARM; i++)
    if (sh_step(s, &cp_sh->t, &o) != 0) return 1;
  cp_n = n;
  cp_k = k;
  cp_hang_fd = hang_fd;
  cp_armed = 1;
  for (i = 0; i < CP_STEPS; i++)
    if (sh_step(s, &cp_sh->t, &o) != 0) return 1;
  cp_armed = 0;
  backing_close(s);
  return 0;
}

/* Verifies a store after a crash with handle s: check, every block of the table, the leak
   bound, then more work and another check. 0 or 1 (error in cp_sh->err). */
static int cp_verify_with(backing *s, const char *who) {
  struct sh_opts o;
  backing_stats st;
  uint64_t held, bound;
  int rc, i;
  memset(&o, 0, sizeof o);
  o.sole_cycler = 1;
  o.big = 20000;
  rc = backing_check(s);
  if (rc != 0) {
    cp_err("%s: backing_check: %s: %.150s", who, err_name(rc), backing_check_detail(s));
    return 1;
  }
  if (sh_adopt(s, &cp_sh->t) != 0) {
    cp_err("%s: %.200s", who, cp_sh->t.err);
    return 1;
  }
  held = sh_held(&cp_sh->t);
  backing_gc_cycle(s);
  backing_gc_cycle(s);
  memset(&st, 0, sizeof st);
  rc = backing_stat(s, &st);
  bound = held + (cp_sh->t.leaks_possible > 1 ? cp_sh->t.leaks_possible : 1);
  if (rc != 0 || st.used_blocks < held || st.used_blocks > bound) {
    cp_err("%s: stat %s: %llu blocks live, the child held %llu (at most %llu allowed)", who,
           err_name(rc), ULL(st.used_blocks), ULL(held), ULL(bound));
    return 1;
  }
  for (i = 0; i < 500; i++) /* the store keeps working, in every arena */
    if (sh_step(s, &cp_sh->t, &o) != 0) {
      cp_err("%s: after recovery: %.200s", who, cp_sh->t.err);
      return 1;
    }
  rc = backing_check(s);
  if (rc != 0) {
    cp_err("%s: backing_check after more work: %s: %.150s", who, err_name(rc),
           backing_check_detail(s));
    return 1;
  }
  return 0;
}

/* A fresh process: open (it is the first: it repairs), verify, close; then the store is
   clean (a read-only open needs no writer). */
static int cp_fresh_verify(const char *dir) {
  backing_config c = cp_cfg(dir);
  backing *s = NULL;
  int rc;
  alarm(20); /* a hang is a failure, not a stuck suite */
  rc = backing_open(&s, &c);
  if (rc != 0) {
    cp_err("fresh open: %s", err_name(rc));
    return 1;
  }
  if (cp_verify_with(s, "fresh process")) return 1;
  rc = backing_close(s);
  if (rc != 0) {
    cp_err("close: %s", err_name(rc));
    return 1;
  }
  rc = rdonly_open_rc(dir, "cp");
  if (rc != 0) {
    cp_err("read-only open after a clean close: %s", err_name(rc));
    return 1;
  }
  return 0;
}

/* Attached before the crash; verifies once cp_sh->go is set. */
static int cp_survivor(const char *dir) {
  backing_config c = mmap_cfg(dir, "cp", CP_ARENA);
  backing *s = NULL;
  int rc = backing_open(&s, &c);
  if (rc != 0) {
    cp_err("survivor open: %s", err_name(rc));
    return 1;
  }
  __atomic_store_n(&cp_sh->ready, 1, __ATOMIC_SEQ_CST);
  while (!__atomic_load_n(&cp_sh->go, __ATOMIC_SEQ_CST)) sleep_ns(200000);
  alarm(20);
  if (cp_verify_with(s, "attached survivor")) return 1;
  rc = backing_close(s); /* the last to leave: repairs and marks it clean */
  if (rc != 0) {
    cp_err("survivor close: %s", err_name(rc));
    return 1;
  }
  return 0;
}

/* Recovery, armed: killed at the k-th hit of point n inside the repair, or exits 0. */
static int cp_recoverer(const char *dir, int n) {
  backing_config c = cp_cfg(dir);
  backing *s = NULL;
  int rc;
  cp_n = n;
  cp_k = 1;
  cp_armed = 1;
  rc = backing_open(&s, &c);
  cp_armed = 0;
  if (rc != 0) {
    cp_err("recovering open: %s", err_name(rc));
    return 1;
  }
  backing_close(s);
  return 0;
}

enum { CP_RUN_WORK, CP_RUN_FRESH, CP_RUN_SURVIVOR, CP_RUN_RECOVER };
static pid_t cp_start(int what, const char *dir, int n, int k) {
  pid_t p, self = getpid();
  fflush(stdout);
  p = fork();
  if (p != 0) return p;
  die_with_parent(self);
  switch (what) {
  case CP_RUN_WORK:
    _exit(cp_workload(dir, n, k, -1));
  case CP_RUN_FRESH:
    _exit(cp_fresh_verify(dir));
  case CP_RUN_SURVIVOR:
    _exit(cp_survivor(dir));
  default:
    _exit(cp_recoverer(dir, n));
  }
}
static int cp_run(int what, const char *dir, int n, int k) {
  return wait_pid(cp_start(what, dir, n, k));
}
static int cp_killed(int st) {
  return st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
}

static void cp_reset(uint64_t seed) {
  memset(cp_sh, 0, sizeof *cp_sh);
  sh_init(&cp_sh->t, 1, seed);
}

/* ---- the sweep ------------------------------------------------------------------------------ */

static const int cp_ks[3] = {1, 2, 5};

/* Every point outside recovery must be reached by the workload. */
TEST(crash_points_reached_by_the_workload) {
  char dir[700], line[400];
  int i, n, st, len = 0, missing = 0;
  cp_sh = (struct cp_shared *)sh_shared_mem(sizeof *cp_sh);
  if (!CHECK(cp_sh != NULL)) return;
  cp_reset(seed_from_env(0xc4a54));
  cp_count = cp_sh->hits;
  st = cp_run(CP_RUN_WORK, test_path(dir, sizeof dir, "dry"), 0, 0);
  cp_count = NULL;
  CHECKF(exited_ok(st), "dry run: %s: %s %s", status_str(st), cp_sh->err, cp_sh->t.err);
  for (i = 0; i < CP_NPOINTS; i++) {
    n = cp_points[i].n;
    if (CP_IN_RECOVERY(n) || CP_NOT_HERE(n)) continue;
    len += snprintf(line + len, sizeof line - (size_t)len, " %d:%d", n, cp_sh->hits[n]);
    if (cp_sh->hits[n] < 5) missing++;
    CHECKF(cp_sh->hits[n] >= 5, "crash point %d (%s) reached %d times by the workload, want >= 5",
           n, cp_points[i].name, cp_sh->hits[n]);
  }
  test_note("hits per point in %d armed steps:%s", CP_STEPS, line);
  (void)missing;
}

struct cp_tally {
  int runs, failures, unreached;
  int rec_runs[2], rec_reached[2], rec_failures[2]; /* double crashes, by point 29 / 30 */
};

static void cp_fail(struct cp_tally *ta, const char *what, int n, int k, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void cp_fail(struct cp_tally *ta, const char *what, int n, int k, const char *fmt, ...) {
  char buf[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  ta->failures++;
  CHECKF(0, "%s: point %d, hit %d: %s", what, n, k, buf);
}

/* (a) one point, one k: crash, then a fresh process. Returns a one-word result. */
static const char *cp_one_fresh(struct cp_tally *ta, int n, int k, uint64_t seed) {
  char dir[700], sub[64];
  int st;
  snprintf(sub, sizeof sub, "a-%d-%d", n, k);
  test_path(dir, sizeof dir, sub);
  cp_reset(seed);
  ta->runs++;
  st = cp_run(CP_RUN_WORK, dir, n, k);
  if (exited_ok(st)) {
    ta->unreached++;
    return "-";
  }
  if (!cp_killed(st)) {
    cp_fail(ta, "fresh", n, k, "workload child: %s: %s %s", status_str(st), cp_sh->err,
            cp_sh->t.err);
    return "FAIL";
  }
  st = cp_run(CP_RUN_FRESH, dir, n, k);
  if (!exited_ok(st)) {
    cp_fail(ta, "fresh", n, k, "verifier: %s: %s", status_str(st), cp_sh->err);
    return "FAIL";
  }
  return "ok";
}

/* (b) one point, one k, with a process attached across the crash. */
static const char *cp_one_attached(struct cp_tally *ta, int n, int k, uint64_t seed) {
  char dir[700], sub[64];
  pid_t surv;
  int st, sst;
  uint64_t t0;
  snprintf(sub, sizeof sub, "b-%d-%d", n, k);
  test_path(dir, sizeof dir, sub);
  cp_reset(seed);
  ta->runs++;
  surv = cp_start(CP_RUN_SURVIVOR, dir, 0, 0);
  t0 = now_ns();
  while (!__atomic_load_n(&cp_sh->ready, __ATOMIC_SEQ_CST) && now_ns() - t0 < 10000000000ull &&
         !cp_sh->err[0])
    sleep_ns(200000);
  st = cp_run(CP_RUN_WORK, dir, n, k);
  __atomic_store_n(&cp_sh->go, 1, __ATOMIC_SEQ_CST);
  sst = wait_pid(surv);
  if (exited_ok(st)) {
    ta->unreached++;
    return "-";
  }
  if (!cp_killed(st)) {
    cp_fail(ta, "attached", n, k, "workload child: %s: %s %s", status_str(st), cp_sh->err,
            cp_sh->t.err);
    return "FAIL";
  }
  if (!exited_ok(sst)) {
    cp_fail(ta, "attached", n, k, "survivor: %s: %s", status_str(sst), cp_sh->err);
    return "FAIL";
  }
  st = cp_run(CP_RUN_FRESH, dir, n, k); /* and after it left, a fresh process */
  if (!exited_ok(st)) {
    cp_fail(ta, "attached", n, k, "fresh process after the survivor: %s: %s", status_str(st),
            cp_sh->err);
    return "FAIL";
  }
  return "ok";
}

/* (c) crash at n, the recovering process killed at point r (29 or 30), then a fresh one. */
static const char *cp_one_double(struct cp_tally *ta, int n, int r, uint64_t seed) {
  char dir[700], sub[64];
  int st, reached;
  snprintf(sub, sizeof sub, "c-%d-%d", n, r);
  test_path(dir, sizeof dir, sub);
  cp_reset(seed);
  ta->runs++;
  st = cp_run(CP_RUN_WORK, dir, n, 2);
  if (!cp_killed(st)) {
    if (exited_ok(st)) {
      ta->unreached++;
      return "-";
    }
    cp_fail(ta, "double", n, r, "workload child: %s: %s %s", status_str(st), cp_sh->err,
            cp_sh->t.err);
    return "FAIL";
  }
  st = cp_run(CP_RUN_RECOVER, dir, r, 1);
  if (!cp_killed(st) && !exited_ok(st)) {
    cp_fail(ta, "double", n, r, "recovering process: %s: %s", status_str(st), cp_sh->err);
    return "FAIL";
  }
  reached = cp_killed(st);
  if (!reached) ta->unreached++; /* nothing to repair at n (no arena lock held) */
  ta->rec_runs[r - CP_REC0]++;
  ta->rec_reached[r - CP_REC0] += reached;
  st = cp_run(CP_RUN_FRESH, dir, n, 1);
  if (!exited_ok(st)) {
    ta->rec_failures[r - CP_REC0]++;
    cp_fail(ta, "double", n, r, "third process: %s: %s", status_str(st), cp_sh->err);
    return "FAIL";
  }
  return reached ? "ok" : "ok/-";
}

TEST(crash_sweep) {
  struct cp_tally a, b, c;
  uint64_t seed = seed_from_env(0xc4a54), t0 = now_ns();
  int i, n, j, points = 0, swept = 0;
  cp_sh = (struct cp_shared *)sh_shared_mem(sizeof *cp_sh);
  if (!CHECK(cp_sh != NULL)) return;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  memset(&c, 0, sizeof c);
  for (i = 0; i < CP_NPOINTS; i++) {
    const char *ra[3] = {"", "", ""}, *rb[3] = {"", "", ""}, *rc[2] = {"", ""};
    int before = a.failures + b.failures + c.failures;
    n = cp_points[i].n;
    if (CP_NOT_HERE(n)) continue;
    swept++;
    if (CP_IN_RECOVERY(n)) { /* inside recovery: the double crashes of every row above */
      printf("  point %2d (inside recovery): the recovering process was killed there in %d of "
             "%d double-crash runs (the others had no arena to repair); failures %d\n",
             n, c.rec_reached[n - CP_REC0], c.rec_runs[n - CP_REC0], c.rec_failures[n - CP_REC0]);
      CHECKF(c.rec_reached[n - CP_REC0] >= 20, "recovery point %d reached only %d times", n,
             c.rec_reached[n - CP_REC0]);
      points += c.rec_failures[n - CP_REC0] == 0 && c.rec_reached[n - CP_REC0] > 0;
      continue;
    }
    for (j = 0; j < 3; j++) ra[j] = cp_one_fresh(&a, n, cp_ks[j], seed);
    for (j = 0; j < 3; j++) rb[j] = cp_one_attached(&b, n, cp_ks[j], seed);
    for (j = 0; j < 2; j++) rc[j] = cp_one_double(&c, n, CP_REC0 + j, seed);
    printf("  point %2d: fresh open k=1,2,5: %-4s %-4s %-4s attached: %-4s %-4s %-4s "
           "double (29, 30): %-4s %-4s %s\n",
           n, ra[0], ra[1], ra[2], rb[0], rb[1], rb[2], rc[0], rc[1], cp_points[i].name);
    fflush(stdout);
    points += a.failures + b.failures + c.failures == before;
  }
  printf("crash points: %d clean of %d swept; runs: fresh %d, attached %d, double %d; "
         "failures %d; runs whose point was not reached %d; %.1f s\n",
         points, swept, a.runs, b.runs, c.runs, a.failures + b.failures + c.failures,
         a.unreached + b.unreached + c.unreached, (double)(now_ns() - t0) / 1e9);
}

/* ---- 5. a store copied while a lock word is held ------------------------------------------- */

static int cp_open_copy(const char *dir) {
  alarm(10); /* must not wait for a lock nobody will ever give back */
  return cp_fresh_verify(dir);
}

TEST(crash_stale_lock_in_a_copied_store) {
  char dir[700], cdir[700], cdir2[700], from[800], to[800];
  static struct sh_table saved;
  int st, fds[2];
  pid_t p, self = getpid();
  char b;
  cp_sh = (struct cp_shared *)sh_shared_mem(sizeof *cp_sh);
  if (!CHECK(cp_sh != NULL)) return;
  /* the owner is dead: killed at point 12 (slab slot taken, arena lock held) */
  cp_reset(seed_from_env(0x57a1e));
  test_path(dir, sizeof dir, "orig");
  st = cp_run(CP_RUN_WORK, dir, 12, 3);
  if (!CHECKF(cp_killed(st), "child: %s (%s)", status_str(st), cp_sh->t.err)) return;
  test_path(cdir, sizeof cdir, "copy");
  CHECK(mkdir(cdir, 0700) == 0);
  snprintf(from, sizeof from, "%s/cp.backing", dir);
  snprintf(to, sizeof to, "%s/cp.backing", cdir);
  CHECK(copy_file(from, to) == 0);
  CHECK_EQ(rdonly_open_rc(cdir, "cp"), BACKING_ERECOVER);
  fflush(stdout);
  p = fork();
  if (p == 0) {
    die_with_parent(self);
    _exit(cp_open_copy(cdir));
  }
  st = wait_pid(p);
  CHECKF(exited_ok(st), "opening the copy: %s: %s", status_str(st), cp_sh->err);
  /* the owner is alive and stopped inside alloc, its lock held, while the file is copied */
  cp_sh->err[0] = 0;
  cp_reset(seed_from_env(0x57a1e) + 1);
  test_path(dir, sizeof dir, "orig2");
  if (!CHECK(pipe(fds) == 0)) return;
  fflush(stdout);
  p = fork();
  if (p == 0) {
    die_with_parent(self);
    close(fds[0]);
    _exit(cp_workload(dir, 12, 3, fds[1]));
  }
  close(fds[1]);
  if (CHECKF(read(fds[0], &b, 1) == 1, "the child did not stop at point 12: %s", cp_sh->t.err)) {
    test_path(cdir2, sizeof cdir2, "copy2");
    CHECK(mkdir(cdir2, 0700) == 0);
    saved = cp_sh->t; /* the copy's verification goes on working on the table */
    snprintf(from, sizeof from, "%s/cp.backing", dir);
    snprintf(to, sizeof to, "%s/cp.backing", cdir2);
    CHECK(copy_file(from, to) == 0);
    st = cp_run(CP_RUN_FRESH, cdir2, 0, 0); /* the copy, while the owner still lives */
    CHECKF(exited_ok(st), "opening the copy of a store in use: %s: %s", status_str(st), cp_sh->err);
  }
  close(fds[0]);
  kill(p, SIGKILL);
  wait_pid(p);
  cp_sh->err[0] = 0;
  cp_sh->t = saved;
  st = cp_run(CP_RUN_FRESH, dir, 0, 0); /* and the original, once its owner is gone */
  CHECKF(exited_ok(st), "reopening the original: %s: %s", status_str(st), cp_sh->err);
}

/* ---- 6b. read-only opens after a writer died mid-operation --------------------------------- */

TEST(crash_rdonly_open_needs_a_writer_first) {
  char dir[700];
  int n, st;
  backing_config c;
  backing *s;
  cp_sh = (struct cp_shared *)sh_shared_mem(sizeof *cp_sh);
  if (!CHECK(cp_sh != NULL)) return;
  for (n = 11; n <= 14; n++) { /* inside alloc and free, arena lock held */
    char sub[32];
    snprintf(sub, sizeof sub, "r%d", n);
    test_path(dir, sizeof dir, sub);
    cp_reset(seed_from_env(0x40));
    st = cp_run(CP_RUN_WORK, dir, n, 2);
    if (!CHECKF(cp_killed(st), "point %d: child %s", n, status_str(st))) continue;
    CHECK_EQ(rdonly_open_rc(dir, "cp"), BACKING_ERECOVER);
    c = cp_cfg(dir);
    s = OPEN(&c);
    if (!s) continue;
    CHECK_STORE(s);
    CHECKF(sh_adopt(s, &cp_sh->t) == 0, "point %d: %s", n, cp_sh->t.err);
    CLOSE(s);
    CHECK_EQ(rdonly_open_rc(dir, "cp"), 0);
  }
}

/* ---- 7. a map writer stalled past the GC's grace ------------------------------------------ */

/* A map writer reads the directory, then stalls (descheduled, stopped in a debugger) while
   others split the segment it read, the GC frees it and the block is reused, here as a
   4 KiB entry. When it goes on, it must write nothing into that block. It used to lock a
   word inside the segment and write the counts there: the entry's key length and kind
   became a lock word, and a settled key vanished or its bytes changed (1 run in 20 of
   cont_map_random_kills under ASan). The writer now locks a stripe of the map header and
   checks the segment under it. The stall is played in the hook at MAP_STALE, by the same
   handle (it holds no lock there). */
static struct {
  backing *s;
  backing_addr m, seg, big;
  int done, reused;
  unsigned char before[4096];
} cp_st;

static void cp_stall(int n) {
  backing__maph *h;
  backing_value v;
  static unsigned char bytes[4096];
  uint64_t sp;
  uint32_t i;
  char key[32];
  if (n != BACKING__CP_MAP_STALE || cp_st.done) return;
  cp_st.done = 1;
  h = (backing__maph *)backing_ptr(cp_st.s, cp_st.m);
  cp_st.seg = ((uint64_t *)backing_ptr(cp_st.s, h->dir))[1]; /* what the writer read */
  sp = h->splits;
  v.kind = BACKING_VALUE_I64;
  for (i = 0; h->splits == sp && i < 10000; i++) { /* meanwhile: it splits */
    snprintf(key, sizeof key, "fill%u", i);
    v.i64 = i;
    if (backing_map_put(cp_st.s, cp_st.m, key, strlen(key), &v) != 0) return;
  }
  for (i = 0; i < 4; i++) backing_gc_cycle(cp_st.s); /* it is freed */
  memset(bytes, 0x5a, sizeof bytes);
  memset(&v, 0, sizeof v);
  v.kind = BACKING_VALUE_BYTES; /* its block reused: a 16 + 3 + 1 + 4075 + 1 byte entry */
  v.data = bytes;
  v.len = 4096 - 16 - 3 - 1 - 1;
  if (backing_map_put(cp_st.s, cp_st.m, "big", 3, &v) != 0) return;
  cp_st.reused = backing__obj_at(cp_st.s, cp_st.seg, BACKING__T_ENT, NULL, 0) != NULL;
  if (cp_st.reused) memcpy(cp_st.before, backing_ptr(cp_st.s, cp_st.seg), 4096);
}

/* Ten keys settled in map m, then one more put ("late" = 42) while hook plays a stall at
   the map's crash points. */
static void cp_put_under_stall(backing *s, backing_addr m, void (*hook)(int)) {
  backing_value v;
  uint32_t i;
  char key[32];
  v.kind = BACKING_VALUE_I64;
  for (i = 0; i < 10; i++) {
    snprintf(key, sizeof key, "settled%u", i);
    v.i64 = i;
    CHECK_OK(backing_map_put(s, m, key, strlen(key), &v));
  }
  cp_on = hook;
  v.i64 = 42;
  CHECK_OK(backing_map_put(s, m, "late", 4, &v));
  cp_on = NULL;
}

TEST(map_writer_stalled_past_the_gc_grace) {
  backing *s = OPEN_MEMORY(1 * MIB, 0);
  backing_value got;
  uint32_t i;
  char key[32];
  if (!s) return;
  memset(&cp_st, 0, sizeof cp_st);
  cp_st.s = s;
  cp_st.m = backing_map_new(s, 0);
  if (!CHECK(cp_st.m != 0)) goto out;
  cp_put_under_stall(s, cp_st.m, cp_stall);
  if (!CHECKF(cp_st.done && cp_st.reused,
              "setup: the segment's block was not reused as an entry (stall played: %d)",
              cp_st.done))
    goto out;
  CHECKF(memcmp(backing_ptr(s, cp_st.seg), cp_st.before, 4096) == 0,
         "the stalled writer wrote into the block its segment became");
  memset(&got, 0, sizeof got);
  CHECK_OK(backing_map_get(s, cp_st.m, "late", 4, &got));
  CHECK_EQ(got.i64, 42);
  CHECK_OK(backing_map_get(s, cp_st.m, "big", 3, &got));
  CHECK_EQ(got.len, 4096 - 21);
  for (i = 0; i < 10; i++) {
    snprintf(key, sizeof key, "settled%u", i);
    memset(&got, 0, sizeof got);
    CHECKF(backing_map_get(s, cp_st.m, key, strlen(key), &got) == 0 && got.i64 == (int64_t)i, "%s",
           key);
  }
  CHECK_OK(backing_map_check(s, cp_st.m));
  CHECK_STORE(s);
out:
  cp_on = NULL;
  CHECK_CLOSE(s);
}

/* ---- 8. a stalled writer of map A meets a segment of map B at its stale address ---------- */

/* Stripes are per map, and a segment's block may be reused by another map: a writer of A
   stalled past the grace period comes back to an address that is now B's segment. It
   holds A's stripe, not B's, so it must write nothing there: it checks that A's directory
   names the address (or A's retired segment whose half it is) before it touches the
   segment. Played in the hook: B's segment left busy by B's writer (mode 0), or retired
   by B's splitter that died before it was done (mode 1); mode 2 is the control (found by
   a review: before the check, mode 0 recounted B's segment under A's stripe and mode 1
   gave B's segment back and broke B's directory). */
static struct {
  backing *s;
  backing_addr a, b, seg;
  int done, reused, mode; /* mode 0: B's segment busy; 1: B's splitter gave up after split[0] */
  int bput;
  unsigned char before[4096];
} xr;

static void xr_stall(int n) {
  backing__maph *ha, *hb;
  backing_value v;
  uint64_t sp, *bdir;
  uint32_t i;
  char key[32];
  if (n != BACKING__CP_MAP_STALE || xr.done) return;
  xr.done = 1;
  ha = (backing__maph *)backing_ptr(xr.s, xr.a);
  xr.seg = ((uint64_t *)backing_ptr(xr.s, ha->dir))[1]; /* what A's writer read */
  sp = ha->splits;
  v.kind = BACKING_VALUE_I64;
  for (i = 0; ha->splits == sp && i < 10000; i++) { /* A splits: seg retired */
    snprintf(key, sizeof key, "fill%u", i);
    v.i64 = i;
    if (backing_map_put(xr.s, xr.a, key, strlen(key), &v) != 0) return;
  }
  for (i = 0; i < 4; i++) backing_gc_cycle(xr.s); /* seg freed */
  xr.b = backing_map_new(xr.s, 0);                /* map B: its one segment */
  if (!xr.b) return;
  hb = (backing__maph *)backing_ptr(xr.s, xr.b);
  bdir = (uint64_t *)backing_ptr(xr.s, hb->dir);
  xr.reused = bdir[1] == xr.seg;
  if (!xr.reused) return;
  for (i = 0; i < 50; i++) {
    snprintf(key, sizeof key, "b%u", i);
    v.i64 = i;
    if (backing_map_put(xr.s, xr.b, key, strlen(key), &v) != 0) return;
  }
  if (xr.mode == 0) {
    /* B's writer is between busy = 1 and busy = 0 (its count update still to come) */
    backing__seg *g = (backing__seg *)backing_ptr(xr.s, xr.seg);
    g->busy = 1;
    g->live += 7; /* (marks the counts so that a recount shows) */
  } else {
    /* B's splitter stops after split[0] (its mforward fails: the thread holds B's directory
       lock; a SIGKILL there leaves the same state, with B's stripe held by a dead owner) */
    backing__seg *g = (backing__seg *)backing_ptr(xr.s, xr.seg);
    for (i = 0; i < 2000; i++) { /* used near 3/4, live low: the next miss rebuilds */
      snprintf(key, sizeof key, "t%u", i);
      v.i64 = i;
      if (g->used >= 379) break;
      if (backing_map_put(xr.s, xr.b, key, strlen(key), &v) != 0) return;
      if (i % 4) backing_map_del(xr.s, xr.b, key, strlen(key));
    }
    hb->lock = xr.s->lock_id | backing__tid();
    sp = hb->splits;
    for (i = 0; hb->splits == sp && i < 2000; i++) {
      snprintf(key, sizeof key, "u%u", i);
      v.i64 = i;
      xr.bput = backing_map_put(xr.s, xr.b, key, strlen(key), &v);
    }
    hb->lock = 0;
    if (xr.mode == 2) { /* control: B's own next writer finishes the split */
      v.i64 = 7;
      xr.bput = backing_map_put(xr.s, xr.b, "after", 5, &v);
      test_note("control: B's next put (no stalled A writer): %s; count %d", err_name(xr.bput),
                ((backing__gch *)backing_ptr(xr.s, xr.seg - 16))->count);
      xr.reused = 0;
      return;
    }
  }
  memcpy(xr.before, backing_ptr(xr.s, xr.seg), 4096);
}

static void xr_run(int mode) {
  backing *s = OPEN_MEMORY(1 * MIB, 0);
  backing_value v, got;
  backing__gch *gh;
  uint32_t i;
  int r;
  if (!s) return;
  memset(&xr, 0, sizeof xr);
  xr.s = s;
  xr.mode = mode;
  xr.a = backing_map_new(s, 0);
  v.kind = BACKING_VALUE_I64;
  cp_put_under_stall(s, xr.a, xr_stall);
  if (mode == 2) { /* the control: B's own next writer finished B's split */
    CHECKF(xr.done && xr.bput == 0, "control: B's next put: %s", err_name(xr.bput));
    CHECK_OK(backing_map_check(s, xr.b));
    goto out;
  }
  if (!CHECKF(xr.done && xr.reused, "setup: B's segment not at the stale address")) goto out;
  gh = (backing__gch *)backing_ptr(s, xr.seg - 16);
  test_note("mode %d: B's put in the hook returned %s; B segment count now %d, split[0]=%llu", mode,
            err_name(xr.bput), gh->count,
            (unsigned long long)((backing__seg *)backing_ptr(s, xr.seg))->split[0]);
  CHECKF(memcmp(backing_ptr(s, xr.seg), xr.before, 4096) == 0,
         "A's stalled writer wrote into map B's segment");
  CHECKF(gh->count == 1, "A's stalled writer took map B's segment's reference (count %d)",
         gh->count);
  if (mode == 1) {
    v.i64 = 7;
    r = backing_map_put(s, xr.b, "after", 5, &v);
    CHECKF(r == 0, "B's next put: %s", err_name(r));
    for (i = 0; i < 4; i++) backing_gc_cycle(s);
    r = backing_map_check(s, xr.b);
    CHECKF(r == 0, "map B check after GC: %s (%s)", err_name(r), s->detail);
    test_note("after GC: S block count %d (B's directory still names it: %d)", gh->count,
              ((uint64_t *)backing_ptr(s, ((backing__maph *)backing_ptr(s, xr.b))->dir))[1] ==
                  xr.seg);
    {
      static char z[4075];
      backing_addr str;
      memset(z, 'Z', sizeof z);
      str = backing_str_new(s, z, sizeof z);
      test_note("a new string at %llu (S was %llu)", (unsigned long long)str,
                (unsigned long long)xr.seg);
    }
    r = backing_map_check(s, xr.b);
    CHECKF(r == 0, "map B check after GC: %s (%s)", err_name(r), s->detail);
    memset(&got, 0, sizeof got);
    r = backing_map_get(s, xr.b, "b3", 2, &got);
    CHECKF(r == 0 && got.i64 == 3, "B get b3: %s", err_name(r));
  }
out:
  cp_on = NULL;
  CHECK_CLOSE(s);
}

TEST(map_stale_writer_of_another_map_busy) {
  xr_run(0);
}
TEST(map_stale_writer_of_another_map_retired) {
  xr_run(1);
}
TEST(map_stale_writer_of_another_map_control) {
  xr_run(2);
}

/* ---- 9. a root writer killed mid-name, its slot reclaimed by the next opener ------------- */

/* The reclaimer lets the dead writer's store lock go (it is not taken over), so the
   roots' sequence count must be made even by whoever takes the store lock next, not only
   by one that steals it: else every lookup waits out its retries, for good (found by a
   review). */
TEST(roots_sequence_even_after_a_reclaimed_writer) {
  backing_config c = mmap_cfg(test_dir(), "rv", 64 * KIB);
  backing *s1 = NULL, *s3 = NULL;
  backing_addr a;
  pid_t pid;
  int st, i;
  uint64_t v;
  struct timespec t0, t1;
  if (!CHECK_OK(backing_open(&s1, &c))) return;
  a = backing_alloc(s1, 16); /* s1 joins: slot 0 */
  CHECK_OK(backing_root_set(s1, "keep", a));
  pid = fork();
  if (pid == 0) {
    backing *s = NULL;
    if (backing_open(&s, &c) != 0) _exit(2);
    cp_n = BACKING__CP_ROOT_NAMED;
    cp_k = 1;
    cp_armed = 1;
    backing_root_set(s, "child", a);
    _exit(3); /* not reached */
  }
  waitpid(pid, &st, 0);
  CHECKF(WIFSIGNALED(st), "child was not killed (status %d)", st);
  v = backing__st(s1)->roots_ver;
  test_note("after the kill: roots_ver %llu, store lock slot %llu", (unsigned long long)v,
            (unsigned long long)(backing__st(s1)->lock >> 54));
  pid = fork();
  if (pid == 0) { /* a second process: claims the dead child's slot */
    backing *s = NULL;
    if (backing_open(&s, &c) != 0) _exit(2);
    if (backing_root_set(s, "other", a) != 0) _exit(4);
    test_note("reclaimer: slot %d, roots_ver %llu after its root_set", s->slot,
              (unsigned long long)backing__st(s)->roots_ver);
    fflush(stdout);
    backing_close(s);
    _exit(0);
  }
  waitpid(pid, &st, 0);
  CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "reclaimer status %d", st);
  v = backing__st(s1)->roots_ver;
  CHECKF(!(v & 1), "roots_ver %llu is odd with no root writer alive", (unsigned long long)v);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (i = 0; i < 1000; i++) CHECK_EQ(backing_root_get(s1, "keep"), a);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  test_note("1000 root_get: %.1f ms",
            (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
  backing_close(s1);
  s1 = NULL;
  if (!CHECK_OK(backing_open(&s3, &c))) goto out;
  v = backing__st(s3)->roots_ver;
  test_note("next session, after clean closes: roots_ver %llu", (unsigned long long)v);
  CHECKF(!(v & 1), "roots_ver still odd in the next session");
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (i = 0; i < 1000; i++) CHECK_EQ(backing_root_get(s3, "keep"), a);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  test_note("1000 root_get: %.1f ms",
            (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
  CHECK_OK(backing_check(s3));
out:
  if (s3) backing_close(s3);
  if (s1) backing_close(s1);
}

/* ---- 10. a process killed while it makes or frees a span (BACKING_HUGE) ------------------ */

/* The points on a huge block's way: the span's memory there, not formatted; its head
   formatted, not counted; the head's block carved from the top; the block freed, not yet
   merged. The next open repairs, the store checks, and huge blocks work after it (a span
   left behind is taken again, not lost). */
/* The child was to die at crash point `point`: that it did, then the store opened (the
   open repairs) and checked. The handle, or NULL. */
static backing *cp_reopen_after(pid_t pid, int point, const backing_config *c) {
  backing *s;
  int st = wait_pid(pid);
  if (!CHECKF(cp_killed(st), "point %d: the child %s", point, status_str(st))) return NULL;
  s = OPEN(c);
  if (s) CHECK_STORE(s);
  return s;
}

TEST(crash_huge_span_points) {
  static const int points[] = {BACKING__CP_GROW_EXTENDED, BACKING__CP_GROW_FORMATTED,
                               BACKING__CP_CARVE_TOP, BACKING__CP_RELEASE_MARKED};
  unsigned p;
  for (p = 0; p < sizeof points / sizeof points[0]; p++) {
    char dir[700], sub[32];
    backing_config c;
    backing *s;
    backing_addr a, b;
    uint64_t arenas;
    pid_t pid;
    snprintf(sub, sizeof sub, "huge%d", points[p]);
    c = mmap_cfg(test_path(dir, sizeof dir, sub), "hs", 64 * KIB);
    c.flags |= BACKING_HUGE;
    s = OPEN(&c);
    if (!s) return;
    CHECK(backing_alloc(s, 100) != 0); /* (joined: the store is dirty at the crash) */
    CLOSE(s);
    pid = fork();
    if (pid == 0) {
      backing *u = NULL;
      backing_addr h = 0;
      if (backing_open(&u, &c) != 0) _exit(2);
      if (points[p] == BACKING__CP_RELEASE_MARKED && (h = backing_alloc(u, 200 * KIB)) == 0)
        _exit(3);
      cp_n = points[p];
      cp_k = 1;
      cp_armed = 1;
      if (h)
        backing_free(u, h);
      else
        (void)backing_alloc(u, 200 * KIB);
      _exit(4); /* not reached: killed at the point */
    }
    if ((s = cp_reopen_after(pid, points[p], &c)) == NULL) continue;
    arenas = stat_of(s).arena_count;
    a = backing_alloc(s, 150 * KIB);
    CHECKF(a != 0, "point %d: a huge block after the crash: %s", points[p],
           err_name(backing_last_error()));
    b = backing_alloc(s, 150 * KIB);
    CHECK(b != 0 && b != a);
    test_note("point %d: %llu arenas after the crash, %llu after two huge blocks", points[p],
              ULL(arenas), ULL(stat_of(s).arena_count));
    CHECK_STORE(s);
    CHECK(backing_free(s, a) > 0 && backing_free(s, b) > 0);
    CHECK_STORE(s);
    CLOSE(s);
  }
}

/* Killed while realloc grows a huge block in place (the store's last span): its arenas
   made, or its head's span raised past the store's count. The block keeps its old size
   and bytes; the next growth either grows it again (realloc) or trims the span and adds
   arenas after it (any other allocation), and the store checks all along. */
TEST(crash_huge_grow_in_place_points) {
  static const int points[] = {BACKING__CP_GROW_EXTENDED, BACKING__CP_SPAN_GROWN};
  unsigned p, then;
  for (p = 0; p < sizeof points / sizeof points[0]; p++)
    for (then = 0; then < 2; then++) {
      char dir[700], sub[32];
      backing_config c;
      backing *s;
      backing_addr a, b;
      uint64_t got;
      pid_t pid;
      snprintf(sub, sizeof sub, "hgrow%d-%u", points[p], then);
      c = mmap_cfg(test_path(dir, sizeof dir, sub), "hg", 64 * KIB);
      c.flags |= BACKING_HUGE;
      s = OPEN(&c);
      if (!s) return;
      a = backing_alloc(s, 150 * KIB);
      if (!CHECK(a != 0)) {
        CLOSE(s);
        return;
      }
      got = backing_sizeof(s, a);
      fill_pattern(backing_ptr(s, a), got, 7);
      CLOSE(s);
      pid = fork();
      if (pid == 0) {
        backing *u = NULL;
        if (backing_open(&u, &c) != 0) _exit(2);
        cp_n = points[p];
        cp_k = 1;
        cp_armed = 1;
        (void)backing_realloc(u, a, 400 * KIB);
        _exit(4); /* not reached: killed at the point */
      }
      if ((s = cp_reopen_after(pid, points[p], &c)) == NULL) continue;
      CHECKF(backing_sizeof(s, a) == got, "point %d: sizeof %llu after the crash, was %llu",
             points[p], ULL(backing_sizeof(s, a)), ULL(got));
      CHECK_PATTERN(backing_ptr(s, a), got, 7);
      if (then == 0) { /* grows again */
        CHECK_EQ(backing_realloc(s, a, 400 * KIB), a);
        CHECK(backing_sizeof(s, a) >= 400 * KIB);
        CHECK_PATTERN(backing_ptr(s, a), got, 7);
      } else { /* a span after it: the dead growth's span is trimmed first */
        b = backing_alloc(s, 100 * KIB);
        CHECK(b != 0 && b >= a + got);
        CHECK_EQ(backing_sizeof(s, a), got);
        CHECK_STORE(s);
        b = backing_realloc(s, a, 400 * KIB); /* not the last span now: it moves */
        CHECK(b != 0 && b != a);
        if (b) CHECK_PATTERN(backing_ptr(s, b), got, 7);
      }
      CHECK_STORE(s);
      CLOSE(s);
      s = OPEN(&c); /* and a fresh handle agrees */
      if (s) {
        CHECK_STORE(s);
        CLOSE(s);
      }
    }
}

int main(int argc, char **argv) {
  return test_main(argc, argv);
}
