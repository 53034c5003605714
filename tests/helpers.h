/* helpers.h: helpers shared by the suites (included by main.c after backing.h and test.h). */
#ifndef HELPERS_H_INCLUDED
#define HELPERS_H_INCLUDED

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>

#define KIB (1024ull)
#define MIB (1024ull * 1024ull)
#define GIB (1024ull * 1024ull * 1024ull)

/* The largest block, as documented in backing.h ("Vital statistics"): arena_size - H - 16
   with H = round_up(2304 + 320 * arena_size / 32768, 4096). backing_stats.max_block reports
   it too; alloc_max_block_matches_the_formula checks that the two agree. */
static uint64_t max_block(uint64_t arena_size) {
  uint64_t h = 2304 + 320 * (arena_size / 32768);
  h = (h + 4095) & ~(uint64_t)4095;
  return arena_size - h - 16;
}

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
    return test__check(0, file, line, "%s returned %llu (0x%llx), want 0 with %s", expr,
                       (unsigned long long)got, (unsigned long long)got, err_name(want));
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

/* ---- configs and handles ---------------------------------------------------------------- */

static backing_config mem_cfg(uint64_t arena_size, uint64_t max_size) {
  backing_config c;
  memset(&c, 0, sizeof c);
  c.source = BACKING_SOURCE_MEMORY;
  c.arena_size = arena_size;
  c.max_size = max_size;
  return c;
}
static backing_config mmap_cfg(const char *dir, const char *name, uint64_t arena_size) {
  backing_config c;
  memset(&c, 0, sizeof c);
  c.source = BACKING_SOURCE_MMAP;
  c.dirname = dir;
  c.name = name;
  c.arena_size = arena_size;
  return c;
}
/* Opens or records a failure and returns NULL. */
#define OPEN(cfgp) open_(cfgp, __FILE__, __LINE__)
static backing *open_(const backing_config *c, const char *file, int line) {
  backing *s = NULL;
  int rc = backing_open(&s, c);
  if (!test__check(rc == 0 && s != NULL, file, line, "backing_open failed: %s", err_name(rc)))
    return NULL;
  return s;
}
#define CLOSE(s) CHECK_OK(backing_close(s))
#define CHECK_STORE(s) check_store_(s, __FILE__, __LINE__)
static int check_store_(backing *s, const char *file, int line) {
  int rc = backing_check(s);
  const char *d = rc ? backing_check_detail(s) : "";
  return test__check(rc == 0, file, line, "backing_check: %s (%s)", err_name(rc), d ? d : "(null)");
}
static backing_stats stat_of(backing *s) {
  backing_stats st;
  int rc;
  memset(&st, 0, sizeof st);
  rc = backing_stat(s, &st);
  test__check(rc == 0, __FILE__, __LINE__, "backing_stat: %s", err_name(rc));
  return st;
}

/* ---- patterns ---------------------------------------------------------------------------- */

static uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}
static unsigned char pattern_byte(uint64_t key, uint64_t i) {
  return (unsigned char)(mix64(key * 0x9e3779b97f4a7c15ull + (i >> 3)) >> ((i & 7) * 8));
}
static void fill_pattern(void *p, uint64_t n, uint64_t key) {
  unsigned char *b = (unsigned char *)p;
  uint64_t i;
  for (i = 0; i < n; i++) b[i] = pattern_byte(key, i);
}
/* Index of the first byte that differs from the pattern, or -1. */
static long long find_pattern_mismatch(const void *p, uint64_t n, uint64_t key) {
  const unsigned char *b = (const unsigned char *)p;
  uint64_t i;
  for (i = 0; i < n; i++)
    if (b[i] != pattern_byte(key, i)) return (long long)i;
  return -1;
}
#define CHECK_PATTERN(p, n, key) check_pattern_((p), (n), (key), __FILE__, __LINE__)
static int check_pattern_(const void *p, uint64_t n, uint64_t key, const char *file, int line) {
  long long at;
  if (!test__check(p != NULL, file, line, "pattern check on a NULL pointer")) return 0;
  at = find_pattern_mismatch(p, n, key);
  return test__check(at < 0, file, line, "contents differ at byte %lld of %llu", at,
                     (unsigned long long)n);
}
static int all_bytes_are(const void *p, uint64_t n, unsigned char v) {
  const unsigned char *b = (const unsigned char *)p;
  uint64_t i;
  for (i = 0; i < n; i++)
    if (b[i] != v) return 0;
  return 1;
}

