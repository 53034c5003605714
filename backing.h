/* backing.h v0.1.0: a persistent, shareable heap in one header. MIT license at the end.

   CONTENTS
     1. Quick start
     2. Compile-time options
     3. Arena sources
     4. Vital statistics
     5. On-disk format
     6. Error codes
   (Long-form design notes, the allocator's bounds and the crash model: README.md.)

   1. QUICK START
   In exactly one C or C++ file:
       #define BACKING_IMPLEMENTATION
       #include "backing.h"
   Everywhere else just #include "backing.h".

       backing *s;
       backing_config cfg = {0};
       cfg.dirname = "./data";                  // MMAP source: ./data/demo.backing
       cfg.name = "demo";
       if (backing_open(&s, &cfg) != 0) ...;
       backing_addr a = backing_root_get(s, "counter");
       if (!a) { a = backing_calloc(s, 8); backing_root_set(s, "counter", a); }
       backing_set_u64(s, a, backing_get_u64(s, a) + 1);   // survives restarts
       backing_close(s);

   2. COMPILE-TIME OPTIONS
     BACKING_STATIC         make every function static (only where the implementation is
                            compiled; useful when the header is private to one file).
     BACKING_API            decoration of every public function (default extern).
     BACKING_ASSERT(x)      internal invariants only, never user input (default: assert).
     BACKING_MALLOC(sz,ctx), BACKING_FREE(p,ctx)
                            handle memory (never store memory); all or none.
     BACKING_NO_MMAP        no mapping code at all: MEMORY and BUFFER sources only; the
                            MEMORY source then allocates max_size (default 64 MiB) at open.
     BACKING_NO_THREADS     no thread-local error slot (reserved for the locking layer).
     BACKING_DEBUG          accessors check that an address lies inside a live block.
     BACKING_CONFIG_HEADER  a file #included first, for build systems that cannot pass
                            function-like macros.
     BACKING_RESERVE        bytes of address space reserved per handle when max_size is 0
                            (default 256 GiB on 64-bit hosts).
   None of these change the on-disk format: stores are interchangeable between builds.

   3. ARENA SOURCES
     MEMORY  anonymous memory, gone at close. Default when dirname is NULL.
     MMAP    <dirname>/<name>.backing, one file growing by whole arenas, each fully
             allocated on disk before use (posix_fallocate). Default when dirname is set.
     BUFFER  caller memory (a static array, a shared-memory segment). The buffer start is
             rounded up to 4096; it holds floor(rest / arena_size) arenas. A buffer whose
             first bytes do not hold a store is formatted; one that does is resumed, so two
             handles over the same memory share one heap.
     CUSTOM  a backing_source of callbacks: reserve, extend, sync, release.

   4. VITAL STATISTICS
     Alignment        16 bytes for every block; backing_alloc_aligned up to 4096.
     Small blocks     up to 1024 bytes, in 20 size classes carved from 16 KiB slabs;
                      no per-block header (a slab spends 176 bytes on its header and
                      bitmap); usable size is the class size (16, 32, ..., 1024).
     Large blocks     16-byte header; usable size is the request rounded up to 16.
     Smallest block   16 usable bytes (alloc(0) and alloc(1) give 16).
     Largest block    arena_size - 4096 - 16 bytes (arena_size above 16 MiB: less the
                      slab map, arena_size / 16384 bytes, rounded to 4096).
     Arenas           a power of two from 64 KiB to 4 GiB; default 16 MiB.
     alloc, free      O(1) in the arena tried; when it is full, the other arenas are
                      tried in turn (one bitmap test each) before the store grows.
     realloc          O(1) plus the copy when the block must move.
     ptr, get, set    one add and one load or store (static inline).
     check, walk,
     stat             O(size of the store).
     Threads          one handle per thread for now (see README: sharing is on the way).

   5. ON-DISK FORMAT
     See README.md, "On-disk format", for byte tables. Every arena starts with a 64-byte
     header: magic "BACKING\0", format version, header size, endian mark
     0x0102030405060708, ABI mark, log2 arena size, 16-byte store id, arena index, flags,
     and a 64-bit FNV-1a checksum of those bytes. All sizes are fixed-width; no absolute
     pointer is ever stored.

   6. ERROR CODES
     0 is success; the negative BACKING_E* codes are listed in BACKING_ERRORS below; a
     positive value is a system errno passed through (ENOSPC, EACCES, ...).
     backing_strerror() names both.
*/
#ifndef BACKING_H_INCLUDED
#define BACKING_H_INCLUDED

