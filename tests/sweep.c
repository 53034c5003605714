/* sweep.c: the instruction-level kill sweep (issue 13), built on its own (tests/run.sh).

   For every mutating operation (a scenario below: a known store, then one call) and every
   kill point k:
     1. a child opens a fresh MMAP store (64 KiB arenas), builds the scenario, writes the
        blocks it holds and their rules (the shadow) to a side file, asks to be traced
        (PTRACE_TRACEME) and stops itself (SIGSTOP) just before the call;
     2. this process single-steps it to the marker sw_begin() that precedes the call, then
        k more instructions (PTRACE_SINGLESTEP; on x86-64 a far k is reached faster by a
        breakpoint on the k-th pc of the measured path, SWEEP_STEP_ONLY=1 turns that off),
        and SIGKILLs it;
     3. "fresh": a new process opens the store (it repairs), backing_check must pass, every
        block the shadow says must be intact is (size, contents, GC count), the roots hold
        the old or the new value, the live block count is within the leak bound, then more
        work (frees, allocs, reallocs, GC blocks and cycles) and backing_check again;
        "attached": the same is done by a process that had the store open across the death,
        then a fresh process checks the store it left.
   The containers' scenarios (map_*, vec_*, str_new) keep the map or vector under a root
   (so backing_check runs backing_map_check on it) and their contents in the shadow: after
   the death every key has its value, the key being changed its old or its new one (or is
   absent, for a new key or a delete), backing_map_next returns each key once and as many
   as backing_map_len says; a vector has its old or new length and every element; then
   more puts, deletes, pushes, pops, and the same checks again, also after GC cycles.
   The map's seed is fixed (the table is the same in every run); the scenarios for a split,
   a doubling or a rebuild find the put that does it once, on a twin map (backing_map_stat
   before and after each step), and the victim's check proves it with backing_map_stat.
   The call's length N is measured first by stepping it to the marker sw_end() after it
   (that run also checks that the scenario does what its name says); then k runs over
   0, stride, 2 stride, ... and N itself. A sample (stride > 1) of a call longer than
   stride * SW_SAMPLE_OVER instructions (the map's splits: ~40000, mostly loops over a
   segment's slots) takes SW_SAMPLE kill points spread evenly and every stride-th position
   where the path reaches an instruction for the first or second time; SWEEP_STRIDE=1
   (make soak) takes every one.

   Usage: sweep [--stride n] [--list] [operation [k [fresh|attached]]]
     SWEEP_STRIDE=n (environment) or --stride n: every n-th kill point (default 1: all).
     SWEEP_DIR: where the stores go (default /dev/shm when writable, else TMPDIR or /tmp).
     `sweep realloc_grow_top 100 fresh` replays one kill point, says where the victim was
     killed (addr2line) and keeps the store's directory.
   Output: a line per operation and variant (instructions, kill points, failures), a FAIL
   line per failing kill point with its replay command, and last `N passed, M failed`
   (one test per operation and variant). Without ptrace (not permitted, or an unsupported
   architecture) it says so and reports 0 passed, 0 failed. */
#define _GNU_SOURCE
#define BACKING_IMPLEMENTATION
#include "../backing.h"

/* test.h and helpers.h serve the main suite too: not everything in them is used here */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "test.h"
#include "helpers.h"

#include <elf.h>
#include <link.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>

#if defined(__x86_64__)
#define SW_PC(r) ((uint64_t)(r).rip)
#elif defined(__aarch64__)
#define SW_PC(r) ((uint64_t)(r).pc)
#endif

#define SW_ARENA (64 * KIB)
#define SW_MAXB 48
#define SW_MAXR 2
#define SW_MAXSTEPS 4000000L
#define SW_NOPTRACE 42 /* the victim's exit status when PTRACE_TRACEME is refused */
/* With a stride > 1, a call of more than stride * SW_SAMPLE_OVER instructions gets SW_SAMPLE
   kill points spread evenly, and every stride-th of the positions where the path reaches an
   instruction for the first or the second time (a loop's first two turns: the states between
   its first stores), instead of every stride-th instruction. */
#define SW_SAMPLE_OVER 800
#define SW_SAMPLE 50
#define SW_SAMPLE_STR "50"

/* ---- the shadow: what the victim holds, and the call ------------------------------------ */

enum { SW_GONE = 0, SW_MUST = 1, SW_MAYBE = 2 };
struct sw_blk {
  uint64_t addr;
  uint32_t len, key, gc, rule; /* rule MUST: intact after any kill; MAYBE: may be gone */
  uint32_t cmin, cmax;         /* GC: the counts allowed after a kill */
};
struct sw_root {
  char name[24];
  uint64_t v[2]; /* the values allowed after a kill (0: absent) */
};
enum {
  C_ALLOC = 1,
  C_ALIGNED,
  C_FREE,
  C_REALLOC,
  C_ROOT_SET,
  C_ROOT_DEL,
  C_GC_ALLOC,
  C_GC_REF,
  C_GC_UNREF,
  C_GC_FREE,
  C_GC_CYCLE,
  C_MAP_PUT,
  C_MAP_DEL,
  C_VEC_PUSH,
  C_VEC_POP,
  C_VEC_RESIZE,
  C_STR_NEW
};
/* Containers: the map's keys are ids (sw_key), a key's value is a function of its id and a
   version (sw_val); kv[id] is the version a key has, SW_ABSENT if it is not in the map. */
#define SW_MAXK 2048            /* key ids the scenarios use */
#define SW_KEYS (SW_MAXK + 128) /* and the work after the death */
#define SW_ABSENT 0xff
enum { CK_MAP = 1, CK_VEC, CK_STR };
struct sw_cont {
  uint32_t kind;        /* CK_*: 0 no container */
  uint32_t ev;          /* what the map call must do: SW_EV_* (0: no split, no rebuild) */
  uint64_t addr;        /* the map or vector (root "sweep-cont") */
  uint64_t blocks;      /* live blocks that are not in b[] (the containers'), before the call */
  uint32_t nk;          /* key ids below nk have been used */
  uint32_t opk;         /* the key the call changes */
  uint8_t opold, opnew; /* its version before and after (SW_ABSENT: not in the map) */
  uint8_t kv[SW_KEYS];
  uint64_t len0, len1, elem; /* a vector's length before and after the call, element size */
  uint64_t z0, z1;           /* its elements in [z0, z1) are zeros (a resize made them) */
  uint64_t str[3], slen[3];  /* strings made before the call */
};
struct sw_shadow {
  uint32_t nb, nr;
  uint32_t fresh; /* blocks the call may create (a leak the bound allows) */
  uint32_t call;
  uint64_t a, size, align, refs; /* the call's arguments */
  char name[24];
  uint64_t fact[4]; /* what the post-check compares with (top, free blocks, ...) */
  struct sw_blk b[SW_MAXB];
  struct sw_root r[SW_MAXR];
  struct sw_cont c;
};

/* ---- shared state, errors ------------------------------------------------------------------ */

struct sw_shared {
  volatile int ready, go;
  uint64_t kill_pc;    /* where the victim was killed (0: not known) */
  int noptrace;        /* a ptrace request was refused (EPERM): not permitted here */
  long plan[24];       /* the map scenarios' steps before the call, once found (+1) */
  uint32_t wide_n;     /* the script of map_put_rebuild_wide (sw_wide): key ids, | 1 << 31 */
  uint32_t wide[4000]; /* for a delete */
  char err[600];
};
static struct sw_shared *G;

__attribute__((format(printf, 1, 2))) static int sw_err(const char *fmt, ...) {
  va_list ap;
  if (G->err[0]) return -1;
  va_start(ap, fmt);
  vsnprintf(G->err, sizeof G->err, fmt, ap);
  va_end(ap);
  return -1;
}

static backing_stats sw_stat(backing *s) {
  backing_stats st;
  memset(&st, 0, sizeof st);
  if (backing_stat(s, &st) != 0) sw_err("backing_stat: %s", err_name(backing_last_error()));
  return st;
}
static uint64_t sw_top(backing *s, backing_addr a) {
  return backing__ar(s, (uint32_t)(a >> s->shift))->top;
}
static uint64_t sw_off(backing *s, backing_addr a) {
  return a & (((uint64_t)1 << s->shift) - 1);
}

/* ---- scenario building blocks ------------------------------------------------------------ */

static struct sw_blk *sw_add(struct sw_shadow *h, backing *s, backing_addr a, uint32_t len,
                             uint32_t gc, uint32_t count) {
  struct sw_blk *b;
  if (!a || h->nb >= SW_MAXB) {
    sw_err("setup: %s of %u bytes failed: %s", gc ? "gc_alloc" : "alloc", len,
           err_name(backing_last_error()));
    return NULL;
  }
  b = &h->b[h->nb];
  b->addr = a;
  b->len = len;
  b->key = 0x5eed00u + h->nb;
  b->gc = gc;
  b->rule = SW_MUST;
  b->cmin = b->cmax = count;
  h->nb++;
  fill_pattern(backing_ptr(s, a), len, b->key);
  return b;
}
static backing_addr sw_plain(backing *s, struct sw_shadow *h, uint32_t len) {
  struct sw_blk *b = sw_add(h, s, backing_alloc(s, len), len, 0, 0);
  return b ? b->addr : 0;
}
static backing_addr sw_aligned(backing *s, struct sw_shadow *h, uint32_t len, uint64_t align) {
  struct sw_blk *b = sw_add(h, s, backing_alloc_aligned(s, len, align), len, 0, 0);
  return b ? b->addr : 0;
}
static backing_addr sw_gc(backing *s, struct sw_shadow *h, uint32_t len, uint32_t refs) {
  struct sw_blk *b = sw_add(h, s, backing_gc_alloc(s, len, 7, refs), len, 1, refs);
  return b ? b->addr : 0;
}
static struct sw_blk *sw_find(struct sw_shadow *h, backing_addr a) {
  uint32_t i;
  for (i = 0; i < h->nb; i++)
    if (h->b[i].addr == a && h->b[i].rule != SW_GONE) return &h->b[i];
  return NULL;
}
/* Frees a setup block (it leaves the shadow). */
static int sw_drop(backing *s, struct sw_shadow *h, backing_addr a) {
  struct sw_blk *b = sw_find(h, a);
  if (!b || backing_free(s, a) == 0) return sw_err("setup: free failed");
  b->rule = SW_GONE;
  return 0;
}
static void sw_rule(struct sw_shadow *h, backing_addr a, uint32_t rule, uint32_t len) {
  struct sw_blk *b = sw_find(h, a);
  if (!b) return;
  b->rule = rule;
  if (len) b->len = len;
}
static void sw_root(struct sw_shadow *h, const char *name, uint64_t v0, uint64_t v1) {
  struct sw_root *r = &h->r[h->nr++];
  snprintf(r->name, sizeof r->name, "%s", name);
  r->v[0] = v0;
  r->v[1] = v1;
}
static void sw_set_call(struct sw_shadow *h, uint32_t call, uint64_t a, uint64_t size) {
  h->call = call;
  h->a = a;
  h->size = size;
}
#define SU_OK(x) \
  if (!(x)) return -1
#define PO_CHECK(cond, ...) \
  if (!(cond)) return sw_err(__VA_ARGS__)

/* ---- the scenarios --------------------------------------------------------------------------
   Arena 0 of a 64 KiB store: data from 8192 to 65536; a 32 KiB slab sits at 32 KiB. */