/* xorshift64 */
static uint64_t rng_next(uint64_t *st) {
  uint64_t x = *st;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return *st = x;
}
static uint64_t rng_below(uint64_t *st, uint64_t n) {
  return n ? rng_next(st) % n : 0;
}
static uint64_t seed_from_env(uint64_t dflt) {
  const char *e = getenv("BACKING_SEED");
  uint64_t v;
  if (!e || !*e) return dflt;
  v = strtoull(e, NULL, 0);
  return v ? v : dflt;
}

/* ---- walks --------------------------------------------------------------------------------- */

struct walk_item {
  backing_addr a;
  uint64_t size;
  int state;
};
struct walk_list {
  struct walk_item *items;
  size_t n, cap;
};
static int walk_collect_cb(backing *s, backing_addr a, uint64_t size, int state, void *ctx) {
  struct walk_list *l = (struct walk_list *)ctx;
  (void)s;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 256;
    struct walk_item *p = (struct walk_item *)realloc(l->items, cap * sizeof *p);
    if (!p) return 1;
    l->items = p;
    l->cap = cap;
  }
  l->items[l->n].a = a;
  l->items[l->n].size = size;
  l->items[l->n].state = state;
  l->n++;
  return 0;
}
static struct walk_list walk_collect(backing *s) {
  struct walk_list l;
  int rc;
  memset(&l, 0, sizeof l);
  rc = backing_walk(s, walk_collect_cb, &l);
  test__check(rc == 0, __FILE__, __LINE__, "backing_walk: %s", err_name(rc));
  return l;
}

/* Requires, for every arena, exactly one BACKING_BLOCK_FREE region and no other block, and
   that the walk comes in address order without overlaps. */
#define CHECK_ONE_FREE_REGION_PER_ARENA(s) one_free_region_(s, __FILE__, __LINE__)
static int one_free_region_(backing *s, const char *file, int line) {
  backing_stats st = stat_of(s);
  struct walk_list l = walk_collect(s);
  uint64_t *nfree, *nother, i;
  backing_addr end = 0;
  int ok = 1;
  if (!test__check(st.arena_count > 0 && st.arena_size > 0, file, line, "stat: no arenas"))
    return 0;
  nfree = (uint64_t *)calloc(st.arena_count, sizeof *nfree);
  nother = (uint64_t *)calloc(st.arena_count, sizeof *nother);
  for (i = 0; i < l.n && ok; i++) {
    const struct walk_item *w = &l.items[i];
    uint64_t ar = w->a / st.arena_size;
    ok &= test__check(w->a >= end, file, line, "walk out of order or overlapping at %llu",
                      (unsigned long long)w->a);
    ok &= test__check(ar < st.arena_count, file, line, "walk reports address %llu past %llu arenas",
                      (unsigned long long)w->a, (unsigned long long)st.arena_count);
    if (!ok) break;
    end = w->a + w->size;
    if (w->state == BACKING_BLOCK_FREE)
      nfree[ar]++;
    else
      nother[ar]++;
  }
  for (i = 0; i < st.arena_count && ok; i++) {
    ok &= test__check(nfree[i] == 1 && nother[i] == 0, file, line,
                      "arena %llu: %llu free regions and %llu other blocks, want 1 and 0",
                      (unsigned long long)i, (unsigned long long)nfree[i],
                      (unsigned long long)nother[i]);
  }
  free(nfree);
  free(nother);
  free(l.items);
  return ok;
}