#ifdef BACKING_CONFIG_HEADER
#include BACKING_CONFIG_HEADER
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define BACKING_VERSION_MAJOR 0
#define BACKING_VERSION_MINOR 1
#define BACKING_VERSION_PATCH 0
#define BACKING_VERSION_STRING "0.1.0"
#define BACKING_FORMAT_VERSION 1

#ifndef BACKING_API
#ifdef BACKING_STATIC
#define BACKING_API static
#else
#define BACKING_API extern
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------ */
/* Errors: one list makes the codes and their messages.                                 */

#define BACKING_ERRORS(X)                                                                \
  X(BACKING_EINVAL, -1, "invalid argument")                                             \
  X(BACKING_ENOSPACE, -2, "store is full (max_size reached)")                           \
  X(BACKING_ETOOBIG, -3, "request larger than any block can be")                        \
  X(BACKING_EBADADDR, -4, "not the address of a live block")                            \
  X(BACKING_EFREED, -5, "block already freed")                                          \
  X(BACKING_ETYPE, -6, "wrong kind of block")                                           \
  X(BACKING_ECORRUPT, -7, "store fails validation")                                     \
  X(BACKING_EVERSION, -8, "incompatible format version")                                \
  X(BACKING_EMISMATCH, -9, "configuration or platform differs from the stored one")     \
  X(BACKING_ERDONLY, -10, "write through a read-only handle")                           \
  X(BACKING_ENOTFOUND, -11, "key or root not found")                                    \
  X(BACKING_EREFERENCED, -12, "block is still referenced")                              \
  X(BACKING_EBUSY, -13, "busy")                                                         \
  X(BACKING_ERECOVER, -14, "store needs recovery this handle cannot do")                \
  X(BACKING_ENOMEM, -15, "out of process memory or address space")

enum backing_error {
#define BACKING__ENUM(name, value, text) name = value,
  BACKING_ERRORS(BACKING__ENUM)
#undef BACKING__ENUM
  BACKING_OK = 0
};

/* The message for a BACKING_E* code or a positive errno; never NULL. */
BACKING_API const char *backing_strerror(int err);
/* The code of the calling thread's last failure (0 if none yet). Set by every call that
   fails; calls that succeed leave it alone. */
BACKING_API int backing_last_error(void);

/* ------------------------------------------------------------------------------------ */
/* The store                                                                             */

typedef uint64_t backing_addr; /* 0 is the null address */
typedef struct backing backing;

enum backing_source_kind {
  BACKING_SOURCE_DEFAULT = 0, /* MMAP when dirname is set, else MEMORY */
  BACKING_SOURCE_MEMORY = 1,
  BACKING_SOURCE_MMAP = 2,
  BACKING_SOURCE_BUFFER = 3,
  BACKING_SOURCE_CUSTOM = 4
};

enum backing_open_flags {
  BACKING_RDONLY = 1,   /* reserved for the sharing layer; refused with EINVAL today */
  BACKING_NOCREATE = 2, /* a missing store is ENOENT, not created */
  BACKING_EXCL = 4      /* an existing store is EEXIST */
};

/* Callbacks that hand the store its memory. The store asks for one reservation at open
   and grows it by whole arenas; memory must stay at the same address until release.
   Every callback returns 0 or an error code (a positive errno or a BACKING_E* code). */
typedef struct backing_source {
  void *ctx;
  /* Reserve room for up to `max_bytes` (a multiple of the arena size). Set *base (aligned
     to 4096) and *size: the bytes already holding a store (0 for a new one). */
  int (*reserve)(void *ctx, uint64_t max_bytes, void **base, uint64_t *size);
  /* Make bytes [old_size, new_size) of the reservation usable. */
  int (*extend)(void *ctx, void *base, uint64_t old_size, uint64_t new_size);
  /* Make bytes [offset, offset + len) durable; may be NULL. */
  int (*sync)(void *ctx, void *base, uint64_t offset, uint64_t len, int flags);
  /* Give the reservation back (close). */
  void (*release)(void *ctx, void *base, uint64_t max_bytes, uint64_t size);
} backing_source;