static int su_alloc_slab_new(backing *s, struct sw_shadow *h) {
  SU_OK(sw_plain(s, h, 5000) && sw_plain(s, h, 6000));
  sw_set_call(h, C_ALLOC, 0, 40);
  h->fresh = 1;
  return 0;
}
static int po_slab_block(backing *s, struct sw_shadow *h, uint64_t r) {
  backing_stats st = sw_stat(s);
  (void)h;
  PO_CHECK(r && backing_sizeof(s, r) == 48 && st.slabs == 1,
           "want a 48-byte slot in the only slab: got %llu, size %llu, %llu slabs", ULL(r),
           ULL(backing_sizeof(s, r)), ULL(st.slabs));
  return 0;
}
static int su_alloc_slab(backing *s, struct sw_shadow *h) {
  SU_OK(sw_plain(s, h, 5000) && sw_plain(s, h, 40) && sw_plain(s, h, 40) && sw_plain(s, h, 33));
  sw_set_call(h, C_ALLOC, 0, 40);
  h->fresh = 1;
  return 0;
}
static int su_free_slab(backing *s, struct sw_shadow *h) {
  backing_addr x;
  SU_OK(sw_plain(s, h, 5000) && sw_plain(s, h, 40));
  SU_OK((x = sw_plain(s, h, 40)) && sw_plain(s, h, 40));
  sw_set_call(h, C_FREE, x, 0);
  sw_rule(h, x, SW_MAYBE, 0);
  return 0;
}
static int po_free_slab(backing *s, struct sw_shadow *h, uint64_t r) {
  backing_stats st = sw_stat(s);
  PO_CHECK(r == 48 && st.slabs == 1 && backing_sizeof(s, h->a) == 0, "free gave %llu, %llu slabs",
           ULL(r), ULL(st.slabs));
  return 0;
}
/* a block of 5000, then the call frees a block of len after it */
static int su_free_second(backing *s, struct sw_shadow *h, uint32_t len) {
  backing_addr x;
  SU_OK(sw_plain(s, h, 5000) && (x = sw_plain(s, h, len)));
  sw_set_call(h, C_FREE, x, 0);
  sw_rule(h, x, SW_MAYBE, 0);
  return 0;
}
static int su_free_slab_empty(backing *s, struct sw_shadow *h) {
  return su_free_second(s, h, 40); /* the slab's only slot */
}
static int po_free_slab_empty(backing *s, struct sw_shadow *h, uint64_t r) {
  backing_stats st = sw_stat(s);
  (void)h;
  PO_CHECK(r == 48 && st.slabs == 0, "free gave %llu, %llu slabs left (want 0)", ULL(r),
           ULL(st.slabs));
  return 0;
}
static int su_alloc_large_top(backing *s, struct sw_shadow *h) {
  backing_addr x;
  SU_OK(sw_plain(s, h, 5000) && (x = sw_plain(s, h, 6000)));
  h->fact[0] = sw_top(s, x);
  sw_set_call(h, C_ALLOC, 0, 7000);
  h->fresh = 1;
  return 0;
}
static int po_alloc_large_top(backing *s, struct sw_shadow *h, uint64_t r) {
  PO_CHECK(r && sw_off(s, r) == h->fact[0] + 16, "block %llu, want the old top %llu + 16", ULL(r),
           ULL(h->fact[0]));
  return 0;
}
/* four blocks of 5000, the second freed: a free block between two used ones */
static int su_hole(backing *s, struct sw_shadow *h) {
  backing_addr x;
  SU_OK(sw_plain(s, h, 5000) && (x = sw_plain(s, h, 5000)) && sw_plain(s, h, 5000) &&
        sw_plain(s, h, 5000));
  h->fact[0] = x;
  return sw_drop(s, h, x);
}
static int su_alloc_large_split(backing *s, struct sw_shadow *h) {
  SU_OK(su_hole(s, h) == 0);
  sw_set_call(h, C_ALLOC, 0, 4200);
  h->fresh = 1;
  return 0;
}
static int su_alloc_large_whole(backing *s, struct sw_shadow *h) {
  SU_OK(su_hole(s, h) == 0);
  sw_set_call(h, C_ALLOC, 0, 5000);
  h->fresh = 1;
  return 0;
}
static int po_in_hole(backing *s, struct sw_shadow *h, uint64_t r) {
  (void)s;
  PO_CHECK(r == h->fact[0], "block %llu, want the freed block %llu", ULL(r), ULL(h->fact[0]));
  return 0;
}
static int su_free_large_merge(backing *s, struct sw_shadow *h) {
  backing_addr b[5];
  int i;
  for (i = 0; i < 5; i++) SU_OK(b[i] = sw_plain(s, h, 5000));
  SU_OK(sw_drop(s, h, b[1]) == 0 && sw_drop(s, h, b[3]) == 0);
  h->fact[0] = sw_stat(s).free_blocks;
  sw_set_call(h, C_FREE, b[2], 0);
  sw_rule(h, b[2], SW_MAYBE, 0);
  return 0;
}
static int po_free_large_merge(backing *s, struct sw_shadow *h, uint64_t r) {
  backing_stats st = sw_stat(s);
  PO_CHECK(r >= 5000 && st.free_blocks == h->fact[0] - 1, "free blocks %llu, before %llu",
           ULL(st.free_blocks), ULL(h->fact[0]));
  return 0;
}
static int su_free_large_top(backing *s, struct sw_shadow *h) {
  backing_addr x;
  SU_OK(sw_plain(s, h, 5000) && (x = sw_plain(s, h, 5000)));
  sw_set_call(h, C_FREE, x, 0);
  sw_rule(h, x, SW_MAYBE, 0);
  return 0;
}
static int su_free_large_top_merge(backing *s, struct sw_shadow *h) {
  backing_addr x, y;
  SU_OK(sw_plain(s, h, 5000) && (x = sw_plain(s, h, 5000)) && (y = sw_plain(s, h, 5000)));
  SU_OK(sw_drop(s, h, x) == 0);
  h->fact[0] = x;
  sw_set_call(h, C_FREE, y, 0);
  sw_rule(h, y, SW_MAYBE, 0);
  return 0;
}
static int po_top_down(backing *s, struct sw_shadow *h, uint64_t r) {
  uint64_t want = sw_off(s, h->fact[0] ? h->fact[0] : h->a) - 16;
  PO_CHECK(r >= 5000 && sw_top(s, h->a) == want, "top %llu, want %llu", ULL(sw_top(s, h->a)),
           ULL(want));
  return 0;
}
static int su_alloc_aligned_top(backing *s, struct sw_shadow *h) {
  backing_addr x;
  SU_OK(x = sw_plain(s, h, 5000));
  h->fact[0] = sw_top(s, x);
  sw_set_call(h, C_ALIGNED, 0, 5000);
  h->align = 4096;
  h->fresh = 1;
  return 0;
}
static int po_alloc_aligned_top(backing *s, struct sw_shadow *h, uint64_t r) {
  PO_CHECK(r && r % 4096 == 0 && sw_off(s, r) > h->fact[0] + 16,
           "block %llu, want 4096-aligned above the old top %llu", ULL(r), ULL(h->fact[0]));
  return 0;
}
static int su_alloc_aligned_free(backing *s, struct sw_shadow *h) {
  backing_addr x;
  SU_OK(sw_plain(s, h, 5000) && (x = sw_plain(s, h, 12000)) && sw_plain(s, h, 5000));
  SU_OK(sw_drop(s, h, x) == 0);
  h->fact[0] = x;
  sw_set_call(h, C_ALIGNED, 0, 5000);
  h->align = 1024;
  h->fresh = 1;
  return 0;
}
static int po_alloc_aligned_free(backing *s, struct sw_shadow *h, uint64_t r) {
  (void)s;
  PO_CHECK(r && r % 1024 == 0 && r > h->fact[0] && r + 5000 <= h->fact[0] + 12000,
           "block %llu, want 1024-aligned inside the free block %llu (12000 bytes)", ULL(r),
           ULL(h->fact[0]));
  return 0;
}
static int su_free_aligned(backing *s, struct sw_shadow *h) {
  backing_addr x;
  SU_OK(sw_plain(s, h, 5000) && (x = sw_aligned(s, h, 5000, 4096)) && sw_plain(s, h, 5000));
  h->fact[0] = sw_stat(s).free_blocks;
  sw_set_call(h, C_FREE, x, 0);
  sw_rule(h, x, SW_MAYBE, 0);
  return 0;
}
static int po_free_aligned(backing *s, struct sw_shadow *h, uint64_t r) {
  backing_stats st = sw_stat(s);
  PO_CHECK(r >= 5000 && st.free_blocks == h->fact[0],
           "free blocks %llu, before %llu (the gap should merge)", ULL(st.free_blocks),
           ULL(h->fact[0]));
  return 0;
}
static int su_realloc_shrink(backing *s, struct sw_shadow *h) {
  backing_addr x;
  SU_OK(sw_plain(s, h, 5000) && (x = sw_plain(s, h, 12000)) && sw_plain(s, h, 5000));
  sw_set_call(h, C_REALLOC, x, 5000);
  sw_rule(h, x, SW_MUST, 5000); /* in place: the first 5000 bytes stay, whatever the kill */
  return 0;
}
static int po_same_place(backing *s, struct sw_shadow *h, uint64_t r) {
  uint64_t us = backing_sizeof(s, r);
  PO_CHECK(r == h->a && us >= h->size && us < h->size + 64,
           "realloc gave %llu (size %llu), want in place at %llu with ~%llu bytes", ULL(r), ULL(us),
           ULL(h->a), ULL(h->size));
  return 0;
}
static int su_grow_neighbour(backing *s, struct sw_shadow *h, uint64_t to) {
  backing_addr x, y;
  SU_OK(sw_plain(s, h, 5000) && (x = sw_plain(s, h, 5000)) && (y = sw_plain(s, h, 8000)) &&
        sw_plain(s, h, 5000));
  SU_OK(sw_drop(s, h, y) == 0);
  sw_set_call(h, C_REALLOC, x, to);
  return 0;
}
static int su_realloc_grow_neighbour(backing *s, struct sw_shadow *h) {
  return su_grow_neighbour(s, h, 9000); /* the rest of the neighbour stays free */
}
static int su_realloc_grow_all(backing *s, struct sw_shadow *h) {
  return su_grow_neighbour(s, h, 13000); /* the whole neighbour */
}
static int su_realloc_grow_top(backing *s, struct sw_shadow *h) {
  backing_addr x;
  SU_OK(sw_plain(s, h, 5000) && (x = sw_plain(s, h, 5000)));
  sw_set_call(h, C_REALLOC, x, 9000);
  return 0;
}
static int su_realloc_move(backing *s, struct sw_shadow *h) {
  backing_addr x;
  SU_OK(sw_plain(s, h, 5000) && (x = sw_plain(s, h, 5000)) && sw_plain(s, h, 5000));
  sw_set_call(h, C_REALLOC, x, 9000);
  sw_rule(h, x, SW_MAYBE, 0);
  h->fresh = 1;
  return 0;
}
static int po_realloc_move(backing *s, struct sw_shadow *h, uint64_t r) {
  struct sw_blk *b = sw_find(h, h->a);
  PO_CHECK(r && r != h->a && backing_sizeof(s, h->a) == 0 && b &&
               find_pattern_mismatch(backing_ptr(s, r), b->len, b->key) < 0,
           "realloc gave %llu from %llu: want a new place, the contents kept, the old one free",
           ULL(r), ULL(h->a));
  return 0;
}
static int su_grow_arena(backing *s, struct sw_shadow *h) {
  SU_OK(sw_plain(s, h, 30000) && sw_plain(s, h, 100));
  sw_set_call(h, C_ALLOC, 0, 30000);
  h->fresh = 1;
  return 0;
}
static int po_grow_arena(backing *s, struct sw_shadow *h, uint64_t r) {
  backing_stats st = sw_stat(s);
  (void)h;
  PO_CHECK(r && st.arena_count == 2 && r >> s->shift == 1,
           "block %llu, %llu arenas: want the block in a new arena 1", ULL(r), ULL(st.arena_count));
  return 0;
}
/* Huge blocks (every store here is opened with BACKING_HUGE): a new span, the store's
   last span grown in place by realloc, a span's block freed. */