/* ---- files --------------------------------------------------------------------------------- */

static unsigned char *read_whole(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY);
  struct stat st;
  unsigned char *buf;
  size_t got = 0;
  *len = 0;
  if (fd < 0) return NULL;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return NULL;
  }
  buf = (unsigned char *)malloc((size_t)st.st_size + 1);
  while (buf && got < (size_t)st.st_size) {
    ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(fd);
  *len = got;
  return buf;
}
static int write_whole(const char *path, const void *data, size_t len) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  size_t done = 0;
  if (fd < 0) return -1;
  while (done < len) {
    ssize_t w = write(fd, (const char *)data + done, len - done);
    if (w <= 0) {
      close(fd);
      return -1;
    }
    done += (size_t)w;
  }
  return close(fd);
}
static int copy_file(const char *from, const char *to) {
  size_t len;
  unsigned char *b = read_whole(from, &len);
  int rc;
  if (!b) return -1;
  rc = write_whole(to, b, len);
  free(b);
  return rc;
}
static long long file_size(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) return -1;
  return (long long)st.st_size;
}
static int path_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* ---- sharing: a self-checking workload for threads, processes and kills ------------------ */
/* A writer keeps the blocks it holds in a table (struct sh_table). Every block is filled
   with a self-describing pattern: for 16 bytes and more a header {0xB10C0000 | writer id,
   sequence number, length}, then bytes derived from (writer, sequence, length). Each table
   entry has a state that is stored before and after every call, so that when the writer is
   killed at any instant (the table lives in shared memory), another process knows exactly
   which blocks must be intact and which one was in flight. */

#include <sys/mman.h>
#include <time.h>

#define SH_CAP 160
#define SH_ROOTS 3
enum sh_state {
  SH_EMPTY = 0,
  SH_ALLOCING,   /* alloc in flight: the block may or may not exist (a leak) */
  SH_FILLING,    /* allocated, contents being written */
  SH_LIVE,       /* plain block, pattern complete */
  SH_FREEING,    /* free in flight */
  SH_REALLOCING, /* realloc in flight */
  SH_GC_LIVE,    /* GC block, count 1, pattern complete */
  SH_GC_REFING,  /* count going 1 -> 2 */
  SH_GC_TWO,     /* count 2 */
  SH_GC_UNREFING /* count going 2 -> 1 */,
  SH_GC_DROPPING /* unref to 0 (and maybe gc_free) in flight */
};
struct sh_ent {
  uint64_t addr;
  uint32_t len, seq, state, kind; /* kind 1: GC block */
};
struct sh_table {
  uint32_t id, errors;
  uint64_t seq, rng, ops, adopted, leaks_possible;
  uint64_t root_val[SH_ROOTS], root_pending[SH_ROOTS];
  uint32_t root_busy[SH_ROOTS], pad;
  char err[240];
  struct sh_ent e[SH_CAP];
};
struct sh_opts {
  int sole_cycler;         /* may gc_cycle, gc_free and gc_alloc with refs 0 */
  uint32_t big;            /* largest request (default 5000) */
  backing_addr *shared_gc; /* blocks every writer refs and unrefs (count stays >= 1) */
  int nshared;             /* how many */
  int no_roots;            /* skip the root operations */
};

#define SH_BARRIER() __atomic_signal_fence(__ATOMIC_SEQ_CST)
static void sh_set_state(struct sh_ent *e, uint32_t st) {
  SH_BARRIER();
  __atomic_store_n(&e->state, st, __ATOMIC_RELEASE);
  SH_BARRIER();
}

static void *sh_shared_mem(size_t n) {
  void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  memset(p, 0, n);
  return p;
}

__attribute__((format(printf, 2, 3))) static void sh_fail(struct sh_table *t, const char *fmt,
                                                          ...) {
  va_list ap;
  if (t->errors++ == 0) {
    int n =
        snprintf(t->err, sizeof t->err, "writer %u op %llu: ", t->id, (unsigned long long)t->ops);
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof t->err)
      vsnprintf(t->err + n, sizeof t->err - (size_t)n, fmt, ap);
    va_end(ap);
  }
}

