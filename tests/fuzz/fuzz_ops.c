/* fuzz_ops.c: libFuzzer harness, a byte-coded sequence of API calls on one MEMORY store
   (64 KiB arenas, FO_ARENAS of them at most, so it fills; BACKING_HUGE, so blocks past
   the largest one take spans) against a shadow model.

   The model keeps every live block (address, usable size, plain or GC, count, age, type)
   and a copy of its contents. It aborts (libFuzzer reports a crash) when:
   - a new block overlaps a live one (GC blocks with their 16-byte header), is misaligned
     or lies outside the store;
   - a block's contents differ from what was written (fill patterns, backing_write);
   - a free of an address that is not a live block (double free, interior, bogus) succeeds,
     or a free / gc call of a live block fails;
   - a GC count, age or type differs from the model, a cycle frees a block that is not due
     (destructors report every freed GC block) or keeps one that is;
   - the roots differ from the model;
   - backing_check fails (every FO_CHECK_EVERY operations and at the end), or walk / stat
     disagree with the model.

   Containers (op bytes 216..255, fo_cstep; bytes below 216 keep their meaning, op % 24):
   up to FO_NMAPS maps over FO_NKEYS keys (the empty key, embedded NULs, 300 and 1000 bytes)
   with BYTES / I64 / F64 / ADDR values, FO_NVECS vectors (elements of 1, 8, 24 or 100
   bytes) and FO_NSTRS strings, each against a model. It also aborts when:
   - a get, an iteration (every key exactly once), map_len, vec_len, vec_at, vec_pop or
     str_data differ from the model; map_check fails;
   - a call that failed (ENOSPACE) changed the container, or failed with another code;
   - a wrong kind of address (a map as a vector, a plain block as a map, a freed
     container, 0) is not refused with ETYPE / EBADADDR / EFREED;
   - walk or stat find a block that is neither in the model nor a container's (a GC block
     of a type >= BACKING_TYPE_RESERVED).

   Input: an op byte, then its argument bytes (missing bytes read as 0); see fo_step.
   Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_ops.c */
#define BACKING_IMPLEMENTATION
#include "backing.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FO_ARENA ((uint64_t)65536)
#define FO_ARENAS 4u
#define FO_MAX_BLOCKS 512u
#define FO_MAX_FREED 64u
#define FO_NROOTS 64u /* names r0..r63: more than BACKING_ROOT_MAX, so the table fills */
#define FO_CHECK_EVERY 16u
#define FO_MAX_OPS 2000u

/* Every non-inline call sets backing_last_error() (0 on success). -DFO_LAX_LAST_ERROR
   leaves that rule out, to fuzz a library from before it. */
#ifdef FO_LAX_LAST_ERROR
#define FO_CLEAN() 1
#else
#define FO_CLEAN() (backing_last_error() == 0)
#endif

typedef struct fo_block {
  backing_addr a;
  uint64_t usable;
  int gc;
  uint32_t count, age, type;
  unsigned char *shadow;
} fo_block;

static fo_block fo_live[FO_MAX_BLOCKS];
static unsigned fo_n;
static backing_addr fo_freed[FO_MAX_FREED]; /* recently freed addresses (ring) */
static unsigned fo_nfreed;
static backing_addr fo_roots[FO_NROOTS];
static unsigned fo_nroot_names; /* distinct names set at present */
static backing *fo_s;
static uint32_t fo_lifetime;
static uint32_t fo_seq;
static int fo_in_cycle; /* 1 during gc_cycle / gc_step, 2 during gc_free */
static backing_addr fo_gc_free_addr;
static unsigned fo_reaped; /* destructor calls during the current call */
static const uint8_t *fo_p, *fo_end;
static int fo_trace;

/* containers (fo_cstep) */
#define FO_NMAPS 3u
#define FO_NKEYS 40u
#define FO_NVECS 3u
#define FO_VEC_MAX 800u
#define FO_NSTRS 12u
#define FO_NCFREED 16u
typedef struct fo_mval {
  int present;
  backing_value v; /* v.data points at bytes */
  unsigned char *bytes;
} fo_mval;
static backing_addr fo_maps[FO_NMAPS];
static fo_mval fo_mvals[FO_NMAPS][FO_NKEYS];
static uint64_t fo_mcount[FO_NMAPS];
static backing_addr fo_vecs[FO_NVECS];
static uint64_t fo_ves[FO_NVECS], fo_vlen[FO_NVECS];
static unsigned char *fo_vdata[FO_NVECS]; /* FO_VEC_MAX elements */
static backing_addr fo_strs[FO_NSTRS];
static unsigned char *fo_sdata[FO_NSTRS];
static uint64_t fo_slen[FO_NSTRS];
static backing_addr fo_cfreed[FO_NCFREED]; /* freed containers (ring) */
static unsigned fo_ncfreed;
static void fo_cstep(unsigned op);
static void fo_ccheck(void);
static void fo_creset(void);
static int fo_is_container_block(backing_addr a);

static void fo_fail(const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "fuzz_ops model violation: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, " (last error %d: %s)\n", backing_last_error(),
          backing_strerror(backing_last_error()));
  abort();
}

static unsigned fo_byte(void) {
  return fo_p < fo_end ? *fo_p++ : 0u;
}
static unsigned fo_u16(void) {
  unsigned lo = fo_byte();
  return lo | fo_byte() << 8;
}

static uint64_t fo_limit(void) {
  return ((const struct backing__view *)(const void *)fo_s)->limit;
}

static int fo_find(backing_addr a) {
  unsigned i;
  for (i = 0; i < fo_n; i++)
    if (fo_live[i].a == a) return (int)i;
  return -1;
}

static uint64_t fo_lo(const fo_block *b) {
  return b->a - (b->gc ? 16u : 0u);
}

static void fo_verify(const fo_block *b) {
  const unsigned char *p = (const unsigned char *)backing_ptr(fo_s, b->a);
  if (!p) fo_fail("backing_ptr(%#llx) is NULL for a live block", (unsigned long long)b->a);
  if (memcmp(p, b->shadow, (size_t)b->usable) != 0) {
    uint64_t k = 0;
    while (p[k] == b->shadow[k]) k++;
    fo_fail("block %#llx (%llu bytes, %s) changed at byte %llu: %02x, want %02x",
            (unsigned long long)b->a, (unsigned long long)b->usable, b->gc ? "gc" : "plain",
            (unsigned long long)k, p[k], b->shadow[k]);
  }
}

static void fo_verify_all(void) {
  unsigned i;
  for (i = 0; i < fo_n; i++) fo_verify(&fo_live[i]);
}

static void fo_remember_freed(backing_addr a) {
  fo_freed[fo_nfreed++ % FO_MAX_FREED] = a;
}

static void fo_drop(unsigned i) {
  fo_remember_freed(fo_live[i].a);
  free(fo_live[i].shadow);
  fo_live[i] = fo_live[--fo_n];
}