static int su_alloc_huge(backing *s, struct sw_shadow *h) {
  SU_OK(sw_plain(s, h, 5000));
  sw_set_call(h, C_ALLOC, 0, 150000);
  h->fresh = 1;
  return 0;
}
static int po_alloc_huge(backing *s, struct sw_shadow *h, uint64_t r) {
  PO_CHECK(r && r >> s->shift == 1 && backing_sizeof(s, r) >= h->size,
           "block %llu (%llu bytes): want a span from arena 1", ULL(r), ULL(backing_sizeof(s, r)));
  return 0;
}
static int su_realloc_huge_in_place(backing *s, struct sw_shadow *h) {
  backing_addr x;
  SU_OK(x = sw_plain(s, h, 150000));
  sw_set_call(h, C_REALLOC, x, 300000);
  return 0;
}
static int po_huge_in_place(backing *s, struct sw_shadow *h, uint64_t r) {
  PO_CHECK(r == h->a && backing_sizeof(s, r) >= h->size,
           "realloc gave %llu (size %llu), want in place at %llu with %llu bytes or more", ULL(r),
           ULL(backing_sizeof(s, r)), ULL(h->a), ULL(h->size));
  return 0;
}
static int su_free_huge(backing *s, struct sw_shadow *h) {
  return su_free_second(s, h, 150000);
}
static int po_free_huge(backing *s, struct sw_shadow *h, uint64_t r) {
  PO_CHECK(r >= 150000 && backing_sizeof(s, h->a) == 0, "free gave %llu; sizeof after: %llu",
           ULL(r), ULL(backing_sizeof(s, h->a)));
  return 0;
}
static int su_root_set(backing *s, struct sw_shadow *h) {
  backing_addr x;
  SU_OK((x = sw_plain(s, h, 5000)) && sw_plain(s, h, 100));
  if (backing_root_set(s, "sweep-other", x) != 0) return sw_err("setup: root_set");
  sw_root(h, "sweep-other", x, x);
  sw_root(h, "sweep-root", 0, x);
  snprintf(h->name, sizeof h->name, "sweep-root");
  sw_set_call(h, C_ROOT_SET, x, 0);
  return 0;
}
static int su_root_replace(backing *s, struct sw_shadow *h) {
  backing_addr x, y;
  SU_OK((x = sw_plain(s, h, 5000)) && (y = sw_plain(s, h, 100)));
  if (backing_root_set(s, "sweep-other", x) != 0 || backing_root_set(s, "sweep-root", x) != 0)
    return sw_err("setup: root_set");
  sw_root(h, "sweep-other", x, x);
  sw_root(h, "sweep-root", x, y);
  snprintf(h->name, sizeof h->name, "sweep-root");
  sw_set_call(h, C_ROOT_SET, y, 0);
  return 0;
}
static int su_root_del(backing *s, struct sw_shadow *h) {
  backing_addr x;
  SU_OK((x = sw_plain(s, h, 5000)) && sw_plain(s, h, 100));
  if (backing_root_set(s, "sweep-root", x) != 0 || backing_root_set(s, "sweep-other", x) != 0)
    return sw_err("setup: root_set");
  sw_root(h, "sweep-other", x, x);
  sw_root(h, "sweep-root", x, 0);
  snprintf(h->name, sizeof h->name, "sweep-root");
  sw_set_call(h, C_ROOT_DEL, 0, 0);
  return 0;
}
static int po_root(backing *s, struct sw_shadow *h, uint64_t r) {
  backing_addr want = h->call == C_ROOT_DEL ? 0 : h->a;
  PO_CHECK(r == 0 && backing_root_get(s, h->name) == want, "root %s is %llu, want %llu", h->name,
           ULL(backing_root_get(s, h->name)), ULL(want));
  return 0;
}
static int su_gc_alloc_slab(backing *s, struct sw_shadow *h) {
  SU_OK(sw_plain(s, h, 5000) && sw_gc(s, h, 40, 1) && sw_gc(s, h, 40, 0));
  sw_set_call(h, C_GC_ALLOC, 0, 40);
  h->refs = 1;
  h->fresh = 1;
  return 0;
}
static int su_gc_alloc_large(backing *s, struct sw_shadow *h) {
  SU_OK(sw_plain(s, h, 5000) && sw_gc(s, h, 6000, 1) && sw_gc(s, h, 40, 0));
  sw_set_call(h, C_GC_ALLOC, 0, 6000);
  h->refs = 1;
  h->fresh = 1;
  return 0;
}
static int su_gc_alloc_waiting(backing *s, struct sw_shadow *h) {
  SU_OK(sw_plain(s, h, 5000) && sw_gc(s, h, 6000, 0) && sw_gc(s, h, 40, 1));
  sw_set_call(h, C_GC_ALLOC, 0, 6000);
  h->refs = 0; /* born waiting: it joins the waiting list */
  h->fresh = 1;
  return 0;
}
static int po_gc_alloc(backing *s, struct sw_shadow *h, uint64_t r) {
  PO_CHECK(r && backing_gc_refcount(s, r) == h->refs && backing_gc_sizeof(s, r) >= h->size,
           "gc block %llu: count %u, size %llu", ULL(r), backing_gc_refcount(s, r),
           ULL(backing_gc_sizeof(s, r)));
  return 0;
}
/* GC blocks waiting on both sides of x in the arena's list */
static int su_gc_ref_from_0(backing *s, struct sw_shadow *h) {
  backing_addr x;
  SU_OK(sw_plain(s, h, 5000) && sw_gc(s, h, 100, 0) && (x = sw_gc(s, h, 100, 0)) &&
        sw_gc(s, h, 6000, 0) && sw_gc(s, h, 100, 1));
  sw_set_call(h, C_GC_REF, x, 0);
  sw_find(h, x)->cmax = 1;
  return 0;
}
static int su_gc_unref_to_0(backing *s, struct sw_shadow *h) {
  backing_addr x;
  SU_OK(sw_plain(s, h, 5000) && sw_gc(s, h, 100, 0) && (x = sw_gc(s, h, 6000, 1)) &&
        sw_gc(s, h, 100, 0));
  sw_set_call(h, C_GC_UNREF, x, 0);
  sw_find(h, x)->cmin = 0;
  return 0;
}
static int po_gc_count(backing *s, struct sw_shadow *h, uint64_t r) {
  uint32_t want = h->call == C_GC_REF ? 1 : 0;
  PO_CHECK(r == want && backing_gc_refcount(s, h->a) == want &&
               sw_stat(s).gc_waiting == (want ? 2u : 3u),
           "count %u (returned %llu), %llu waiting", backing_gc_refcount(s, h->a), ULL(r),
           ULL(sw_stat(s).gc_waiting));
  return 0;
}
static int su_gc_free(backing *s, struct sw_shadow *h, uint32_t len) {
  backing_addr x;
  SU_OK(sw_plain(s, h, 5000) && sw_gc(s, h, 100, 0) && (x = sw_gc(s, h, len, 0)) &&
        sw_gc(s, h, 100, 0) && sw_gc(s, h, 100, 1));
  sw_set_call(h, C_GC_FREE, x, 0);
  sw_rule(h, x, SW_MAYBE, 0);
  return 0;
}
static int su_gc_free_large(backing *s, struct sw_shadow *h) {
  return su_gc_free(s, h, 6000);
}
static int su_gc_free_slab(backing *s, struct sw_shadow *h) {
  return su_gc_free(s, h, 100);
}
static int po_gc_free(backing *s, struct sw_shadow *h, uint64_t r) {
  PO_CHECK(r > 0 && backing_gc_sizeof(s, h->a) == 0 && sw_stat(s).gc_waiting == 2,
           "gc_free gave %llu; %llu waiting", ULL(r), ULL(sw_stat(s).gc_waiting));
  return 0;
}
/* Three arenas, each with a plain filler, GC blocks waiting (aged once already, so the
   cycle frees them) and one referenced GC block (which stays). */
static int su_gc_cycle(backing *s, struct sw_shadow *h) {
  int i;
  uint32_t j;
  for (i = 0; i < 3; i++)
    SU_OK(sw_plain(s, h, 30000) && sw_gc(s, h, 100, 0) && sw_gc(s, h, 6000, 0) &&
          sw_gc(s, h, 300, 1) && sw_gc(s, h, 200, 0));
  (void)backing_gc_cycle(s);
  h->fact[0] = 0;
  for (j = 0; j < h->nb; j++)
    if (h->b[j].gc && h->b[j].cmax == 0) {
      h->b[j].rule = SW_MAYBE;
      h->fact[0] |= 1ull << (h->b[j].addr >> s->shift); /* arenas with blocks to free */
    }
  sw_set_call(h, C_GC_CYCLE, 0, 0);
  return 0;
}
static int po_gc_cycle(backing *s, struct sw_shadow *h, uint64_t r) {
  backing_stats st = sw_stat(s);
  PO_CHECK(r > 0 && st.gc_waiting == 0 && h->fact[0] == 7 && st.arena_count == 3,
           "cycle freed %llu bytes, %llu still waiting, arenas with waiting blocks 0x%llx "
           "(want 0x7)",
           ULL(r), ULL(st.gc_waiting), ULL(h->fact[0]));
  return 0;
}

/* ---- container scenarios --------------------------------------------------------------------
   A map: filler blocks, then a map under root "sweep-cont" built by a script of puts and
   deletes (sw_script), then the call. Its seed is fixed, so every run builds the same table
   and the call takes the same path. The scenarios that need a split, a doubling or a
   rebuild find how many steps come before it once, on a twin map in a memory store (the
   step whose put does it, by backing_map_stat before and after), and keep the count in the
   shared state. */

#define SW_SEED 0x5eedf00dcafe1234ull
#define SW_EKEY 0xe1e000u /* a vector element's pattern key: + its index */
#define SW_SKEY 0x57a000u /* a string's: + its number */

static struct {
  char k[48];
  uint32_t kl;
  unsigned char vb[64], e[64];
  const unsigned char *sb;
  backing_value v;
} sw_arg; /* the call's arguments */

/* Key id: 0 is the empty key, others "k<id>" padded with dots to (id % 5) * 9 bytes. */
static uint32_t sw_key(uint32_t id, char *buf) {
  int n;
  uint32_t want = (id % 5) * 9;
  if (id == 0) return 0;
  n = snprintf(buf, 48, "k%u", id);
  while ((uint32_t)n < want) buf[n++] = '.';
  buf[n] = 0;
  return (uint32_t)n;
}
/* The id of a key from the map, or -1 if no id makes it. */
static long sw_key_id(const void *key, uint64_t klen) {
  char b[48], t[48];
  unsigned long id;
  if (klen == 0) return 0;
  if (klen >= sizeof b) return -1;
  memcpy(b, key, (size_t)klen);
  b[klen] = 0;
  if (b[0] != 'k' || b[1] < '1' || b[1] > '9') return -1;
  id = strtoul(b + 1, NULL, 10);
  if (id >= SW_KEYS || sw_key((uint32_t)id, t) != klen || memcmp(t, b, (size_t)klen) != 0)
    return -1;
  return (long)id;
}
/* The value of key id at version ver: bytes (0 to 60 of them), i64, f64 or an address. */
static void sw_val(uint32_t id, uint32_t ver, backing_value *v, unsigned char *buf) {
  memset(v, 0, sizeof *v);
  switch ((id + 3 * ver) % 6) {
  case 3:
    v->kind = BACKING_VALUE_I64;
    v->i64 = -(int64_t)id * 1000003 - ver;
    break;
  case 4:
    v->kind = BACKING_VALUE_F64;
    v->f64 = id + ver / 8.0;
    break;
  case 5:
    v->kind = BACKING_VALUE_ADDR;
    v->addr = ((uint64_t)id + 1) * 16 + ((uint64_t)ver << 32);
    break;
  default:
    v->kind = BACKING_VALUE_BYTES;
    v->len = (id * 7 + ver * 3) % 61;
    fill_pattern(buf, v->len, (uint64_t)id << 8 | ver);
    v->data = buf;
  }
}
static int sw_val_is(const backing_value *got, uint32_t id, uint32_t ver) {
  backing_value w;
  unsigned char b[64];
  sw_val(id, ver, &w, b);
  if (got->kind != w.kind) return 0;
  switch (w.kind) {
  case BACKING_VALUE_I64:
    return got->i64 == w.i64;
  case BACKING_VALUE_F64:
    return memcmp(&got->f64, &w.f64, 8) == 0;
  case BACKING_VALUE_ADDR:
    return got->addr == w.addr;
  default:
    return got->len == w.len && got->data &&
           (w.len == 0 || memcmp(got->data, b, (size_t)w.len) == 0) &&
           ((const unsigned char *)got->data)[w.len] == 0;
  }
}
static const char *sw_vstr(uint8_t ver) {
  static char b[4][16];
  static int i;
  i = (i + 1) & 3;
  if (ver == SW_ABSENT) return "absent";
  snprintf(b[i], sizeof b[i], "version %u", ver);
  return b[i];
}

static int sw_map_put(backing *s, backing_addr m, uint32_t id, uint32_t ver) {
  char k[48];
  unsigned char vb[64];
  backing_value v;
  uint32_t kl = sw_key(id, k);
  sw_val(id, ver, &v, vb);
  return backing_map_put(s, m, k, kl, &v);
}
static int sw_map_del(backing *s, backing_addr m, uint32_t id) {
  char k[48];
  uint32_t kl = sw_key(id, k);
  return backing_map_del(s, m, k, kl);
}
static backing_addr sw_map_new(backing *s) {
  backing_addr m = backing_map_new(s, 0);
  if (m) ((backing__maph *)backing_ptr(s, m))->seed = SW_SEED; /* empty yet: any seed will do */
  return m;
}

enum { SC_SMALL = 1, SC_GROW, SC_TOMB, SC_WIDE };
enum { SW_EV_DOUBLE = 1, SW_EV_SPLIT, SW_EV_REBUILD };
/* Step i of a script: 1 put key *id (version 0), 2 delete it, 0 the end. SMALL: 40 keys.
   GROW: keys 0, 1, 2, ... TOMB: 378 keys (one segment, not split), all but every sixth
   deleted, then new keys. WIDE: made by sw_wide. */