typedef struct backing_config {
  const char *name;    /* file name stem for MMAP (default "store") */
  const char *dirname; /* directory for MMAP; created if missing */
  int source;          /* enum backing_source_kind */
  int flags;           /* enum backing_open_flags */
  uint64_t arena_size; /* power of two, 64 KiB..4 GiB; 0 = default (16 MiB) or stored */
  uint64_t max_size;   /* cap on total arena bytes; 0 = no cap but BACKING_RESERVE */
  uint32_t lifetime;   /* GC cycles before a block at count 0 is freed (default 2) */
  void *buffer;        /* BUFFER source */
  uint64_t buffer_size;
  const backing_source *custom; /* CUSTOM source */
} backing_config;

/* Open (or create) a store. Returns 0 and sets *out, or an error and sets *out = NULL:
   BACKING_EINVAL (bad config), BACKING_ECORRUPT (not a store, damaged, truncated, empty),
   BACKING_EVERSION, BACKING_EMISMATCH (arena_size, endianness or ABI differ), ENOENT
   (NOCREATE and no store), EEXIST (EXCL), other errno from the OS. A store that is
   refused is left byte-for-byte unchanged. O(1): nothing but the first header is read. */
BACKING_API int backing_open(backing **out, const backing_config *cfg);
/* Unmap and free the handle. Returns 0, or an errno if the final sync failed (the handle
   is freed anyway). close(NULL) is BACKING_EINVAL. */
BACKING_API int backing_close(backing *s);
/* Delete a closed MMAP store's file. ENOENT if there is none. Other sources: 0. */
BACKING_API int backing_destroy(const backing_config *cfg);

/* ------------------------------------------------------------------------------------ */
/* The allocator. Every block is 16-byte aligned. Returns 0 on failure, with the reason  */
/* in backing_last_error(): ETOOBIG, ENOSPACE, ENOSPC or another errno from growth.      */

BACKING_API backing_addr backing_alloc(backing *s, uint64_t size);
/* As alloc, with the whole usable size zeroed. */
BACKING_API backing_addr backing_calloc(backing *s, uint64_t size);
/* align: a power of two up to 4096, else EINVAL; the address and the pointer are both
   aligned (the store's base is page-aligned). */
BACKING_API backing_addr backing_alloc_aligned(backing *s, uint64_t size, uint64_t align);
/* Grow or shrink; in place when it can. On failure returns 0 and `a` is untouched.
   a == 0 is alloc. Contents up to min(old, new) usable size are kept. */
BACKING_API backing_addr backing_realloc(backing *s, backing_addr a, uint64_t size);
/* Returns the usable bytes freed, or 0 with EBADADDR (not a block: 0, out of range,
   interior, misaligned) or EFREED (already free). Never corrupts the store. */
BACKING_API uint64_t backing_free(backing *s, backing_addr a);
/* Usable size (>= the request), or 0 with EBADADDR / EFREED. */
BACKING_API uint64_t backing_sizeof(backing *s, backing_addr a);
/* Pointer for an address, NULL (EBADADDR) outside the store. Valid until close. */
BACKING_API void *backing_ptr(backing *s, backing_addr a);
/* Address for a pointer into the store, 0 (EBADADDR) outside it. */
BACKING_API backing_addr backing_addr_of(backing *s, const void *p);

/* ------------------------------------------------------------------------------------ */
/* Named roots: a fixed table of BACKING_ROOT_MAX names (1..BACKING_ROOT_NAME_MAX bytes, */
/* NUL-terminated) in the first arena, each set with one 8-byte store.                   */

#define BACKING_ROOT_MAX 60
#define BACKING_ROOT_NAME_MAX 55
/* 0, EINVAL (bad name, a == 0), ENOSPACE (table full). Replaces an existing root. */
BACKING_API int backing_root_set(backing *s, const char *name, backing_addr a);
/* The address, or 0 with ENOTFOUND (or EINVAL). */
BACKING_API backing_addr backing_root_get(backing *s, const char *name);
/* 0, ENOTFOUND, EINVAL. */
BACKING_API int backing_root_del(backing *s, const char *name);

/* ------------------------------------------------------------------------------------ */
/* Memory-mapping layer (any file, any mapping)                                          */

enum backing_map_flags {
  BACKING_MAP_READ = 0,    /* read-only, shared */
  BACKING_MAP_SHARED = 1,  /* read-write, writes reach the file */
  BACKING_MAP_PRIVATE = 2, /* read-write, copy-on-write, the file never changes */
  BACKING_MAP_CREATE = 4   /* with SHARED: create the file / extend it to offset+length */
};
enum backing_sync_flags { BACKING_SYNC_BLOCK = 0, BACKING_SYNC_ASYNC = 1, BACKING_SYNC_INVALIDATE = 2 };
enum backing_advice {
  BACKING_ADVICE_NORMAL = 0,
  BACKING_ADVICE_RANDOM = 1,
  BACKING_ADVICE_SEQUENTIAL = 2,
  BACKING_ADVICE_WILLNEED = 3,
  BACKING_ADVICE_DONTNEED = 4
};