static uint64_t sh_key(uint32_t id, uint32_t seq, uint32_t len) {
  return mix64((uint64_t)id << 48 ^ (uint64_t)seq << 16 ^ len ^ 0x5ba5eull);
}
static unsigned char sh_byte(uint32_t id, uint32_t seq, uint32_t len, uint64_t key, uint32_t i) {
  if (len >= 16 && i < 16) {
    uint32_t h[4];
    h[0] = 0xB10C0000u | (id & 0xffffu);
    h[1] = seq;
    h[2] = len;
    h[3] = 0;
    return ((const unsigned char *)h)[i];
  }
  return pattern_byte(key, i);
}
static void sh_fill(void *p, uint32_t id, uint32_t seq, uint32_t len) {
  unsigned char *b = (unsigned char *)p;
  uint64_t key = sh_key(id, seq, len);
  uint32_t i;
  for (i = 0; i < len; i++) b[i] = sh_byte(id, seq, len, key, i);
}
/* First differing byte among the first n of the fill, or -1. */
static long sh_mismatch(const void *p, uint32_t id, uint32_t seq, uint32_t len, uint32_t n) {
  const unsigned char *b = (const unsigned char *)p;
  uint64_t key = sh_key(id, seq, len);
  uint32_t i;
  if (!p) return 0;
  for (i = 0; i < n && i < len; i++)
    if (b[i] != sh_byte(id, seq, len, key, i)) return (long)i;
  return -1;
}

static uint32_t sh_size(struct sh_table *t, const struct sh_opts *o) {
  uint64_t r = rng_below(&t->rng, 100), big = o->big ? o->big : 5000;
  if (r < 60) return (uint32_t)(1 + rng_below(&t->rng, 256));
  if (r < 85) return (uint32_t)(257 + rng_below(&t->rng, 4096 - 256));
  return (uint32_t)(4097 + rng_below(&t->rng, big > 4097 ? big - 4096 : 1));
}

/* Is entry e's block intact (live, big enough, pattern)? Reports through sh_fail. */
static int sh_verify(backing *s, struct sh_table *t, struct sh_ent *e, const char *when) {
  uint64_t usable;
  long at;
  if (e->kind) {
    usable = backing_gc_sizeof(s, e->addr);
    if (usable < e->len) {
      sh_fail(t, "%s: GC block %llu (len %u) reports size %llu (%s)", when,
              (unsigned long long)e->addr, e->len, (unsigned long long)usable,
              err_name(backing_last_error()));
      return 0;
    }
  } else {
    usable = backing_sizeof(s, e->addr);
    if (usable < e->len) {
      sh_fail(t, "%s: block %llu (len %u) reports size %llu (%s)", when,
              (unsigned long long)e->addr, e->len, (unsigned long long)usable,
              err_name(backing_last_error()));
      return 0;
    }
  }
  at = sh_mismatch(backing_ptr(s, e->addr), t->id, e->seq, e->len, e->len);
  if (at >= 0) {
    sh_fail(t, "%s: block %llu (len %u, seq %u) changed at byte %ld", when,
            (unsigned long long)e->addr, e->len, e->seq, at);
    return 0;
  }
  return 1;
}

static int sh_pick(struct sh_table *t, uint32_t want_state) {
  uint32_t start = (uint32_t)rng_below(&t->rng, SH_CAP), k;
  for (k = 0; k < SH_CAP; k++) {
    uint32_t i = (start + k) % SH_CAP;
    if (t->e[i].state == want_state) return (int)i;
  }
  return -1;
}

static void sh_root_name(char *buf, size_t n, uint32_t id, int k) {
  snprintf(buf, n, "w%u-r%d", id, k);
}