/* A block the library just handed out: check it and take it into the model. */
static void fo_add(backing_addr a, uint64_t request, int gc, uint32_t count, uint32_t type,
                   int zeroed, uint64_t align, int fill) {
  fo_block b;
  unsigned i;
  unsigned char *p;
  uint64_t k;
  memset(&b, 0, sizeof b);
  b.a = a;
  b.gc = gc;
  b.count = count;
  b.type = type;
  b.usable = gc ? backing_gc_sizeof(fo_s, a) : backing_sizeof(fo_s, a);
  if (b.usable < request || b.usable == 0)
    fo_fail("new block %#llx: usable size %llu for a request of %llu", (unsigned long long)a,
            (unsigned long long)b.usable, (unsigned long long)request);
  if ((a & 15) || (align > 16 && (a & (align - 1))))
    fo_fail("new block %#llx is not %llu-aligned", (unsigned long long)a,
            (unsigned long long)(align > 16 ? align : 16));
  if (fo_lo(&b) < 4096 || a + b.usable > fo_limit())
    fo_fail("new block %#llx+%llu is outside the store (limit %llu)", (unsigned long long)a,
            (unsigned long long)b.usable, (unsigned long long)fo_limit());
  for (i = 0; i < fo_n; i++) {
    const fo_block *o = &fo_live[i];
    if (fo_lo(&b) < o->a + o->usable && fo_lo(o) < a + b.usable)
      fo_fail("new block %#llx+%llu overlaps live block %#llx+%llu", (unsigned long long)a,
              (unsigned long long)b.usable, (unsigned long long)o->a,
              (unsigned long long)o->usable);
  }
  p = (unsigned char *)backing_ptr(fo_s, a);
  if (zeroed)
    for (k = 0; k < b.usable; k++)
      if (p[k])
        fo_fail("calloc block %#llx byte %llu is not zero", (unsigned long long)a,
                (unsigned long long)k);
  if (fo_n == FO_MAX_BLOCKS) { /* model full: give the block back */
    if (gc) {
      if (count == 0) backing_gc_ref(fo_s, a);
      while (backing_gc_unref(fo_s, a)) {
      }
      backing_gc_free(fo_s, a);
    } else {
      backing_free(fo_s, a);
    }
    return;
  }
  b.shadow = (unsigned char *)malloc((size_t)b.usable);
  if (!b.shadow) abort();
  fo_seq++;
  if (fill) { /* a pattern over the whole usable size */
    for (k = 0; k < b.usable; k++) b.shadow[k] = (unsigned char)(fo_seq * 31u + k * 7u + (k >> 8));
    memcpy(p, b.shadow, (size_t)b.usable);
  } else { /* left as it came (old bytes stay, e.g. a stale header): recorded as they are */
    memcpy(b.shadow, p, (size_t)b.usable);
  }
  fo_live[fo_n++] = b;
}

static void fo_alloc_failed(const char *what, uint64_t size, uint64_t limit) {
  int e = backing_last_error();
  if (e == BACKING_ETOOBIG && size <= limit)
    fo_fail("%s(%llu): ETOOBIG below the largest block %llu", what, (unsigned long long)size,
            (unsigned long long)limit);
  if (e != BACKING_ETOOBIG && e != BACKING_ENOSPACE && e != BACKING_ENOMEM && e != BACKING_EINVAL)
    fo_fail("%s(%llu) failed with an unexpected error", what, (unsigned long long)size);
  if (e == BACKING_ETOOBIG && size > limit) return;
}

/* The store is opened with BACKING_HUGE: alloc, calloc, realloc and gc_alloc past the
   largest block take a span (two arenas of the four here), so they may run out of room
   but are never too big (aligned ones and the containers keep to one arena). */
#define FO_HUGE_LIMIT (UINT64_MAX / 2)

static uint64_t fo_max_block(void) {
  return FO_ARENA - 4096 - 16; /* 64 KiB arenas: H = 4096 */
}

/* Picks a live block, plain (want 0), GC (want 1) or any (want -1); -1 if none. */
static int fo_pick(unsigned sel, int want) {
  unsigned i, k;
  if (!fo_n) return -1;
  for (k = 0; k < fo_n; k++) {
    i = (sel + k) % fo_n;
    if (want < 0 || fo_live[i].gc == want) return (int)i;
  }
  return -1;
}

/* The call under test must fail with one of the codes in mask. */
static void fo_expect_refused(const char *what, backing_addr a, uint64_t got) {
  int e = backing_last_error();
  if (got != 0)
    fo_fail("%s(%#llx) returned %llu for an address that is not a live block", what,
            (unsigned long long)a, (unsigned long long)got);
  if (e != BACKING_EBADADDR && e != BACKING_EFREED && e != BACKING_ETYPE)
    fo_fail("%s(%#llx) refused with an unexpected error", what, (unsigned long long)a);
}

/* An address that is not the start of a live block (nor a GC block's start minus 16). */
static int fo_is_block_start(backing_addr a) {
  unsigned i;
  for (i = 0; i < fo_n; i++)
    if (fo_live[i].a == a || (fo_live[i].gc && fo_live[i].a == a + 16)) return 1;
  return 0;
}

static void fo_dtor(backing *s, backing_addr a, void *ctx) {
  int i = fo_find(a);
  uint32_t life = fo_lifetime ? fo_lifetime : 1;
  (void)ctx;
  if (s != fo_s) fo_fail("destructor called with another handle");
  if (i < 0) fo_fail("destructor for %#llx: not a live GC block", (unsigned long long)a);
  if (!fo_live[i].gc || fo_live[i].count != 0)
    fo_fail("destructor for %#llx: count %u, a referenced block is being freed",
            (unsigned long long)a, fo_live[i].count);
  if (fo_in_cycle == 1 && fo_live[i].age + 1 < life)
    fo_fail("destructor for %#llx: age %u, not due before lifetime %u", (unsigned long long)a,
            fo_live[i].age, life);
  if (fo_in_cycle == 2 && a != fo_gc_free_addr)
    fo_fail("gc_free(%#llx) freed %#llx", (unsigned long long)fo_gc_free_addr,
            (unsigned long long)a);
  if (!fo_in_cycle) fo_fail("destructor for %#llx outside any GC call", (unsigned long long)a);
  fo_verify(&fo_live[i]);
  fo_live[i].age = 0xffffffffu; /* marked: reaped */
  fo_reaped++;
}

/* After a cycle (arena -1) or a step of one arena (-2: none aged): blocks the destructor marked are
   gone, the others aged by one. */
static void fo_after_gc(int64_t arena) {
  uint32_t life = fo_lifetime ? fo_lifetime : 1;
  unsigned i = 0;
  while (i < fo_n) {
    fo_block *b = &fo_live[i];
    if (b->gc && b->age == 0xffffffffu) {
      fo_drop(i);
      continue;
    }
    if (b->gc && b->count == 0 && (arena == -1 || (int64_t)((b->a - 16) >> 16) == arena)) {
      b->age++;
      if (b->age >= life)
        fo_fail("GC block %#llx at age %u survived a cycle with lifetime %u",
                (unsigned long long)b->a, b->age, life);
    }
    i++;
  }
}

static void fo_check_gc_state(const fo_block *b) {
  uint32_t c = backing_gc_refcount(fo_s, b->a), age = backing_gc_age(fo_s, b->a),
           t = backing_gc_type(fo_s, b->a);
  if (!FO_CLEAN() || c != b->count || t != b->type || age != (b->count ? 0u : b->age))
    fo_fail("GC block %#llx: count %u age %u type %u, model %u %u %u", (unsigned long long)b->a, c,
            age, t, b->count, b->count ? 0u : b->age, b->type);
}

typedef struct fo_walk {
  unsigned seen;
  uint64_t used;
  uint64_t cont, cont_waiting; /* containers' own GC blocks */
} fo_walk;