typedef struct backing_map {
  void *data;      /* first byte at the requested offset */
  uint64_t length; /* bytes mapped from data on */
  void *map_base;  /* internal: page-aligned start of the mapping */
  uint64_t map_length;
} backing_map;

/* Map [offset, offset + length) of the file at `path` (length 0: to the end). Any offset
   is accepted (it need not be page-aligned); a range that is not inside the file is
   EINVAL, unless BACKING_MAP_CREATE extends it (fully allocated, never sparse). */
BACKING_API int backing_file_map(backing_map *m, const char *path, uint64_t offset, uint64_t length,
                                 int flags);
BACKING_API int backing_file_unmap(backing_map *m);
/* These work on any mapped range; addr need not be page-aligned (the range is widened to
   whole pages). */
BACKING_API int backing_msync(void *addr, uint64_t len, int flags);
BACKING_API int backing_madvise(void *addr, uint64_t len, int advice);
BACKING_API int backing_mincore(const void *addr, uint64_t len, uint64_t *resident, uint64_t *total);
BACKING_API uint64_t backing_pagesize(void);
/* The same on a store's address range; len 0 means the whole store. */
BACKING_API int backing_sync(backing *s, backing_addr a, uint64_t len, int flags);
BACKING_API int backing_advise(backing *s, backing_addr a, uint64_t len, int advice);
BACKING_API int backing_incore(backing *s, backing_addr a, uint64_t len, uint64_t *resident,
                               uint64_t *total);

/* ------------------------------------------------------------------------------------ */
/* Diagnostics                                                                           */

typedef struct backing_stats {
  uint64_t arena_size;
  uint64_t arena_count;
  uint64_t capacity;       /* arena_size * arena_count */
  uint64_t used_bytes;     /* usable bytes of live blocks */
  uint64_t free_bytes;     /* bytes in free blocks and untouched arena space */
  uint64_t largest_free;   /* largest free block or untouched run, in bytes */
  uint64_t used_blocks;    /* live blocks */
  uint64_t free_blocks;    /* free blocks plus untouched runs */
  uint64_t gc_waiting;     /* GC blocks at count 0 */
  uint64_t alloc_failures; /* allocation calls that returned 0, this handle */
  uint64_t slabs;          /* 16 KiB slabs holding small blocks */
} backing_stats;

BACKING_API int backing_stat(backing *s, backing_stats *st);
/* 0 if every arena, free list and root is consistent, else BACKING_ECORRUPT (or EINVAL)
   with a description from backing_check_detail(). Never crashes or loops on a damaged
   store. */
BACKING_API int backing_check(backing *s);
/* What the last failed backing_check on this handle found ("" if it passed). */
BACKING_API const char *backing_check_detail(backing *s);

enum backing_block_state {
  BACKING_BLOCK_USED = 1,
  BACKING_BLOCK_FREE = 2,   /* a free block, or untouched space at an arena's end */
  BACKING_BLOCK_GC = 3      /* a live GC block */
};
/* Called for every block in address order; a nonzero return stops the walk and is
   returned. */
typedef int (*backing_walk_fn)(backing *s, backing_addr a, uint64_t size, int state, void *ctx);
BACKING_API int backing_walk(backing *s, backing_walk_fn fn, void *ctx);

/* ------------------------------------------------------------------------------------ */
/* Typed accessors: static inline, one add and one access. Like plain memory: no check   */
/* unless BACKING_DEBUG, and the user synchronises. Values are in host byte order.       */

/* The first member of every handle; what the inline accessors read. */
struct backing__view {
  unsigned char *base; /* address a lives at base + a */
  uint64_t limit;      /* bytes mapped from base */
};

#ifdef BACKING_DEBUG
BACKING_API void backing__debug_access(backing *s, backing_addr a, uint64_t n);
#define BACKING__CHECK_ACCESS(s, a, n) backing__debug_access((s), (a), (n))
#else
#define BACKING__CHECK_ACCESS(s, a, n) ((void)0)
#endif

static inline unsigned char *backing__at(backing *s, backing_addr a) {
  return ((const struct backing__view *)(const void *)s)->base + a;
}

