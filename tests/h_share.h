/* h_share.h: a self-checking workload for threads, processes and kills.
   A writer keeps the blocks it holds in a table (struct sh_table). Every block is filled
   with a self-describing pattern: for 16 bytes and more a header {0xB10C0000 | writer id,
   sequence number, length}, then bytes derived from (writer, sequence, length). Each table
   entry has a state that is stored before and after every call, so that when the writer is
   killed at any instant (the table lives in shared memory), another process knows exactly
   which blocks must be intact and which one was in flight.
   sh_init starts a table, sh_step does one random operation, sh_adopt takes over the table
   of a writer that died, sh_held counts its blocks and sh_release_all frees them. */
#ifndef H_SHARE_H_INCLUDED
#define H_SHARE_H_INCLUDED

#include <stdint.h>
#include <sys/mman.h>

#include "test.h"
#include "h_check.h"
#include "h_data.h"

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
    int n = snprintf(t->err, sizeof t->err, "writer %u op %llu: ", t->id, ULL(t->ops));
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
      sh_fail(t, "%s: GC block %llu (len %u) reports size %llu (%s)", when, ULL(e->addr), e->len,
              ULL(usable), err_name(backing_last_error()));
      return 0;
    }
  } else {
    usable = backing_sizeof(s, e->addr);
    if (usable < e->len) {
      sh_fail(t, "%s: block %llu (len %u) reports size %llu (%s)", when, ULL(e->addr), e->len,
              ULL(usable), err_name(backing_last_error()));
      return 0;
    }
  }
  at = sh_mismatch(backing_ptr(s, e->addr), t->id, e->seq, e->len, e->len);
  if (at >= 0) {
    sh_fail(t, "%s: block %llu (len %u, seq %u) changed at byte %ld", when, ULL(e->addr), e->len,
            e->seq, at);
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

/* ---- the operations of sh_step: each returns 0, or -1 after recording an error in t ---- */

/* alloc, calloc, aligned or gc_alloc into an empty entry */
static int sh_step_alloc(backing *s, struct sh_table *t, const struct sh_opts *o) {
  uint32_t len = sh_size(t, o), seq;
  backing_addr a;
  int how = (int)rng_below(&t->rng, 11); /* 0-4 alloc, 5-6 calloc, 7 aligned, 8-10 gc */
  int i = sh_pick(t, SH_EMPTY);
  struct sh_ent *e;
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
    sh_fail(t, "alloc_aligned gave a misaligned %llu", ULL(a));
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
      sh_fail(t, "calloc(%u) block %llu not zeroed (usable %llu)", len, ULL(a), ULL(us));
      return -1;
    }
  }
  sh_fill(backing_ptr(s, a), t->id, seq, len);
  sh_set_state(e, e->kind ? SH_GC_LIVE : SH_LIVE);
  return 0;
}