/* One random operation. Returns 0, or -1 after recording an error in t. */
static int sh_step(backing *s, struct sh_table *t, const struct sh_opts *o) {
  uint64_t r = rng_below(&t->rng, 100);
  int i;
  struct sh_ent *e;
  t->ops++;
  if (r < 40) { /* alloc, calloc, aligned, gc_alloc into an empty slot */
    uint32_t len = sh_size(t, o), seq;
    backing_addr a;
    int how = (int)rng_below(&t->rng, 11); /* 0-4 alloc, 5-6 calloc, 7 aligned, 8-10 gc */
    i = sh_pick(t, SH_EMPTY);
    if (i < 0) return 0;
    e = &t->e[i];
    seq = (uint32_t)++t->seq;
    e->kind = how >= 8;
    sh_set_state(e, SH_ALLOCING);
    if (how <= 4)
      a = backing_alloc(s, len);
    else if (how <= 6)
      a = backing_calloc(s, len);
    else if (how == 7)
      a = backing_alloc_aligned(s, len, (uint64_t)64 << rng_below(&t->rng, 7));
    else if (how == 10)
      a = backing_gc_calloc(s, len, 7, 1);
    else if (o->sole_cycler && (t->rng & 1)) { /* born waiting, then referenced */
      a = backing_gc_alloc(s, len, 7, 0);
      if (a && backing_gc_ref(s, a) != 1) {
        sh_fail(t, "gc_ref of a new GC block at 0 did not give 1 (%s)",
                err_name(backing_last_error()));
        return -1;
      }
    } else
      a = backing_gc_alloc(s, len, 7, 1);
    if (!a) {
      sh_set_state(e, SH_EMPTY);
      sh_fail(t, "allocation of %u bytes failed: %s", len, err_name(backing_last_error()));
      return -1;
    }
    if (how == 7 && (a & 63)) {
      sh_fail(t, "alloc_aligned gave a misaligned %llu", (unsigned long long)a);
      return -1;
    }
    e->addr = a;
    e->len = len;
    e->seq = seq;
    sh_set_state(e, SH_FILLING);
    if (how == 5 || how == 6 || how == 10) {
      unsigned char *p = (unsigned char *)backing_ptr(s, a);
      uint64_t us = how == 10 ? backing_gc_sizeof(s, a) : backing_sizeof(s, a);
      if (!p || us < len || !all_bytes_are(p, us, 0)) {
        sh_fail(t, "calloc(%u) block %llu not zeroed (usable %llu)", len, (unsigned long long)a,
                (unsigned long long)us);
        return -1;
      }
    }
    sh_fill(backing_ptr(s, a), t->id, seq, len);
    sh_set_state(e, e->kind ? SH_GC_LIVE : SH_LIVE);
    return 0;
  }
  if (r < 52) { /* realloc */
    uint32_t len = sh_size(t, o), seq, keep;
    backing_addr a;
    long at;
    i = sh_pick(t, SH_LIVE);
    if (i < 0) return 0;
    e = &t->e[i];
    if (!sh_verify(s, t, e, "before realloc")) return -1;
    seq = (uint32_t)++t->seq;
    sh_set_state(e, SH_REALLOCING);
    a = backing_realloc(s, e->addr, len);
    if (!a) {
      sh_set_state(e, SH_LIVE);
      sh_fail(t, "realloc to %u failed: %s", len, err_name(backing_last_error()));
      return -1;
    }
    keep = len < e->len ? len : e->len;
    at = sh_mismatch(backing_ptr(s, a), t->id, e->seq, e->len, keep);
    if (at >= 0) {
      sh_fail(t, "realloc %llu -> %llu (%u -> %u bytes) lost byte %ld", (unsigned long long)e->addr,
              (unsigned long long)a, e->len, len, at);
      return -1;
    }
    e->addr = a;
    e->len = len;
    e->seq = seq;
    sh_set_state(e, SH_FILLING);
    sh_fill(backing_ptr(s, a), t->id, seq, len);
    sh_set_state(e, SH_LIVE);
    return 0;
  }
  if (r < 72) { /* free */
    uint64_t got;
    i = sh_pick(t, SH_LIVE);
    if (i < 0) return 0;
    e = &t->e[i];
    if (!sh_verify(s, t, e, "before free")) return -1;
    sh_set_state(e, SH_FREEING);
    got = backing_free(s, e->addr);
    if (got < e->len) {
      sh_fail(t, "free of %llu returned %llu (%s)", (unsigned long long)e->addr,
              (unsigned long long)got, err_name(backing_last_error()));
      return -1;
    }
    sh_set_state(e, SH_EMPTY);
    return 0;
  }
  if (r < 80) { /* ref, unref: 1 -> 2 -> 1; also on blocks every writer shares */
    uint32_t c;
    if (o->nshared > 0 && (t->rng & 1)) {
      backing_addr a = o->shared_gc[rng_below(&t->rng, (uint64_t)o->nshared)];
      c = backing_gc_ref(s, a);
      if (c < 2) {
        sh_fail(t, "gc_ref of a shared block gave %u (%s)", c, err_name(backing_last_error()));
        return -1;
      }
      c = backing_gc_unref(s, a);
      if (c < 1) {
        sh_fail(t, "gc_unref of a shared block gave %u (%s)", c, err_name(backing_last_error()));
        return -1;
      }
      return 0;
    }
    i = sh_pick(t, SH_GC_LIVE);
    if (i < 0) return 0;
    e = &t->e[i];
    sh_set_state(e, SH_GC_REFING);
    c = backing_gc_ref(s, e->addr);
    sh_set_state(e, SH_GC_TWO);
    if (c != 2) {
      sh_fail(t, "gc_ref gave %u, want 2 (%s)", c, err_name(backing_last_error()));
      return -1;
    }
    if (!sh_verify(s, t, e, "GC block at 2")) return -1;
    sh_set_state(e, SH_GC_UNREFING);
    c = backing_gc_unref(s, e->addr);
    sh_set_state(e, SH_GC_LIVE);
    if (c != 1) {
      sh_fail(t, "gc_unref gave %u, want 1 (%s)", c, err_name(backing_last_error()));
      return -1;
    }
    return 0;
  }
  if (r < 90) { /* drop a GC block: unref to 0 (the collector reaps it), or gc_free now */
    uint32_t c;
    i = sh_pick(t, SH_GC_LIVE);
    if (i < 0) return 0;
    e = &t->e[i];
    if (!sh_verify(s, t, e, "before unref to 0")) return -1;
    if (backing_gc_refcount(s, e->addr) != 1) {
      sh_fail(t, "GC block %llu: count %u, want 1", (unsigned long long)e->addr,
              backing_gc_refcount(s, e->addr));
      return -1;
    }
    sh_set_state(e, SH_GC_DROPPING);
    c = backing_gc_unref(s, e->addr);
    if (c != 0) {
      sh_fail(t, "gc_unref to 0 gave %u (%s)", c, err_name(backing_last_error()));
      return -1;
    }
    if (o->sole_cycler && (t->rng & 2)) {
      uint64_t want = backing_gc_sizeof(s, e->addr) + 16, got = backing_gc_free(s, e->addr);
      if (got != want) {
        sh_fail(t, "gc_free gave %llu, want %llu (%s)", (unsigned long long)got,
                (unsigned long long)want, err_name(backing_last_error()));
        return -1;
      }
    }
    sh_set_state(e, SH_EMPTY);
    return 0;
  }
  if (r < 96 && !o->no_roots) { /* a root on one of my blocks */
    int k = (int)rng_below(&t->rng, SH_ROOTS);
    char name[32];
    backing_addr got;
    sh_root_name(name, sizeof name, t->id, k);
    i = sh_pick(t, SH_LIVE);
    if (i >= 0 && !(t->rng & 4)) {
      t->root_pending[k] = t->e[i].addr;
      __atomic_store_n(&t->root_busy[k], 1, __ATOMIC_SEQ_CST);
      if (backing_root_set(s, name, t->e[i].addr) != 0) {
        sh_fail(t, "root_set %s: %s", name, err_name(backing_last_error()));
        return -1;
      }
      t->root_val[k] = t->e[i].addr;
      __atomic_store_n(&t->root_busy[k], 0, __ATOMIC_SEQ_CST);
    } else if (t->root_val[k] && (t->rng & 8)) {
      t->root_pending[k] = 0;
      __atomic_store_n(&t->root_busy[k], 1, __ATOMIC_SEQ_CST);
      if (backing_root_del(s, name) != 0) {
        sh_fail(t, "root_del %s: %s", name, err_name(backing_last_error()));
        return -1;
      }
      t->root_val[k] = 0;
      __atomic_store_n(&t->root_busy[k], 0, __ATOMIC_SEQ_CST);
    }
    got = backing_root_get(s, name);
    if (got != t->root_val[k]) {
      sh_fail(t, "root %s is %llu, want %llu", name, (unsigned long long)got,
              (unsigned long long)t->root_val[k]);
      return -1;
    }
    return 0;
  }
  if (r < 98 && o->sole_cycler) {
    (void)backing_gc_cycle(s);
    return 0;
  }
  i = sh_pick(t, SH_LIVE); /* read one back */
  if (i >= 0 && !sh_verify(s, t, &t->e[i], "reading back")) return -1;
  return 0;
}