static int fo_walk_cb(backing *s, backing_addr a, uint64_t size, int state, void *ctx) {
  fo_walk *w = (fo_walk *)ctx;
  int i;
  (void)s;
  if (state == BACKING_BLOCK_FREE) return 0;
  i = fo_find(a);
  if (i < 0 && state == BACKING_BLOCK_GC) { /* a container's block? read its header */
    const unsigned char *p = (const unsigned char *)backing_ptr(s, a);
    int32_t count;
    uint32_t type;
    if (p) {
      memcpy(&count, p - 8, 4);
      memcpy(&type, p - 4, 4);
      if (type >= BACKING_TYPE_RESERVED) {
        w->cont++;
        w->cont_waiting += count <= 0;
        return 0;
      }
    }
  }
  if (i < 0) fo_fail("walk reports live block %#llx that the model lacks", (unsigned long long)a);
  if ((state == BACKING_BLOCK_GC) != fo_live[i].gc || size != fo_live[i].usable)
    fo_fail("walk reports %#llx as state %d size %llu, model %s size %llu", (unsigned long long)a,
            state, (unsigned long long)size, fo_live[i].gc ? "gc" : "plain",
            (unsigned long long)fo_live[i].usable);
  w->seen++;
  return 0;
}

static void fo_check(void) {
  backing_stats st;
  fo_walk w;
  unsigned i, waiting = 0;
  if (backing_check(fo_s) != 0) fo_fail("backing_check: %s", backing_check_detail(fo_s));
  fo_verify_all();
  memset(&w, 0, sizeof w);
  if (backing_walk(fo_s, fo_walk_cb, &w) != 0) fo_fail("backing_walk failed");
  if (w.seen != fo_n) fo_fail("walk saw %u live blocks, model has %u", w.seen, fo_n);
  if (backing_stat(fo_s, &st) != 0) fo_fail("backing_stat failed");
  for (i = 0; i < fo_n; i++) {
    if (fo_live[i].gc) {
      waiting += fo_live[i].count == 0;
      fo_check_gc_state(&fo_live[i]);
    }
  }
  if (st.used_blocks != fo_n + w.cont || st.gc_waiting != waiting + w.cont_waiting)
    fo_fail("stat: %llu used blocks, %llu waiting; model %u, %u (and %llu, %llu of containers)",
            (unsigned long long)st.used_blocks, (unsigned long long)st.gc_waiting, fo_n, waiting,
            (unsigned long long)w.cont, (unsigned long long)w.cont_waiting);
  for (i = 0; i < FO_NROOTS; i++) {
    char name[8];
    backing_addr got;
    snprintf(name, sizeof name, "r%u", i);
    got = backing_root_get(fo_s, name);
    if (got != fo_roots[i])
      fo_fail("root %s is %#llx, model %#llx", name, (unsigned long long)got,
              (unsigned long long)fo_roots[i]);
  }
  fo_ccheck();
}