static int sw_script(int sc, uint32_t i, uint32_t *id) {
  if (sc == SC_SMALL) return i < 40 ? (*id = i, 1) : 0;
  if (sc == SC_GROW) return i < SW_MAXK ? (*id = i, 1) : 0;
  if (sc == SC_WIDE)
    return i < G->wide_n ? (*id = G->wide[i] & 0x7fffffffu, G->wide[i] >> 31 ? 2 : 1) : 0;
  if (i < 378) return *id = i, 1;
  if (i < 378 + 315) return *id = 6 * ((i - 378) / 5) + 1 + (i - 378) % 5, 2;
  return i - 315 < SW_MAXK ? (*id = i - 315, 1) : 0;
}
static int sw_event(uint32_t ev, const backing_map_stats *a, const backing_map_stats *b) {
  if (ev == SW_EV_DOUBLE) return b->depth > a->depth;
  if (ev == SW_EV_SPLIT) return b->segments > a->segments && b->depth == a->depth;
  return b->segments == a->segments && a->tombstones > 0 && b->tombstones == 0;
}
/* The number of steps of script sc before the put that does ev (-1: none does). */
static long sw_plan(int sc, uint32_t ev) {
  backing_config c = mem_cfg(SW_ARENA, 0);
  backing *t = NULL;
  backing_addr m;
  backing_map_stats a, b;
  uint32_t i, id;
  long at = -1;
  int op;
  if (G->plan[sc * 4 + ev]) return G->plan[sc * 4 + ev] - 1;
  if (backing_open(&t, &c) != 0) return -1;
  if ((m = sw_map_new(t)) != 0)
    for (i = 0; (op = sw_script(sc, i, &id)) != 0; i++) {
      if (backing_map_stat(t, m, &a) != 0 ||
          (op == 1 ? sw_map_put(t, m, id, 0) : sw_map_del(t, m, id)) != 0 ||
          backing_map_stat(t, m, &b) != 0)
        break;
      if (op == 1 && sw_event(ev, &a, &b)) {
        at = i;
        break;
      }
    }
  backing_close(t);
  if (at >= 0) G->plan[sc * 4 + ev] = at + 1;
  return at;
}

/* The top bit of key id's hash: which half of a depth-1 directory it goes to. */
static unsigned sw_half(uint32_t id) {
  char k[48];
  uint32_t kl = sw_key(id, k);
  return (unsigned)(backing__hash(SW_SEED, k, kl) >> 63);
}
/* The WIDE script: a rebuild of a segment that two directory entries name. Keys until the
   directory doubles; keys of the lower half until it doubles again (the upper half's segment
   B, depth 1, is now named by entries 2 and 3); keys of the upper half until B has 378 used
   slots; all but every sixth of B's keys deleted; then new keys of the upper half. */
static void sw_wide(void) {
  backing_config c = mem_cfg(SW_ARENA, 0);
  backing *t = NULL;
  backing_addr m;
  backing_map_stats st;
  uint32_t id = 0, n = 0, j, from;
  backing__seg *b = NULL;
  if (G->wide_n || backing_open(&t, &c) != 0) return;
  if ((m = sw_map_new(t)) == 0) goto out;
  for (; n < 2000; id++) {
    if (backing_map_stat(t, m, &st) != 0 || st.depth >= 2) break;
    if (st.depth == 1 && sw_half(id)) continue;
    if (sw_map_put(t, m, id, 0) != 0) goto out;
    G->wide[n++] = id;
  }
  if (st.depth != 2 || st.segments != 3) goto out;
  { /* B: entries 2 and 3 of the directory */
    backing__maph *h = (backing__maph *)backing_ptr(t, m);
    uint64_t *d = (uint64_t *)backing_ptr(t, h->dir);
    if (d[3] != d[4]) goto out;
    b = (backing__seg *)backing_ptr(t, d[3]);
  }
  for (; n < 2500 && b->used < 378; id++)
    if (sw_half(id)) {
      if (sw_map_put(t, m, id, 0) != 0) goto out;
      G->wide[n++] = id;
    }
  from = n;
  for (j = 0; j < from && n < 3500; j++)
    if (sw_half(G->wide[j]) && G->wide[j] % 6) G->wide[n++] = G->wide[j] | 1u << 31;
  for (; n < 4000 && id < SW_MAXK; id++)
    if (sw_half(id)) G->wide[n++] = id;
  G->wide_n = n;
out:
  backing_close(t);
}

/* Fillers, the map under its root, `steps` steps of script sc. */
static int su_map(backing *s, struct sw_shadow *h, int sc, long steps) {
  struct sw_cont *c = &h->c;
  backing_addr m;
  uint32_t i, id;
  int op;
  SU_OK(sw_plain(s, h, 5000) && sw_plain(s, h, 100));
  if ((m = sw_map_new(s)) == 0) return sw_err("setup: map_new: %s", err_name(backing_last_error()));
  if (backing_root_set(s, "sweep-cont", m) != 0) return sw_err("setup: root_set");
  sw_root(h, "sweep-cont", m, m);
  c->kind = CK_MAP;
  c->addr = m;
  memset(c->kv, SW_ABSENT, sizeof c->kv);
  if (steps < 0) return sw_err("setup: no step of the script does what the scenario is for");
  for (i = 0; i < (uint32_t)steps; i++) {
    if ((op = sw_script(sc, i, &id)) == 0) return sw_err("setup: the script ended");
    if ((op == 1 ? sw_map_put(s, m, id, 0) : sw_map_del(s, m, id)) != 0)
      return sw_err("setup: map %s of key %u: %s", op == 1 ? "put" : "del", id,
                    err_name(backing_last_error()));
    c->kv[id] = op == 1 ? 0 : SW_ABSENT;
    if (id >= c->nk) c->nk = id + 1;
  }
  return 0;
}
/* The call: put key id at version ver (SW_ABSENT: delete it). fresh: the blocks it makes. */
static int su_map_call(backing *s, struct sw_shadow *h, uint32_t id, uint8_t ver, uint32_t ev,
                       uint32_t fresh) {
  struct sw_cont *c = &h->c;
  backing_map_stats st;
  if (backing_map_stat(s, c->addr, &st) != 0) return sw_err("setup: map_stat");
  h->fact[0] = st.entries;
  h->fact[1] = st.segments;
  h->fact[2] = st.depth;
  h->fact[3] = st.tombstones;
  c->opk = id;
  c->opold = c->kv[id];
  c->opnew = ver;
  c->ev = ev;
  if (id >= c->nk) c->nk = id + 1;
  sw_set_call(h, ver == SW_ABSENT ? C_MAP_DEL : C_MAP_PUT, c->addr, 0);
  h->fresh = fresh;
  return 0;
}
static int su_map_put_new(backing *s, struct sw_shadow *h) {
  SU_OK(su_map(s, h, SC_SMALL, 40) == 0);
  return su_map_call(s, h, 40, 0, 0, 1);
}
static int su_map_put_overwrite(backing *s, struct sw_shadow *h) {
  SU_OK(su_map(s, h, SC_SMALL, 40) == 0);
  return su_map_call(s, h, 17, 1, 0, 1);
}
static int su_map_del(backing *s, struct sw_shadow *h) {
  SU_OK(su_map(s, h, SC_SMALL, 40) == 0);
  return su_map_call(s, h, 17, SW_ABSENT, 0, 0);
}
static int su_map_grow(backing *s, struct sw_shadow *h, int sc, uint32_t ev, uint32_t fresh) {
  long at = sw_plan(sc, ev);
  uint32_t id = 0;
  SU_OK(su_map(s, h, sc, at) == 0);
  if (sw_script(sc, (uint32_t)at, &id) != 1) return sw_err("setup: the step is not a put");
  return su_map_call(s, h, id, 0, ev, fresh);
}
static int su_map_put_double(backing *s, struct sw_shadow *h) {
  return su_map_grow(s, h, SC_GROW, SW_EV_DOUBLE, 4); /* entry, two halves, directory */
}
static int su_map_put_split(backing *s, struct sw_shadow *h) {
  return su_map_grow(s, h, SC_GROW, SW_EV_SPLIT, 3); /* entry, two halves */
}
static int su_map_put_rebuild(backing *s, struct sw_shadow *h) {
  return su_map_grow(s, h, SC_TOMB, SW_EV_REBUILD, 2); /* entry, the new segment */
}
static int su_map_put_rebuild_wide(backing *s, struct sw_shadow *h) {
  SU_OK(su_map_grow(s, h, SC_WIDE, SW_EV_REBUILD, 2) == 0);
  if (h->fact[1] != 3 || h->fact[2] != 2)
    return sw_err("setup: %llu segments, depth %llu: want 3 segments, depth 2", ULL(h->fact[1]),
                  ULL(h->fact[2]));
  return 0;
}
static int po_map(backing *s, struct sw_shadow *h, uint64_t r) {
  const struct sw_cont *c = &h->c;
  backing_map_stats st;
  backing_value v;
  char k[48];
  uint32_t kl = sw_key(c->opk, k);
  int got = backing_map_get(s, c->addr, k, kl, &v);
  uint64_t want = h->fact[0] + (c->opold == SW_ABSENT) - (c->opnew == SW_ABSENT);
  PO_CHECK(r == 0, "the call returned %s", err_name((int)(int64_t)r));
  PO_CHECK(c->opnew == SW_ABSENT ? got == BACKING_ENOTFOUND
                                 : got == 0 && sw_val_is(&v, c->opk, c->opnew),
           "key %u after the call: get %s", c->opk, err_name(got));
  PO_CHECK(backing_map_stat(s, c->addr, &st) == 0 && st.entries == want &&
               backing_map_len(s, c->addr) == want,
           "%llu keys (len %llu), want %llu", ULL(st.entries), ULL(backing_map_len(s, c->addr)),
           ULL(want));
  switch (c->ev) {
  case SW_EV_DOUBLE:
    PO_CHECK(st.depth == h->fact[2] + 1 && st.segments == h->fact[1] + 1,
             "depth %u, %llu segments; before %llu, %llu: want the directory doubled", st.depth,
             ULL(st.segments), ULL(h->fact[2]), ULL(h->fact[1]));
    break;
  case SW_EV_SPLIT:
    PO_CHECK(st.depth == h->fact[2] && st.segments == h->fact[1] + 1,
             "depth %u, %llu segments; before %llu, %llu: want a split, same depth", st.depth,
             ULL(st.segments), ULL(h->fact[2]), ULL(h->fact[1]));
    break;
  case SW_EV_REBUILD:
    PO_CHECK(st.segments == h->fact[1] && h->fact[3] > 0 && st.tombstones == 0,
             "%llu segments, %llu tombstones; before %llu, %llu: want a rebuild", ULL(st.segments),
             ULL(st.tombstones), ULL(h->fact[1]), ULL(h->fact[3]));
    break;
  default:
    PO_CHECK(st.segments == h->fact[1] && st.depth == h->fact[2],
             "%llu segments, depth %u; before %llu, %llu: want no split", ULL(st.segments),
             st.depth, ULL(h->fact[1]), ULL(h->fact[2]));
  }
  return 0;
}

/* A vector of 24-byte elements under root "sweep-cont", n elements pushed (element i holds
   pattern SW_EKEY + i). */