/* Takes over a table whose writer may have died at any instant: verifies every block that
   must be intact and settles every entry in flight (an entry that may be a leak is
   dropped and counted in leaks_possible). Returns the number of errors found. */
static uint32_t sh_adopt(backing *s, struct sh_table *t) {
  uint32_t before = t->errors, i;
  int k;
  for (i = 0; i < SH_CAP; i++) {
    struct sh_ent *e = &t->e[i];
    uint32_t c;
    switch (e->state) {
    case SH_EMPTY:
      break;
    case SH_ALLOCING:
    case SH_FREEING:
    case SH_REALLOCING:
    case SH_GC_DROPPING:
      t->leaks_possible += e->state == SH_REALLOCING ? 2 : 1;
      sh_set_state(e, SH_EMPTY);
      break;
    case SH_FILLING: /* allocated, contents half written: write them again */
      if ((e->kind ? backing_gc_sizeof(s, e->addr) : backing_sizeof(s, e->addr)) < e->len) {
        sh_fail(t, "adopting: block %llu being filled is not live (%s)",
                (unsigned long long)e->addr, err_name(backing_last_error()));
        sh_set_state(e, SH_EMPTY);
        break;
      }
      if (e->kind && backing_gc_refcount(s, e->addr) != 1) { /* set before gc_alloc returned */
        sh_fail(t, "adopting: new GC block %llu has count %u, want 1", (unsigned long long)e->addr,
                backing_gc_refcount(s, e->addr));
        sh_set_state(e, SH_EMPTY);
        break;
      }
      sh_fill(backing_ptr(s, e->addr), t->id, e->seq, e->len);
      sh_set_state(e, e->kind ? SH_GC_LIVE : SH_LIVE);
      break;
    case SH_LIVE:
      if (!sh_verify(s, t, e, "adopting")) sh_set_state(e, SH_EMPTY);
      break;
    case SH_GC_LIVE:
    case SH_GC_REFING:
    case SH_GC_TWO:
    case SH_GC_UNREFING:
      if (!sh_verify(s, t, e, "adopting GC")) {
        sh_set_state(e, SH_EMPTY);
        break;
      }
      c = backing_gc_refcount(s, e->addr);
      if (e->state == SH_GC_LIVE ? c != 1 : e->state == SH_GC_TWO ? c != 2 : (c != 1 && c != 2)) {
        sh_fail(t, "adopting: GC block %llu in state %u has count %u", (unsigned long long)e->addr,
                e->state, c);
        sh_set_state(e, SH_EMPTY);
        break;
      }
      if (c == 2 && backing_gc_unref(s, e->addr) != 1) sh_fail(t, "adopting: unref 2 -> 1");
      sh_set_state(e, SH_GC_LIVE);
      break;
    default:
      sh_fail(t, "adopting: entry %u has state %u", i, e->state);
      break;
    }
  }
  for (k = 0; k < SH_ROOTS; k++) {
    char name[32];
    backing_addr got;
    sh_root_name(name, sizeof name, t->id, k);
    got = backing_root_get(s, name);
    if (got != t->root_val[k] && !(t->root_busy[k] && got == t->root_pending[k]))
      sh_fail(t, "adopting: root %s is %llu, want %llu", name, (unsigned long long)got,
              (unsigned long long)t->root_val[k]);
    t->root_val[k] = got;
    t->root_busy[k] = 0;
  }
  t->adopted++;
  return t->errors - before;
}