static void fo_step(unsigned op) {
  if (op >= 216) {
    fo_cstep(op - 216);
    return;
  }
  switch (op % 24) {
  case 0:   /* alloc: size u16 */
  case 20:  /* realloc(0, size): contents left as they come */
  case 1: { /* calloc */
    uint64_t size = fo_u16();
    backing_addr a = op % 24 == 0   ? backing_alloc(fo_s, size)
                     : op % 24 == 1 ? backing_calloc(fo_s, size)
                                    : backing_realloc(fo_s, 0, size);
    if (a)
      fo_add(a, size, 0, 0, 0, op % 24 == 1, 16, op % 24 != 20);
    else
      fo_alloc_failed("alloc", size, FO_HUGE_LIMIT);
    break;
  }
  case 2: { /* alloc_aligned: size u16, align code */
    uint64_t size = fo_u16(), align;
    unsigned c = fo_byte() % 16;
    backing_addr a;
    align = c == 15 ? 48 : c == 14 ? 0 : (uint64_t)1 << c;
    a = backing_alloc_aligned(fo_s, size, align);
    if (a) {
      if (align == 0 || align > 4096 || (align & (align - 1)))
        fo_fail("alloc_aligned(%llu, %llu) succeeded", (unsigned long long)size,
                (unsigned long long)align);
      fo_add(a, size, 0, 0, 0, 0, align, 1);
    } else if (align && align <= 4096 && !(align & (align - 1))) {
      /* the padding to the alignment comes out of the largest block: align + 32 bytes
         above 16 (README, "largest block") */
      fo_alloc_failed("alloc_aligned", size,
                      align > 16 ? fo_max_block() - align - BACKING__MIN_BLOCK : fo_max_block());
    } else if (backing_last_error() != BACKING_EINVAL) {
      fo_fail("alloc_aligned with align %llu: want EINVAL", (unsigned long long)align);
    }
    break;
  }
  case 3: { /* realloc: block, size u16 (from 0xF000 up: (size - 0xF000) * 64, so that a
               huge block grows past its span, in place when its span is the last) */
    int i = fo_pick(fo_byte(), 0);
    uint64_t size = fo_u16();
    fo_block b;
    if (size >= 0xF000) size = (size - 0xF000) * 64;
    backing_addr n;
    unsigned j;
    if (i < 0) break;
    fo_verify(&fo_live[i]);
    b = fo_live[i];
    n = backing_realloc(fo_s, b.a, size);
    if (!n) {
      fo_alloc_failed("realloc", size, FO_HUGE_LIMIT);
      fo_verify(&fo_live[i]); /* untouched */
      if (backing_sizeof(fo_s, b.a) != b.usable) fo_fail("failed realloc changed the size");
      break;
    }
    {
      uint64_t keep = b.usable, nu = backing_sizeof(fo_s, n);
      const unsigned char *p = (const unsigned char *)backing_ptr(fo_s, n);
      if (nu < size)
        fo_fail("realloc(%llu) gave %llu bytes", (unsigned long long)size, (unsigned long long)nu);
      if (nu < keep) keep = nu;
      if (size < keep) keep = size < b.usable ? size : keep;
      if (memcmp(p, b.shadow, (size_t)keep) != 0)
        fo_fail("realloc %#llx -> %#llx lost contents", (unsigned long long)b.a,
                (unsigned long long)n);
      /* the new block must not overlap the others */
      fo_live[i] = fo_live[--fo_n];
      if (n != b.a) fo_remember_freed(b.a);
      for (j = 0; j < fo_n; j++) {
        const fo_block *o = &fo_live[j];
        if (n < o->a + o->usable && fo_lo(o) < n + nu)
          fo_fail("realloc result %#llx+%llu overlaps %#llx", (unsigned long long)n,
                  (unsigned long long)nu, (unsigned long long)o->a);
      }
      b.shadow = (unsigned char *)realloc(b.shadow, (size_t)nu);
      if (!b.shadow) abort();
      if (nu > keep) memcpy(b.shadow + keep, p + keep, (size_t)(nu - keep));
      b.a = n;
      b.usable = nu;
      fo_live[fo_n++] = b;
      fo_verify(&fo_live[fo_n - 1]);
    }
    break;
  }
  case 4: { /* free: block */
    int i = fo_pick(fo_byte(), 0);
    uint64_t got;
    if (i < 0) break;
    fo_verify(&fo_live[i]);
    got = backing_free(fo_s, fo_live[i].a);
    if (got != fo_live[i].usable)
      fo_fail("free(%#llx) returned %llu, usable size %llu", (unsigned long long)fo_live[i].a,
              (unsigned long long)got, (unsigned long long)fo_live[i].usable);
    fo_drop((unsigned)i);
    break;
  }
  case 5: { /* double free: a recently freed address that is not live again */
    backing_addr a;
    unsigned sel = fo_byte();
    if (!fo_nfreed) break;
    a = fo_freed[sel % (fo_nfreed < FO_MAX_FREED ? fo_nfreed : FO_MAX_FREED)];
    if (fo_is_block_start(a) || fo_is_container_block(a)) break;
    if (sel & 128)
      fo_expect_refused("gc_free", a, backing_gc_free(fo_s, a));
    else
      fo_expect_refused("free", a, backing_free(fo_s, a));
    break;
  }
  case 6: { /* bogus address: kind, u16 value */
    unsigned kind = fo_byte() % 6, v = fo_u16();
    backing_addr a;
    int i = fo_pick(v, -1);
    switch (kind) {
    case 0:
      a = (backing_addr)v * 16u % (fo_limit() + 65536);
      break; /* anywhere, aligned */
    case 1:
      a = (backing_addr)v;
      break; /* low, maybe misaligned */
    case 2:
      a = i >= 0 ? fo_live[i].a + 16u * (1u + v % 8) : 0;
      break; /* interior */
    case 3:
      a = i >= 0 ? fo_live[i].a + 1u + v % 15 : 0;
      break; /* misaligned */
    case 4:
      a = ((backing_addr)v << 32) | 16u;
      break; /* far away */
    default:
      a = (backing_addr)0 - 16u * (1u + v);
      break; /* wraps */
    }
    if (fo_is_block_start(a) || fo_is_container_block(a)) break;
    if (a == 0) break; /* realloc(0) is alloc */
    if (v & 1) {
      fo_expect_refused("free", a, backing_free(fo_s, a));
    } else {
      fo_expect_refused("gc_free", a, backing_gc_free(fo_s, a));
      fo_expect_refused("gc_ref", a, backing_gc_ref(fo_s, a));
      if (backing_gc_unref(fo_s, a) != 0 || backing_last_error() == 0)
        fo_fail("gc_unref(%#llx) of no block succeeded", (unsigned long long)a);
    }
    if (backing_sizeof(fo_s, a) != 0) fo_fail("sizeof(%#llx) of no block", (unsigned long long)a);
    if (backing_realloc(fo_s, a, 32) != 0)
      fo_fail("realloc(%#llx) of no block succeeded", (unsigned long long)a);
    break;
  }
  case 7:    /* gc_alloc: size u16, type/refs byte */
  case 21: { /* gc_calloc */
    uint64_t size = fo_u16();
    unsigned tr = fo_byte();
    uint32_t type = 1u + tr % 3u, refs = (tr >> 2) % 4u;
    backing_addr a = op % 24 == 7 ? backing_gc_alloc(fo_s, size, type, refs)
                                  : backing_gc_calloc(fo_s, size, type, refs);
    if (a)
      fo_add(a, size, 1, refs, type, op % 24 == 21, 16, !(tr & 64));
    else
      fo_alloc_failed("gc_alloc", size, FO_HUGE_LIMIT);
    break;
  }
  case 8: { /* gc_ref */
    int i = fo_pick(fo_byte(), 1);
    uint32_t got;
    if (i < 0) break;
    got = backing_gc_ref(fo_s, fo_live[i].a);
    if (got != fo_live[i].count + 1 || !FO_CLEAN())
      fo_fail("gc_ref(%#llx) returned %u, want %u", (unsigned long long)fo_live[i].a, got,
              fo_live[i].count + 1);
    fo_live[i].count++;
    fo_live[i].age = 0;
    break;
  }
  case 9: { /* gc_unref */
    int i = fo_pick(fo_byte(), 1);
    uint32_t got, want;
    if (i < 0) break;
    want = fo_live[i].count ? fo_live[i].count - 1 : 0;
    got = backing_gc_unref(fo_s, fo_live[i].a);
    if (got != want || !FO_CLEAN())
      fo_fail("gc_unref(%#llx) returned %u, want %u", (unsigned long long)fo_live[i].a, got, want);
    if (fo_live[i].count) {
      fo_live[i].count--;
      if (!fo_live[i].count) fo_live[i].age = 0;
    }
    break;
  }
  case 10: /* gc_cycle */
    fo_in_cycle = 1;
    fo_reaped = 0;
    (void)backing_gc_cycle(fo_s);
    fo_in_cycle = 0;
    fo_after_gc(-1);
    break;
  case 18: { /* gc_step: find the arena it aged from the ages it reports */
    unsigned i;
    int64_t arena = -2;
    fo_in_cycle = 1;
    (void)backing_gc_step(fo_s);
    fo_in_cycle = 0;
    for (i = 0; i < fo_n; i++) {
      fo_block *b = &fo_live[i];
      if (b->gc && b->count == 0 && b->age != 0xffffffffu) {
        uint32_t age = backing_gc_age(fo_s, b->a);
        if (fo_trace)
          fprintf(stderr, "  step: %#llx age %u, model %u\n", (unsigned long long)b->a, age,
                  b->age);
        if (age == b->age + 1)
          arena = (int64_t)((b->a - 16) >> 16);
        else if (age != b->age)
          fo_fail("gc_step: block %#llx age %u, model %u", (unsigned long long)b->a, age, b->age);
      }
    }
    for (i = 0; arena == -2 && i < fo_n; i++) /* none aged: maybe all of one arena reaped */
      if (fo_live[i].gc && fo_live[i].age == 0xffffffffu)
        arena = (int64_t)((fo_live[i].a - 16) >> 16);
    fo_after_gc(arena);
    break;
  }
  case 11: { /* gc_free */
    int i = fo_pick(fo_byte(), 1);
    uint64_t got;
    fo_block b;
    if (i < 0) break;
    b = fo_live[i];
    fo_in_cycle = 2;
    fo_gc_free_addr = b.a;
    fo_reaped = 0;
    got = backing_gc_free(fo_s, b.a);
    fo_in_cycle = 0;
    if (b.count) {
      if (got != 0 || backing_last_error() != BACKING_EREFERENCED || fo_reaped)
        fo_fail("gc_free(%#llx) of a referenced block: %llu", (unsigned long long)b.a,
                (unsigned long long)got);
    } else {
      if (got != b.usable + 16 || fo_reaped != 1)
        fo_fail("gc_free(%#llx) returned %llu (destructor %u times), want %llu",
                (unsigned long long)b.a, (unsigned long long)got, fo_reaped,
                (unsigned long long)b.usable + 16);
      fo_drop((unsigned)fo_find(b.a));
    }
    break;
  }
  case 12: { /* root_set: name, block */
    unsigned k = fo_byte() % FO_NROOTS;
    int i = fo_pick(fo_byte(), -1);
    char name[8];
    backing_addr a = i >= 0 ? fo_live[i].a : 0;
    int r;
    snprintf(name, sizeof name, "r%u", k);
    r = backing_root_set(fo_s, name, a);
    if (!a) {
      if (r != BACKING_EINVAL) fo_fail("root_set(%s, 0) returned %d", name, r);
    } else if (!fo_roots[k] && fo_nroot_names >= BACKING_ROOT_MAX) {
      if (r != -16 /* BACKING_EFULL */ && r != BACKING_ENOSPACE)
        fo_fail("root_set(%s) on a full table returned %d", name, r);
    } else if (r != 0) {
      fo_fail("root_set(%s) returned %d", name, r);
    } else {
      if (!fo_roots[k]) fo_nroot_names++;
      fo_roots[k] = a;
    }
    break;
  }
  case 13: { /* root_get */
    unsigned k = fo_byte() % FO_NROOTS;
    char name[8];
    backing_addr got;
    snprintf(name, sizeof name, "r%u", k);
    got = backing_root_get(fo_s, name);
    if (got != fo_roots[k] || (got == 0 && backing_last_error() != BACKING_ENOTFOUND))
      fo_fail("root_get(%s) = %#llx, model %#llx", name, (unsigned long long)got,
              (unsigned long long)fo_roots[k]);
    break;
  }
  case 14: { /* root_del */
    unsigned k = fo_byte() % FO_NROOTS;
    char name[8];
    int r;
    snprintf(name, sizeof name, "r%u", k);
    r = backing_root_del(fo_s, name);
    if (r != (fo_roots[k] ? 0 : BACKING_ENOTFOUND)) fo_fail("root_del(%s) returned %d", name, r);
    if (fo_roots[k]) fo_nroot_names--;
    fo_roots[k] = 0;
    break;
  }
  case 15: { /* write: block, offset u16, length byte, value byte; or out of range */
    int i = fo_pick(fo_byte(), -1);
    unsigned off = fo_u16(), len = fo_byte() * 4u + 1u, v = fo_byte();
    unsigned char tmp[1024];
    unsigned k;
    for (k = 0; k < len; k++) tmp[k] = (unsigned char)(v + k * 13u);
    if (i < 0 || off >= fo_live[i].usable) {
      backing_addr a = fo_limit() - (off % 64);
      if (backing_write(fo_s, a, tmp, 64 + len) == 0)
        fo_fail("write past the store's end (%#llx + %u) succeeded", (unsigned long long)a,
                64 + len);
      break;
    }
    if (len > fo_live[i].usable - off) len = (unsigned)(fo_live[i].usable - off);
    if (backing_write(fo_s, fo_live[i].a + off, tmp, len) != 0) fo_fail("write in a block failed");
    memcpy(fo_live[i].shadow + off, tmp, len);
    break;
  }
  case 16: { /* read a whole block back through backing_read */
    int i = fo_pick(fo_byte(), -1);
    unsigned char *tmp;
    if (i < 0) break;
    tmp = (unsigned char *)malloc((size_t)fo_live[i].usable);
    if (!tmp) abort();
    if (backing_read(fo_s, fo_live[i].a, tmp, fo_live[i].usable) != 0 ||
        memcmp(tmp, fo_live[i].shadow, (size_t)fo_live[i].usable) != 0)
      fo_fail("backing_read of block %#llx differs", (unsigned long long)fo_live[i].a);
    free(tmp);
    break;
  }
  case 17:
    fo_check();
    break;
  case 19: { /* lifetime 0..3 */
    uint32_t l = fo_byte() % 4;
    if (backing_gc_set_lifetime(fo_s, l) != 0) fo_fail("gc_set_lifetime(%u) failed", l);
    fo_lifetime = l;
    break;
  }
  case 22: { /* the wrong kind of call for a block: ETYPE */
    int i = fo_pick(fo_byte(), -1);
    fo_block *b;
    if (i < 0) break;
    b = &fo_live[i];
    if (b->gc) {
      if (backing_free(fo_s, b->a) != 0 || backing_last_error() != BACKING_ETYPE)
        fo_fail("free of GC block %#llx: want ETYPE", (unsigned long long)b->a);
      if (backing_realloc(fo_s, b->a, 64) != 0 || backing_last_error() != BACKING_ETYPE)
        fo_fail("realloc of GC block %#llx: want ETYPE", (unsigned long long)b->a);
      if (backing_free(fo_s, b->a - 16) != 0) /* its header address */
        fo_fail("free of GC block header %#llx succeeded", (unsigned long long)b->a - 16);
    } else {
      if (backing_gc_ref(fo_s, b->a) != 0 || backing_last_error() != BACKING_ETYPE)
        fo_fail("gc_ref of plain block %#llx: want ETYPE", (unsigned long long)b->a);
      if (backing_gc_free(fo_s, b->a) != 0 || backing_last_error() != BACKING_ETYPE)
        fo_fail("gc_free of plain block %#llx: want ETYPE", (unsigned long long)b->a);
    }
    fo_verify(b);
    break;
  }
  default: { /* 23: sizeof of every live block */
    unsigned i;
    for (i = 0; i < fo_n; i++) {
      uint64_t n = fo_live[i].gc ? backing_gc_sizeof(fo_s, fo_live[i].a)
                                 : backing_sizeof(fo_s, fo_live[i].a);
      if (n != fo_live[i].usable)
        fo_fail("sizeof(%#llx) changed", (unsigned long long)fo_live[i].a);
    }
    break;
  }
  }
}