static int su_vec(backing *s, struct sw_shadow *h, uint32_t n) {
  struct sw_cont *c = &h->c;
  backing_addr v;
  unsigned char e[24];
  uint32_t i;
  SU_OK(sw_plain(s, h, 5000) && sw_plain(s, h, 100));
  if ((v = backing_vec_new(s, sizeof e, 0)) == 0)
    return sw_err("setup: vec_new: %s", err_name(backing_last_error()));
  if (backing_root_set(s, "sweep-cont", v) != 0) return sw_err("setup: root_set");
  sw_root(h, "sweep-cont", v, v);
  for (i = 0; i < n; i++) {
    fill_pattern(e, sizeof e, SW_EKEY + i);
    if (backing_vec_push(s, v, e) != 0) return sw_err("setup: vec_push");
  }
  c->kind = CK_VEC;
  c->addr = v;
  c->elem = sizeof e;
  c->len0 = c->len1 = n;
  h->fact[0] = sw_stat(s).used_blocks;
  return 0;
}
/* 32 elements fill segments 0 to 3 (4, 4, 8, 16): the push makes segment 4 */
static int su_vec_push(backing *s, struct sw_shadow *h) {
  SU_OK(su_vec(s, h, 32) == 0);
  h->c.len1 = 33;
  sw_set_call(h, C_VEC_PUSH, h->c.addr, 32);
  h->fresh = 1;
  return 0;
}
static int su_vec_pop(backing *s, struct sw_shadow *h) {
  SU_OK(su_vec(s, h, 33) == 0);
  h->c.len1 = 32;
  sw_set_call(h, C_VEC_POP, h->c.addr, 32);
  return 0;
}
/* 10 elements (segments 0 to 2) to 300: segments 3 to 7 made, 290 elements zeroed */
static int su_vec_resize(backing *s, struct sw_shadow *h) {
  SU_OK(su_vec(s, h, 10) == 0);
  h->c.len1 = 300;
  sw_set_call(h, C_VEC_RESIZE, h->c.addr, 300);
  h->fresh = 5;
  return 0;
}
static int su_vec_resize_shrink(backing *s, struct sw_shadow *h) {
  SU_OK(su_vec(s, h, 300) == 0);
  h->c.len1 = 20;
  sw_set_call(h, C_VEC_RESIZE, h->c.addr, 20);
  return 0;
}
static int po_vec(backing *s, struct sw_shadow *h, uint64_t r) {
  const struct sw_cont *c = &h->c;
  uint64_t len = backing_vec_len(s, c->addr), blocks = sw_stat(s).used_blocks, i;
  PO_CHECK(r == 0 && len == c->len1, "the call returned %s; length %llu, want %llu",
           err_name((int)(int64_t)r), ULL(len), ULL(c->len1));
  PO_CHECK(h->call != C_VEC_POP || find_pattern_mismatch(sw_arg.e, c->elem, SW_EKEY + len) < 0,
           "vec_pop gave element %llu wrong", ULL(len));
  PO_CHECK(blocks == h->fact[0] + h->fresh, "%llu live blocks, %llu before: want %u new segments",
           ULL(blocks), ULL(h->fact[0]), h->fresh);
  for (i = 0; i < len; i++) {
    const unsigned char *p = (const unsigned char *)backing_vec_at(s, c->addr, i);
    PO_CHECK(p && (i < c->len0 || h->call == C_VEC_PUSH
                       ? find_pattern_mismatch(p, c->elem, SW_EKEY + i) < 0
                       : all_bytes_are(p, c->elem, 0)),
             "element %llu after the call", ULL(i));
  }
  return 0;
}

static const unsigned char *sw_str_bytes(uint32_t len, uint32_t n) {
  static unsigned char b[4][3000];
  fill_pattern(b[n], len, SW_SKEY + n);
  return b[n];
}
static const uint32_t sw_str_len[4] = {20, 100, 2500, 2000};
/* Three strings (one under root "sweep-cont"), then a fourth. */
static int su_str_new(backing *s, struct sw_shadow *h) {
  struct sw_cont *c = &h->c;
  uint32_t i;
  SU_OK(sw_plain(s, h, 5000) && sw_plain(s, h, 100));
  for (i = 0; i < 3; i++) {
    c->slen[i] = sw_str_len[i];
    if ((c->str[i] = backing_str_new(s, sw_str_bytes(sw_str_len[i], i), sw_str_len[i])) == 0)
      return sw_err("setup: str_new: %s", err_name(backing_last_error()));
  }
  if (backing_root_set(s, "sweep-cont", c->str[1]) != 0) return sw_err("setup: root_set");
  sw_root(h, "sweep-cont", c->str[1], c->str[1]);
  c->kind = CK_STR;
  h->fact[0] = sw_stat(s).used_blocks;
  sw_set_call(h, C_STR_NEW, 0, sw_str_len[3]);
  h->fresh = 1;
  return 0;
}
static int po_str_new(backing *s, struct sw_shadow *h, uint64_t r) {
  const char *p = backing_str_data(s, r);
  PO_CHECK(r && p && backing_str_len(s, r) == h->size &&
               memcmp(p, sw_str_bytes((uint32_t)h->size, 3), (size_t)h->size) == 0 &&
               p[h->size] == 0 && sw_stat(s).used_blocks == h->fact[0] + 1,
           "str_new gave %llu (%s)", ULL(r), err_name(backing_last_error()));
  return 0;
}

/* Before the victims fork: the plans, so that every victim runs the same code. */
static void sw_prepare(int (*setup)(backing *s, struct sw_shadow *h)) {
  if (setup == su_map_put_double) (void)sw_plan(SC_GROW, SW_EV_DOUBLE);
  if (setup == su_map_put_split) (void)sw_plan(SC_GROW, SW_EV_SPLIT);
  if (setup == su_map_put_rebuild) (void)sw_plan(SC_TOMB, SW_EV_REBUILD);
  if (setup == su_map_put_rebuild_wide) sw_wide(), (void)sw_plan(SC_WIDE, SW_EV_REBUILD);
}

struct sw_op {
  const char *name;
  int (*setup)(backing *s, struct sw_shadow *h);
  int (*post)(backing *s, struct sw_shadow *h, uint64_t r);
};
static const struct sw_op sw_ops[] = {
    {"alloc_slab_new", su_alloc_slab_new, po_slab_block},
    {"alloc_slab", su_alloc_slab, po_slab_block},
    {"free_slab", su_free_slab, po_free_slab},
    {"free_slab_empty", su_free_slab_empty, po_free_slab_empty},
    {"alloc_large_top", su_alloc_large_top, po_alloc_large_top},
    {"alloc_large_split", su_alloc_large_split, po_in_hole},
    {"alloc_large_whole", su_alloc_large_whole, po_in_hole},
    {"free_large_merge", su_free_large_merge, po_free_large_merge},
    {"free_large_top", su_free_large_top, po_top_down},
    {"free_large_top_merge", su_free_large_top_merge, po_top_down},
    {"alloc_aligned_top", su_alloc_aligned_top, po_alloc_aligned_top},
    {"alloc_aligned_free", su_alloc_aligned_free, po_alloc_aligned_free},
    {"free_aligned", su_free_aligned, po_free_aligned},
    {"realloc_shrink", su_realloc_shrink, po_same_place},
    {"realloc_grow_neighbour", su_realloc_grow_neighbour, po_same_place},
    {"realloc_grow_all", su_realloc_grow_all, po_same_place},
    {"realloc_grow_top", su_realloc_grow_top, po_same_place},
    {"realloc_move", su_realloc_move, po_realloc_move},
    {"grow_arena", su_grow_arena, po_grow_arena},
    {"alloc_huge", su_alloc_huge, po_alloc_huge},
    {"realloc_huge_in_place", su_realloc_huge_in_place, po_huge_in_place},
    {"free_huge", su_free_huge, po_free_huge},
    {"root_set", su_root_set, po_root},
    {"root_replace", su_root_replace, po_root},
    {"root_del", su_root_del, po_root},
    {"gc_alloc_slab", su_gc_alloc_slab, po_gc_alloc},
    {"gc_alloc_large", su_gc_alloc_large, po_gc_alloc},
    {"gc_alloc_waiting", su_gc_alloc_waiting, po_gc_alloc},
    {"gc_ref_from_0", su_gc_ref_from_0, po_gc_count},
    {"gc_unref_to_0", su_gc_unref_to_0, po_gc_count},
    {"gc_free_large", su_gc_free_large, po_gc_free},
    {"gc_free_slab", su_gc_free_slab, po_gc_free},
    {"gc_cycle", su_gc_cycle, po_gc_cycle},
    {"map_put_new", su_map_put_new, po_map},
    {"map_put_overwrite", su_map_put_overwrite, po_map},
    {"map_del", su_map_del, po_map},
    {"map_put_double", su_map_put_double, po_map},
    {"map_put_split", su_map_put_split, po_map},
    {"map_put_rebuild", su_map_put_rebuild, po_map},
    {"map_put_rebuild_wide", su_map_put_rebuild_wide, po_map},
    {"vec_push", su_vec_push, po_vec},
    {"vec_pop", su_vec_pop, po_vec},
    {"vec_resize", su_vec_resize, po_vec},
    {"vec_resize_shrink", su_vec_resize_shrink, po_vec},
    {"str_new", su_str_new, po_str_new}};
#define SW_NOPS ((int)(sizeof sw_ops / sizeof sw_ops[0]))

/* ---- the call, between two markers --------------------------------------------------------- */

static volatile int sw_mark;
static volatile uint64_t sw_result;
__attribute__((noinline)) static void sw_begin(void) {
  sw_mark = 1;
}
__attribute__((noinline)) static void sw_end(void) {
  sw_mark = 2;
}

/* The call's arguments, made before the victim stops (the way from there to the marker is
   single-stepped): sw_args. */
static void sw_args(const struct sw_shadow *h) {
  memset(&sw_arg, 0, sizeof sw_arg);
  if (h->call == C_MAP_PUT || h->call == C_MAP_DEL) {
    sw_arg.kl = sw_key(h->c.opk, sw_arg.k);
    if (h->c.opnew != SW_ABSENT) sw_val(h->c.opk, h->c.opnew, &sw_arg.v, sw_arg.vb);
  }
  if (h->call == C_VEC_PUSH) fill_pattern(sw_arg.e, h->c.elem, SW_EKEY + h->size);
  if (h->call == C_STR_NEW) sw_arg.sb = sw_str_bytes((uint32_t)h->size, 3);
}

static void sw_call(backing *s, const struct sw_shadow *h) {
  uint64_t r = 0;
  sw_begin();
  switch (h->call) {
  case C_MAP_PUT:
    r = (uint64_t)(int64_t)backing_map_put(s, h->a, sw_arg.k, sw_arg.kl, &sw_arg.v);
    break;
  case C_MAP_DEL:
    r = (uint64_t)(int64_t)backing_map_del(s, h->a, sw_arg.k, sw_arg.kl);
    break;
  case C_VEC_PUSH:
    r = (uint64_t)(int64_t)backing_vec_push(s, h->a, sw_arg.e);
    break;
  case C_VEC_POP:
    r = (uint64_t)(int64_t)backing_vec_pop(s, h->a, sw_arg.e);
    break;
  case C_VEC_RESIZE:
    r = (uint64_t)(int64_t)backing_vec_resize(s, h->a, h->size);
    break;
  case C_STR_NEW:
    r = backing_str_new(s, sw_arg.sb, h->size);
    break;
  case C_ALLOC:
    r = backing_alloc(s, h->size);
    break;
  case C_ALIGNED:
    r = backing_alloc_aligned(s, h->size, h->align);
    break;
  case C_FREE:
    r = backing_free(s, h->a);
    break;
  case C_REALLOC:
    r = backing_realloc(s, h->a, h->size);
    break;
  case C_ROOT_SET:
    r = (uint64_t)(int64_t)backing_root_set(s, h->name, h->a);
    break;
  case C_ROOT_DEL:
    r = (uint64_t)(int64_t)backing_root_del(s, h->name);
    break;
  case C_GC_ALLOC:
    r = backing_gc_alloc(s, h->size, 7, (uint32_t)h->refs);
    break;
  case C_GC_REF:
    r = backing_gc_ref(s, h->a);
    break;
  case C_GC_UNREF:
    r = backing_gc_unref(s, h->a);
    break;
  case C_GC_FREE:
    r = backing_gc_free(s, h->a);
    break;
  default:
    r = backing_gc_cycle(s);
    break;
  }
  sw_end();
  sw_result = r;
}

/* ---- the processes --------------------------------------------------------------------------- */

static char sw_root_dir[512];

static void sw_paths(char *dir, size_t n, const struct sw_op *op, int attached) {
  snprintf(dir, n, "%s/%s-%s", sw_root_dir, op->name, attached ? "attached" : "fresh");
}
static int sw_shadow_io(const char *dir, struct sw_shadow *h, int save) {
  char p[800];
  size_t len;
  unsigned char *b;
  snprintf(p, sizeof p, "%s/shadow", dir);
  if (save) return write_whole(p, h, sizeof *h) == 0 ? 0 : sw_err("writing %s", p);
  b = read_whole(p, &len);
  if (!b || len != sizeof *h) {
    free(b);
    return sw_err("reading %s", p);
  }
  memcpy(h, b, sizeof *h);
  free(b);
  return 0;
}

/* Every store of the sweep, opened with BACKING_HUGE (the huge scenarios need it). */
static backing_config sw_cfg(const char *dir, uint64_t arena) {
  backing_config c = mmap_cfg(dir, "sw", arena);
  c.flags |= BACKING_HUGE;
  return c;
}

/* The victim: builds the scenario, stops, makes the call; then (when not killed) checks
   that the call did what the scenario is for. */