/* Blocks the table holds (what stat.used_blocks must count for it). */
static uint64_t sh_held(const struct sh_table *t) {
  uint64_t n = 0;
  uint32_t i;
  for (i = 0; i < SH_CAP; i++)
    n += t->e[i].state == SH_LIVE || t->e[i].state == SH_GC_LIVE || t->e[i].state == SH_FILLING ||
         (t->e[i].state >= SH_GC_REFING && t->e[i].state <= SH_GC_UNREFING);
  return n;
}

/* Frees everything the table holds (plain: free; GC: unref to 0). 0 or errors. */
static uint32_t sh_release_all(backing *s, struct sh_table *t) {
  uint32_t before = t->errors, i;
  for (i = 0; i < SH_CAP; i++) {
    struct sh_ent *e = &t->e[i];
    if (e->state == SH_LIVE) {
      if (sh_verify(s, t, e, "final") && backing_free(s, e->addr) < e->len)
        sh_fail(t, "final free of %llu: %s", (unsigned long long)e->addr,
                err_name(backing_last_error()));
    } else if (e->state == SH_GC_LIVE) {
      if (sh_verify(s, t, e, "final GC") && backing_gc_unref(s, e->addr) != 0)
        sh_fail(t, "final unref of %llu not 0", (unsigned long long)e->addr);
    }
    e->state = SH_EMPTY;
  }
  return t->errors - before;
}