/* ---- containers ------------------------------------------------------------------------ */

static void fo_creset(void) {
  unsigned i, k;
  for (i = 0; i < FO_NMAPS; i++) {
    for (k = 0; k < FO_NKEYS; k++) free(fo_mvals[i][k].bytes);
    fo_maps[i] = 0;
    fo_mcount[i] = 0;
  }
  memset(fo_mvals, 0, sizeof fo_mvals);
  for (i = 0; i < FO_NVECS; i++) {
    free(fo_vdata[i]);
    fo_vdata[i] = NULL;
    fo_vecs[i] = 0;
    fo_vlen[i] = 0;
  }
  for (i = 0; i < FO_NSTRS; i++) {
    free(fo_sdata[i]);
    fo_sdata[i] = NULL;
    fo_strs[i] = 0;
  }
  fo_ncfreed = 0;
}

static int fo_is_container_block(backing_addr a) {
  uint32_t t = backing_gc_type(fo_s, a);
  return t >= BACKING_TYPE_RESERVED;
}

static int fo_is_live_container(backing_addr a) {
  unsigned i;
  for (i = 0; i < FO_NMAPS; i++)
    if (fo_maps[i] == a) return 1;
  for (i = 0; i < FO_NVECS; i++)
    if (fo_vecs[i] == a) return 1;
  for (i = 0; i < FO_NSTRS; i++)
    if (fo_strs[i] == a) return 1;
  return 0;
}

/* Key k of the key space: the empty key, "\0", short keys with NULs inside, 300 and 1000 bytes. */
static unsigned char fo_keybuf[1000];
static uint64_t fo_key(unsigned k) {
  uint64_t n, j;
  if (k == 0) return 0;
  if (k == 1) {
    fo_keybuf[0] = 0;
    return 1;
  }
  n = k == FO_NKEYS - 2 ? 300 : k == FO_NKEYS - 1 ? 1000 : (k * 7u) % 23u + 1u;
  for (j = 0; j < n; j++) fo_keybuf[j] = (unsigned char)(j == k % 3u ? 0 : 'a' + (k + j) % 26u);
  return n;
}

static void fo_cfreed_add(backing_addr a) {
  fo_cfreed[fo_ncfreed++ % FO_NCFREED] = a;
}

static void fo_container_failed(const char *what, int rc, uint64_t need) {
  if (rc == BACKING_ENOSPACE || rc == BACKING_ENOMEM) return;
  if (rc == BACKING_ETOOBIG && need + 128 > fo_max_block()) return;
  fo_fail("%s failed with %d (%s), needing about %llu bytes", what, rc, backing_strerror(rc),
          (unsigned long long)need);
}

static int fo_val_eq(const backing_value *g, const backing_value *w) {
  if (g->kind != w->kind) return 0;
  switch (w->kind) {
  case BACKING_VALUE_BYTES:
    return g->len == w->len && g->data &&
           (w->len == 0 || memcmp(g->data, w->data, (size_t)w->len) == 0) &&
           ((const unsigned char *)g->data)[w->len] == 0;
  case BACKING_VALUE_I64:
    return g->i64 == w->i64;
  case BACKING_VALUE_F64:
    return memcmp(&g->f64, &w->f64, sizeof(double)) == 0;
  default:
    return g->addr == w->addr;
  }
}