static int sw_victim(const struct sw_op *op, const char *dir) {
  backing_config c = sw_cfg(dir, SW_ARENA);
  backing *s = NULL;
  static struct sw_shadow h;
  int rc;
  if (ptrace(PTRACE_TRACEME, 0, (void *)0, (void *)0) != 0) return SW_NOPTRACE;
  rc = backing_open(&s, &c);
  if (rc != 0) return sw_err("victim open: %s", err_name(rc)), 1;
  memset(&h, 0, sizeof h);
  if (op->setup(s, &h) != 0) return 1;
  if (h.c.kind) { /* the containers' blocks: all the live ones the shadow does not list */
    uint32_t i, n = 0;
    for (i = 0; i < h.nb; i++) n += h.b[i].rule != SW_GONE;
    h.c.blocks = sw_stat(s).used_blocks - n;
  }
  if (sw_shadow_io(dir, &h, 1) != 0) return 1;
  sw_args(&h);
  raise(SIGSTOP);
  sw_call(s, &h);
  if (op->post(s, &h, sw_result) != 0) return 1;
  rc = backing_check(s);
  if (rc != 0) return sw_err("after the call: backing_check: %s", backing_check_detail(s)), 1;
  return backing_close(s) != 0;
}

/* Is block b intact: size, contents, GC count? */
static int sw_blk_ok(backing *s, const struct sw_blk *b, const char *who, const char *when) {
  uint64_t us = b->gc ? backing_gc_sizeof(s, b->addr) : backing_sizeof(s, b->addr);
  long long at;
  uint32_t c;
  if (us < b->len)
    return sw_err("%s, %s: %s block %llu (%u bytes) reports size %llu (%s)", who, when,
                  b->gc ? "GC" : "plain", ULL(b->addr), b->len, ULL(us),
                  err_name(backing_last_error()));
  at = find_pattern_mismatch(backing_ptr(s, b->addr), b->len, b->key);
  if (at >= 0)
    return sw_err("%s, %s: block %llu (%u bytes) changed at byte %lld", who, when, ULL(b->addr),
                  b->len, at);
  if (b->gc) {
    c = backing_gc_refcount(s, b->addr);
    if (c < b->cmin || c > b->cmax)
      return sw_err("%s, %s: GC block %llu has count %u, want %u..%u", who, when, ULL(b->addr), c,
                    b->cmin, b->cmax);
  }
  return 0;
}

/* ---- containers after the death ------------------------------------------------------------ */

/* The map: every key has its version (the key the call changed: the old or the new one, which
   is then taken as its version), iteration returns each key once with its value, len agrees,
   map_check passes. */
static int sw_map_verify(backing *s, struct sw_shadow *h, const char *who, const char *when) {
  struct sw_cont *c = &h->c;
  static uint8_t seen[SW_KEYS];
  backing_map_cursor cur;
  backing_value v;
  const void *kp;
  uint64_t kl, n = 0, found = 0, len;
  uint32_t id;
  char k[48];
  int rc;
  for (id = 0; id < c->nk; id++) {
    uint8_t want = c->kv[id];
    rc = backing_map_get(s, c->addr, k, sw_key(id, k), &v);
    if (rc != 0 && rc != BACKING_ENOTFOUND)
      return sw_err("%s, %s: map_get of key %u: %s", who, when, id, err_name(rc));
    if (id == c->opk && h->call) { /* the call's key, not yet seen since the death */
      if (rc == 0 && c->opnew != SW_ABSENT && sw_val_is(&v, id, c->opnew))
        c->kv[id] = c->opnew;
      else if (rc == 0 && c->opold != SW_ABSENT && sw_val_is(&v, id, c->opold))
        c->kv[id] = c->opold;
      else if (rc != 0 && (c->opold == SW_ABSENT || c->opnew == SW_ABSENT))
        c->kv[id] = SW_ABSENT;
      else
        return sw_err("%s, %s: the key the call changed (%u) is %s, want %s or %s", who, when, id,
                      rc ? "absent" : "present with another value", sw_vstr(c->opold),
                      sw_vstr(c->opnew));
      h->call = 0; /* from here on, exact */
    } else if (want == SW_ABSENT ? rc != BACKING_ENOTFOUND : rc != 0 || !sw_val_is(&v, id, want)) {
      return sw_err("%s, %s: key %u: get %s%s, want %s", who, when, id, err_name(rc),
                    rc == 0 ? " with another value" : "", sw_vstr(want));
    }
    found += c->kv[id] != SW_ABSENT;
  }
  memset(seen, 0, sizeof seen);
  memset(&cur, 0, sizeof cur);
  while ((rc = backing_map_next(s, c->addr, &cur, &kp, &kl, &v)) == 1) {
    long i = sw_key_id(kp, kl);
    if (i < 0 || (uint32_t)i >= c->nk || c->kv[i] == SW_ABSENT)
      return sw_err("%s, %s: map_next returned a key that is not in the map (%.*s, %llu bytes)",
                    who, when, (int)(kl < 40 ? kl : 40), (const char *)kp, ULL(kl));
    if (seen[i]++) return sw_err("%s, %s: map_next returned key %ld twice", who, when, i);
    if (!sw_val_is(&v, (uint32_t)i, c->kv[i]))
      return sw_err("%s, %s: map_next: key %ld with another value", who, when, i);
    if (++n > SW_KEYS) return sw_err("%s, %s: map_next does not end", who, when);
  }
  if (rc != 0) return sw_err("%s, %s: map_next: %s", who, when, err_name(rc));
  len = backing_map_len(s, c->addr);
  if (n != found || len != n)
    return sw_err("%s, %s: map_next returned %llu keys, map_len says %llu, there are %llu", who,
                  when, ULL(n), ULL(len), ULL(found));
  if ((rc = backing_map_check(s, c->addr)) != 0)
    return sw_err("%s, %s: map_check: %s: %s", who, when, err_name(rc), backing_check_detail(s));
  return 0;
}

/* The vector: length old or new (taken from then on), element i zeros if in [z0, z1) (what a
   resize made), else pattern SW_EKEY + i. */
static int sw_vec_verify(backing *s, struct sw_shadow *h, const char *who, const char *when) {
  struct sw_cont *c = &h->c;
  uint64_t len = backing_vec_len(s, c->addr), i;
  if (h->call) {
    if (len != c->len0 && len != c->len1)
      return sw_err("%s, %s: vector length %llu (%s), want %llu or %llu", who, when, ULL(len),
                    err_name(backing_last_error()), ULL(c->len0), ULL(c->len1));
    if (h->call == C_VEC_RESIZE && len == c->len1 && c->len1 > c->len0)
      c->z0 = c->len0, c->z1 = c->len1;
    c->len0 = c->len1 = len;
    h->call = 0;
  } else if (len != c->len1) {
    return sw_err("%s, %s: vector length %llu, want %llu", who, when, ULL(len), ULL(c->len1));
  }
  for (i = 0; i < len; i++) {
    const unsigned char *p = (const unsigned char *)backing_vec_at(s, c->addr, i);
    if (!p || (i >= c->z0 && i < c->z1 ? !all_bytes_are(p, c->elem, 0)
                                       : find_pattern_mismatch(p, c->elem, SW_EKEY + i) >= 0))
      return sw_err("%s, %s: vector element %llu of %llu is %s", who, when, ULL(i), ULL(len),
                    p ? "wrong" : err_name(backing_last_error()));
  }
  if (backing_vec_at(s, c->addr, len) != NULL)
    return sw_err("%s, %s: vec_at past the end is not NULL", who, when);
  return 0;
}

static int sw_str_verify(backing *s, struct sw_shadow *h, const char *who, const char *when) {
  uint32_t i;
  for (i = 0; i < 3; i++) {
    const char *p = backing_str_data(s, h->c.str[i]);
    uint64_t n = h->c.slen[i];
    if (!h->c.str[i]) continue;
    if (!p || backing_str_len(s, h->c.str[i]) != n ||
        memcmp(p, sw_str_bytes((uint32_t)n, i), (size_t)n) != 0 || p[n] != 0)
      return sw_err("%s, %s: string %llu (%llu bytes) changed: %s", who, when, ULL(h->c.str[i]),
                    ULL(n), err_name(backing_last_error()));
  }
  return 0;
}

static int sw_cont_verify(backing *s, struct sw_shadow *h, const char *who, const char *when) {
  switch (h->c.kind) {
  case CK_MAP:
    return sw_map_verify(s, h, who, when);
  case CK_VEC:
    return sw_vec_verify(s, h, who, when);
  case CK_STR:
    return sw_str_verify(s, h, who, when);
  default:
    return 0;
  }
}

/* More work on the container, then the same checks. */
static int sw_cont_work(backing *s, struct sw_shadow *h, const char *who) {
  struct sw_cont *c = &h->c;
  uint32_t i, id, n;
  int rc;
  if (c->kind == CK_MAP) {
    for (i = 0, id = c->nk; i < 60 && id < SW_KEYS; i++, id++) { /* new keys */
      if ((rc = sw_map_put(s, c->addr, id, 2)) != 0)
        return sw_err("%s: map_put of new key %u: %s", who, id, err_name(rc));
      c->kv[id] = 2;
    }
    c->nk = id;
    for (id = 1, n = 0; id < c->nk && n < 40; id += 7) { /* overwrite 20, delete 20 */
      if (c->kv[id] == SW_ABSENT) continue;
      if (n % 2 == 0) {
        rc = sw_map_put(s, c->addr, id, 3);
        c->kv[id] = 3;
      } else {
        rc = sw_map_del(s, c->addr, id);
        c->kv[id] = SW_ABSENT;
      }
      if (rc != 0)
        return sw_err("%s: map %s of key %u: %s", who, n % 2 ? "del" : "put", id, err_name(rc));
      n++;
    }
    if ((rc = sw_map_del(s, c->addr, c->nk + 5)) != BACKING_ENOTFOUND)
      return sw_err("%s: map_del of a key never put: %s", who, err_name(rc));
  } else if (c->kind == CK_VEC) {
    unsigned char e[24], out[24];
    uint64_t len = c->len1;
    for (i = 0; i < 5 && len > 0; i++) { /* pop 5 */
      if ((rc = backing_vec_pop(s, c->addr, out)) != 0)
        return sw_err("%s: vec_pop: %s", who, err_name(rc));
      len--;
      if (len >= c->z0 && len < c->z1 ? !all_bytes_are(out, sizeof out, 0)
                                      : find_pattern_mismatch(out, sizeof out, SW_EKEY + len) >= 0)
        return sw_err("%s: vec_pop gave element %llu wrong", who, ULL(len));
    }
    if (c->z1 > len) c->z1 = len;
    for (i = 0; i < 70; i++) { /* push 70: new segments */
      fill_pattern(e, sizeof e, SW_EKEY + len);
      if ((rc = backing_vec_push(s, c->addr, e)) != 0)
        return sw_err("%s: vec_push: %s", who, err_name(rc));
      len++;
    }
    c->len0 = c->len1 = len;
    if ((rc = backing_vec_resize(s, c->addr, len + 3)) != 0 ||
        (rc = backing_vec_resize(s, c->addr, len)) != 0)
      return sw_err("%s: vec_resize: %s", who, err_name(rc));
  } else if (c->kind == CK_STR) {
    backing_addr a[4];
    for (i = 0; i < 4; i++) {
      char b[300];
      fill_pattern(b, 100 + 60 * i, 0x5700 + i);
      if ((a[i] = backing_str_new(s, b, 100 + 60 * i)) == 0)
        return sw_err("%s: str_new: %s", who, err_name(backing_last_error()));
    }
    for (i = 0; i < 4; i++) {
      const char *p = backing_str_data(s, a[i]);
      if (!p || find_pattern_mismatch(p, 100 + 60 * i, 0x5700 + i) >= 0)
        return sw_err("%s: a string made after the death is wrong", who);
      if ((rc = backing_str_free(s, a[i])) != 0)
        return sw_err("%s: str_free: %s", who, err_name(rc));
    }
    if ((rc = backing_str_free(s, c->str[2])) != 0)
      return sw_err("%s: str_free of a string made before: %s", who, err_name(rc));
    c->str[2] = 0;
  }
  return sw_cont_verify(s, h, who, "after more work on the container");
}

/* After the death, with handle s: backing_check, the blocks and roots of the shadow, the
   leak bound; then more work and the same again. 0 or 1 (G->err says why). */
