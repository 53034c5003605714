/* h_store.h: stores for the suites: configs, the fixtures a test opens and closes its store with,
   the consistency check, stats and walks. */
#ifndef H_STORE_H_INCLUDED
#define H_STORE_H_INCLUDED

#include <stdint.h>

#include "test.h"
#include "h_check.h"

/* The largest block, as documented in backing.h ("Vital statistics"): arena_size - H - 16
   with H = round_up(2304 + 320 * arena_size / 32768, 4096). backing_stats.max_block reports
   it too; alloc_max_block_matches_the_formula checks that the two agree. */
static uint64_t max_block(uint64_t arena_size) {
  uint64_t h = 2304 + 320 * (arena_size / 32768);
  h = (h + 4095) & ~(uint64_t)4095;
  return arena_size - h - 16;
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

/* ---- fixtures: the store a test works on ----------------------------------------------- */
/* Most tests open one store, work on it and end with its consistency check:
     backing *s = OPEN_MEMORY(64 * KIB, 0);
     ...
     if (!s) return;
     ...
     CHECK_CLOSE(s);
   OPEN_MEMORY(arena_size, max_size): a MEMORY store (max_size 0: no cap).
   OPEN_MMAP(name, arena_size): the MMAP store `name` in the test's own directory.
   Both record a failed open as a failed check at the caller's line and give NULL; a test
   that needs other settings fills a config (mem_cfg, mmap_cfg) and calls OPEN(&c).
   CHECK_CLOSE(s): backing_check must pass, then backing_close must succeed. */
#define OPEN_MEMORY(arena_size, max_size) open_memory_((arena_size), (max_size), __FILE__, __LINE__)
static backing *open_memory_(uint64_t arena_size, uint64_t max_size, const char *file, int line) {
  backing_config c = mem_cfg(arena_size, max_size);
  return open_(&c, file, line);
}
#define OPEN_MMAP(name, arena_size) open_mmap_((name), (arena_size), __FILE__, __LINE__)
static backing *open_mmap_(const char *name, uint64_t arena_size, const char *file, int line) {
  backing_config c = mmap_cfg(test_dir(), name, arena_size);
  return open_(&c, file, line);
}
#define CHECK_CLOSE(s) check_close_((s), __FILE__, __LINE__)
static int check_close_(backing *s, const char *file, int line) {
  int checked = check_store_(s, file, line), rc = backing_close(s);
  return test__check(rc == 0, file, line, "backing_close returned %s, want 0", err_name(rc)) &&
         checked;
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
    ok &=
        test__check(w->a >= end, file, line, "walk out of order or overlapping at %llu", ULL(w->a));
    ok &= test__check(ar < st.arena_count, file, line, "walk reports address %llu past %llu arenas",
                      ULL(w->a), ULL(st.arena_count));
    if (!ok) break;
    end = w->a + w->size;
    if (w->state == BACKING_BLOCK_FREE)
      nfree[ar]++;
    else
      nother[ar]++;
  }
  for (i = 0; i < st.arena_count && ok; i++) {
    ok &= test__check(nfree[i] == 1 && nother[i] == 0, file, line,
                      "arena %llu: %llu free regions and %llu other blocks, want 1 and 0", ULL(i),
                      ULL(nfree[i]), ULL(nother[i]));
  }
  free(nfree);
  free(nother);
  free(l.items);
  return ok;
}

#endif /* H_STORE_H_INCLUDED */