static void fo_map_verify_key(unsigned mi, unsigned k) {
  backing_value got;
  uint64_t kl = fo_key(k);
  int rc;
  memset(&got, 0, sizeof got);
  rc = backing_map_get(fo_s, fo_maps[mi], fo_keybuf, kl, &got);
  if (fo_mvals[mi][k].present) {
    if (rc != 0 || !FO_CLEAN() || !fo_val_eq(&got, &fo_mvals[mi][k].v))
      fo_fail("map %u key %u (%llu bytes): get %d, kind %u, differs from the model (kind %u)", mi,
              k, (unsigned long long)kl, rc, got.kind, fo_mvals[mi][k].v.kind);
  } else if (rc != BACKING_ENOTFOUND || backing_last_error() != BACKING_ENOTFOUND) {
    fo_fail("map %u key %u: get %d, want ENOTFOUND", mi, k, rc);
  }
}

static void fo_map_iterate(unsigned mi) {
  unsigned char seen[FO_NKEYS];
  backing_map_cursor cur;
  const void *key;
  uint64_t kl, n = 0;
  backing_value got;
  int rc;
  unsigned k;
  memset(seen, 0, sizeof seen);
  memset(&cur, 0, sizeof cur);
  while ((rc = backing_map_next(fo_s, fo_maps[mi], &cur, &key, &kl, &got)) == 1) {
    for (k = 0; k < FO_NKEYS; k++) {
      uint64_t l = fo_key(k);
      if (l == kl && (l == 0 || memcmp(fo_keybuf, key, (size_t)l) == 0)) break;
    }
    if (k == FO_NKEYS) fo_fail("map %u: iteration returned a key never put", mi);
    if (!fo_mvals[mi][k].present) fo_fail("map %u: iteration returned deleted key %u", mi, k);
    if (seen[k]++) fo_fail("map %u: iteration returned key %u twice", mi, k);
    if (!fo_val_eq(&got, &fo_mvals[mi][k].v))
      fo_fail("map %u: iteration: key %u has a value that differs from the model", mi, k);
    if (++n > FO_NKEYS) fo_fail("map %u: iteration does not end", mi);
  }
  if (rc != 0) fo_fail("map %u: map_next returned %d", mi, rc);
  if (n != fo_mcount[mi])
    fo_fail("map %u: iteration returned %llu keys, model %llu", mi, (unsigned long long)n,
            (unsigned long long)fo_mcount[mi]);
}

static void fo_vec_verify(unsigned vi) {
  uint64_t i, es = fo_ves[vi];
  if (backing_vec_len(fo_s, fo_vecs[vi]) != fo_vlen[vi] || !FO_CLEAN())
    fo_fail("vector %u: len %llu, model %llu", vi,
            (unsigned long long)backing_vec_len(fo_s, fo_vecs[vi]),
            (unsigned long long)fo_vlen[vi]);
  for (i = 0; i < fo_vlen[vi]; i++) {
    const void *p = backing_vec_at(fo_s, fo_vecs[vi], i);
    if (!p || memcmp(p, fo_vdata[vi] + i * es, (size_t)es) != 0)
      fo_fail("vector %u: element %llu differs from the model", vi, (unsigned long long)i);
  }
  if (backing_vec_at(fo_s, fo_vecs[vi], fo_vlen[vi]) != NULL ||
      backing_last_error() != BACKING_EINVAL)
    fo_fail("vector %u: vec_at(len) is not NULL with EINVAL", vi);
}

static void fo_str_verify(unsigned si) {
  const char *d = backing_str_data(fo_s, fo_strs[si]);
  if (!d || backing_str_len(fo_s, fo_strs[si]) != fo_slen[si] ||
      (fo_slen[si] && memcmp(d, fo_sdata[si], (size_t)fo_slen[si]) != 0) || d[fo_slen[si]] != 0)
    fo_fail("string %u (%llu bytes) differs from the model", si, (unsigned long long)fo_slen[si]);
}

static void fo_ccheck(void) {
  unsigned i, k;
  for (i = 0; i < FO_NMAPS; i++) {
    if (!fo_maps[i]) continue;
    if (backing_map_check(fo_s, fo_maps[i]) != 0)
      fo_fail("map_check of map %u: %s", i, backing_check_detail(fo_s));
    if (backing_map_len(fo_s, fo_maps[i]) != fo_mcount[i] || !FO_CLEAN())
      fo_fail("map %u: len %llu, model %llu", i,
              (unsigned long long)backing_map_len(fo_s, fo_maps[i]),
              (unsigned long long)fo_mcount[i]);
    for (k = 0; k < FO_NKEYS; k++) fo_map_verify_key(i, k);
  }
  for (i = 0; i < FO_NVECS; i++)
    if (fo_vecs[i]) fo_vec_verify(i);
  for (i = 0; i < FO_NSTRS; i++)
    if (fo_strs[i]) fo_str_verify(i);
}

/* A wrong kind of address: refused with ETYPE, EBADADDR or EFREED. */
static void fo_refused(const char *what, backing_addr a, int rc_or_0, int is_rc) {
  int e = backing_last_error();
  if ((is_rc && rc_or_0 != e) ||
      (e != BACKING_ETYPE && e != BACKING_EBADADDR && e != BACKING_EFREED))
    fo_fail("%s on %#llx (not that kind of container): returned %d, last error %d", what,
            (unsigned long long)a, rc_or_0, e);
}