static int sw_verify(backing *s, const char *dir, const char *who) {
  static struct sw_shadow h;
  backing_stats st;
  backing_addr mine[24], g[3];
  uint32_t mlen[24], i, must = 0, maybe = 0, c;
  uint64_t rng = 0x9e3779b97f4a7c15ull;
  int rc;
  if (sw_shadow_io(dir, &h, 0) != 0) return 1;
  rc = backing_check(s);
  if (rc != 0)
    return sw_err("%s: backing_check: %s: %s", who, err_name(rc), backing_check_detail(s)), 1;
  for (i = 0; i < h.nb; i++) {
    if (h.b[i].rule == SW_MUST) {
      if (sw_blk_ok(s, &h.b[i], who, "after the death")) return 1;
      must++;
    }
    maybe += h.b[i].rule == SW_MAYBE;
  }
  for (i = 0; i < h.nr; i++) {
    backing_addr got = backing_root_get(s, h.r[i].name);
    if (got != h.r[i].v[0] && got != h.r[i].v[1])
      return sw_err("%s: root %s is %llu, want %llu or %llu", who, h.r[i].name, ULL(got),
                    ULL(h.r[i].v[0]), ULL(h.r[i].v[1])),
             1;
  }
  st = sw_stat(s);
  if (st.used_blocks < must + h.c.blocks || st.used_blocks > must + maybe + h.fresh + h.c.blocks)
    return sw_err("%s: %llu live blocks; the victim held %u for sure (and %llu of containers) "
                  "and %u maybe, the call makes %u",
                  who, ULL(st.used_blocks), must, ULL(h.c.blocks), maybe, h.fresh),
           1;
  if (sw_cont_verify(s, &h, who, "after the death") || sw_cont_work(s, &h, who)) return 1;
  /* adopt: GC blocks left at 0 are referenced, so that the cycles below keep them */
  for (i = 0; i < h.nb; i++) {
    struct sw_blk *b = &h.b[i];
    if (b->rule != SW_MUST || !b->gc) continue;
    c = backing_gc_refcount(s, b->addr);
    if (c == 0 && backing_gc_ref(s, b->addr) != 1)
      return sw_err("%s: gc_ref of %llu: %s", who, ULL(b->addr), err_name(backing_last_error())), 1;
    b->cmin = b->cmax = c ? c : 1;
  }
  /* more work: free half the plain blocks, allocate, reallocate, GC blocks and cycles */
  for (i = 1; i < h.nb; i += 2) {
    struct sw_blk *b = &h.b[i];
    if (b->rule != SW_MUST || b->gc) continue;
    if (backing_free(s, b->addr) < b->len)
      return sw_err("%s: free of %llu: %s", who, ULL(b->addr), err_name(backing_last_error())), 1;
    b->rule = SW_GONE;
  }
  for (i = 0; i < 24; i++) {
    uint32_t len =
        i % 3 == 0 ? 4097 + (uint32_t)rng_below(&rng, 6000) : 1 + (uint32_t)rng_below(&rng, 400);
    mine[i] = i % 5 == 4 ? backing_alloc_aligned(s, len, 256) : backing_alloc(s, len);
    if (!mine[i]) return sw_err("%s: alloc %u: %s", who, len, err_name(backing_last_error())), 1;
    mlen[i] = len;
    fill_pattern(backing_ptr(s, mine[i]), len, 0xa110c + i);
  }
  for (i = 0; i < 24; i += 4) {
    backing_addr n = backing_realloc(s, mine[i], (uint64_t)mlen[i] * 2);
    if (!n || find_pattern_mismatch(backing_ptr(s, n), mlen[i], 0xa110c + i) >= 0)
      return sw_err("%s: realloc of %llu to %u bytes: %llu, %s", who, ULL(mine[i]), mlen[i] * 2,
                    ULL(n), err_name(backing_last_error())),
             1;
    mine[i] = n;
    mlen[i] *= 2;
    fill_pattern(backing_ptr(s, n), mlen[i], 0xa110c + i);
  }
  g[0] = backing_gc_alloc(s, 100, 7, 0);
  g[1] = backing_gc_alloc(s, 5000, 7, 0);
  g[2] = backing_gc_alloc(s, 64, 7, 1);
  if (!g[0] || !g[1] || !g[2])
    return sw_err("%s: gc_alloc: %s", who, err_name(backing_last_error())), 1;
  for (i = 0; i < 3; i++) (void)backing_gc_cycle(s);
  if (backing_gc_sizeof(s, g[0]) != 0 || backing_gc_sizeof(s, g[1]) != 0 ||
      backing_gc_refcount(s, g[2]) != 1 || backing_gc_unref(s, g[2]) != 0)
    return sw_err("%s: the GC blocks made after the death: not collected as they should be", who),
           1;
  for (i = 0; i < 2; i++) (void)backing_gc_cycle(s);
  rc = backing_check(s);
  if (rc != 0)
    return sw_err("%s: backing_check after more work: %s: %s", who, err_name(rc),
                  backing_check_detail(s)),
           1;
  for (i = 0; i < h.nb; i++)
    if (h.b[i].rule == SW_MUST && sw_blk_ok(s, &h.b[i], who, "after more work")) return 1;
  if (sw_cont_verify(s, &h, who, "after more work and GC cycles")) return 1;
  for (i = 0; i < 24; i++) {
    if (find_pattern_mismatch(backing_ptr(s, mine[i]), mlen[i], 0xa110c + i) >= 0)
      return sw_err("%s: a block made after the death changed", who), 1;
    if (backing_free(s, mine[i]) < mlen[i])
      return sw_err("%s: free of a block made after the death: %s", who,
                    err_name(backing_last_error())),
             1;
  }
  rc = backing_check(s);
  if (rc != 0)
    return sw_err("%s: backing_check at the end: %s: %s", who, err_name(rc),
                  backing_check_detail(s)),
           1;
  return 0;
}

/* A new process: opens the store (the first since the death: it repairs), verifies it (or,
   after a survivor did that, only checks it), closes; the store is then clean. */
static int sw_fresh(const char *dir, int full) {
  backing_config c = sw_cfg(dir, 0);
  backing *s = NULL;
  int rc;
  alarm(20); /* a hang is a failure */
  rc = backing_open(&s, &c);
  if (rc != 0) return sw_err("fresh process: backing_open: %s", err_name(rc)), 1;
  if (full) {
    if (sw_verify(s, dir, "fresh process")) return 1;
  } else if ((rc = backing_check(s)) != 0) {
    return sw_err("fresh process after the survivor: backing_check: %s: %s", err_name(rc),
                  backing_check_detail(s)),
           1;
  }
  rc = backing_close(s);
  if (rc != 0) return sw_err("fresh process: close: %s", err_name(rc)), 1;
  rc = rdonly_open_rc(dir, "sw");
  if (rc != 0) return sw_err("read-only open after a clean close: %s", err_name(rc)), 1;
  return 0;
}

/* Attached before the call; verifies and works once told the victim is dead. */
static int sw_survivor(const char *dir) {
  backing_config c = sw_cfg(dir, 0);
  backing *s = NULL;
  int rc = backing_open(&s, &c);
  if (rc != 0) return sw_err("survivor: backing_open: %s", err_name(rc)), 1;
  G->ready = 1;
  alarm(60);
  while (!G->go) sleep_ns(50000);
  alarm(20);
  if (sw_verify(s, dir, "attached survivor")) return 1;
  rc = backing_close(s);
  if (rc != 0) return sw_err("survivor: close: %s", err_name(rc)), 1;
  return 0;
}

/* ---- tracing --------------------------------------------------------------------------------- */

#ifdef SW_PC
static int sw_pc(pid_t p, uint64_t *pc) {
  struct user_regs_struct r;
  struct iovec io;
  io.iov_base = &r;
  io.iov_len = sizeof r;
  if (ptrace(PTRACE_GETREGSET, p, (void *)(uintptr_t)NT_PRSTATUS, &io) != 0)
    return sw_err("PTRACE_GETREGSET: %s", strerror(errno));
  *pc = SW_PC(r);
  return 0;
}
static int sw_step(pid_t p) {
  int st = 0;
  if (ptrace(PTRACE_SINGLESTEP, p, (void *)0, (void *)0) != 0) {
    G->noptrace = errno == EPERM;
    return sw_err("PTRACE_SINGLESTEP: %s", strerror(errno));
  }
  while (waitpid(p, &st, 0) < 0)
    if (errno != EINTR) return sw_err("waitpid: %s", strerror(errno));
  if (WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP) return 0;
  if (WIFSTOPPED(st))
    return sw_err("the victim got signal %d (%s) while single-stepped", WSTOPSIG(st),
                  strsignal(WSTOPSIG(st)));
  return sw_err("the victim ended while single-stepped: %s", status_str(st));
}
#else
static int sw_pc(pid_t p, uint64_t *pc) {
  (void)p;
  *pc = 0;
  return sw_err("no ptrace register access on this architecture");
}
static int sw_step(pid_t p) {
  (void)p;
  return sw_err("no single-stepping on this architecture");
}
#endif

enum { SW_OK, SW_FAIL, SW_SKIP };

/* The call's instructions, pc by pc, from the measuring run (sw_trace[0] is sw_begin). */
static uint64_t *sw_trace;
static long sw_trace_n, sw_diverged;
static int sw_step_only; /* SWEEP_STEP_ONLY=1: single-step every instruction, no breakpoint */

#if defined(__x86_64__)
/* Runs to the next arrival at pc with an int3 there; leaves the victim stopped at pc with
   the instruction restored, not yet executed. */
static int sw_run_to(pid_t p, uint64_t pc) {
  struct user_regs_struct r;
  struct iovec io;
  long word;
  int st = 0;
  errno = 0;
  word = ptrace(PTRACE_PEEKTEXT, p, (void *)(uintptr_t)pc, (void *)0);
  if (errno) return sw_err("PTRACE_PEEKTEXT: %s", strerror(errno));
  if (ptrace(PTRACE_POKETEXT, p, (void *)(uintptr_t)pc,
             (void *)(uintptr_t)(((unsigned long)word & ~0xfful) | 0xcc)) != 0 ||
      ptrace(PTRACE_CONT, p, (void *)0, (void *)0) != 0)
    return sw_err("PTRACE_POKETEXT/CONT: %s", strerror(errno));
  while (waitpid(p, &st, 0) < 0)
    if (errno != EINTR) return sw_err("waitpid: %s", strerror(errno));
  if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP)
    return sw_err("the victim %s on its way to a breakpoint", status_str(st));
  io.iov_base = &r;
  io.iov_len = sizeof r;
  if (ptrace(PTRACE_GETREGSET, p, (void *)(uintptr_t)NT_PRSTATUS, &io) != 0 || r.rip != pc + 1)
    return sw_err("breakpoint: stopped at 0x%llx, want 0x%llx", ULL(r.rip), ULL(pc) + 1);
  r.rip = pc;
  if (ptrace(PTRACE_POKETEXT, p, (void *)(uintptr_t)pc, (void *)word) != 0 ||
      ptrace(PTRACE_SETREGSET, p, (void *)(uintptr_t)NT_PRSTATUS, &io) != 0)
    return sw_err("restoring the breakpoint: %s", strerror(errno));
  return 0;
}
#endif

/* sw_occ[i]: how many times sw_trace[i] occurs in the trace at positions 1 to i - 1. */
static uint32_t *sw_occ, *sw_ord;
static int sw_ord_cmp(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  if (sw_trace[x] != sw_trace[y]) return sw_trace[x] < sw_trace[y] ? -1 : 1;
  return x < y ? -1 : x > y;
}
static void sw_count_occ(void) {
  long i;
  sw_occ[0] = 0;
  for (i = 1; i < sw_trace_n; i++) sw_ord[i - 1] = (uint32_t)i;
  if (sw_trace_n > 1) qsort(sw_ord, (size_t)(sw_trace_n - 1), sizeof *sw_ord, sw_ord_cmp);
  for (i = 0; i + 1 < sw_trace_n; i++)
    sw_occ[sw_ord[i]] =
        i && sw_trace[sw_ord[i - 1]] == sw_trace[sw_ord[i]] ? sw_occ[sw_ord[i - 1]] + 1 : 0;
}

/* From the marker (position 0), k instructions on. Single steps; on x86-64, for a long way
   when the measuring run's trace is at hand, a breakpoint on the pc of a position j <= k,
   passed over as many times as that pc occurs before position j in the trace (the call is
   deterministic: the same state gives the same path), then single steps to k. j is k, or
   an earlier position whose pc occurs fewer times before it (deep in a loop a breakpoint
   stops at every turn: each stop costs about as much as SW_BP_STEPS single steps). */
#define SW_BP_STEPS 6
static int sw_advance(pid_t p, long k) {
  long i;
#if defined(__x86_64__)
  if (!sw_step_only && k > 64 && k < sw_trace_n) {
    long j, best = k, lo = k > 4000 ? k - 4000 : 1;
    uint64_t cost, least = (uint64_t)sw_occ[k] * SW_BP_STEPS, occ;
    for (j = k - 1; j >= lo && (uint64_t)(k - j) < least; j--) {
      cost = (uint64_t)sw_occ[j] * SW_BP_STEPS + (uint64_t)(k - j);
      if (cost < least) least = cost, best = j;
    }
    occ = sw_occ[best];
    if (sw_step(p)) return -1; /* leave position 0, where a breakpoint could not fire */
    for (;;) {
      if (sw_run_to(p, sw_trace[best])) return -1;
      if (occ-- == 0) break;
      if (sw_step(p)) return -1;
    }
    for (j = best; j < k; j++)
      if (sw_step(p)) return -1;
    return 0;
  }
#endif
  for (i = 0; i < k; i++)
    if (sw_step(p)) return -1;
  return 0;
}