/* realloc a plain block: the kept prefix must survive, then the block is filled again */
static int sh_step_realloc(backing *s, struct sh_table *t, const struct sh_opts *o) {
  uint32_t len = sh_size(t, o), seq, keep;
  backing_addr a;
  long at;
  int i = sh_pick(t, SH_LIVE);
  struct sh_ent *e;
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
    sh_fail(t, "realloc %llu -> %llu (%u -> %u bytes) lost byte %ld", ULL(e->addr), ULL(a), e->len,
            len, at);
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

/* free a plain block after checking it */
static int sh_step_free(backing *s, struct sh_table *t) {
  uint64_t got;
  int i = sh_pick(t, SH_LIVE);
  struct sh_ent *e;
  if (i < 0) return 0;
  e = &t->e[i];
  if (!sh_verify(s, t, e, "before free")) return -1;
  sh_set_state(e, SH_FREEING);
  got = backing_free(s, e->addr);
  if (got < e->len) {
    sh_fail(t, "free of %llu returned %llu (%s)", ULL(e->addr), ULL(got),
            err_name(backing_last_error()));
    return -1;
  }
  sh_set_state(e, SH_EMPTY);
  return 0;
}

/* ref and unref a block every writer shares: its count stays >= 1 */
static int sh_step_ref_shared(backing *s, struct sh_table *t, const struct sh_opts *o) {
  backing_addr a = o->shared_gc[rng_below(&t->rng, (uint64_t)o->nshared)];
  uint32_t c = backing_gc_ref(s, a);
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

/* ref, unref: 1 -> 2 -> 1 on one of my GC blocks, or on a shared one */
static int sh_step_ref_unref(backing *s, struct sh_table *t, const struct sh_opts *o) {
  uint32_t c;
  int i;
  struct sh_ent *e;
  if (o->nshared > 0 && (t->rng & 1)) return sh_step_ref_shared(s, t, o);
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

/* drop a GC block: unref to 0 (the collector reaps it), or gc_free now */
static int sh_step_drop(backing *s, struct sh_table *t, const struct sh_opts *o) {
  uint32_t c;
  int i = sh_pick(t, SH_GC_LIVE);
  struct sh_ent *e;
  if (i < 0) return 0;
  e = &t->e[i];
  if (!sh_verify(s, t, e, "before unref to 0")) return -1;
  if (backing_gc_refcount(s, e->addr) != 1) {
    sh_fail(t, "GC block %llu: count %u, want 1", ULL(e->addr), backing_gc_refcount(s, e->addr));
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
      sh_fail(t, "gc_free gave %llu, want %llu (%s)", ULL(got), ULL(want),
              err_name(backing_last_error()));
      return -1;
    }
  }
  sh_set_state(e, SH_EMPTY);
  return 0;
}

/* set or delete one of my roots (on one of my blocks), then read it back */
static int sh_step_root(backing *s, struct sh_table *t) {
  int k = (int)rng_below(&t->rng, SH_ROOTS), i;
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
    sh_fail(t, "root %s is %llu, want %llu", name, ULL(got), ULL(t->root_val[k]));
    return -1;
  }
  return 0;
}

/* One random operation, by a draw r in [0, 100): alloc below 40, realloc below 52, free
   below 72, ref and unref below 80, drop a GC block below 90, a root below 96 (unless
   o->no_roots), a GC cycle below 98 (only for the sole cycler), else read a block back.
   Returns 0, or -1 after recording an error in t. */
static int sh_step(backing *s, struct sh_table *t, const struct sh_opts *o) {
  uint64_t r = rng_below(&t->rng, 100);
  int i;
  t->ops++;
  if (r < 40) return sh_step_alloc(s, t, o);
  if (r < 52) return sh_step_realloc(s, t, o);
  if (r < 72) return sh_step_free(s, t);
  if (r < 80) return sh_step_ref_unref(s, t, o);
  if (r < 90) return sh_step_drop(s, t, o);
  if (r < 96 && !o->no_roots) return sh_step_root(s, t);
  if (r < 98 && o->sole_cycler) {
    (void)backing_gc_cycle(s);
    return 0;
  }
  i = sh_pick(t, SH_LIVE); /* read one back */
  if (i >= 0 && !sh_verify(s, t, &t->e[i], "reading back")) return -1;
  return 0;
}

/* sh_adopt's steps for one entry of a dead writer's table. */

/* An entry filled but maybe not completely: the block must be live (and a new GC block at
   count 1, set before gc_alloc returned); its contents are written again. */
static void sh_adopt_filling(backing *s, struct sh_table *t, struct sh_ent *e) {
  if ((e->kind ? backing_gc_sizeof(s, e->addr) : backing_sizeof(s, e->addr)) < e->len) {
    sh_fail(t, "adopting: block %llu being filled is not live (%s)", ULL(e->addr),
            err_name(backing_last_error()));
    sh_set_state(e, SH_EMPTY);
    return;
  }
  if (e->kind && backing_gc_refcount(s, e->addr) != 1) {
    sh_fail(t, "adopting: new GC block %llu has count %u, want 1", ULL(e->addr),
            backing_gc_refcount(s, e->addr));
    sh_set_state(e, SH_EMPTY);
    return;
  }
  sh_fill(backing_ptr(s, e->addr), t->id, e->seq, e->len);
  sh_set_state(e, e->kind ? SH_GC_LIVE : SH_LIVE);
}

/* A GC block, maybe in the middle of a ref or unref: intact, with the count its state
   allows (either count while one is in flight); it is left at count 1. */
static void sh_adopt_gc(backing *s, struct sh_table *t, struct sh_ent *e) {
  uint32_t c;
  if (!sh_verify(s, t, e, "adopting GC")) {
    sh_set_state(e, SH_EMPTY);
    return;
  }
  c = backing_gc_refcount(s, e->addr);
  if (e->state == SH_GC_LIVE ? c != 1 : e->state == SH_GC_TWO ? c != 2 : (c != 1 && c != 2)) {
    sh_fail(t, "adopting: GC block %llu in state %u has count %u", ULL(e->addr), e->state, c);
    sh_set_state(e, SH_EMPTY);
    return;
  }
  if (c == 2 && backing_gc_unref(s, e->addr) != 1) sh_fail(t, "adopting: unref 2 -> 1");
  sh_set_state(e, SH_GC_LIVE);
}

/* Settles entry i: verified, rewritten, or dropped (an entry that may be a leak is
   dropped and counted in leaks_possible). */
static void sh_adopt_entry(backing *s, struct sh_table *t, uint32_t i) {
  struct sh_ent *e = &t->e[i];
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
  case SH_FILLING:
    sh_adopt_filling(s, t, e);
    break;
  case SH_LIVE:
    if (!sh_verify(s, t, e, "adopting")) sh_set_state(e, SH_EMPTY);
    break;
  case SH_GC_LIVE:
  case SH_GC_REFING:
  case SH_GC_TWO:
  case SH_GC_UNREFING:
    sh_adopt_gc(s, t, e);
    break;
  default:
    sh_fail(t, "adopting: entry %u has state %u", i, e->state);
    break;
  }
}

/* The writer's roots hold what it last set, or what it was setting when it died. */
static void sh_adopt_roots(backing *s, struct sh_table *t) {
  int k;
  for (k = 0; k < SH_ROOTS; k++) {
    char name[32];
    backing_addr got;
    sh_root_name(name, sizeof name, t->id, k);
    got = backing_root_get(s, name);
    if (got != t->root_val[k] && !(t->root_busy[k] && got == t->root_pending[k]))
      sh_fail(t, "adopting: root %s is %llu, want %llu", name, ULL(got), ULL(t->root_val[k]));
    t->root_val[k] = got;
    t->root_busy[k] = 0;
  }
}

/* Takes over a table whose writer may have died at any instant: verifies every block that
   must be intact and settles every entry in flight. Returns the number of errors found. */
static uint32_t sh_adopt(backing *s, struct sh_table *t) {
  uint32_t before = t->errors, i;
  for (i = 0; i < SH_CAP; i++) sh_adopt_entry(s, t, i);
  sh_adopt_roots(s, t);
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
        sh_fail(t, "final free of %llu: %s", ULL(e->addr), err_name(backing_last_error()));
    } else if (e->state == SH_GC_LIVE) {
      if (sh_verify(s, t, e, "final GC") && backing_gc_unref(s, e->addr) != 0)
        sh_fail(t, "final unref of %llu not 0", ULL(e->addr));
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

#endif /* H_SHARE_H_INCLUDED */