static void sh_init(struct sh_table *t, uint32_t id, uint64_t seed) {
  memset(t, 0, sizeof *t);
  t->id = id;
  t->rng = mix64(seed ^ ((uint64_t)id + 1) * 0x9e3779b97f4a7c15ull) | 1;
}

/* ---- processes --------------------------------------------------------------------------- */

#include <sys/prctl.h>
/* In a forked child: die with the parent (a test that fails or times out must not leave
   workers running, holding the suite's output pipe open). */
static void die_with_parent(pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(99);
}

static int wait_pid(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return status;
}
static const char *status_str(int st) {
  static char buf[4][64];
  static int next;
  char *b = buf[next++ & 3];
  if (st == -1)
    snprintf(b, 64, "waitpid failed");
  else if (WIFEXITED(st))
    snprintf(b, 64, "exit %d", WEXITSTATUS(st));
  else if (WIFSIGNALED(st))
    snprintf(b, 64, "signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
  else
    snprintf(b, 64, "status 0x%x", st);
  return b;
}
static int exited_ok(int st) {
  return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}
static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
static void sleep_ns(uint64_t ns) {
  struct timespec ts;
  ts.tv_sec = (time_t)(ns / 1000000000ull);
  ts.tv_nsec = (long)(ns % 1000000000ull);
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}
/* Does the store at path need recovery? A read-only open says so (BACKING_ERECOVER). */
static int rdonly_open_rc(const char *dir, const char *name) {
  backing_config c = mmap_cfg(dir, name, 0);
  backing *s = NULL;
  int rc;
  c.flags = BACKING_RDONLY;
  rc = backing_open(&s, &c);
  if (rc == 0) backing_close(s);
  return rc;
}

#endif /* HELPERS_H_INCLUDED */