static int sw_run_fresh(const char *dir, int full) {
  pid_t self = getpid(), p;
  fflush(stdout);
  p = fork();
  if (p == 0) {
    die_with_parent(self);
    _exit(sw_fresh(dir, full));
  }
  return p < 0 ? -1 : wait_pid(p);
}

/* One run: k >= 0 kills the victim k instructions after the marker before the call; k < 0
   steps the call to its end, stores its length in *n and lets the victim finish. */
static int sw_point(const struct sw_op *op, int attached, long k, long *n) {
  char dir[700];
  pid_t self = getpid(), v, sv = -1;
  int st = 0;
  long i;
  uint64_t pc = 0, t0;
  backing_config c;
  sw_paths(dir, sizeof dir, op, attached);
  c = sw_cfg(dir, 0);
  (void)backing_destroy(&c);
  G->err[0] = 0;
  G->ready = G->go = 0;
  G->kill_pc = 0;
  G->noptrace = 0;
  fflush(stdout);
  v = fork();
  if (v < 0) return sw_err("fork: %s", strerror(errno)), SW_FAIL;
  if (v == 0) {
    die_with_parent(self);
    _exit(sw_victim(op, dir));
  }
  st = wait_pid(v);
  if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == SW_NOPTRACE) return SW_SKIP;
  if (st == -1 || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP) {
    sw_err("the victim did not stop before the call: %s", status_str(st));
    goto fail;
  }
  if (attached) {
    sv = fork();
    if (sv == 0) {
      die_with_parent(self);
      _exit(sw_survivor(dir));
    }
    t0 = now_ns();
    while (!G->ready && !G->err[0] && now_ns() - t0 < 10000000000ull &&
           waitpid(sv, &st, WNOHANG) == 0)
      sleep_ns(50000);
    if (!G->ready) {
      sw_err("the survivor did not attach");
      goto fail;
    }
  }
  for (i = 0;; i++) { /* out of raise() to the marker */
    if (sw_step(v) || sw_pc(v, &pc)) goto fail;
    if (pc == (uint64_t)(uintptr_t)sw_begin) break;
    if (i > 100000) {
      sw_err("the marker before the call was not reached");
      goto fail;
    }
  }
  if (k < 0) {
    sw_trace_n = 0;
    for (i = 0; pc != (uint64_t)(uintptr_t)sw_end; i++) {
      if (i >= SW_MAXSTEPS) {
        sw_err("the call did not end in %ld instructions", SW_MAXSTEPS);
        goto fail;
      }
      sw_trace[i] = pc;
      if (sw_step(v) || sw_pc(v, &pc)) goto fail;
    }
    sw_trace[i] = pc;
    sw_trace_n = i + 1;
    sw_count_occ();
    *n = i;
    if (ptrace(PTRACE_DETACH, v, (void *)0, (void *)0) != 0) {
      sw_err("PTRACE_DETACH: %s", strerror(errno));
      goto fail;
    }
    st = wait_pid(v);
    v = -1;
    if (!exited_ok(st)) {
      sw_err("the victim, after the call: %s", status_str(st));
      goto fail;
    }
  } else {
    if (sw_advance(v, k) || sw_pc(v, &pc)) goto fail;
    G->kill_pc = pc;
    if (k < sw_trace_n && pc != sw_trace[k]) sw_diverged++;
    kill(v, SIGKILL);
    wait_pid(v);
    v = -1;
  }
  if (attached) {
    G->go = 1;
    st = wait_pid(sv);
    sv = -1;
    if (!exited_ok(st)) {
      sw_err("survivor: %s", status_str(st));
      goto fail;
    }
  }
  if (k < 0 && !attached) return SW_OK;
  st = sw_run_fresh(dir, !attached);
  if (!exited_ok(st)) {
    sw_err("fresh process: %s", status_str(st));
    return SW_FAIL;
  }
  return SW_OK;
fail:
  if (v > 0) {
    kill(v, SIGKILL);
    wait_pid(v);
  }
  if (sv > 0) {
    kill(sv, SIGKILL);
    wait_pid(sv);
  }
  return SW_FAIL;
}

/* ---- main -------------------------------------------------------------------------------------
 */

static const char *sw_variant[2] = {"fresh", "attached"};

/* The program's load address, so that a kill point's pc can be given to addr2line. */
static uint64_t sw_base;
static int sw_phdr_cb(struct dl_phdr_info *info, size_t size, void *ctx) {
  (void)size;
  (void)ctx;
  sw_base = (uint64_t)info->dlpi_addr;
  return 1; /* the first object is the program */
}

/* "a..b, c" from a sorted list of kill points */
static void sw_ranges(char *out, size_t n, const long *ks, int nk) {
  size_t len = 0;
  int i = 0;
  out[0] = 0;
  while (i < nk && len + 40 < n) {
    int j = i;
    while (j + 1 < nk && ks[j + 1] - ks[j] <= 1) j++;
    if (j > i)
      len += (size_t)snprintf(out + len, n - len, "%s%ld..%ld", i ? ", " : "", ks[i], ks[j]);
    else
      len += (size_t)snprintf(out + len, n - len, "%s%ld", i ? ", " : "", ks[i]);
    i = j + 1;
  }
  if (i < nk) snprintf(out + len, n - len, ", ...");
}

int main(int argc, char **argv) {
  long stride = 1, only_k = -1, n;
  const char *only = NULL, *env = getenv("SWEEP_STRIDE"), *tmp = getenv("TMPDIR"),
             *base = getenv("SWEEP_DIR");
  int only_variant = -1, passed = 0, failed = 0, o, v, i, arg = 0, keep = 0;
  long *fks = (long *)malloc(sizeof(long) * 100000);
  uint64_t t_all = now_ns();
  if (env && atol(env) > 0) stride = atol(env);
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--stride") == 0 && i + 1 < argc) {
      stride = atol(argv[++i]);
      if (stride < 1) stride = 1;
    } else if (strcmp(argv[i], "--list") == 0) {
      for (o = 0; o < SW_NOPS; o++) printf("%s\n", sw_ops[o].name);
      return 0;
    } else if (arg == 0) {
      only = argv[i];
      arg++;
    } else if (arg == 1) {
      only_k = atol(argv[i]);
      arg++;
    } else if (arg == 2) {
      only_variant = strcmp(argv[i], "attached") == 0 ? 1 : 0;
      arg++;
    }
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
#ifndef SW_PC
  printf("SKIP sweep: single-stepping is not implemented for this architecture\n");
  printf("0 passed, 0 failed\n");
  return 0;
#endif
  dl_iterate_phdr(sw_phdr_cb, NULL);
  env = getenv("SWEEP_STEP_ONLY");
  sw_step_only = env && *env && strcmp(env, "0") != 0;
  sw_trace = (uint64_t *)malloc(sizeof(uint64_t) * (SW_MAXSTEPS + 1));
  sw_occ = (uint32_t *)malloc(sizeof(uint32_t) * (SW_MAXSTEPS + 1));
  sw_ord = (uint32_t *)malloc(sizeof(uint32_t) * (SW_MAXSTEPS + 1));
  G = (struct sw_shared *)sh_shared_mem(sizeof *G);
  if (!G || !fks || !sw_trace || !sw_occ || !sw_ord || (uintptr_t)sw_begin == (uintptr_t)sw_end) {
    printf("setup failed\n0 passed, 1 failed\n");
    return 1;
  }
  /* tmpfs when there is one: the runs make and delete thousands of small stores */
  if (!base || !*base)
    base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : tmp && *tmp ? tmp : "/tmp";
  snprintf(sw_root_dir, sizeof sw_root_dir, "%s/backing-sweep-XXXXXX", base);
  if (!mkdtemp(sw_root_dir)) {
    printf("mkdtemp: %s\n0 passed, 1 failed\n", strerror(errno));
    return 1;
  }
  if (only && only_k >= 0) keep = 1;
  printf("instruction-level kill sweep: stride %ld, arenas of %llu KiB, in %s\n", stride,
         ULL(SW_ARENA / KIB), sw_root_dir);
  for (o = 0; o < SW_NOPS; o++) {
    const struct sw_op *op = &sw_ops[o];
    char dir[700];
    int r;
    if (only && strcmp(only, op->name) != 0) continue;
    for (v = 0; v < 2; v++) {
      sw_paths(dir, sizeof dir, op, v);
      mkdir(dir, 0700);
    }
    sw_prepare(op->setup);
    for (v = 0; v < 2; v++) {
      long k, points = 0, step, newpc[2] = {0, 0};
      int nf = 0, capped;
      uint64_t t0 = now_ns();
      char ranges[300];
      if (only_variant >= 0 && v != only_variant) continue;
      r = sw_point(op, v, -1, &n); /* the call's length, and what it does */
      if (r == SW_SKIP || G->noptrace) {
        printf("SKIP sweep: ptrace is not permitted here (PTRACE_TRACEME refused; see "
               "/proc/sys/kernel/yama/ptrace_scope and the container's seccomp profile)\n");
        nftw(sw_root_dir, test__rm_cb, 16, FTW_DEPTH | FTW_PHYS);
        printf("0 passed, 0 failed\n");
        return 0;
      }
      if (r != SW_OK) {
        printf("FAIL %-22s %-8s the call could not be measured: %s\n", op->name, sw_variant[v],
               G->err);
        failed++;
        continue;
      }
      /* a long call in a sample: see SW_SAMPLE (a loop's later turns: make soak) */
      capped = only_k < 0 && stride > 1 && n / stride > SW_SAMPLE_OVER && n < sw_trace_n;
      step = capped ? n / SW_SAMPLE : stride;
      for (k = only_k >= 0 ? only_k : 0; k <= n; k++) {
        if (only_k < 0) {
          int pick = k % step == 0 || k == n;
          if (capped && k > 0 && sw_occ[k] < 2 && newpc[sw_occ[k]]++ % stride == 0) pick = 1;
          if (!pick) continue;
        }
        points++;
        r = sw_point(op, v, k, NULL);
        if (r != SW_OK) {
          if (nf < 5)
            printf("  FAIL %s %s k=%ld of %ld (pc +0x%llx): %s\n    replay: build/sweep %s %ld "
                   "%s\n",
                   op->name, sw_variant[v], k, n, ULL(G->kill_pc ? G->kill_pc - sw_base : 0),
                   G->err, op->name, k, sw_variant[v]);
          if (only_k >= 0 && G->kill_pc) { /* where it was: function and line */
            char cmd[200];
            snprintf(cmd, sizeof cmd, "addr2line -f -i -p -e /proc/%d/exe 0x%llx 2>/dev/null",
                     (int)getpid(), ULL(G->kill_pc - sw_base));
            printf("    killed in: ");
            fflush(stdout);
            if (system(cmd) != 0) printf("(addr2line not available)\n");
          }
          if (nf < 100000) fks[nf] = k;
          nf++;
        }
        if (only_k >= 0) break;
      }
      sw_ranges(ranges, sizeof ranges, fks, nf < 100000 ? nf : 100000);
      if (sw_diverged)
        printf("     %s %s: at %ld kill points the victim was not where the measuring run "
               "was after k instructions (the path varies)\n",
               op->name, sw_variant[v], sw_diverged);
      sw_diverged = 0;
      printf("%-4s %-22s %-8s %6ld instructions, %6ld kill points, %ld failed%s%s (%.1f s)%s\n",
             nf ? "FAIL" : "ok", op->name, sw_variant[v], n, points, (long)nf, nf ? " at k = " : "",
             nf ? ranges : "", (double)(now_ns() - t0) / 1e9,
             capped ? " (sampled: " SW_SAMPLE_STR " spread, every stride-th 1st/2nd arrival)" : "");
      if (nf)
        failed++;
      else
        passed++;
    }
  }
  if (only && passed + failed == 0) {
    printf("FAIL %s: no such operation (--list lists them)\n", only);
    failed++;
  }
  if (keep)
    printf("kept %s\n", sw_root_dir);
  else
    nftw(sw_root_dir, test__rm_cb, 16, FTW_DEPTH | FTW_PHYS);
  printf("sweep: %.1f s\n", (double)(now_ns() - t_all) / 1e9);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