#define BACKING__ACCESSORS(X)                                                            \
  X(i8, int8_t)                                                                          \
  X(u8, uint8_t)                                                                         \
  X(i16, int16_t)                                                                        \
  X(u16, uint16_t)                                                                       \
  X(i32, int32_t)                                                                        \
  X(u32, uint32_t)                                                                       \
  X(i64, int64_t)                                                                        \
  X(u64, uint64_t)                                                                       \
  X(f32, float)                                                                          \
  X(f64, double)

#define BACKING__DEFINE_ACCESSOR(name, type)                                             \
  static inline type backing_get_##name(backing *s, backing_addr a) {                    \
    type v;                                                                              \
    BACKING__CHECK_ACCESS(s, a, sizeof(type));                                           \
    memcpy(&v, backing__at(s, a), sizeof(type));                                         \
    return v;                                                                            \
  }                                                                                      \
  static inline void backing_set_##name(backing *s, backing_addr a, type v) {            \
    BACKING__CHECK_ACCESS(s, a, sizeof(type));                                           \
    memcpy(backing__at(s, a), &v, sizeof(type));                                         \
  }
BACKING__ACCESSORS(BACKING__DEFINE_ACCESSOR)
#undef BACKING__DEFINE_ACCESSOR

static inline int backing__range_ok(backing *s, backing_addr a, uint64_t n) {
  uint64_t limit = ((const struct backing__view *)(const void *)s)->limit;
  return a != 0 && a < limit && n <= limit - a;
}

/* Copy n bytes between the store and memory. 0, or EBADADDR if the range is not inside
   the store (address 0 included). n == 0 is 0 for any in-store address. */
static inline int backing_read(backing *s, backing_addr a, void *dst, uint64_t n) {
  if (!s || !backing__range_ok(s, a, n)) return BACKING_EBADADDR;
  BACKING__CHECK_ACCESS(s, a, n);
  memcpy(dst, backing__at(s, a), (size_t)n);
  return 0;
}
static inline int backing_write(backing *s, backing_addr a, const void *src, uint64_t n) {
  if (!s || !backing__range_ok(s, a, n)) return BACKING_EBADADDR;
  BACKING__CHECK_ACCESS(s, a, n);
  memcpy(backing__at(s, a), src, (size_t)n);
  return 0;
}
/* memmove semantics: the ranges may overlap and may span arenas. */
static inline int backing_copy(backing *s, backing_addr dst, backing_addr src, uint64_t n) {
  if (!s || !backing__range_ok(s, dst, n) || !backing__range_ok(s, src, n)) return BACKING_EBADADDR;
  BACKING__CHECK_ACCESS(s, dst, n);
  BACKING__CHECK_ACCESS(s, src, n);
  memmove(backing__at(s, dst), backing__at(s, src), (size_t)n);
  return 0;
}

/* Atomics on naturally aligned words of the store (lock-free; safe between processes).
   add returns the previous value; cas returns 1 if *a was `expected` and is now
   `desired`, else 0 and stores the value seen in *expected. Sequentially consistent. */
#if defined(__GNUC__) || defined(__clang__)
#define BACKING__DEFINE_ATOMICS(name, type)                                               \
  static inline type backing_atomic_load_##name(backing *s, backing_addr a) {             \
    return __atomic_load_n((type *)(void *)backing__at(s, a), __ATOMIC_SEQ_CST);          \
  }                                                                                       \
  static inline void backing_atomic_store_##name(backing *s, backing_addr a, type v) {    \
    __atomic_store_n((type *)(void *)backing__at(s, a), v, __ATOMIC_SEQ_CST);             \
  }                                                                                       \
  static inline type backing_atomic_add_##name(backing *s, backing_addr a, type v) {      \
    return __atomic_fetch_add((type *)(void *)backing__at(s, a), v, __ATOMIC_SEQ_CST);    \
  }                                                                                       \
  static inline int backing_atomic_cas_##name(backing *s, backing_addr a, type *expected, \
                                              type desired) {                             \
    return __atomic_compare_exchange_n((type *)(void *)backing__at(s, a), expected,       \
                                       desired, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);   \
  }
BACKING__DEFINE_ATOMICS(u32, uint32_t)
BACKING__DEFINE_ATOMICS(u64, uint64_t)
#undef BACKING__DEFINE_ATOMICS
#else
#error "backing.h: atomics need gcc or clang builtins (MSVC support is planned)"
#endif

#ifdef __cplusplus
}
#endif
#endif /* BACKING_H_INCLUDED */
