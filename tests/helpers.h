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

#endif /* HELPERS_H_INCLUDED */