static void fo_cstep(unsigned op) {
  static unsigned char val[65536];
  switch (op % 20) {
  case 0: { /* map_new: slot, expected keys */
    unsigned mi = fo_byte() % FO_NMAPS, exp = fo_byte();
    backing_addr m;
    if (fo_maps[mi]) break;
    m = backing_map_new(fo_s, exp);
    if (!m) {
      fo_container_failed("map_new", backing_last_error(), 0);
      break;
    }
    if (fo_is_block_start(m) || fo_is_live_container(m))
      fo_fail("map_new gave %#llx, a live block's address", (unsigned long long)m);
    fo_maps[mi] = m;
    fo_mcount[mi] = 0;
    break;
  }
  case 1:
  case 2:
  case 15: { /* map_put: map, key, kind, length byte, scale byte */
    unsigned mi = fo_byte() % FO_NMAPS, k = fo_byte() % FO_NKEYS, kind = fo_byte() % 4u + 1u;
    unsigned lb = fo_byte(), sc = fo_byte();
    uint64_t kl = fo_key(k), len = (uint64_t)lb * (sc & 1 ? 257u : 1u);
    backing_value v;
    int rc;
    unsigned char *b = NULL;
    if (!fo_maps[mi]) break;
    memset(&v, 0, sizeof v);
    v.kind = kind;
    if (kind == BACKING_VALUE_BYTES) {
      uint64_t j;
      b = (unsigned char *)malloc((size_t)len + 1);
      if (!b) abort();
      for (j = 0; j < len; j++) b[j] = (unsigned char)(sc + j * 3u);
      v.data = b;
      v.len = len;
    } else if (kind == BACKING_VALUE_I64) {
      v.i64 = (int64_t)(((uint64_t)lb << 56) | ((uint64_t)sc << 8) | fo_seq);
    } else if (kind == BACKING_VALUE_F64) {
      v.f64 = sc == 255 ? -0.0 : (double)lb / ((double)sc + 0.5);
    } else {
      int i = fo_pick(lb, -1);
      v.addr = i >= 0 ? fo_live[i].a : fo_maps[(mi + 1) % FO_NMAPS];
    }
    fo_seq++;
    rc = backing_map_put(fo_s, fo_maps[mi], fo_keybuf, kl, &v);
    if (rc != 0) {
      free(b);
      fo_container_failed("map_put", rc, kl + (kind == BACKING_VALUE_BYTES ? len : 8) + 64);
      fo_map_verify_key(mi, k); /* unchanged */
      break;
    }
    if (!FO_CLEAN()) fo_fail("map_put succeeded with a last error");
    if (!fo_mvals[mi][k].present) fo_mcount[mi]++;
    free(fo_mvals[mi][k].bytes);
    fo_mvals[mi][k].bytes = b;
    fo_mvals[mi][k].v = v;
    fo_mvals[mi][k].present = 1;
    fo_map_verify_key(mi, k);
    break;
  }
  case 3: /* map_get: map, key */
  case 16: {
    unsigned mi = fo_byte() % FO_NMAPS, k = fo_byte() % FO_NKEYS;
    if (fo_maps[mi]) fo_map_verify_key(mi, k);
    break;
  }
  case 4: { /* map_del: map, key */
    unsigned mi = fo_byte() % FO_NMAPS, k = fo_byte() % FO_NKEYS;
    uint64_t kl = fo_key(k);
    int rc;
    if (!fo_maps[mi]) break;
    rc = backing_map_del(fo_s, fo_maps[mi], fo_keybuf, kl);
    if (rc != (fo_mvals[mi][k].present ? 0 : BACKING_ENOTFOUND))
      fo_fail("map %u: del of key %u returned %d (model: %s)", mi, k, rc,
              fo_mvals[mi][k].present ? "present" : "absent");
    if (fo_mvals[mi][k].present) {
      fo_mvals[mi][k].present = 0;
      free(fo_mvals[mi][k].bytes);
      fo_mvals[mi][k].bytes = NULL;
      fo_mcount[mi]--;
    }
    fo_map_verify_key(mi, k);
    break;
  }
  case 5: { /* iterate a whole map */
    unsigned mi = fo_byte() % FO_NMAPS;
    if (fo_maps[mi]) fo_map_iterate(mi);
    break;
  }
  case 6: { /* map_free */
    unsigned mi = fo_byte() % FO_NMAPS, k;
    if (!fo_maps[mi]) break;
    if (backing_map_free(fo_s, fo_maps[mi]) != 0) fo_fail("map_free of map %u failed", mi);
    fo_cfreed_add(fo_maps[mi]);
    for (k = 0; k < FO_NKEYS; k++) {
      free(fo_mvals[mi][k].bytes);
      memset(&fo_mvals[mi][k], 0, sizeof fo_mvals[mi][k]);
    }
    fo_maps[mi] = 0;
    fo_mcount[mi] = 0;
    break;
  }
  case 7: { /* vec_new: slot, element size code, cap */
    unsigned vi = fo_byte() % FO_NVECS, c = fo_byte() % 4u, cap = fo_byte();
    static const uint64_t sizes[4] = {1, 8, 24, 100};
    backing_addr v;
    if (fo_vecs[vi]) break;
    v = backing_vec_new(fo_s, sizes[c], cap);
    if (!v) {
      fo_container_failed("vec_new", backing_last_error(), sizes[c] * cap);
      break;
    }
    if (fo_is_block_start(v) || fo_is_live_container(v))
      fo_fail("vec_new gave %#llx, a live block's address", (unsigned long long)v);
    fo_vecs[vi] = v;
    fo_ves[vi] = sizes[c];
    fo_vlen[vi] = 0;
    fo_vdata[vi] = (unsigned char *)calloc(FO_VEC_MAX, (size_t)sizes[c]);
    if (!fo_vdata[vi]) abort();
    break;
  }
  case 8:
  case 17: { /* vec_push: vector, count byte */
    unsigned vi = fo_byte() % FO_NVECS, n = fo_byte() % 64u + 1u, j;
    uint64_t es;
    if (!fo_vecs[vi]) break;
    es = fo_ves[vi];
    for (j = 0; j < n && fo_vlen[vi] < FO_VEC_MAX; j++) {
      unsigned char *e = fo_vdata[vi] + fo_vlen[vi] * es;
      uint64_t b;
      int rc;
      for (b = 0; b < es; b++) e[b] = (unsigned char)(fo_seq + b * 5u + 1u);
      fo_seq++;
      rc = backing_vec_push(fo_s, fo_vecs[vi], e);
      if (rc) {
        fo_container_failed("vec_push", rc, es);
        memset(e, 0, (size_t)es);
        break;
      }
      fo_vlen[vi]++;
    }
    fo_vec_verify(vi);
    break;
  }
  case 9: { /* vec_pop: vector, count byte */
    unsigned vi = fo_byte() % FO_NVECS, n = fo_byte() % 16u + 1u, j;
    unsigned char out[100];
    if (!fo_vecs[vi]) break;
    for (j = 0; j < n; j++) {
      int rc = backing_vec_pop(fo_s, fo_vecs[vi], j & 1 ? NULL : out);
      if (!fo_vlen[vi]) {
        if (rc != BACKING_ENOTFOUND) fo_fail("vec_pop of an empty vector returned %d", rc);
        break;
      }
      if (rc != 0) fo_fail("vector %u: pop returned %d", vi, rc);
      fo_vlen[vi]--;
      if (!(j & 1) && memcmp(out, fo_vdata[vi] + fo_vlen[vi] * fo_ves[vi], (size_t)fo_ves[vi]))
        fo_fail("vector %u: pop gave an element that differs from the model", vi);
      memset(fo_vdata[vi] + fo_vlen[vi] * fo_ves[vi], 0, (size_t)fo_ves[vi]);
    }
    fo_vec_verify(vi);
    break;
  }
  case 10: { /* vec_resize: vector, u16 length (over FO_VEC_MAX: a huge one, refused) */
    unsigned vi = fo_byte() % FO_NVECS, n = fo_u16();
    int rc;
    if (!fo_vecs[vi]) break;
    if (n > FO_VEC_MAX) {
      rc = backing_vec_resize(fo_s, fo_vecs[vi], (uint64_t)n << 24);
      if (rc == 0) fo_fail("vec_resize to %llu elements succeeded", (unsigned long long)n << 24);
      fo_vec_verify(vi);
      break;
    }
    rc = backing_vec_resize(fo_s, fo_vecs[vi], n);
    if (rc) {
      fo_container_failed("vec_resize", rc, n * fo_ves[vi]);
    } else {
      if (n < fo_vlen[vi])
        memset(fo_vdata[vi] + n * fo_ves[vi], 0, (size_t)((fo_vlen[vi] - n) * fo_ves[vi]));
      fo_vlen[vi] = n; /* grown elements: zeros in the model already */
    }
    fo_vec_verify(vi);
    break;
  }
  case 11: { /* vec_at: write through the pointer */
    unsigned vi = fo_byte() % FO_NVECS, i = fo_u16(), v = fo_byte();
    unsigned char *p;
    if (!fo_vecs[vi] || !fo_vlen[vi]) break;
    i %= (unsigned)fo_vlen[vi];
    p = (unsigned char *)backing_vec_at(fo_s, fo_vecs[vi], i);
    if (!p)
      fo_fail("vector %u: vec_at(%u) of %llu is NULL", vi, i, (unsigned long long)fo_vlen[vi]);
    memset(p, (int)v, (size_t)fo_ves[vi]);
    memset(fo_vdata[vi] + (uint64_t)i * fo_ves[vi], (int)v, (size_t)fo_ves[vi]);
    break;
  }
  case 12: { /* vec_free */
    unsigned vi = fo_byte() % FO_NVECS;
    if (!fo_vecs[vi]) break;
    if (backing_vec_free(fo_s, fo_vecs[vi]) != 0) fo_fail("vec_free of vector %u failed", vi);
    fo_cfreed_add(fo_vecs[vi]);
    free(fo_vdata[vi]);
    fo_vdata[vi] = NULL;
    fo_vecs[vi] = 0;
    break;
  }
  case 13: { /* str_new: slot, u16 length, byte */
    unsigned si = fo_byte() % FO_NSTRS, n = fo_u16(), b = fo_byte(), j;
    backing_addr a;
    if (fo_strs[si]) break;
    for (j = 0; j < n; j++) val[j] = (unsigned char)(j % 7u == 3u ? 0 : b + j);
    a = backing_str_new(fo_s, val, n);
    if (!a) {
      int e = backing_last_error();
      if (e == BACKING_ETOOBIG && n <= fo_max_block() - 24)
        fo_fail("str_new(%u): ETOOBIG below max_block - 24", n);
      fo_container_failed("str_new", e, n + 24);
      break;
    }
    if (n > fo_max_block() - 24) fo_fail("str_new(%u) succeeded past max_block - 24", n);
    fo_strs[si] = a;
    fo_slen[si] = n;
    fo_sdata[si] = (unsigned char *)malloc((size_t)n + 1);
    if (!fo_sdata[si]) abort();
    memcpy(fo_sdata[si], val, n);
    fo_str_verify(si);
    break;
  }
  case 14: { /* str_free, then a second free is refused */
    unsigned si = fo_byte() % FO_NSTRS;
    int rc;
    if (!fo_strs[si]) break;
    if (backing_str_free(fo_s, fo_strs[si]) != 0) fo_fail("str_free of string %u failed", si);
    rc = backing_str_free(fo_s, fo_strs[si]);
    fo_refused("a second str_free", fo_strs[si], rc, 1);
    fo_cfreed_add(fo_strs[si]);
    free(fo_sdata[si]);
    fo_sdata[si] = NULL;
    fo_strs[si] = 0;
    break;
  }
  case 18: { /* the wrong kind of address for each container call */
    unsigned what = fo_byte() % 6u, sel = fo_byte();
    backing_addr a = 0;
    backing_value v, got;
    backing_map_cursor cur;
    const void *key;
    uint64_t kl, x = 0;
    int rc, as_map = 1, as_vec = 1, as_str = 1;
    int i = fo_pick(sel, -1);
    switch (what) {
    case 0: /* a map */
      a = fo_maps[sel % FO_NMAPS];
      as_map = 0;
      break;
    case 1: /* a vector */
      a = fo_vecs[sel % FO_NVECS];
      as_vec = 0;
      break;
    case 2: /* a string */
      a = fo_strs[sel % FO_NSTRS];
      as_str = 0;
      break;
    case 3: /* a block of the model (plain, or GC of a user type) */
      a = i >= 0 ? fo_live[i].a : 0;
      break;
    case 4: /* a freed container, unless the address is live again */
      a = fo_ncfreed ? fo_cfreed[sel % (fo_ncfreed < FO_NCFREED ? fo_ncfreed : FO_NCFREED)] : 0;
      if (fo_is_live_container(a) || fo_is_block_start(a)) a = 0;
      if (!a) break;
      break;
    default: /* 0, or a bogus address */
      a = sel & 1 ? (backing_addr)sel * 16u : 0;
      if (a && (fo_is_block_start(a) || fo_is_container_block(a))) a = 0;
      break;
    }
    if (!a && what != 5) break;
    v.kind = BACKING_VALUE_I64;
    v.i64 = 1;
    v.data = NULL;
    v.len = 0;
    if (as_map) {
      memset(&cur, 0, sizeof cur);
      rc = backing_map_put(fo_s, a, "k", 1, &v);
      fo_refused("map_put", a, rc, 1);
      rc = backing_map_get(fo_s, a, "k", 1, &got);
      fo_refused("map_get", a, rc, 1);
      rc = backing_map_del(fo_s, a, "k", 1);
      fo_refused("map_del", a, rc, 1);
      rc = backing_map_next(fo_s, a, &cur, &key, &kl, &got);
      fo_refused("map_next", a, rc, 1);
      if (backing_map_len(fo_s, a) != 0) fo_fail("map_len of a non-map is not 0");
      fo_refused("map_len", a, 0, 0);
      rc = backing_map_free(fo_s, a);
      fo_refused("map_free", a, rc, 1);
    }
    if (as_vec) {
      rc = backing_vec_push(fo_s, a, &x);
      fo_refused("vec_push", a, rc, 1);
      rc = backing_vec_pop(fo_s, a, &x);
      fo_refused("vec_pop", a, rc, 1);
      rc = backing_vec_resize(fo_s, a, 3);
      fo_refused("vec_resize", a, rc, 1);
      if (backing_vec_at(fo_s, a, 0) != NULL) fo_fail("vec_at of a non-vector is not NULL");
      fo_refused("vec_at", a, 0, 0);
      rc = backing_vec_free(fo_s, a);
      fo_refused("vec_free", a, rc, 1);
    }
    if (as_str) {
      if (backing_str_data(fo_s, a) != NULL) fo_fail("str_data of a non-string is not NULL");
      fo_refused("str_data", a, 0, 0);
      rc = backing_str_free(fo_s, a);
      fo_refused("str_free", a, rc, 1);
    }
    if (what == 3 && i >= 0) fo_verify(&fo_live[i]);
    break;
  }
  default: /* 19: every container against the model */
    fo_ccheck();
    break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  backing_config cfg;
  unsigned ops = 0, t;
  fo_trace = getenv("FO_TRACE") != NULL; /* prints each op */
  memset(&cfg, 0, sizeof cfg);
  cfg.source = BACKING_SOURCE_MEMORY;
  cfg.arena_size = FO_ARENA;
  cfg.max_size = FO_ARENAS * FO_ARENA;
  cfg.flags = BACKING_HUGE;
  if (backing_open(&fo_s, &cfg) != 0) fo_fail("open of a MEMORY store failed");
  for (t = 1; t <= 3; t++)
    if (backing_gc_on_free(fo_s, t, fo_dtor, NULL) != 0) fo_fail("gc_on_free failed");
  fo_n = fo_nfreed = fo_nroot_names = 0;
  fo_seq = 0;
  fo_lifetime = 2;
  memset(fo_roots, 0, sizeof fo_roots);
  fo_creset();
  fo_p = data;
  fo_end = data + size;
  while (fo_p < fo_end && ops < FO_MAX_OPS) {
    if (fo_trace)
      fprintf(stderr, "op %u: %s%u\n", ops, *fo_p >= 216 ? "container " : "",
              *fo_p >= 216 ? *fo_p - 216u : *fo_p % 24u);
    fo_step(fo_byte());
    if (++ops % FO_CHECK_EVERY == 0) fo_check();
  }
  fo_check();
  while (fo_n) {
    free(fo_live[fo_n - 1].shadow);
    fo_n--;
  }
  fo_creset();
  if (backing_close(fo_s) != 0) fo_fail("close failed");
  fo_s = NULL;
  return 0;
}
