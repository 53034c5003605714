/* backing.h v0.1.0: a persistent, shareable heap in one header. MIT license at the end.

   CONTENTS
     1. Quick start
     2. Compile-time options
     3. Arena sources
     4. Vital statistics
     5. On-disk format
     6. Error codes
     7. API reference
     8. The implementation, chapter by chapter
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
     BACKING_NO_THREADS     no locking and no thread-local error slot: one thread, one process.
     BACKING_DEBUG          accessors check that an address lies inside a live block, and
                            trap when it does not (BACKING_DEBUG_BAD_ACCESS(s, a, n) may be
                            defined to do something else).
     BACKING_POISON         with -fsanitize=address: free slots and blocks of a store are
                            poisoned, so ASan reports a use after free inside a store.
     BACKING_VALGRIND       the same for valgrind's memcheck (needs valgrind's headers).
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
     Small blocks     up to 4096 bytes, in 28 size classes (16-byte steps to 128, then
                      four per power of two) carved from 32 KiB slabs; no per-block
                      header; usable size is the class size, at most 25% over the
                      request. A slab costs 16 bytes in the arena plus a 320-byte entry
                      in the arena's slab table (about 1% of every arena).
     Large blocks     16-byte header; usable size is the request rounded up to 16, plus
                      up to 16 bytes of a remainder too small to split off. A small
                      request in an arena with no room for another slab becomes one.
     Smallest block   16 usable bytes (alloc(0) and alloc(1) give 16).
     Largest block    backing_stats.max_block: arena_size - H - 16, where
                      H = round_up(2304 + 320 * arena_size / 32768, 4096)
                      (16 MiB arenas: 16,609,264 bytes; 64 KiB arenas: 61,424).
     Arenas           a power of two from 64 KiB to 4 GiB; default 16 MiB.
     alloc, free      O(1) in the arena tried (size-class lists and TLSF bitmaps, no
                      list scans); only when that arena is full are the others tried
                      in turn (O(arenas) bitmap tests) before the store grows.
     realloc          O(1), plus the copy when the block must move.
     ptr, get, set    one add and one load or store (static inline).
     check, walk,
     stat             O(size of the store).
     Containers       strings up to max_block - 25 bytes; vectors of up to 251 segments
                      (many arenas' worth; elements never move); map keys up to 64 KiB,
                      put/get/del O(1) expected (4 KiB segments split one at a time),
                      map_len O(keys / 250), gets lock-free (README: "Containers").
     Threads          a handle may be used by many threads, a store by many processes;
                      a lock per arena, taken from dead owners (README: crash model).

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

   7. API REFERENCE
   Every public name, one line each, in the order of the declarations below (each
   declaration carries the full contract). s is a backing *; a, m, v and str are
   backing_addr; sizes, lengths and counts are uint64_t. Unless a line says otherwise,
   an int result is 0 or an error code, and a function that returns an address, a size
   or a count returns 0 on failure, with the code in backing_last_error().

   Version
     BACKING_VERSION_MAJOR      library version: major (0)
     BACKING_VERSION_MINOR      minor (1)
     BACKING_VERSION_PATCH      patch (0)
     BACKING_VERSION_STRING     "0.1.0"
     BACKING_FORMAT_VERSION     on-disk format version (2); another one is EVERSION
     BACKING_API                decoration of every public function (chapter 2)

   Errors
     BACKING_ERRORS(X)          X-macro list X(name, value, message) of every code
     enum backing_error         BACKING_OK (0) and the codes below
     BACKING_OK                 0: success
     BACKING_EINVAL             -1  invalid argument
     BACKING_ENOSPACE           -2  store full: max_size reached
     BACKING_ETOOBIG            -3  request larger than backing_stats.max_block
     BACKING_EBADADDR           -4  not the address of a live block
     BACKING_EFREED             -5  block already freed
     BACKING_ETYPE              -6  wrong kind of block (GC or plain, container kind)
     BACKING_ECORRUPT           -7  store fails validation (see backing_check_detail)
     BACKING_EVERSION           -8  incompatible format version
     BACKING_EMISMATCH          -9  arena size, byte order or ABI not the store's
     BACKING_ERDONLY            -10 a change through a read-only handle
     BACKING_ENOTFOUND          -11 key or root not found
     BACKING_EREFERENCED        -12 GC block still referenced
     BACKING_EBUSY              -13 busy (close inside a walk or destructor; all 256
                                    process slots taken)
     BACKING_ERECOVER           -14 store needs a repair only a read-write open can do
     BACKING_ENOMEM             -15 out of process memory or address space
     BACKING_EFULL              -16 root table full (BACKING_ROOT_MAX names)
     BACKING_EFORKED            -17 handle inherited through fork(): open again
     BACKING_ERANGE             -18 backing_file_map: range not inside the file
     backing_strerror           (err): the message for a BACKING_E* code or an errno
     backing_last_error         (): the calling thread's last outcome, 0 or the
                                code; set by every function that is not inline

   The store
     backing_addr               uint64_t address in the store, 0 = null; the same
                                block in every process and after every reopen
     backing                    an open handle (opaque)
     enum backing_source_kind   where the arenas live:
     BACKING_SOURCE_DEFAULT     0: MMAP when dirname is set, else MEMORY
     BACKING_SOURCE_MEMORY      anonymous memory, gone at close
     BACKING_SOURCE_MMAP        the file <dirname>/<name>.backing
     BACKING_SOURCE_BUFFER      caller memory: buffer, buffer_size
     BACKING_SOURCE_CUSTOM      a backing_source of callbacks: custom
     enum backing_open_flags    backing_config.flags, or-ed:
     BACKING_RDONLY             MMAP only: map read-only; every change is ERDONLY
     BACKING_NOCREATE           a missing store is ENOENT, not created
     BACKING_EXCL               an existing store is EEXIST
     BACKING_VERIFY             full backing_check at open; ECORRUPT, store untouched
     BACKING_HUGE               this handle may allocate blocks larger than an arena
     backing_config             what to open; all-zero fields mean defaults:
       .name                    file name stem for MMAP (default "store")
       .dirname                 directory for MMAP, created if missing
       .source                  enum backing_source_kind
       .flags                   enum backing_open_flags
       .arena_size              power of two, 64 KiB..4 GiB; 0: 16 MiB, or the
                                store's own; another than the store's is EMISMATCH
       .max_size                cap on arena bytes, whole arenas; 0: BACKING_RESERVE
       .lifetime                GC cycles at count 0 before a free; 0: 2
       .buffer, .buffer_size    BUFFER source: the memory (start rounded up to 4096)
       .custom                  CUSTOM source: a const backing_source *
       .alloc_ctx               passed to BACKING_MALLOC and BACKING_FREE
     backing_source             CUSTOM callbacks, each returning 0 or an error code:
       .ctx                     first argument of every callback
       .reserve                 (ctx, max_bytes, &base, &size): reserve, set base
                                (4096-aligned) and the bytes already holding a store
       .extend                  (ctx, base, old_size, new_size): make them usable
       .sync                    (ctx, base, offset, len, flags): durable; may be NULL
       .release                 (ctx, base, max_bytes, size): give it back at close
     backing_open               (&s, &cfg): open or create; 0 and s, or an error and
                                s = NULL; O(1); this process's handle if already open
     backing_close              (s): the n-th close of n opens unmaps and frees; no
                                sync; EBUSY inside a walk callback or a destructor
     backing_destroy            (&cfg): delete a closed MMAP store's file; ENOENT if
                                none; other sources: 0

   The allocator (every block 16-byte aligned)
     backing_alloc              (s, size): a block of at least size bytes; 0 with
                                ETOOBIG, ENOSPACE, ENOSPC or another errno
     backing_calloc             (s, size): the same, usable size zeroed
     backing_alloc_aligned      (s, size, align): align a power of two up to 4096
     backing_realloc            (s, a, size): in place when it can; a = 0 is alloc;
                                on failure 0 and a untouched
     backing_free               (s, a): usable bytes freed; 0 with EBADADDR or EFREED
     backing_sizeof             (s, a): usable size (>= the request)
     backing_ptr                (s, a): a pointer, valid until close; NULL outside
     backing_addr_of            (s, p): the address of a pointer into the store

   Named roots
     BACKING_ROOT_MAX           60 names in the table
     BACKING_ROOT_NAME_MAX      55: the longest name, in bytes
     backing_root_set           (s, name, a): name a (replaces); EINVAL, EFULL
     backing_root_get           (s, name): the address; 0 with ENOTFOUND
     backing_root_del           (s, name): 0, ENOTFOUND, EINVAL

   Garbage collector
     backing_gc_alloc           (s, size, type, refs): a GC block with a type tag and
                                count refs (at 0 it waits at once)
     backing_gc_calloc          the same, usable size zeroed
     backing_gc_ref             (s, a): the new count; from 0 it stops waiting
     backing_gc_unref           (s, a): the new count; at 0 it stays 0
     backing_gc_cycle           (s): age every waiting block, free those at lifetime;
                                bytes freed (usable size + 16 each)
     backing_gc_step            (s): the same for one arena per call, in turn
     backing_gc_free            (s, a): free a block at count 0 now (else
                                EREFERENCED), destructor first; usable size + 16
     backing_gc_refcount        (s, a): the count, 0 while waiting
     backing_gc_type            (s, a): the type tag
     backing_gc_sizeof          (s, a): the usable size
     backing_gc_age             (s, a): cycles waited at count 0 (0 if referenced)
     backing_gc_on_free         (s, type, fn, ctx): run fn(s, a, ctx) before a block
                                of type is freed; per handle; fn NULL removes it
     backing_gc_set_lifetime    (s, lifetime): this handle's (0 behaves as 1)

   Containers (GC blocks of the library's types; RDONLY handles read them)
     BACKING_TYPE_RESERVED      0xB4C00000: GC types from here to + 255 are taken
     backing_str_new            (s, bytes, len): an immutable copy, NUL added; at
                                most max_block - 25 bytes (ETOOBIG)
     backing_str_len            (s, str): the length (0 is one: read last_error)
     backing_str_data           (s, str): the bytes and a NUL; NULL if not a string
     backing_str_free           (s, str): give it back now
     backing_vec_new            (s, elem_size, cap): a vector with room for cap
                                elements (0: a few); elements never move
     backing_vec_push           (s, v, elem): append a copy; ETOOBIG past the last
                                of 251 segments
     backing_vec_pop            (s, v, out): copy the last out (if not NULL) and
                                remove it; ENOTFOUND when empty
     backing_vec_at             (s, v, i): pointer to element i; NULL if i >= len
     backing_vec_len            (s, v): the element count (takes no lock)
     backing_vec_resize         (s, v, len): new elements read as zeros
     backing_vec_free           (s, v): give back the vector and its storage now
     BACKING_MAP_KEY_MAX        65536: the longest map key, in bytes
     BACKING_VALUE_BYTES        1: .data, .len; put copies them into the store
     BACKING_VALUE_I64          .i64
     BACKING_VALUE_F64          .f64
     BACKING_VALUE_ADDR         .addr, a reference: the map never frees it
     backing_value              a map value:
       .kind                    BACKING_VALUE_*
       .data, .len              BYTES (get: a view into the store, NUL after it)
       .i64, .f64, .addr        the other kinds
     backing_map_cursor         an iteration position: zero it to start
       .pos, .seg, .idx, .state the position (hash range, segment, slot, state)
     backing_map_stats          filled by backing_map_stat:
       .entries, .segments      keys; segments in the directory
       .slots, .tombstones      segments * slots; slots of deleted keys
       .load, .bytes            entries / slots; store bytes of table and entries
       .depth, .max_probe       directory depth; the longest probe of a key
     backing_map_new            (s, expected_keys): an empty map (0: one segment)
     backing_map_put            (s, m, key, klen, &v): insert or overwrite; ETOOBIG,
                                EINVAL (value kind), ENOSPACE, ERDONLY
     backing_map_get            (s, m, key, klen, &out): 0 or ENOTFOUND; BYTES is a
                                view, kept lifetime GC cycles after a change
     backing_map_del            (s, m, key, klen): 0 or ENOTFOUND
     backing_map_len            (s, m): the key count, exact; O(keys / 250)
     backing_map_next           (s, m, &c, &key, &klen, &out): 1 and an entry, 0 at
                                the end; a key present throughout comes once
     backing_map_stat           (s, m, &st): fill a backing_map_stats
     backing_map_check          (s, m): the map's whole structure; ECORRUPT
     backing_map_free           (s, m): table and entries; ADDR targets are kept

   Memory-mapping layer (any file; the store has the same three by address)
     enum backing_map_flags     backing_file_map's flags:
     BACKING_MAP_READ           0: read-only, shared
     BACKING_MAP_SHARED         read-write; writes reach the file
     BACKING_MAP_PRIVATE        read-write, copy-on-write; the file never changes
     BACKING_MAP_CREATE         with SHARED: create or extend the file, fully backed
     enum backing_sync_flags    flags of backing_msync and backing_sync:
     BACKING_SYNC_BLOCK         0: return when the pages are on disk
     BACKING_SYNC_ASYNC         start the writes, do not wait
     BACKING_SYNC_INVALIDATE    also drop other cached copies (MS_INVALIDATE)
     enum backing_advice        advice for backing_madvise and backing_advise:
     BACKING_ADVICE_NORMAL      no special treatment
     BACKING_ADVICE_RANDOM      expect random access (less read-ahead)
     BACKING_ADVICE_SEQUENTIAL  expect sequential access (more read-ahead)
     BACKING_ADVICE_WILLNEED    read ahead now
     BACKING_ADVICE_DONTNEED    drop the pages now: file pages are read again, private
                                and anonymous (MEMORY) ones come back as zeros
     backing_mapping            one mapping:
       .data, .length           the first byte at the offset asked for; bytes from it
       .map_base, .map_length   internal: the page-aligned mapping
     backing_file_map           (&m, path, offset, length, flags): map a range of a
                                file (length 0: to the end; any offset); ERANGE
                                outside the file unless MAP_CREATE; EINVAL if not a
                                regular file
     backing_file_unmap         (&m): unmap and zero m
     backing_msync              (addr, len, flags): flush a mapped range (any addr:
                                widened to whole pages)
     backing_madvise            (addr, len, advice): advise on a mapped range
     backing_mincore            (addr, len, &resident, &total): pages in memory
     backing_pagesize           (): the system page size
     backing_sync               (s, a, len, flags): backing_msync on a store range
                                (len 0: to the end); (s, 0, 0, 0) makes it durable
     backing_advise             (s, a, len, advice): backing_madvise on a store range
     backing_incore             (s, a, len, &resident, &total): backing_mincore

   Diagnostics
     backing_stats              filled by backing_stat:
       .arena_size, .arena_count, .capacity (their product)
       .used_bytes, .used_blocks usable bytes and count of live blocks
       .free_bytes, .free_blocks free blocks and untouched arena space
       .largest_free            the largest free block or untouched run
       .gc_waiting              GC blocks at count 0
       .alloc_failures          allocation calls that returned 0 (this handle)
       .slabs                   32 KiB slabs holding small blocks
       .max_block               the largest usable size of one block
     backing_stat               (s, &st): fill a backing_stats; O(store)
     backing_check              (s): 0, or ECORRUPT and backing_check_detail; never
                                crashes or loops on a damaged store
     backing_check_detail       (s): what the last failed check found ("" if none)
     enum backing_block_state   the state backing_walk reports:
     BACKING_BLOCK_USED         a live plain block (address, usable size)
     BACKING_BLOCK_FREE         a free block or the untouched end of an arena
     BACKING_BLOCK_GC           a live GC block (GC address, GC size)
     backing_walk_fn            int fn(s, a, size, state, ctx); nonzero stops a walk
     backing_walk               (s, fn, ctx): every block in address order, with its
                                arena locked; returns what stopped it, or 0

   Typed accessors (static inline: one add and one access; host byte order)
     backing_get_T              (s, a): the T at a; T is i8 u8 i16 u16 i32 u32 i64 u64
                                f32 f64 (backing_get_i32, ...); unchecked unless
                                BACKING_DEBUG
     backing_set_T              (s, a, v): store a T at a
     backing_read               (s, a, dst, n): copy out; 0, EBADADDR, EINVAL
     backing_write              (s, a, src, n): copy in; 0, EBADADDR, EINVAL, ERDONLY
     backing_copy               (s, dst, src, n): memmove inside the store
     backing_atomic_load_u32    (s, a), and _u64: sequentially consistent, lock-free,
                                safe between processes
     backing_atomic_store_u32   (s, a, v), and _u64
     backing_atomic_add_u32     (s, a, v), and _u64: returns the previous value
     backing_atomic_cas_u32     (s, a, &expected, desired), and _u64: 1 if swapped,
                                else 0 and expected updated; ERDONLY on RDONLY

   8. THE IMPLEMENTATION, CHAPTER BY CHAPTER
   Each chapter starts with a line `>>name`; search for it.
     >>errors      the last-error slot and the one rule every call follows
     >>layout      THE FILE FORMAT: every on-disk structure field by field, each offset
                   asserted at compile time (the README's tables are checked against them)
     >>os          THE OS LAYER: every system call, one block per platform (POSIX,
                   Windows, none); a port adds one block here and nothing elsewhere
     >>handle      the process-local handle, block header checks, damage reports
     >>tlsf        large blocks: two-level segregated lists over boundary-tagged blocks
     >>slabs       small blocks: 32 KiB slabs of one size class, in-use bitmaps
     >>sources     where arenas come from: one table of operations per source
     >>arenas      arena headers: format and validation
     >>locks       lock words, owners, taking a dead owner's lock
     >>open        open, close, destroy: configuration resolved once into s->ops
     >>alloc       THE ALLOCATOR's entry points: alloc, free, realloc, ptr
     >>roots, >>gc, >>containers
     >>invariants  THE INVARIANTS of an arena, named I1..I12, truth and derived
     >>recovery    THE CRASH PROTOCOL: rebuilding the derived from the truth
     >>session     process slots, the dirty flag, the boot id: who repairs what, and when
     >>mapping     the mapping layer (files, msync, madvise, mincore)
     >>check       the walker behind stat, walk and check, reporting by invariant
*/
#ifndef BACKING_H_INCLUDED
#define BACKING_H_INCLUDED

/* The implementation needs POSIX and Linux interfaces (posix_fallocate, MAP_ANONYMOUS,
   O_CLOEXEC, OFD locks) that strict -std=c99 hides, and 64-bit file offsets on 32-bit
   hosts. These requests only work before the first system header; when something was
   included earlier, the implementation declares what it needs itself (>>os). */
#if defined(BACKING_IMPLEMENTATION) && !defined(_WIN32)
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#ifndef _FILE_OFFSET_BITS
#define _FILE_OFFSET_BITS 64
#endif
#endif

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
#define BACKING_FORMAT_VERSION 2

#ifndef BACKING_API
#if defined(BACKING_STATIC) && (defined(__GNUC__) || defined(__clang__))
#define BACKING_API static __attribute__((unused))
#elif defined(BACKING_STATIC)
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

#define BACKING_ERRORS(X)                                                                   \
  X(BACKING_EINVAL, -1, "invalid argument")                                                 \
  X(BACKING_ENOSPACE, -2, "store is full (max_size reached)")                               \
  X(BACKING_ETOOBIG, -3, "request larger than the largest block (backing_stats.max_block)") \
  X(BACKING_EBADADDR, -4, "not the address of a live block")                                \
  X(BACKING_EFREED, -5, "block already freed")                                              \
  X(BACKING_ETYPE, -6, "wrong kind of block")                                               \
  X(BACKING_ECORRUPT, -7, "store fails validation")                                         \
  X(BACKING_EVERSION, -8, "incompatible format version")                                    \
  X(BACKING_EMISMATCH, -9, "configuration or platform differs from the stored one")         \
  X(BACKING_ERDONLY, -10, "write through a read-only handle")                               \
  X(BACKING_ENOTFOUND, -11, "key or root not found")                                        \
  X(BACKING_EREFERENCED, -12, "block is still referenced")                                  \
  X(BACKING_EBUSY, -13, "busy")                                                             \
  X(BACKING_ERECOVER, -14, "store needs recovery this handle cannot do")                    \
  X(BACKING_ENOMEM, -15, "out of process memory or address space")                          \
  X(BACKING_EFULL, -16, "the root table is full (BACKING_ROOT_MAX names)")                  \
  X(BACKING_EFORKED, -17, "handle inherited through fork: open the store again here")       \
  X(BACKING_ERANGE, -18, "range not inside the file (an empty file has no range)")

enum backing_error {
#define BACKING__ENUM(name, value, text) name = value,
  BACKING_ERRORS(BACKING__ENUM)
#undef BACKING__ENUM
      BACKING_OK = 0
};

/* The message for a BACKING_E* code or a positive errno; never NULL. */
BACKING_API const char *backing_strerror(int err);
/* The outcome of the calling thread's last call: every function that is not static inline
   sets it, 0 when it succeeds and the code when it fails, so a result that can be 0 either
   way (gc_unref, gc_age, a size) is read with it. The inline accessors leave it alone. */
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
  BACKING_RDONLY = 1,   /* MMAP only: map read-only; every change is BACKING_ERDONLY */
  BACKING_NOCREATE = 2, /* a missing store is ENOENT, not created */
  BACKING_EXCL = 4,     /* an existing store is EEXIST */
  BACKING_VERIFY = 8,   /* run backing_check before returning: ECORRUPT, store untouched */
  BACKING_HUGE = 16     /* a block larger than an arena takes a span of whole arenas */
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
  uint32_t lifetime;   /* GC cycles before a block at count 0 is freed; 0 = default 2
                          (backing_gc_set_lifetime can set 0, which behaves as 1) */
  void *buffer;        /* BUFFER source */
  uint64_t buffer_size;
  const backing_source *custom; /* CUSTOM source */
  void *alloc_ctx;              /* passed to BACKING_MALLOC / BACKING_FREE */
} backing_config;

/* Open (or create) a store. Returns 0 and sets *out, or an error and sets *out = NULL:
   BACKING_EINVAL (bad config), BACKING_ECORRUPT (not a store, damaged, truncated, empty),
   BACKING_EVERSION, BACKING_EMISMATCH (arena_size, endianness or ABI differ), ENOENT
   (NOCREATE and no store), EEXIST (EXCL), BACKING_ERECOVER (RDONLY on a store a dead
   writer left to repair), other errno from the OS. A store that is refused is left
   byte-for-byte unchanged. O(1): nothing but the first header is read (BACKING_VERIFY:
   the whole store is checked first; after a machine crash or on a copy taken while the
   store was in use, it always is). Opening a store this process already has open (same
   mode) returns the same handle. A handle belongs to the process that opened it: in a
   child of fork() every call on it is BACKING_EFORKED, and close frees the child's copy
   only. */
BACKING_API int backing_open(backing **out, const backing_config *cfg);
/* Unmap and free the handle; 0, or BACKING_EINVAL for NULL or a handle already closed (as
   far as that can be seen: a closed handle is freed memory), or BACKING_EBUSY from inside
   a walk callback or a GC destructor. It does not wait for the disk (written data is already in the
   page cache): call backing_sync() first for durability. A store opened n times in one process
   (same handle) is closed by the n-th close. */
BACKING_API int backing_close(backing *s);
/* Delete a closed MMAP store's file. ENOENT if there is none. Other sources: 0. */
BACKING_API int backing_destroy(const backing_config *cfg);

/* ------------------------------------------------------------------------------------ */
/* The allocator. Every block is 16-byte aligned. Returns 0 on failure, with the reason  */
/* in backing_last_error(): ETOOBIG, ENOSPACE, ENOSPC or another errno from growth.      */
/* Past backing_stats.max_block a request is ETOOBIG, unless the handle was opened with  */
/* BACKING_HUGE: then it takes a span of whole arenas (alignment 16 only).               */

BACKING_API backing_addr backing_alloc(backing *s, uint64_t size);
/* As alloc, with the whole usable size zeroed. */
BACKING_API backing_addr backing_calloc(backing *s, uint64_t size);
/* align: a power of two up to 4096, else EINVAL; the address and the pointer are both
   aligned (the store's base is page-aligned). */
BACKING_API backing_addr backing_alloc_aligned(backing *s, uint64_t size, uint64_t align);
/* Grow or shrink; in place when it can (a huge block: when its span is the store's last,
   by whole arenas). On failure returns 0 and `a` is untouched. a == 0 is alloc.
   Contents up to min(old, new) usable size are kept. */
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
/* 0, EINVAL (bad name, a == 0), EFULL (table full). Replaces an existing root. */
BACKING_API int backing_root_set(backing *s, const char *name, backing_addr a);
/* The address, or 0 with ENOTFOUND (or EINVAL). */
BACKING_API backing_addr backing_root_get(backing *s, const char *name);
/* 0, ENOTFOUND, EINVAL. */
BACKING_API int backing_root_del(backing *s, const char *name);

/* ------------------------------------------------------------------------------------ */
/* Garbage collector: reference counts, and blocks at count 0 freed after `lifetime`     */
/* cycles (the seed's collector). A GC block has a 16-byte header before its address:   */
/*                                                                                      */
/*   a - 16  u32 prev   waiting list: arena offset of the previous waiting block, 0 none */
/*   a - 12  u32 next   waiting list: the next one                                       */
/*   a - 8   i32 count  > 0: references; <= 0: minus the cycles survived at 0 (its age) */
/*   a - 4   u32 type   the caller's type tag (0 = untyped)                              */
/*                                                                                      */
/* A block is waiting while its count is 0; each arena keeps its waiting blocks in one  */
/* doubly linked list, so ref from 0 leaves it in O(1) and a cycle costs time in         */
/* proportion to the blocks waiting, not to the heap. Plain and GC blocks never mix:    */
/* backing_free of a GC block and gc_* of a plain block are BACKING_ETYPE.               */

/* A GC block of `size` usable bytes with count `refs`; at 0 it waits at once. Returns 0
   on failure like backing_alloc. gc_calloc zeroes the usable bytes. */
BACKING_API backing_addr backing_gc_alloc(backing *s, uint64_t size, uint32_t type, uint32_t refs);
BACKING_API backing_addr backing_gc_calloc(backing *s, uint64_t size, uint32_t type, uint32_t refs);
/* The new count. ref from 0 takes the block off the waiting list and restarts its age.
   unref at 0 stays 0 and does nothing. Atomic: safe from many threads at once. Errors:
   0 with EBADADDR, EFREED or ETYPE in backing_last_error(). */
BACKING_API uint32_t backing_gc_ref(backing *s, backing_addr a);
BACKING_API uint32_t backing_gc_unref(backing *s, backing_addr a);
/* Age every waiting block by one and free those that reach the lifetime (a block is freed
   on the lifetime-th cycle after it last reached 0; lifetime 0 or 1 frees on the first).
   Returns the bytes freed: usable size + 16 per block (gc_alloc(64) frees 80). Blocks
   that destructors unref during a cycle are aged from the next cycle on. */
BACKING_API uint64_t backing_gc_cycle(backing *s);
/* The same for one arena per call, in turn. */
BACKING_API uint64_t backing_gc_step(backing *s);
/* Free now, whatever its age, if its count is 0; else 0 with BACKING_EREFERENCED. Runs the
   type's destructor first. Returns usable size + 16. */
BACKING_API uint64_t backing_gc_free(backing *s, backing_addr a);
/* The count (0 while waiting), the type, the usable size; 0 with an error on a bad
   address. */
BACKING_API uint32_t backing_gc_refcount(backing *s, backing_addr a);
BACKING_API uint32_t backing_gc_type(backing *s, backing_addr a);
BACKING_API uint64_t backing_gc_sizeof(backing *s, backing_addr a);
/* The cycles this block has waited at count 0 (0 if referenced). */
BACKING_API uint32_t backing_gc_age(backing *s, backing_addr a);
/* Run fn(s, a, ctx) before a block of `type` is freed by a cycle, a step or gc_free. Per
   handle (process-local); fn NULL removes it. The destructor may read the block, unref
   other blocks (they are aged from the next cycle on), alloc and free. 0, EINVAL, ENOMEM. */
BACKING_API int backing_gc_on_free(backing *s, uint32_t type,
                                   void (*fn)(backing *s, backing_addr a, void *ctx), void *ctx);
/* Change this handle's lifetime (0 behaves as 1: freed on the first cycle). */
BACKING_API int backing_gc_set_lifetime(backing *s, uint32_t lifetime);

/* ------------------------------------------------------------------------------------ */
/* Containers: strings, vectors and a map with byte keys. Each is a GC block of a type   */
/* of its own (the 256 GC types from BACKING_TYPE_RESERVED are the library's), held at */
/* count 1 until its _free, so a wrong kind of address (a vector passed as a map, a      */
/* plain block, a freed container) is BACKING_ETYPE or BACKING_EBADADDR, never a crash.  */
/* Memory they give back late (a map's overwritten values, a vector's old storage) is    */
/* GC blocks at count 0: backing_gc_cycle frees it, `lifetime` cycles later. Through a   */
/* BACKING_RDONLY handle every read works and every change is BACKING_ERDONLY.           */

#define BACKING_TYPE_RESERVED 0xB4C00000u /* gc types from here to + 255 are the library's */

/* Strings: immutable bytes (embedded NULs kept), NUL-terminated for convenience. At most
   backing_stats.max_block - 25 bytes (ETOOBIG). */
BACKING_API backing_addr backing_str_new(backing *s, const void *bytes, uint64_t len);
/* The length, or 0 with an error in backing_last_error() (0 is a valid length). */
BACKING_API uint64_t backing_str_len(backing *s, backing_addr str);
/* The bytes, then a NUL; NULL if str is not a string. Valid until str_free. */
BACKING_API const char *backing_str_data(backing *s, backing_addr str);
BACKING_API int backing_str_free(backing *s, backing_addr str);

/* Vectors of fixed-size elements (1 byte to one block). The vector's address never
   changes, and neither does an element's: storage grows by segments, each twice the last
   up to the largest block, then of that size, so a vector holds many arenas' worth of
   elements (backing_vec_push past the last segment is ETOOBIG). cap: elements to make room
   for at once (0: a few). push, pop and resize take the vector's lock (safe from many
   threads and processes); at and len take none. */
BACKING_API backing_addr backing_vec_new(backing *s, uint64_t elem_size, uint64_t cap);
BACKING_API int backing_vec_push(backing *s, backing_addr v, const void *elem);
/* Copies the last element to out (if not NULL) and removes it; ENOTFOUND if empty. */
BACKING_API int backing_vec_pop(backing *s, backing_addr v, void *out);
/* A pointer to element i; NULL (EINVAL) when i >= len, never past the end. It stays valid
   while the vector lives, whatever is pushed. */
BACKING_API void *backing_vec_at(backing *s, backing_addr v, uint64_t i);
BACKING_API uint64_t backing_vec_len(backing *s, backing_addr v);
/* New elements read as zeros; shrinking keeps the storage for later growth. */
BACKING_API int backing_vec_resize(backing *s, backing_addr v, uint64_t len);
BACKING_API int backing_vec_free(backing *s, backing_addr v);

/* Map: keys are any bytes (0 to BACKING_MAP_KEY_MAX; the empty key is a key like any
   other); values are typed. An extendible hash table: a directory of segments that split
   one at a time as the map grows (no put pays for a whole rehash, any number of keys up
   to the store's size). Puts and deletes take one segment's lock (many threads and
   processes at once); gets never wait for a writer and never write, so they work through
   read-only handles. A process killed in the middle of a put or a delete leaves every
   other key as it was and the key being changed with its old or its new value. */
enum {
  BACKING_VALUE_BYTES = 1, /* data, len: copied into the store by put */
  BACKING_VALUE_I64,
  BACKING_VALUE_F64,
  BACKING_VALUE_ADDR /* a reference: the map never frees what it points to */
};
typedef struct backing_value {
  uint32_t kind;    /* BACKING_VALUE_* */
  const void *data; /* BYTES: the bytes (get: a view into the store, NUL after the last) */
  uint64_t len;     /* BYTES: their length */
  int64_t i64;
  double f64;
  backing_addr addr;
} backing_value;
/* A position in an iteration: zero it to start. */
typedef struct backing_map_cursor {
  uint64_t pos;     /* the start of the hash range being visited */
  backing_addr seg; /* its segment */
  uint32_t idx;     /* the next slot in it */
  uint32_t state;   /* 0 start, 1 in a segment, 2 done */
} backing_map_cursor;
typedef struct backing_map_stats {
  uint64_t entries;    /* keys */
  uint64_t segments;   /* in the directory */
  uint64_t slots;      /* segments * slots per segment */
  uint64_t tombstones; /* slots of deleted keys, reclaimed by the next split */
  double load;         /* entries / slots */
  uint64_t bytes;      /* store bytes of the table and its entries */
  uint32_t depth;      /* directory depth: 2^depth directory entries */
  uint32_t max_probe;  /* the longest probe sequence of a key in the map */
} backing_map_stats;

#define BACKING_MAP_KEY_MAX 65536u

BACKING_API backing_addr backing_map_new(backing *s, uint64_t expected_keys);
/* Insert or overwrite (the old value is given back). 0, ETOOBIG (key over the limit, or
   key and value over one block), EINVAL (bad value kind), ENOSPACE, ERDONLY. */
BACKING_API int backing_map_put(backing *s, backing_addr m, const void *key, uint64_t klen,
                                const backing_value *v);
/* 0 or ENOTFOUND. A BYTES value is a view into the store: it stays readable, and keeps
   the bytes it had, until `lifetime` GC cycles after the key is overwritten or deleted
   (by any process); copy it out before that. */
BACKING_API int backing_map_get(backing *s, backing_addr m, const void *key, uint64_t klen,
                                backing_value *out);
BACKING_API int backing_map_del(backing *s, backing_addr m, const void *key, uint64_t klen);
BACKING_API uint64_t backing_map_len(backing *s, backing_addr m);
/* 1 and an entry (key and value are views, as for get), 0 at the end, < 0 an error. A key
   present for the whole iteration is returned exactly once, while others are added and
   deleted and the table grows (if backing_gc_cycle runs `lifetime` times meanwhile, a
   segment visited may be returned again). */
BACKING_API int backing_map_next(backing *s, backing_addr m, backing_map_cursor *c,
                                 const void **key, uint64_t *klen, backing_value *out);
BACKING_API int backing_map_stat(backing *s, backing_addr m, backing_map_stats *st);
/* The map's whole structure (also run by backing_check for every map a root names). */
BACKING_API int backing_map_check(backing *s, backing_addr m);
/* Gives back the table and every entry; ADDR values are left alone. */
BACKING_API int backing_map_free(backing *s, backing_addr m);

/* ------------------------------------------------------------------------------------ */
/* Memory-mapping layer (any file, any mapping)                                          */

enum backing_map_flags {
  BACKING_MAP_READ = 0,    /* read-only, shared */
  BACKING_MAP_SHARED = 1,  /* read-write, writes reach the file */
  BACKING_MAP_PRIVATE = 2, /* read-write, copy-on-write, the file never changes */
  BACKING_MAP_CREATE = 4   /* with SHARED: create the file / extend it to offset+length */
};
enum backing_sync_flags {
  BACKING_SYNC_BLOCK = 0,
  BACKING_SYNC_ASYNC = 1,
  BACKING_SYNC_INVALIDATE = 2
};
enum backing_advice {
  BACKING_ADVICE_NORMAL = 0,
  BACKING_ADVICE_RANDOM = 1,
  BACKING_ADVICE_SEQUENTIAL = 2,
  BACKING_ADVICE_WILLNEED = 3,
  BACKING_ADVICE_DONTNEED = 4
};

typedef struct backing_mapping {
  void *data;      /* first byte at the requested offset */
  uint64_t length; /* bytes mapped from data on */
  void *map_base;  /* internal: page-aligned start of the mapping */
  uint64_t map_length;
} backing_mapping;

/* Map [offset, offset + length) of the file at `path` (length 0: to the end). Any offset
   is accepted (it need not be page-aligned); a range that is not inside the file is
   EINVAL, unless BACKING_MAP_CREATE extends it (fully allocated, never sparse). */
BACKING_API int backing_file_map(backing_mapping *m, const char *path, uint64_t offset,
                                 uint64_t length, int flags);
BACKING_API int backing_file_unmap(backing_mapping *m);
/* These work on any mapped range; addr need not be page-aligned (the range is widened to
   whole pages). */
BACKING_API int backing_msync(void *addr, uint64_t len, int flags);
BACKING_API int backing_madvise(void *addr, uint64_t len, int advice);
BACKING_API int backing_mincore(const void *addr, uint64_t len, uint64_t *resident,
                                uint64_t *total);
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
  uint64_t slabs;          /* 32 KiB slabs holding small blocks */
  uint64_t max_block;      /* largest usable size one block can have */
} backing_stats;

BACKING_API int backing_stat(backing *s, backing_stats *st);
/* 0 if every arena, free list and root is consistent, else BACKING_ECORRUPT (or EINVAL)
   with a description from backing_check_detail(). Never crashes or loops on a damaged
   store. A read-only handle takes no locks: it lets a writer finish and looks again
   before it reports an arena that a writer may be changing (also in backing_stat). */
BACKING_API int backing_check(backing *s);
/* What the last failed backing_check on this handle found ("" if it passed). */
BACKING_API const char *backing_check_detail(backing *s);

enum backing_block_state {
  BACKING_BLOCK_USED = 1,
  BACKING_BLOCK_FREE = 2, /* a free block, or untouched space at an arena's end */
  BACKING_BLOCK_GC = 3    /* a live GC block */
};
/* Called for every block in address order; a nonzero return stops the walk and is
   returned. It runs with the block's arena locked: it may read the store, but a call that
   changes the arena fails (and backing_close returns BACKING_EBUSY) from inside it. */
typedef int (*backing_walk_fn)(backing *s, backing_addr a, uint64_t size, int state, void *ctx);
BACKING_API int backing_walk(backing *s, backing_walk_fn fn, void *ctx);

/* ------------------------------------------------------------------------------------ */
/* Typed accessors: static inline, one add and one access. Like plain memory: no check   */
/* unless BACKING_DEBUG, and the user synchronises. Values are in host byte order.       */

/* The first member of every handle; what the inline accessors read. */
struct backing__view {
  unsigned char *base; /* address a lives at base + a */
  uint64_t limit;      /* bytes of arenas this handle has attached, from base */
  uint64_t floor;      /* lowest address an accessor may use (>= 1: 0 is the null address) */
  int ro;              /* BACKING_RDONLY handle */
};

/* Out of line: attach arenas another process added, then check [a, a + n) again. 0,
   EBADADDR, or EINVAL for a NULL handle. */
BACKING_API int backing__reach(backing *s, backing_addr a, uint64_t n);

#ifdef BACKING_DEBUG
/* Debug builds: a bad accessor address calls BACKING_DEBUG_BAD_ACCESS(s, a, n), which
   traps unless it is defined before the header (to log, say, and go on). */
BACKING_API void backing__debug_access(backing *s, backing_addr a, uint64_t n);
#define BACKING__CHECK_ACCESS(s, a, n) backing__debug_access((s), (a), (n))
#else
#define BACKING__CHECK_ACCESS(s, a, n) ((void)0)
#endif

static inline unsigned char *backing__at(backing *s, backing_addr a) {
  return ((const struct backing__view *)(const void *)s)->base + a;
}

#define BACKING__ACCESSORS(X) \
  X(i8, int8_t)               \
  X(u8, uint8_t)              \
  X(i16, int16_t)             \
  X(u16, uint16_t)            \
  X(i32, int32_t)             \
  X(u32, uint32_t)            \
  X(i64, int64_t)             \
  X(u64, uint64_t)            \
  X(f32, float)               \
  X(f64, double)

#define BACKING__DEFINE_ACCESSOR(name, type)                                  \
  static inline type backing_get_##name(backing *s, backing_addr a) {         \
    type v;                                                                   \
    BACKING__CHECK_ACCESS(s, a, sizeof(type));                                \
    memcpy(&v, backing__at(s, a), sizeof(type));                              \
    return v;                                                                 \
  }                                                                           \
  static inline void backing_set_##name(backing *s, backing_addr a, type v) { \
    BACKING__CHECK_ACCESS(s, a, sizeof(type));                                \
    memcpy(backing__at(s, a), &v, sizeof(type));                              \
  }
BACKING__ACCESSORS(BACKING__DEFINE_ACCESSOR)
#undef BACKING__DEFINE_ACCESSOR

static inline const struct backing__view *backing__view_of(backing *s) {
  return (const struct backing__view *)(const void *)s;
}
/* 0 if [a, a + n) lies in the store, else the error; arenas another process added are
   attached on the way (the slow path). */
static inline int backing__span(backing *s, backing_addr a, uint64_t n) {
  const struct backing__view *v = backing__view_of(s);
  if (s && a >= v->floor && a < v->limit && n <= v->limit - a) return 0;
  return backing__reach(s, a, n);
}

/* Copy n bytes between the store and memory. 0, or EBADADDR if the range is not inside
   the store (address 0 and the store's own header included), EINVAL for a NULL handle,
   ERDONLY for a write through a read-only handle. n == 0 is 0 for any in-store address. */
static inline int backing_read(backing *s, backing_addr a, void *dst, uint64_t n) {
  int r = backing__span(s, a, n);
  if (r) return r;
  BACKING__CHECK_ACCESS(s, a, n);
  memcpy(dst, backing__at(s, a), (size_t)n);
  return 0;
}
static inline int backing_write(backing *s, backing_addr a, const void *src, uint64_t n) {
  int r = s && backing__view_of(s)->ro ? BACKING_ERDONLY : backing__span(s, a, n);
  if (r) return r;
  BACKING__CHECK_ACCESS(s, a, n);
  memcpy(backing__at(s, a), src, (size_t)n);
  return 0;
}
/* memmove semantics: the ranges may overlap and may span arenas. */
static inline int backing_copy(backing *s, backing_addr dst, backing_addr src, uint64_t n) {
  int r = s && backing__view_of(s)->ro ? BACKING_ERDONLY : backing__span(s, dst, n);
  if (r || (r = backing__span(s, src, n)) != 0) return r;
  BACKING__CHECK_ACCESS(s, dst, n);
  BACKING__CHECK_ACCESS(s, src, n);
  memmove(backing__at(s, dst), backing__at(s, src), (size_t)n);
  return 0;
}

/* The library's atomics, one spelling for every compiler: gcc and clang builtins, or
   under MSVC the Interlocked family (x86-64 and ARM64 loads and stores of aligned words
   are single moves; the barriers order them). Not compiled with MSVC here: see README. */
#if defined(__GNUC__) || defined(__clang__)
#define BACKING__RELAXED __ATOMIC_RELAXED
#define BACKING__ACQUIRE __ATOMIC_ACQUIRE
#define BACKING__RELEASE __ATOMIC_RELEASE
#define BACKING__ACQ_REL __ATOMIC_ACQ_REL
#define BACKING__SEQ_CST __ATOMIC_SEQ_CST
#define BACKING__ALOAD(p, o) __atomic_load_n(p, o)
#define BACKING__ASTORE(p, v, o) __atomic_store_n(p, v, o)
#define BACKING__AADD(p, v, o) __atomic_fetch_add(p, v, o)
#define BACKING__AXCHG(p, v, o) __atomic_exchange_n(p, v, o)
#define BACKING__ACAS(p, e, d, weak, o1, o2) __atomic_compare_exchange_n(p, e, d, weak, o1, o2)
#elif defined(_MSC_VER)
#include <intrin.h>
#define BACKING__RELAXED 0
#define BACKING__ACQUIRE 2
#define BACKING__RELEASE 3
#define BACKING__ACQ_REL 4
#define BACKING__SEQ_CST 5
static inline uint64_t backing__msc_load(volatile void *p, size_t n) {
  uint64_t v = n == 8 ? *(volatile uint64_t *)p : *(volatile uint32_t *)p;
  _ReadWriteBarrier();
  return v;
}
static inline void backing__msc_store(volatile void *p, size_t n, uint64_t v) {
  if (n == 8)
    _InterlockedExchange64((volatile long long *)p, (long long)v);
  else
    _InterlockedExchange((volatile long *)p, (long)v);
}
static inline uint64_t backing__msc_xchg(volatile void *p, size_t n, uint64_t v) {
  return n == 8 ? (uint64_t)_InterlockedExchange64((volatile long long *)p, (long long)v)
                : (uint32_t)_InterlockedExchange((volatile long *)p, (long)v);
}
static inline uint64_t backing__msc_add(volatile void *p, size_t n, uint64_t v) {
  return n == 8 ? (uint64_t)_InterlockedExchangeAdd64((volatile long long *)p, (long long)v)
                : (uint32_t)_InterlockedExchangeAdd((volatile long *)p, (long)v);
}
static inline int backing__msc_cas(volatile void *p, size_t n, void *e, uint64_t d) {
  if (n == 8) {
    long long x = *(long long *)e;
    long long o = _InterlockedCompareExchange64((volatile long long *)p, (long long)d, x);
    return o == x ? 1 : (*(long long *)e = o, 0);
  } else {
    long x = *(long *)e, o = _InterlockedCompareExchange((volatile long *)p, (long)d, x);
    return o == x ? 1 : (*(long *)e = o, 0);
  }
}
#define BACKING__ALOAD(p, o) backing__msc_load((p), sizeof *(p))
#define BACKING__ASTORE(p, v, o) backing__msc_store((p), sizeof *(p), (uint64_t)(v))
#define BACKING__AADD(p, v, o) backing__msc_add((p), sizeof *(p), (uint64_t)(v))
#define BACKING__AXCHG(p, v, o) backing__msc_xchg((p), sizeof *(p), (uint64_t)(v))
#define BACKING__ACAS(p, e, d, weak, o1, o2) backing__msc_cas((p), sizeof *(p), (e), (uint64_t)(d))
#else
#error "backing.h: atomics need gcc, clang or MSVC"
#endif

/* Atomics on naturally aligned words of the store (lock-free; safe between processes).
   add returns the previous value; cas returns 1 if *a was `expected` and is now
   `desired`, else 0 and stores the value seen in *expected, or BACKING_ERDONLY on a
   read-only handle. Sequentially consistent. Like the typed setters, store and add
   through a read-only handle fault (SIGSEGV: the store is mapped read-only there). */
#define BACKING__DEFINE_ATOMICS(name, type)                                               \
  static inline type backing_atomic_load_##name(backing *s, backing_addr a) {             \
    return BACKING__ALOAD((type *)(void *)backing__at(s, a), BACKING__SEQ_CST);           \
  }                                                                                       \
  static inline void backing_atomic_store_##name(backing *s, backing_addr a, type v) {    \
    BACKING__ASTORE((type *)(void *)backing__at(s, a), v, BACKING__SEQ_CST);              \
  }                                                                                       \
  static inline type backing_atomic_add_##name(backing *s, backing_addr a, type v) {      \
    return BACKING__AADD((type *)(void *)backing__at(s, a), v, BACKING__SEQ_CST);         \
  }                                                                                       \
  static inline int backing_atomic_cas_##name(backing *s, backing_addr a, type *expected, \
                                              type desired) {                             \
    if (backing__view_of(s)->ro) return BACKING_ERDONLY;                                  \
    return BACKING__ACAS((type *)(void *)backing__at(s, a), expected, desired, 0,         \
                         BACKING__SEQ_CST, BACKING__SEQ_CST);                             \
  }
BACKING__DEFINE_ATOMICS(u32, uint32_t)
BACKING__DEFINE_ATOMICS(u64, uint64_t)
#undef BACKING__DEFINE_ATOMICS

#ifdef __cplusplus
}
#endif
#endif /* BACKING_H_INCLUDED */

/* ==================================================================================== */
/* IMPLEMENTATION                                                                       */
/* ==================================================================================== */
#if defined(BACKING_IMPLEMENTATION) && !defined(BACKING_IMPLEMENTATION_INCLUDED)
#define BACKING_IMPLEMENTATION_INCLUDED

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef BACKING_ASSERT
#include <assert.h>
#define BACKING_ASSERT(x) assert(x)
#endif

#if defined(BACKING_MALLOC) && defined(BACKING_FREE)
#elif !defined(BACKING_MALLOC) && !defined(BACKING_FREE)
#define BACKING_MALLOC(sz, ctx) ((void)(ctx), malloc(sz))
#define BACKING_FREE(p, ctx) ((void)(ctx), free(p))
#else
#error "backing.h: define both BACKING_MALLOC and BACKING_FREE, or neither"
#endif

#ifndef BACKING_RESERVE
#if UINTPTR_MAX > 0xffffffffu
#define BACKING_RESERVE ((uint64_t)1 << 38) /* 256 GiB of address space, not memory */
#else
#define BACKING_RESERVE ((uint64_t)1 << 30)
#endif
#endif

#if defined(BACKING_NO_THREADS)
#define BACKING__TLS
#elif defined(__cplusplus) && __cplusplus >= 201103L
#define BACKING__TLS thread_local
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L && !defined(__STDC_NO_THREADS__)
#define BACKING__TLS _Thread_local
#elif defined(__GNUC__)
#define BACKING__TLS __thread
#elif defined(_MSC_VER)
#define BACKING__TLS __declspec(thread)
#else
#define BACKING__TLS
#endif

/* Handle fields that grow while other threads read them (arena count, validated arenas):
   loads and stores are atomic (plain moves on x86), so the publication is ordered. */
#define BACKING__LD(x) BACKING__ALOAD(&(x), BACKING__ACQUIRE)
/* Words that a lock-free reader (gc_ref, gc_unref) may look at while the arena's lock
   holder changes them: written and read whole (plain moves), never torn. */
#define BACKING__SET(x, v) BACKING__ASTORE(&(x), (v), BACKING__RELAXED)
#define BACKING__GET(x) BACKING__ALOAD(&(x), BACKING__RELAXED)

#if defined(__GNUC__) || defined(__clang__)
#define BACKING__LIKELY(x) __builtin_expect(!!(x), 1)
#define BACKING__INLINE static inline __attribute__((always_inline))
#define BACKING__UNLIKELY(x) __builtin_expect(!!(x), 0)
#define BACKING__CTZ32(x) ((unsigned)__builtin_ctz(x))
#define BACKING__CLZ64(x) ((unsigned)__builtin_clzll(x))
#define BACKING__POPCNT64(x) ((unsigned)__builtin_popcountll(x))
#elif defined(_MSC_VER)
#include <intrin.h>
#define BACKING__LIKELY(x) (x)
#define BACKING__INLINE static __forceinline
#define BACKING__UNLIKELY(x) (x)
static __forceinline unsigned backing__ctz32(uint32_t x) {
  unsigned long i;
  _BitScanForward(&i, x);
  return (unsigned)i;
}
static __forceinline unsigned backing__clz64(uint64_t x) {
  unsigned long i;
  _BitScanReverse64(&i, x);
  return 63u - (unsigned)i;
}
#define BACKING__CTZ32(x) backing__ctz32(x)
#define BACKING__CLZ64(x) backing__clz64(x)
#define BACKING__POPCNT64(x) ((unsigned)__popcnt64(x))
#endif

/* Memory checkers that see inside a store. With BACKING_POISON in an AddressSanitizer
   build, or with BACKING_VALGRIND under valgrind's memcheck, the user bytes of free slots
   and free blocks (and untouched space given back to an arena's top) are unaddressable,
   so a read or write through a freed address, or past the end of a block into free
   space, is reported at once. What the allocator keeps there stays addressable: block
   headers and the link words at the start of a free block (8 bytes after its header)
   or free slot (4 bytes). Off by default: the marks are this process's, so a store that
   other processes change would report blocks they allocated in space this one freed. */
#if defined(__SANITIZE_ADDRESS__)
#define BACKING__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BACKING__ASAN 1
#endif
#endif
#if defined(BACKING_POISON) && defined(BACKING__ASAN)
#include <sanitizer/asan_interface.h>
#define BACKING__MARK_OFF(p, n) __asan_poison_memory_region((p), (size_t)(n))
#define BACKING__MARK_ON(p, n) __asan_unpoison_memory_region((p), (size_t)(n))
#define BACKING__MARKED_OFF(p) __asan_address_is_poisoned(p)
#elif defined(BACKING_VALGRIND)
#include <valgrind/memcheck.h>
#define BACKING__MARK_OFF(p, n) VALGRIND_MAKE_MEM_NOACCESS((p), (n))
#define BACKING__MARK_ON(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))
static int backing__vg_poisoned(const void *p) { /* 3: not addressable (asked silently) */
  unsigned char bits;
  return VALGRIND_GET_VBITS(p, &bits, 1) == 3;
}
#define BACKING__MARKED_OFF(p) backing__vg_poisoned(p)
#endif
/* The marks go on the user's view of an arena (arena 0's differs from the library's:
   >>view), at arena offset off. */
#ifdef BACKING__MARK_OFF
#define BACKING__USER(s, ar, off) \
  (((unsigned char *)(ar) == (s)->ar0 ? (s)->view.base : (unsigned char *)(ar)) + (off))
#define BACKING__POISON(s, ar, off, n) BACKING__MARK_OFF(BACKING__USER(s, ar, off), n)
#define BACKING__UNPOISON(s, ar, off, n) BACKING__MARK_ON(BACKING__USER(s, ar, off), n)
#define BACKING__POISONED(s, ar, off) BACKING__MARKED_OFF(BACKING__USER(s, ar, off))
#define BACKING__UNPOISON_ALL(s) /* at close: the range may be mapped again here */ \
  ((s)->view.base ? (void)BACKING__MARK_ON((s)->view.base, (s)->view.limit) : (void)0)
#else
#define BACKING__UNPOISON_ALL(s) ((void)0)
#define BACKING__POISON(s, ar, off, n) ((void)0)
#define BACKING__UNPOISON(s, ar, off, n) ((void)0)
#define BACKING__POISONED(s, ar, off) 0
#endif
/* The user bytes of a free block at arena offset off, of size bytes (header included). */
#define BACKING__POISON_FREE(s, ar, off, size) \
  BACKING__POISON(s, ar, (off) + BACKING__HDR + 8, (size)-BACKING__HDR - 8)

/* Crash points, for tests only: with BACKING_TEST_CRASH_POINTS defined, every point
   between two stores of a mutating operation calls backing_test_crash_point(n), which a
   test may use to kill the process right there. Compiled to nothing otherwise. */
#ifdef BACKING_TEST_CRASH_POINTS
void backing_test_crash_point(int n);
#define BACKING__CRASH(n) backing_test_crash_point(n)
#else
#define BACKING__CRASH(n) ((void)0)
#endif
/* The crash points, and what is true when a process dies at each (the crash-point sweep
   in tests/crashpoints.c kills a process at every one, iterating over this list; recovery
   must put each right). The numbers are the points' names in test reports; 1 and 5 are
   retired. */
#define BACKING__CRASH_POINTS(X)                                                  \
  X(CARVE_TOP, 2, "a block from the top: its header is past top, unseen")         \
  X(CARVE_UNLISTED, 3, "from a free block: off its list, header still whole")     \
  X(CARVE_SPLIT, 4, "the free tail's header written inside the whole block")      \
  X(CARVE_GAP, 6, "aligned: the block's header written, the gap unpublished")     \
  X(RELEASE_MARKED, 7, "freed: its header says free, not merged nor listed")      \
  X(RELEASE_PREV, 8, "the free block before it is off its list")                  \
  X(RELEASE_NEXT, 9, "the free block after it is off its list")                   \
  X(RELEASE_MERGED, 10, "the merged header written; the next's PREV_FREE not")    \
  X(SLOT_TAKEN, 11, "a slot off the free list or bump, its bit still clear")      \
  X(SLOT_MARKED, 12, "its bit set: allocated, the caller never had it (leak)")    \
  X(SLOT_CLEARED, 13, "freed: its bit clear, not on the free-slot list")          \
  X(SLOT_LISTED, 14, "on the free-slot list, the counts not yet updated")         \
  X(SLAB_EMPTIED, 15, "the last slot gone: off the partial list, not released")   \
  X(SLAB_CARVED, 16, "a new slab's block carved, its table entry unwritten")      \
  X(SLAB_ENTRY, 17, "the entry filled, its magic not yet published")              \
  X(REALLOC_TAIL, 18, "shrunk in place: the tail's header written first")         \
  X(REALLOC_TOP, 19, "grown into the top: the header says so, top not moved")     \
  X(REALLOC_NEXT, 20, "grown into the free next block: it is off its list")       \
  X(GROW_EXTENDED, 21, "a new arena's memory is there, not formatted")            \
  X(GROW_FORMATTED, 22, "formatted, not yet counted (the next growth redoes it)") \
  X(ROOT_NAMED, 23, "a root's name written, its address not published")           \
  X(GC_AT_ZERO, 24, "a count reached 0, the block not yet on the waiting list")   \
  X(GC_UNLISTED, 25, "a due block off the waiting list, not on the doomed chain") \
  X(GC_DOOMED, 26, "on the doomed chain, marked dying, not freed")                \
  X(GC_DESTRUCTED, 27, "its destructor has run, the block is not freed")          \
  X(GC_INIT, 28, "a new GC block's header written, its count not")                \
  X(REBUILD_CLEARED, 29, "recovery: the derived lists cleared, not rebuilt")      \
  X(REBUILD_WALKED, 30, "recovery: the truth walked, the rebuild begun")          \
  X(MAP_SLOT, 31, "a map put or delete: the entry written, its slot not")         \
  X(MAP_STALE, 32, "a map writer read the directory, not yet locked the segment") \
  X(SPAN_GROWN, 33, "realloc in place: the last span counts arenas the store does not")
#define BACKING__CP_ENUM(name, n, what) BACKING__CP_##name = n,
enum backing__crash_point { BACKING__CRASH_POINTS(BACKING__CP_ENUM) BACKING__NCRASH = 34 };
#undef BACKING__CP_ENUM

#if defined(__cplusplus)
#define BACKING__STATIC_ASSERT(c, m) static_assert(c, #m)
#else
#define BACKING__STATIC_ASSERT(c, m) typedef char backing__sa_##m[(c) ? 1 : -1]
#endif

/* >>errors ------------------------------------------------------------------------- */

static BACKING__TLS int backing__last_err;

static int backing__err(int e) {
  backing__last_err = e;
  return e;
}
/* For functions returning an address or a size: record e, return 0. */
#define BACKING__FAIL(e) (backing__err(e), 0)
/* The start of every call on a handle: the last error is cleared (the call's outcome
   replaces it), and a handle that is not open, or was inherited through fork, is refused
   before anything is touched. */
#define BACKING__ENTER(s, fail)                  \
  do {                                           \
    int e_ = backing__enter(s);                  \
    if (BACKING__UNLIKELY(e_ != 0)) return fail; \
  } while (0)
#define BACKING__ENTER_INT(s) BACKING__ENTER(s, e_)
#define BACKING__ENTER_VAL(s) BACKING__ENTER(s, 0)

BACKING_API int backing_last_error(void) {
  return backing__last_err;
}

BACKING_API const char *backing_strerror(int err) {
  switch (err) {
  case 0:
    return "success";
#define BACKING__MSG(name, value, text) \
  case value:                           \
    return text;
    BACKING_ERRORS(BACKING__MSG)
#undef BACKING__MSG
  default:
    break;
  }
  if (err > 0) {
    const char *m = strerror(err);
    return m ? m : "system error";
  }
  return "unknown error";
}

/* >>layout ------------------------------------------------------------------------- */
/*
   An address is (arena index << arena_shift) | offset. Every arena is laid out as:

     [0, 64)        header: identity and checksum (backing__ident)
     [64, 2304)     allocator state (backing__arena, after the header)
     [2304, ...)    slab table: a 320-byte backing__slab per 32 KiB page of the arena
     [H, H + 6144)  arena 0 only: store state (arena count, lock, dirty flag, roots, slots)
     [data, top)    blocks, walked by their sizes
     [top, A)       untouched space, handed out by bumping `top`

   H = round_up(2304 + 320 * A / 32768, 4096); data = H (arena 0: H + 6144).

   Large block (16-byte header at offset B, user data at B + 16):
     +0 u32 prev   size of the previous block, valid only when PREV_FREE is set
     +4 u32 check  hash of (B, size) and the store's salt
     +8 u32 size   total bytes including the header, a multiple of 16; flags in bits 0-3
     +12 u32 aux   reserved (GC)
   A free block keeps its list links at B + 16 (u32 next, u32 prev, arena offsets).

   Slab: a large block of 32768 bytes whose user data X is 32 KiB-aligned; its slots fill
   [X, X + 32752). Its backing__slab (class, counts, free-slot list head, in-use bitmap)
   sits in the slab table, not in the slab, so that slab headers do not all fall in the
   same cache sets (32 KiB-aligned addresses alias in L1).
*/

#define BACKING__MAGIC 0x00474E494B434142ull /* "BACKING\0" little-endian */
#define BACKING__ENDIAN 0x0102030405060708ull
#define BACKING__MIN_SHIFT 16
#define BACKING__MAX_SHIFT 32
#define BACKING__DEFAULT_SHIFT 24
#define BACKING__SLABTAB 2304u
#define BACKING__STORE_SIZE 6144u
#define BACKING__SLOTS 256 /* processes attached read-write at once, per store */
#define BACKING__SPREAD 8  /* arenas a store grows to just to keep threads apart */
#define BACKING__SLAB_SHIFT 15
#define BACKING__SLAB ((uint32_t)1 << BACKING__SLAB_SHIFT)
#define BACKING__SLABTAB_ENTRY 320u /* one slab table entry */
#define BACKING__NCLASS 28
#define BACKING__NLIST (2 * BACKING__NCLASS) /* plain slabs, then GC slabs */
#define BACKING__SMALL_MAX 4096u
#define BACKING__HDR 16u
#define BACKING__MIN_BLOCK 32u
#define BACKING__FL 25
#define BACKING__SL 16
#define BACKING__MAX_ALIGN 4096u

#define BACKING__USED 1u
#define BACKING__PREV_FREE 2u
#define BACKING__SLABBLK 4u
#define BACKING__GC 8u
#define BACKING__FLAGS 15u

#define BACKING__ARENA_STORE 1u /* flags: this arena carries the store state */

typedef struct backing__ident {
  uint64_t magic;
  uint32_t format;
  uint32_t data_start;
  uint64_t endian;
  uint32_t abi;
  uint32_t shift;
  uint8_t id[16];
  uint32_t index;
  uint32_t flags;
  uint64_t checksum;
} backing__ident;

typedef struct backing__arena {
  backing__ident ident;
  uint64_t top;                             /* bump pointer */
  uint32_t fl_map;                          /* rows with a nonempty list */
  uint32_t sl_map[BACKING__FL];             /* lists with a block, per row */
  uint32_t heads[BACKING__FL][BACKING__SL]; /* first free block of each list */
  uint32_t partial[BACKING__NLIST];         /* slabs with a free slot, per kind and class */
  uint32_t partial_tail[BACKING__NLIST];    /* and the last one */
  uint32_t gc_head;                         /* GC blocks at count 0: the waiting list */
  uint32_t gc_tail;
  uint32_t gc_count;
  uint32_t gc_doomed;   /* blocks a cycle has taken off the list and is about to free */
  uint64_t lock;        /* the arena's lock word (see >>locks) */
  uint32_t quarantined; /* damaged beyond repair: never allocated from again */
  uint32_t span;        /* > 1: the first of `span` arenas that hold one block (the others
                           have no header: a huge block's bytes run through them) */
} backing__arena;

typedef struct backing__blk {
  uint32_t prev;
  uint32_t check;
  uint32_t size;
  uint32_t aux;
} backing__blk;

typedef struct backing__slab {
  uint32_t magic;
  uint16_t cls;
  uint16_t kind;
  uint16_t nslots;
  uint16_t used;
  uint32_t free; /* arena offset of the first free slot, 0 if none */
  uint32_t bump; /* slots [0, bump) have been handed out at least once */
  uint32_t next; /* partial list links (arena offsets of slabs) */
  uint32_t prev;
  uint32_t pad;
  uint64_t bits[32]; /* 1 = slot in use */
  uint64_t seen;     /* recovery: the mark of the last rebuild that found this slab */
  uint64_t reserved[3];
} backing__slab;

typedef struct backing__root {
  char name[56];
  uint64_t addr;
} backing__root;

typedef struct backing__store {
  uint64_t arena_count;
  uint64_t lock;       /* store lock word: growth, roots */
  uint64_t dirty;      /* 1 while a writer may have the store open */
  uint8_t boot_id[16]; /* the machine's boot id when it was set dirty */
  uint64_t file_dev;   /* the file the store lived in when it was set dirty: another one */
  uint64_t file_ino;   /* means a copy, taken while the store was in use */
  uint64_t roots_ver;  /* odd while a root's name is written (readers look again) */
  uint64_t growing;    /* a span growing in place: head | old span << 32 (0: none) */
  uint64_t reserved[23];
  backing__root roots[BACKING_ROOT_MAX];
  struct {
    uint32_t gen;   /* claims of this process slot so far */
    uint32_t state; /* 1 while its process is attached read-write */
  } slots[BACKING__SLOTS];
} backing__store;

/* The 16 bytes before a GC block's address (see the API section for the table). */
typedef struct backing__gch {
  uint32_t prev;
  uint32_t next;
  int32_t count; /* > 0 references; <= 0 minus the age; BACKING__DYING while being freed */
  uint32_t type;
} backing__gch;
#define BACKING__DYING INT32_MIN
/* GC types of the library's containers (they count their own references). */
#define BACKING__RESERVED(type) ((uint32_t)(type)-BACKING_TYPE_RESERVED < 256u)

struct backing__dtor {
  uint32_t type;
  void (*fn)(backing *s, backing_addr a, void *ctx);
  void *ctx;
};

#define BACKING__SLAB_MAGIC 0x534C4142u

/* Every offset the README's format tables give, asserted (tests/docs.sh checks that each
   offset in those tables appears here, so the two cannot drift apart). */
#define BACKING__AT(type, field, off) \
  BACKING__STATIC_ASSERT(offsetof(type, field) == (off), type##_##field##_at_##off)
BACKING__AT(backing__ident, magic, 0);
BACKING__AT(backing__ident, format, 8);
BACKING__AT(backing__ident, data_start, 12);
BACKING__AT(backing__ident, endian, 16);
BACKING__AT(backing__ident, abi, 24);
BACKING__AT(backing__ident, shift, 28);
BACKING__AT(backing__ident, id, 32);
BACKING__AT(backing__ident, index, 48);
BACKING__AT(backing__ident, flags, 52);
BACKING__AT(backing__ident, checksum, 56);
BACKING__AT(backing__arena, top, 64);
BACKING__AT(backing__arena, fl_map, 72);
BACKING__AT(backing__arena, heads, 176);
BACKING__AT(backing__arena, partial, 1776);
BACKING__AT(backing__arena, partial_tail, 2000);
BACKING__AT(backing__arena, gc_head, 2224);
BACKING__AT(backing__arena, lock, 2240);
BACKING__AT(backing__arena, quarantined, 2248);
BACKING__AT(backing__arena, span, 2252);
BACKING__AT(backing__blk, prev, 0);
BACKING__AT(backing__blk, check, 4);
BACKING__AT(backing__blk, size, 8);
BACKING__AT(backing__blk, aux, 12);
BACKING__AT(backing__store, arena_count, 0);
BACKING__AT(backing__store, lock, 8);
BACKING__AT(backing__store, dirty, 16);
BACKING__AT(backing__store, boot_id, 24);
BACKING__AT(backing__store, file_dev, 40);
BACKING__AT(backing__store, file_ino, 48);
BACKING__AT(backing__store, roots_ver, 56);
BACKING__AT(backing__store, growing, 64);
BACKING__AT(backing__store, roots, 256);
BACKING__AT(backing__store, slots, 4096);
BACKING__AT(backing__root, addr, 56);
BACKING__STATIC_ASSERT(BACKING__SLABTAB == 2304, slab_table_at_2304);
BACKING__STATIC_ASSERT(sizeof(backing__ident) == 64, ident_is_64_bytes);
BACKING__STATIC_ASSERT(sizeof(backing__arena) <= BACKING__SLABTAB, arena_state_fits);
BACKING__STATIC_ASSERT(sizeof(backing__blk) == BACKING__HDR, block_header_is_16_bytes);
BACKING__STATIC_ASSERT(sizeof(backing__slab) == BACKING__SLABTAB_ENTRY, slab_entry_is_320_bytes);
BACKING__STATIC_ASSERT(sizeof(backing__store) == BACKING__STORE_SIZE, store_state_is_6144);
BACKING__STATIC_ASSERT(sizeof(backing__root) == 64, root_is_64_bytes);
BACKING__STATIC_ASSERT(sizeof(backing__gch) == 16, gc_header_is_16_bytes);
BACKING__STATIC_ASSERT(offsetof(backing__gch, prev) == 0 && offsetof(backing__gch, next) == 4 &&
                           offsetof(backing__gch, count) == 8 && offsetof(backing__gch, type) == 12,
                       gc_header_layout);

/* Slot sizes of the slab lists: 28 plain classes (16-byte steps to 128, then four per
   power of two), then the same 28 for GC blocks, 16 bytes more for the GC header, so that
   a GC block's usable size is its class size (gc_alloc(128) has 128). A slab's `cls` is
   its list index: 0..27 plain, 28..55 GC. */
static const uint16_t backing__slot_size[BACKING__NLIST] = {
    16,  32,  48,  64,  80,  96,   112,  128,  160,  192,  224,  256,  320,  384,
    448, 512, 640, 768, 896, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096,
    32,  48,  64,  80,  96,  112,  128,  144,  176,  208,  240,  272,  336,  400,
    464, 528, 656, 784, 912, 1040, 1296, 1552, 1808, 2064, 2576, 3088, 3600, 4112};

/* ceil(2^32 / slot size): slot index = (byte offset * recip) >> 32, exact for offsets
   below 2^15 because 2^15 / 2^32 < 1 / 4112. */
#define BACKING__RECIP(c) ((uint32_t)((((uint64_t)1 << 32) + (c)-1) / (c)))
static const uint32_t backing__slot_recip[BACKING__NLIST] = {
    BACKING__RECIP(16),   BACKING__RECIP(32),   BACKING__RECIP(48),   BACKING__RECIP(64),
    BACKING__RECIP(80),   BACKING__RECIP(96),   BACKING__RECIP(112),  BACKING__RECIP(128),
    BACKING__RECIP(160),  BACKING__RECIP(192),  BACKING__RECIP(224),  BACKING__RECIP(256),
    BACKING__RECIP(320),  BACKING__RECIP(384),  BACKING__RECIP(448),  BACKING__RECIP(512),
    BACKING__RECIP(640),  BACKING__RECIP(768),  BACKING__RECIP(896),  BACKING__RECIP(1024),
    BACKING__RECIP(1280), BACKING__RECIP(1536), BACKING__RECIP(1792), BACKING__RECIP(2048),
    BACKING__RECIP(2560), BACKING__RECIP(3072), BACKING__RECIP(3584), BACKING__RECIP(4096),
    BACKING__RECIP(32),   BACKING__RECIP(48),   BACKING__RECIP(64),   BACKING__RECIP(80),
    BACKING__RECIP(96),   BACKING__RECIP(112),  BACKING__RECIP(128),  BACKING__RECIP(144),
    BACKING__RECIP(176),  BACKING__RECIP(208),  BACKING__RECIP(240),  BACKING__RECIP(272),
    BACKING__RECIP(336),  BACKING__RECIP(400),  BACKING__RECIP(464),  BACKING__RECIP(528),
    BACKING__RECIP(656),  BACKING__RECIP(784),  BACKING__RECIP(912),  BACKING__RECIP(1040),
    BACKING__RECIP(1296), BACKING__RECIP(1552), BACKING__RECIP(1808), BACKING__RECIP(2064),
    BACKING__RECIP(2576), BACKING__RECIP(3088), BACKING__RECIP(3600), BACKING__RECIP(4112)};
static uint32_t backing__slot_index(uint32_t rel, unsigned li) {
  return (uint32_t)(((uint64_t)rel * backing__slot_recip[li]) >> 32);
}

/* Size class of a request up to 4096, by (size + 15) / 16: 16-byte steps to 128, then
   four classes per power of two, so rounding wastes at most 25%. A table, not a formula:
   random sizes would make the formula's branch unpredictable. */
static const uint8_t backing__class_tab[257] = {
    0,  0,  1,  2,  3,  4,  5,  6,  7,  8,  8,  9,  9,  10, 10, 11, 11, 12, 12, 12, 12, 13, 13, 13,
    13, 14, 14, 14, 14, 15, 15, 15, 15, 16, 16, 16, 16, 16, 16, 16, 16, 17, 17, 17, 17, 17, 17, 17,
    17, 18, 18, 18, 18, 18, 18, 18, 18, 19, 19, 19, 19, 19, 19, 19, 19, 20, 20, 20, 20, 20, 20, 20,
    20, 20, 20, 20, 20, 20, 20, 20, 20, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21,
    21, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 23, 23, 23, 23, 23, 23, 23,
    23, 23, 23, 23, 23, 23, 23, 23, 23, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24,
    24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 25, 25, 25, 25, 25, 25, 25,
    25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25,
    25, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26,
    26, 26, 26, 26, 26, 26, 26, 26, 26, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27,
    27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27};
static unsigned backing__class_of(uint64_t size) {
  return backing__class_tab[(size + 15) >> 4];
}

/* >>os ----------------------------------------------------------------------------- */
/* Every call to the operating system is in this chapter, behind the backing__os_*
   functions below; the rest of the library calls nothing else. One block per platform:
   POSIX (Linux; macOS on paper, see README), Windows, and none (BACKING_NO_MMAP: memory
   from BACKING_MALLOC and caller buffers only). A port adds one block.

     files      os_open, os_close, os_file_info, os_path_info, os_grow, os_truncate,
                os_fsync, os_link, os_unlink, os_mkdirs
     memory     os_pagesize, os_reserve (address space only), os_commit (anonymous
                memory in a reservation), os_map_fixed (a file range into a reservation),
                os_map / os_unmap (a file range anywhere), os_guard (no access),
                os_release (a whole reservation and what is mapped in it), os_sync,
                os_advise, os_incore
     locks      os_lock (one byte of a file, far past its data: held by the open file,
                dropped by the system when the process dies), os_locked (does another
                open file hold it?)
     processes  os_pid, os_tid, os_alive, os_yield, os_on_fork
     identity   os_random, os_boot_id
   Results are 0 or a positive errno value (Windows errors are translated to the nearest
   one); BACKING_E* codes only where the caller's input is at fault.
   BACKING__OS_MAPS_PAST_EOF says whether a file view may cover more than the file: where
   it may (POSIX), an MMAP handle maps its whole reservation once and arenas that other
   processes add appear in it; where not (Windows), each growth is mapped when seen. */

typedef intptr_t backing__file; /* a file descriptor, or a Windows HANDLE */
#define BACKING__NOFILE ((backing__file)-1)

typedef struct backing__finfo {
  uint64_t size, dev, ino; /* dev and ino name the file whatever path reached it */
  int regular;             /* a regular file (not a FIFO, device or directory) */
} backing__finfo;

enum { /* os_open */
       BACKING__OPEN_READ = 1,
       BACKING__OPEN_WRITE = 2,  /* read and write */
       BACKING__OPEN_CREATE = 4, /* create if missing */
       BACKING__OPEN_TRUNC = 8   /* create, or empty an existing file */
};
enum { /* os_lock */
       BACKING__LOCK_SHARED = 1,
       BACKING__LOCK_EXCL = 2,
       BACKING__LOCK_WAIT = 4, /* wait for it; else EAGAIN/EACCES at once if held */
       BACKING__LOCK_FREE = 8  /* give it back */
};
enum { BACKING__MAP_RO = 0, BACKING__MAP_RW = 1, BACKING__MAP_COW = 2 }; /* os_map */

/* Lock bytes, far past any store's data (a lock there never blocks I/O on data). */
#define BACKING__LK_BASE ((uint64_t)1 << 62)
#define BACKING__LK_OPEN (BACKING__LK_BASE)
#define BACKING__LK_PRESENCE (BACKING__LK_BASE + 1)
#define BACKING__LK_SLOT(k) (BACKING__LK_BASE + 16 + (uint64_t)(k))

/* n bytes from seed x (xorshift: the same seed gives the same bytes). */
static void backing__mix(uint8_t *out, size_t n, uint64_t x) {
  size_t i;
  x |= 1;
  for (i = 0; i < n; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    out[i] = (uint8_t)(x >> 24);
  }
}
/* Fallback for os_random: time, ids and an address, unique enough for a store id. */
static void backing__weak_random(uint8_t *out, size_t n, uint64_t x) {
  backing__mix(out, n, x ^ (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)out * 0x9E3779B97F4A7C15ull);
}

#if defined(__GNUC__) || defined(__clang__)
#define BACKING__OSFN static __attribute__((unused)) /* not every build calls every one */
#else
#define BACKING__OSFN static
#endif

#if defined(BACKING_NO_MMAP) /* ------------------------------------------- no OS at all */
#define BACKING__OS_MAPS_PAST_EOF 0
BACKING__OSFN uint64_t backing__os_pagesize(void) {
  return 4096;
}
BACKING__OSFN void backing__os_yield(void) {}
BACKING__OSFN uint32_t backing__os_pid(void) {
  return 0; /* no OS to ask: a lock word names the thread only */
}
BACKING__OSFN void backing__os_forget_pid(void) {}
#ifndef BACKING_NO_THREADS
static uint32_t backing__next_tid;
BACKING__OSFN uint32_t backing__os_tid(void) { /* no OS to ask: number the threads */
  return ((BACKING__AADD(&backing__next_tid, 1, BACKING__RELAXED) + 1) & 0x3fffffu) | 1u;
}
#endif
BACKING__OSFN int backing__os_alive(uint32_t pid, uint32_t tid) {
  (void)pid, (void)tid;
  return 1; /* cannot tell: alive (BUFFER stores shared between processes need an OS) */
}
BACKING__OSFN void backing__os_on_fork(void (*prepare)(void), void (*parent)(void),
                                       void (*child)(void)) {
  (void)prepare, (void)parent, (void)child;
}
BACKING__OSFN void backing__os_random(uint8_t *out, size_t n) {
  backing__weak_random(out, n, 0x9E3779B97F4A7C15ull);
}
BACKING__OSFN void backing__os_on_fault(int (*fn)(void *addr)) {
  (void)fn;
}

#elif !defined(_WIN32) /* ------------------------------------------------------- POSIX */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>
#ifndef BACKING_NO_THREADS
#include <pthread.h>
#endif

/* A system header included before this one, under strict -std=c99/c11, hides what
   _GNU_SOURCE above asked for: supply the Linux values and C declarations. */
#if defined(__linux__)
#ifndef MAP_ANONYMOUS
#define MAP_ANONYMOUS 0x20
#endif
#ifndef MAP_NORESERVE
#define MAP_NORESERVE 0x4000
#endif
#ifndef O_CLOEXEC
#define O_CLOEXEC 02000000
#endif
#ifndef F_OFD_GETLK
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#endif
#ifndef MADV_NORMAL
#define MADV_NORMAL 0
#define MADV_RANDOM 1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED 3
#define MADV_DONTNEED 4
#endif
#if defined(__GLIBC__) && !defined(__USE_FILE_OFFSET64) && UINTPTR_MAX == 0xffffffffu
#error \
    "backing.h: 32-bit builds need 64-bit file offsets: include backing.h before any system header in the file that defines BACKING_IMPLEMENTATION, or compile that file with -D_FILE_OFFSET_BITS=64"
#endif
#if !defined(__cplusplus) && defined(__GLIBC__) && !defined(__USE_GNU)
extern int ftruncate(int fd, off_t length);
extern int posix_fallocate(int fd, off_t offset, off_t len);
extern long syscall(long number, ...);
extern int madvise(void *addr, size_t length, int advice);
extern int mincore(void *addr, size_t length, unsigned char *vec);
#endif
#endif
#define BACKING__OS_MAPS_PAST_EOF 1
#define BACKING__OS_SYNC_WAITS 1    /* msync(MS_SYNC) waits for the disk */
#define BACKING__OS_PROBE_TAKES 0   /* os_locked asks without taking the byte */
#define BACKING__OS_SYNC_PER_VIEW 0 /* msync(MS_SYNC) syncs the file range, any view */

BACKING__OSFN uint64_t backing__os_pagesize(void) {
  long p = sysconf(_SC_PAGESIZE);
  return p > 0 ? (uint64_t)p : 4096u;
}
/* File views start at multiples of this. */
BACKING__OSFN uint64_t backing__os_granularity(void) {
  return backing__os_pagesize();
}

/* Address space only: no memory, no swap. for_files: file views will be mapped into it. */
BACKING__OSFN int backing__os_reserve(uint64_t len, int for_files, void **out) {
  void *p = mmap(NULL, (size_t)len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  (void)for_files;
  if (p == MAP_FAILED) return errno == ENOMEM ? BACKING_ENOMEM : errno;
  *out = p;
  return 0;
}
BACKING__OSFN int backing__os_commit(void *at, uint64_t len) {
  void *p =
      mmap(at, (size_t)len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  return p == MAP_FAILED ? errno : 0;
}
/* Bytes [off, off + len) of f at `at`, inside a reservation that ends at `end`. */
BACKING__OSFN int backing__os_map_fixed(void *at, uint64_t len, void *end, backing__file f,
                                        uint64_t off, int writable) {
  void *p = mmap(at, (size_t)len, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED | MAP_FIXED,
                 (int)f, (off_t)off);
  (void)end;
  return p == MAP_FAILED ? errno : 0;
}
BACKING__OSFN int backing__os_map(backing__file f, uint64_t off, uint64_t len, int how,
                                  void **out) {
  void *p;
  if (len > (uint64_t)(size_t)-1 || (sizeof(off_t) < 8 && off + len > (uint64_t)INT32_MAX))
    return BACKING_ENOMEM;
  p = mmap(NULL, (size_t)len, PROT_READ | (how != BACKING__MAP_RO ? PROT_WRITE : 0),
           how == BACKING__MAP_COW ? MAP_PRIVATE : MAP_SHARED, (int)f, (off_t)off);
  if (p == MAP_FAILED) return errno;
  *out = p;
  return 0;
}
BACKING__OSFN int backing__os_unmap(void *p, uint64_t len) {
  return munmap(p, (size_t)len) ? errno : 0;
}
BACKING__OSFN int backing__os_guard(void *p, uint64_t len) {
  return mprotect(p, (size_t)len, PROT_NONE) ? errno : 0;
}
BACKING__OSFN void backing__os_release(void *base, uint64_t len) {
  if (base && len) munmap(base, (size_t)len);
}
BACKING__OSFN int backing__os_sync(void *p, uint64_t len, int flags) {
  int f = (flags & BACKING_SYNC_ASYNC) ? MS_ASYNC : MS_SYNC;
  if (flags & BACKING_SYNC_INVALIDATE) f |= MS_INVALIDATE;
  return msync(p, (size_t)len, f) ? errno : 0;
}
BACKING__OSFN int backing__os_advise(void *p, uint64_t len, int advice) {
  static const int adv[] = {MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED,
                            MADV_DONTNEED};
  return madvise(p, (size_t)len, adv[advice]) ? errno : 0;
}
/* How many of the pages of [p, p + len) (page-aligned) are resident. */
BACKING__OSFN int backing__os_incore(void *p, uint64_t len, uint64_t *resident) {
  unsigned char vec[4096]; /* a fixed buffer: any length works without allocating */
  uint64_t ps = backing__os_pagesize(), pages = len / ps, done = 0, res = 0, k, i;
  while (done < pages) {
    k = pages - done < sizeof vec ? pages - done : sizeof vec;
    if (mincore((unsigned char *)p + done * ps, (size_t)(k * ps), vec) != 0) return errno;
    for (i = 0; i < k; i++) res += vec[i] & 1;
    done += k;
  }
  *resident = res;
  return 0;
}

BACKING__OSFN int backing__os_open(const char *path, int how, backing__file *out) {
  int fl = (how & BACKING__OPEN_WRITE ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  int fd;
  if (how & (BACKING__OPEN_CREATE | BACKING__OPEN_TRUNC)) fl |= O_CREAT;
  if (how & BACKING__OPEN_TRUNC) fl |= O_TRUNC;
  /* O_NONBLOCK: opening a FIFO must not wait for a writer (callers refuse non-files) */
  do fd = open(path, fl, 0644);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno;
  *out = fd;
  return 0;
}
BACKING__OSFN void backing__os_close(backing__file f) {
  if (f != BACKING__NOFILE) close((int)f);
}
static void backing__os_finfo(const struct stat *st, backing__finfo *fi) {
  fi->size = st->st_size > 0 ? (uint64_t)st->st_size : 0;
  fi->dev = (uint64_t)st->st_dev;
  fi->ino = (uint64_t)st->st_ino;
  fi->regular = S_ISREG(st->st_mode);
}
BACKING__OSFN int backing__os_file_info(backing__file f, backing__finfo *fi) {
  struct stat st;
  if (fstat((int)f, &st) != 0) return errno;
  backing__os_finfo(&st, fi);
  return 0;
}
BACKING__OSFN int backing__os_path_info(const char *path, backing__finfo *fi) {
  struct stat st;
  if (stat(path, &st) != 0) return errno;
  backing__os_finfo(&st, fi);
  return 0;
}
/* Fully back [off, off + len) of a file: its blocks are allocated now, so a full disk is
   an error here and never a fault later. */
BACKING__OSFN int backing__os_grow(backing__file f, uint64_t off, uint64_t len) {
  int r;
  do r = posix_fallocate((int)f, (off_t)off, (off_t)len);
  while (r == EINTR);
  return r;
}
BACKING__OSFN int backing__os_truncate(backing__file f, uint64_t size) {
  return ftruncate((int)f, (off_t)size) ? errno : 0;
}
BACKING__OSFN int backing__os_fsync(backing__file f) {
  return fsync((int)f) ? errno : 0;
}
/* A second name for a file; EEXIST if `to` exists (never replaces it). */
BACKING__OSFN int backing__os_link(const char *from, const char *to) {
  return link(from, to) ? errno : 0;
}
BACKING__OSFN int backing__os_unlink(const char *path) {
  return unlink(path) ? errno : 0;
}
BACKING__OSFN int backing__os_mkdirs(const char *dir) {
  char buf[4096];
  size_t n = strlen(dir), i;
  if (n == 0 || n >= sizeof buf) return n ? ENAMETOOLONG : 0;
  memcpy(buf, dir, n + 1);
  for (i = 1; i <= n; i++) {
    if (buf[i] == '/' || buf[i] == 0) {
      char c = buf[i];
      buf[i] = 0;
      if (mkdir(buf, 0777) != 0 && errno != EEXIST) return errno;
      buf[i] = c;
    }
  }
  return 0;
}

/* Open-file-description byte locks: they belong to the open file, not the process, so
   closing another descriptor of the same file does not drop them, and the kernel drops
   them when the process dies. */
BACKING__OSFN int backing__os_lock(backing__file f, uint64_t off, int how) {
  struct flock fl;
  int cmd = how & BACKING__LOCK_WAIT ? F_OFD_SETLKW : F_OFD_SETLK;
  memset(&fl, 0, sizeof fl);
  fl.l_type = (short)(how & BACKING__LOCK_FREE     ? F_UNLCK
                      : how & BACKING__LOCK_SHARED ? F_RDLCK
                                                   : F_WRLCK);
  fl.l_whence = SEEK_SET;
  fl.l_start = (off_t)off;
  fl.l_len = 1;
  while (fcntl((int)f, cmd, &fl) != 0)
    if (errno != EINTR) return errno;
  return 0;
}
/* Does another open file hold byte off? (A lock this open file holds does not count.) */
BACKING__OSFN int backing__os_locked(backing__file f, uint64_t off) {
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = (off_t)off;
  fl.l_len = 1;
  if (fcntl((int)f, F_OFD_GETLK, &fl) != 0) return 1; /* unsure: say alive, never steal */
  return fl.l_type != F_UNLCK;
}

BACKING__OSFN void backing__os_yield(void) {
  sched_yield();
}
#ifndef BACKING_NO_THREADS
static uint32_t backing__pid_cache; /* (the fork handler forgets it in the child: >>open) */
BACKING__OSFN uint32_t backing__os_pid(void) {
  uint32_t p = BACKING__ALOAD(&backing__pid_cache, BACKING__RELAXED);
  if (!p) BACKING__ASTORE(&backing__pid_cache, p = (uint32_t)getpid(), BACKING__RELAXED);
  return p;
}
BACKING__OSFN void backing__os_forget_pid(void) {
  BACKING__ASTORE(&backing__pid_cache, 0u, BACKING__RELAXED);
}
#else
BACKING__OSFN uint32_t backing__os_pid(void) { /* (no fork handler to forget a cache) */
  return (uint32_t)getpid();
}
#endif
#ifndef BACKING_NO_THREADS
BACKING__OSFN uint32_t backing__os_tid(void) {
  return (uint32_t)syscall(SYS_gettid); /* < 2^22: Linux's PID_MAX_LIMIT */
}
#endif
/* Is thread `tid` of process `pid` alive? Signal 0 only asks; EPERM means it exists
   (another user's). Ids that cannot be a live thread's (0, or any other error) are dead. */
BACKING__OSFN int backing__os_alive(uint32_t pid, uint32_t tid) {
  if (!pid || !tid) return 0;
#ifdef SYS_tgkill
  return syscall(SYS_tgkill, (long)pid, (long)tid, 0L) == 0 || errno == EPERM;
#else
  return kill((pid_t)pid, 0) == 0 || errno == EPERM;
#endif
}
BACKING__OSFN void backing__os_on_fork(void (*prepare)(void), void (*parent)(void),
                                       void (*child)(void)) {
#ifndef BACKING_NO_THREADS
  pthread_atfork(prepare, parent, child);
#else
  (void)prepare, (void)parent, (void)child;
#endif
}
/* Views run past the file's end here: an access to an arena another process added never
   faults, so there is nothing to catch. */
BACKING__OSFN void backing__os_on_fault(int (*fn)(void *addr)) {
  (void)fn;
}

BACKING__OSFN void backing__os_random(uint8_t *out, size_t n) {
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  size_t got = 0;
  if (fd >= 0) {
    while (got < n) {
      ssize_t r = read(fd, out + got, n - got);
      if (r <= 0) break;
      got += (size_t)r;
    }
    close(fd);
  }
  if (got < n) backing__weak_random(out + got, n - got, (uint64_t)getpid() << 32);
}
/* This boot's id: 1, or 0 when the system does not say (out is then all zero). */
BACKING__OSFN int backing__os_boot_id(uint8_t out[16]) {
  char buf[64];
  int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC), n, j, k = 0;
  memset(out, 0, 16);
  if (fd < 0) return 0;
  n = (int)read(fd, buf, sizeof buf - 1);
  close(fd);
  for (j = 0; j < n && k < 32; j++) {
    int c = buf[j], v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (v >= 0) out[k / 2] = (uint8_t)(out[k / 2] << 4 | v), k++;
  }
  return k == 32;
}

#else /* ---------------------------------------------------------------------- Windows */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
#ifdef _MSC_VER
#pragma comment(lib, "advapi32.lib")
#endif
#ifndef MEM_RESERVE_PLACEHOLDER
#define MEM_RESERVE_PLACEHOLDER 0x00040000
#define MEM_REPLACE_PLACEHOLDER 0x00004000
#define MEM_PRESERVE_PLACEHOLDER 0x00000002
#endif
#define BACKING__OS_MAPS_PAST_EOF 0 /* a view ends at its section's end */
#define BACKING__OS_SYNC_WAITS 0    /* FlushViewOfFile does not wait for the disk */
#define BACKING__OS_PROBE_TAKES 1   /* os_locked takes the byte for a moment to ask */
#define BACKING__OS_SYNC_PER_VIEW 1 /* FlushViewOfFile writes one view's pages */

/* The nearest errno value of a Windows error. */
static int backing__os_err(void) {
  switch (GetLastError()) {
  case ERROR_FILE_NOT_FOUND:
  case ERROR_PATH_NOT_FOUND:
  case ERROR_INVALID_DRIVE:
    return ENOENT;
  case ERROR_ACCESS_DENIED:
  case ERROR_SHARING_VIOLATION:
  case ERROR_WRITE_PROTECT:
    return EACCES;
  case ERROR_LOCK_VIOLATION:
  case ERROR_IO_PENDING:
    return EAGAIN;
  case ERROR_FILE_EXISTS:
  case ERROR_ALREADY_EXISTS:
    return EEXIST;
  case ERROR_DISK_FULL:
  case ERROR_HANDLE_DISK_FULL:
    return ENOSPC;
  case ERROR_NOT_ENOUGH_MEMORY:
  case ERROR_OUTOFMEMORY:
  case ERROR_COMMITMENT_LIMIT:
  case ERROR_INVALID_ADDRESS:
    return ENOMEM;
  case ERROR_USER_MAPPED_FILE:
    return EBUSY;
  case ERROR_FILENAME_EXCED_RANGE:
    return ENAMETOOLONG;
  case ERROR_INVALID_PARAMETER:
    return EINVAL;
  default:
    return EIO;
  }
}

/* A function of kernelbase or kernel32 that older systems (and Wine) may lack. */
static void (*backing__os_sym(const char *dll, const char *name))(void) {
  HMODULE m = GetModuleHandleA(dll);
  return m ? (void (*)(void))GetProcAddress(m, name) : NULL;
}

BACKING__OSFN uint64_t backing__os_pagesize(void) {
  SYSTEM_INFO si;
  GetSystemInfo(&si);
  return si.dwPageSize ? si.dwPageSize : 4096u;
}
BACKING__OSFN uint64_t backing__os_granularity(void) {
  SYSTEM_INFO si;
  GetSystemInfo(&si);
  return si.dwAllocationGranularity ? si.dwAllocationGranularity : 65536u;
}

/* File views go into a reservation in one of two ways. Where the system has placeholders
   (Windows 10 1803 and later), the reservation is a placeholder that each view splits and
   replaces exactly. Elsewhere (older Windows, Wine 8), the unmapped rest of a reservation
   is its own reserved region: a view is mapped by releasing that region, mapping the view
   at its start and reserving what is left again; another thread of the process could take
   the hole in between, which fails the growth with ENOMEM rather than misplacing it.
   The placeholder path is not exercised by the tests here (README). */
typedef void *(WINAPI *backing__va2_fn)(HANDLE, void *, SIZE_T, ULONG, ULONG, void *, ULONG);
typedef void *(WINAPI *backing__mvf3_fn)(HANDLE, HANDLE, void *, ULONG64, SIZE_T, ULONG, ULONG,
                                         void *, ULONG);
static int backing__os_ph = 0; /* 1: placeholders work, -1: they do not, 0: not asked yet */

BACKING__OSFN int backing__os_reserve(uint64_t len, int for_files, void **out) {
  void *p = NULL;
  if (len > (uint64_t)(SIZE_T)-1) return BACKING_ENOMEM;
  if (for_files && backing__os_ph >= 0) {
    backing__va2_fn va2 = (backing__va2_fn)backing__os_sym("kernelbase.dll", "VirtualAlloc2");
    if (va2)
      p = va2(NULL, NULL, (SIZE_T)len, MEM_RESERVE | MEM_RESERVE_PLACEHOLDER, PAGE_NOACCESS, NULL,
              0);
    backing__os_ph = p ? 1 : -1;
  }
  if (!p) p = VirtualAlloc(NULL, (SIZE_T)len, MEM_RESERVE, PAGE_NOACCESS);
  if (!p) return BACKING_ENOMEM;
  *out = p;
  return 0;
}
BACKING__OSFN int backing__os_commit(void *at, uint64_t len) {
  return VirtualAlloc(at, (SIZE_T)len, MEM_COMMIT, PAGE_READWRITE) ? 0 : backing__os_err();
}
static HANDLE backing__os_section(backing__file f, DWORD prot) {
  return CreateFileMappingW((HANDLE)f, NULL, prot, 0, 0, NULL); /* the file's present size */
}
/* Without placeholders: give back the reserved regions that start in [at, stop), each
   part past stop reserved again at once, so that the only hole another thread's stack or
   heap could take before the view is in place is the view's own. 0 if something of
   someone else's is there now (a thread's stack that took the hole last time). */
static int backing__os_unreserve(unsigned char *at, unsigned char *stop, unsigned char *end) {
  MEMORY_BASIC_INFORMATION mi;
  unsigned char *p = at, *rend;
  while (p < stop) {
    if (!VirtualQuery(p, &mi, sizeof mi)) return 0;
    rend = (unsigned char *)mi.BaseAddress + mi.RegionSize;
    if (mi.State == MEM_RESERVE && (unsigned char *)mi.AllocationBase == p) {
      if (!VirtualFree(p, 0, MEM_RELEASE)) return 0;
    } else if (mi.State != MEM_FREE) {
      return 0;
    }
    if (rend > stop)
      VirtualAlloc(stop, (SIZE_T)((rend < end ? rend : end) - stop), MEM_RESERVE, PAGE_NOACCESS);
    p = rend;
  }
  return 1;
}
BACKING__OSFN int backing__os_map_fixed(void *at, uint64_t len, void *end, backing__file f,
                                        uint64_t off, int writable) {
  unsigned char *tail = (unsigned char *)at + len;
  HANDLE sec = backing__os_section(f, writable ? PAGE_READWRITE : PAGE_READONLY);
  DWORD acc = writable ? FILE_MAP_WRITE : FILE_MAP_READ;
  void *v = NULL;
  if (!sec) return backing__os_err();
  if (backing__os_ph > 0) {
    backing__mvf3_fn mvf3 = (backing__mvf3_fn)backing__os_sym("kernelbase.dll", "MapViewOfFile3");
    if (tail < (unsigned char *)end) /* split the placeholder: [at, tail) and the rest */
      VirtualFree(at, (SIZE_T)len, MEM_RELEASE | MEM_PRESERVE_PLACEHOLDER);
    if (mvf3)
      v = mvf3(sec, GetCurrentProcess(), at, off, (SIZE_T)len, MEM_REPLACE_PLACEHOLDER,
               writable ? PAGE_READWRITE : PAGE_READONLY, NULL, 0);
  } else {
    int tries, err = 0;
    for (tries = 0; !v && !err && tries < 200; tries++) { /* a thread in the hole may end */
      if (tries) Sleep(1);
      if (!backing__os_unreserve((unsigned char *)at, tail, (unsigned char *)end)) continue;
      v = MapViewOfFileEx(sec, acc, (DWORD)(off >> 32), (DWORD)off, (SIZE_T)len, at);
      if (v != at) { /* the hole was taken before the view was in place, or another error */
        if (!v && GetLastError() != ERROR_INVALID_ADDRESS) err = backing__os_err();
        if (v) UnmapViewOfFile(v);
        v = NULL;
        VirtualAlloc(at, (SIZE_T)len, MEM_RESERVE, PAGE_NOACCESS); /* as it was, if free */
      }
    }
    if (err) {
      CloseHandle(sec);
      return err;
    }
  }
  CloseHandle(sec);
  return v == at ? 0 : BACKING_ENOMEM;
}
BACKING__OSFN int backing__os_map(backing__file f, uint64_t off, uint64_t len, int how,
                                  void **out) {
  HANDLE sec = backing__os_section(f, how == BACKING__MAP_RO    ? PAGE_READONLY
                                      : how == BACKING__MAP_COW ? PAGE_WRITECOPY
                                                                : PAGE_READWRITE);
  void *v;
  if (!sec) return backing__os_err();
  if (len > (uint64_t)(SIZE_T)-1) return CloseHandle(sec), BACKING_ENOMEM;
  v = MapViewOfFile(sec,
                    how == BACKING__MAP_RO    ? FILE_MAP_READ
                    : how == BACKING__MAP_COW ? FILE_MAP_COPY
                                              : FILE_MAP_WRITE,
                    (DWORD)(off >> 32), (DWORD)off, (SIZE_T)len);
  CloseHandle(sec);
  if (!v) return backing__os_err();
  *out = v;
  return 0;
}
BACKING__OSFN int backing__os_unmap(void *p, uint64_t len) {
  (void)len;
  return UnmapViewOfFile(p) ? 0 : backing__os_err();
}
BACKING__OSFN int backing__os_guard(void *p, uint64_t len) {
  DWORD old;
  return VirtualProtect(p, (SIZE_T)len, PAGE_NOACCESS, &old) ? 0 : backing__os_err();
}
/* Every view and reserved region in [base, base + len), whatever mapped them. */
BACKING__OSFN void backing__os_release(void *base, uint64_t len) {
  unsigned char *p = (unsigned char *)base, *end = p + len;
  MEMORY_BASIC_INFORMATION mi;
  while (base && p < end && VirtualQuery(p, &mi, sizeof mi)) {
    /* only what the library made: its views, and reservations it made (no access at
       first); a thread's stack or heap that took a hole during a growth stays */
    if (mi.State != MEM_FREE && (unsigned char *)mi.AllocationBase >= (unsigned char *)base) {
      if (mi.Type == MEM_MAPPED)
        UnmapViewOfFile(mi.AllocationBase);
      else if (mi.AllocationProtect == PAGE_NOACCESS)
        VirtualFree(mi.AllocationBase, 0, MEM_RELEASE);
    }
    p = (unsigned char *)mi.BaseAddress + mi.RegionSize;
  }
}
/* The pages are written to the file; FlushViewOfFile does not wait for the disk (the
   store's backing_sync also flushes the file, which does). */
BACKING__OSFN int backing__os_sync(void *p, uint64_t len, int flags) {
  unsigned char *at = (unsigned char *)p, *end = at + len; /* view by view */
  MEMORY_BASIC_INFORMATION mi;
  (void)flags;
  while (at < end && VirtualQuery(at, &mi, sizeof mi)) {
    unsigned char *next = (unsigned char *)mi.BaseAddress + mi.RegionSize;
    SIZE_T n = (SIZE_T)((next < end ? next : end) - at);
    if (mi.Type == MEM_MAPPED && mi.State == MEM_COMMIT && mi.Protect != PAGE_NOACCESS &&
        !FlushViewOfFile(at, n))
      return backing__os_err();
    at = next;
  }
  return 0;
}
/* WILLNEED reads ahead (PrefetchVirtualMemory, Windows 8 and later); NORMAL, RANDOM and
   SEQUENTIAL have no equivalent for file views and are accepted as the hints they are;
   DONTNEED has none either, and is refused: ENOSYS. */
BACKING__OSFN int backing__os_advise(void *p, uint64_t len, int advice) {
  typedef BOOL(WINAPI * fn)(HANDLE, ULONG_PTR, void *, ULONG);
  if (advice == BACKING_ADVICE_DONTNEED) return ENOSYS;
  if (advice == BACKING_ADVICE_WILLNEED) {
    fn pf = (fn)backing__os_sym("kernel32.dll", "PrefetchVirtualMemory");
    struct {
      void *va;
      SIZE_T n;
    } range;
    range.va = p, range.n = (SIZE_T)len;
    if (pf) pf(GetCurrentProcess(), 1, &range, 0);
  }
  return 0;
}
/* Resident here means in this process's working set (QueryWorkingSetEx): a page in the
   system's file cache but not mapped by this process counts as not resident. */
BACKING__OSFN int backing__os_incore(void *p, uint64_t len, uint64_t *resident) {
  typedef BOOL(WINAPI * fn)(HANDLE, void *, DWORD);
  struct {
    void *va;
    ULONG_PTR attr; /* bit 0: valid (in the working set) */
  } q[512];
  fn qws = (fn)backing__os_sym("kernel32.dll", "K32QueryWorkingSetEx");
  uint64_t ps = backing__os_pagesize(), pages = len / ps, done = 0, res = 0, k, i;
  if (!qws) return ENOSYS;
  while (done < pages) {
    k = pages - done < 512 ? pages - done : 512;
    for (i = 0; i < k; i++) q[i].va = (unsigned char *)p + (done + i) * ps, q[i].attr = 0;
    if (!qws(GetCurrentProcess(), q, (DWORD)(k * sizeof q[0]))) return backing__os_err();
    for (i = 0; i < k; i++) res += q[i].attr & 1;
    done += k;
  }
  *resident = res;
  return 0;
}

/* Paths are UTF-8, as everywhere else in the API. */
static int backing__os_wide(const char *path, wchar_t *w, int cap) {
  return MultiByteToWideChar(CP_UTF8, 0, path, -1, w, cap) > 0 ? 0 : ENAMETOOLONG;
}
BACKING__OSFN int backing__os_open(const char *path, int how, backing__file *out) {
  wchar_t w[1024];
  DWORD disp = how & BACKING__OPEN_TRUNC    ? CREATE_ALWAYS
               : how & BACKING__OPEN_CREATE ? OPEN_ALWAYS
                                            : OPEN_EXISTING;
  HANDLE h;
  if (backing__os_wide(path, w, 1024)) return ENAMETOOLONG;
  h = CreateFileW(w, GENERIC_READ | (how & BACKING__OPEN_WRITE ? GENERIC_WRITE : 0),
                  FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, disp,
                  FILE_ATTRIBUTE_NORMAL, NULL);
  if (h == INVALID_HANDLE_VALUE) return backing__os_err();
  *out = (backing__file)h;
  return 0;
}
BACKING__OSFN void backing__os_close(backing__file f) {
  if (f != BACKING__NOFILE) CloseHandle((HANDLE)f);
}
BACKING__OSFN int backing__os_file_info(backing__file f, backing__finfo *fi) {
  BY_HANDLE_FILE_INFORMATION bi;
  if (!GetFileInformationByHandle((HANDLE)f, &bi)) return backing__os_err();
  fi->size = (uint64_t)bi.nFileSizeHigh << 32 | bi.nFileSizeLow;
  fi->dev = bi.dwVolumeSerialNumber;
  fi->ino = (uint64_t)bi.nFileIndexHigh << 32 | bi.nFileIndexLow;
  fi->regular =
      GetFileType((HANDLE)f) == FILE_TYPE_DISK && !(bi.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY);
  return 0;
}
BACKING__OSFN int backing__os_path_info(const char *path, backing__finfo *fi) {
  wchar_t w[1024];
  HANDLE h;
  int r;
  if (backing__os_wide(path, w, 1024)) return ENAMETOOLONG;
  h = CreateFileW(w, FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                  NULL, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
  if (h == INVALID_HANDLE_VALUE) return backing__os_err();
  r = backing__os_file_info((backing__file)h, fi);
  CloseHandle(h);
  return r;
}
static int backing__os_set_end(backing__file f, uint64_t size) {
  LARGE_INTEGER at;
  at.QuadPart = (LONGLONG)size;
  if (!SetFilePointerEx((HANDLE)f, at, NULL, FILE_BEGIN) || !SetEndOfFile((HANDLE)f))
    return backing__os_err();
  return 0;
}
/* Extending a file that is not sparse allocates its clusters (NTFS): a full disk fails
   here. */
BACKING__OSFN int backing__os_grow(backing__file f, uint64_t off, uint64_t len) {
  return backing__os_set_end(f, off + len);
}
BACKING__OSFN int backing__os_truncate(backing__file f, uint64_t size) {
  return backing__os_set_end(f, size);
}
BACKING__OSFN int backing__os_fsync(backing__file f) {
  return FlushFileBuffers((HANDLE)f) ? 0 : backing__os_err();
}
BACKING__OSFN int backing__os_link(const char *from, const char *to) {
  wchar_t a[1024], b[1024];
  if (backing__os_wide(from, a, 1024) || backing__os_wide(to, b, 1024)) return ENAMETOOLONG;
  return CreateHardLinkW(b, a, NULL) ? 0 : backing__os_err();
}
BACKING__OSFN int backing__os_unlink(const char *path) {
  wchar_t w[1024];
  if (backing__os_wide(path, w, 1024)) return ENAMETOOLONG;
  return DeleteFileW(w) ? 0 : backing__os_err();
}
BACKING__OSFN int backing__os_mkdirs(const char *dir) {
  wchar_t w[1024];
  int i, n;
  if (backing__os_wide(dir, w, 1024)) return ENAMETOOLONG;
  n = (int)wcslen(w);
  for (i = 1; i <= n; i++) {
    if (w[i] == L'/' || w[i] == L'\\' || w[i] == 0) {
      wchar_t c = w[i];
      if (i == 2 && w[1] == L':') continue; /* a drive, "C:" */
      w[i] = 0;
      if (!CreateDirectoryW(w, NULL) && GetLastError() != ERROR_ALREADY_EXISTS)
        return backing__os_err();
      w[i] = c;
    }
  }
  return 0;
}

/* LockFileEx byte locks belong to the file handle, as OFD locks belong to the open file,
   and the system drops them when the process ends. */
BACKING__OSFN int backing__os_lock(backing__file f, uint64_t off, int how) {
  OVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.Offset = (DWORD)off;
  ov.OffsetHigh = (DWORD)(off >> 32);
  if (how & BACKING__LOCK_FREE)
    return UnlockFileEx((HANDLE)f, 0, 1, 0, &ov) ? 0 : backing__os_err();
  if (LockFileEx((HANDLE)f,
                 (how & BACKING__LOCK_EXCL ? LOCKFILE_EXCLUSIVE_LOCK : 0) |
                     (how & BACKING__LOCK_WAIT ? 0 : LOCKFILE_FAIL_IMMEDIATELY),
                 0, 1, 0, &ov))
    return 0;
  return backing__os_err();
}
/* Does another handle hold byte off? Asked by taking it for a moment. (Unlike an OFD
   lock, a byte this handle holds counts too: callers never ask about their own.) */
BACKING__OSFN int backing__os_locked(backing__file f, uint64_t off) {
  if (backing__os_lock(f, off, BACKING__LOCK_EXCL) != 0) return 1;
  backing__os_lock(f, off, BACKING__LOCK_FREE);
  return 0;
}

BACKING__OSFN void backing__os_yield(void) {
  SwitchToThread();
}
BACKING__OSFN uint32_t backing__os_pid(void) {
  return (uint32_t)GetCurrentProcessId();
}
BACKING__OSFN void backing__os_forget_pid(void) {}
#ifndef BACKING_NO_THREADS
BACKING__OSFN uint32_t backing__os_tid(void) {
  return (uint32_t)GetCurrentThreadId();
}
#endif
/* Is thread tid of process pid alive? Another process is asked by its handle (its thread
   is not asked: thread ids are system-wide, and one may belong to someone else by now);
   a thread of this process by its id, which must still be one of this process's threads.
   (A lock word keeps 22 bits of the id; ids that large are far beyond what Windows hands
   out in practice.) */
BACKING__OSFN int backing__os_alive(uint32_t pid, uint32_t tid) {
  HANDLE h;
  DWORD w;
  int mine = pid == GetCurrentProcessId();
  if (!pid || !tid) return 0;
  h = mine ? OpenThread(SYNCHRONIZE | THREAD_QUERY_LIMITED_INFORMATION, FALSE, tid)
           : OpenProcess(SYNCHRONIZE, FALSE, pid);
  if (!h) return GetLastError() == ERROR_INVALID_PARAMETER ? 0 : 1; /* none such: dead */
  if (mine && GetProcessIdOfThread(h) != pid) {
    CloseHandle(h);
    return 0; /* the id is another process's thread now: ours is gone */
  }
  w = WaitForSingleObject(h, 0);
  CloseHandle(h);
  return w != WAIT_OBJECT_0;
}
BACKING__OSFN void backing__os_on_fork(void (*prepare)(void), void (*parent)(void),
                                       void (*child)(void)) {
  (void)prepare, (void)parent, (void)child; /* no fork */
}
/* A view ends at its file's end here, so an access to an arena that another process
   added faults until this process maps it: fn(addr) maps it if addr is in a store's
   range (1), and the access is made again. Any other fault goes on as it would. */
static int (*backing__os_fault_fn)(void *addr);
static LONG CALLBACK backing__os_fault(PEXCEPTION_POINTERS e) {
  if (e->ExceptionRecord->ExceptionCode == EXCEPTION_ACCESS_VIOLATION &&
      e->ExceptionRecord->NumberParameters >= 2 && backing__os_fault_fn &&
      backing__os_fault_fn((void *)e->ExceptionRecord->ExceptionInformation[1]))
    return EXCEPTION_CONTINUE_EXECUTION;
  return EXCEPTION_CONTINUE_SEARCH;
}
BACKING__OSFN void backing__os_on_fault(int (*fn)(void *addr)) {
  backing__os_fault_fn = fn;
  AddVectoredExceptionHandler(1, backing__os_fault);
}
BACKING__OSFN void backing__os_random(uint8_t *out, size_t n) {
  LARGE_INTEGER t;
  QueryPerformanceCounter(&t);
  backing__weak_random(out, n,
                       (uint64_t)t.QuadPart ^ (uint64_t)GetCurrentProcessId() << 32 ^
                           (uint64_t)GetCurrentThreadId() << 48);
}
/* The boot's id: the registry's boot count where the system keeps it, else the boot time
   (now less the time since boot) to 16 seconds, hashed; 1, or 0 when neither is known. */
BACKING__OSFN int backing__os_boot_id(uint8_t out[16]) {
  DWORD v = 0, sz = sizeof v;
  uint64_t x;
  FILETIME ft;
  memset(out, 0, 16);
  if (RegGetValueA(HKEY_LOCAL_MACHINE,
                   "SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory "
                   "Management\\PrefetchParameters",
                   "BootId", RRF_RT_REG_DWORD, NULL, &v, &sz) == ERROR_SUCCESS) {
    x = 0xB0070000ull << 32 | v;
  } else {
    GetSystemTimeAsFileTime(&ft);
    x = ((uint64_t)ft.dwHighDateTime << 32 | ft.dwLowDateTime) / 10000000u -
        GetTickCount64() / 1000;
    x /= 16;
  }
  backing__mix(out, 16, x * 0x9E3779B97F4A7C15ull);
  return 1;
}
#endif

/* >>handle ------------------------------------------------------------------------- */

#define BACKING__HANDLE_MAGIC 0x48444e4cu /* live handle; cleared by the last close */
static uint64_t backing__uids; /* handle ids: a thread's preferred arena names its handle */

struct backing {
  struct backing__view view; /* must be first: the inline accessors read it */
  uint32_t magic;            /* BACKING__HANDLE_MAGIC while open */
  int slow;                  /* nonzero: the alloc/free fast paths step aside (read-only,
                                inherited through fork, closed) */
  unsigned char *ar0;        /* arena 0 as the library sees it (see >>view) */
  unsigned shift;
  int ro;        /* BACKING_RDONLY: mapped read-only, takes no locks, changes nothing */
  int forked;    /* set in a child process by the fork handler: every call refuses */
  int repairing; /* a full repair's check: derived counts are put right, not refused */
  int judging;   /* a full repair's first pass: the store is read, nothing is written */
  uint64_t uid;  /* unique per handle in this process, never reused */
  uint64_t mask;
  uint32_t hdr_size;  /* H: slab table end, where arena 0 keeps its store state */
  uint32_t salt;      /* mixed into block header checks */
  uint32_t count;     /* arenas known to this handle */
  uint32_t cur;       /* arena tried first */
  uint64_t reserve;   /* bytes of address space this handle owns from base */
  uint64_t max_bytes; /* cap on arena bytes */
  uint64_t alloc_failures;
  uint32_t valid;       /* arenas [0, valid) have validated headers */
  uint64_t valid_limit; /* valid << shift */
  int source;
  const struct backing__source_ops *ops; /* the source's operations (>>sources) */
  int flags;
  uint32_t lifetime;
  void *alloc_ctx;
  backing_source src; /* CUSTOM callbacks */
  /* MMAP */
  backing__file fd;
  uint64_t file_size;
  uint64_t mapped; /* bytes of the file mapped from base, where views end at the file's end */
  char *path;
  char *tmp_path; /* while creating: the file that becomes `path` */
  /* MEMORY without mmap */
  void *heap_block;
  int fresh; /* the last extend handed out memory known to be zero */
  char detail[200];
  /* locks */
  uint64_t lock_id; /* this process's part of a lock word (see >>locks); the tid is or'ed in */
  int slot;         /* MMAP: the process slot whose liveness byte this handle holds */
  int attach_lock;  /* process-local: guards count / valid / limit while arenas attach */
  int lazy;         /* MMAP: the session is joined at the first lock, not at open */
  int join_lock;    /* process-local: one thread joins */
  uint32_t joiner;  /* the thread joining now (its own locks go ahead) */
  int refs;         /* opens of this store in this process that share this handle */
  uint64_t dev, ino;
  backing *next_open; /* MMAP handles open in this process (shared by a second open) */
  backing *next_all;  /* every handle of this process (marked by the fork handler) */
  /* GC, process-local */
  uint32_t gc_turn;
  int dtor_lock;   /* the destructor table may grow while a cycle on another thread reads it */
  uint32_t *inner; /* a bit per arena inside a span (no header of its own); NULL: none seen.
                      Set under attach_lock before `valid` passes the span; never cleared:
                      an inner arena stays one for the store's life */
  uint32_t tail;   /* the head of the span that ends at `valid` (0: none); it may grow */
  uint32_t ndtors, dtor_cap;
  struct backing__dtor *dtors;
};

/* Arena i as the library sees it. Arena 0's first pages are closed to the user's view
   (>>view), so the library reaches arena 0 through a second mapping of it. */
static backing__arena *backing__ar(backing *s, uint32_t i) {
  return (backing__arena *)(void *)(i ? s->view.base + ((uint64_t)i << s->shift) : s->ar0);
}
static backing__blk *backing__hdr(backing__arena *ar, uint64_t off) {
  return (backing__blk *)(void *)((unsigned char *)ar + off);
}
static uint32_t *backing__u32(backing__arena *ar, uint64_t off) {
  return (uint32_t *)(void *)((unsigned char *)ar + off);
}
/* The slab table entry of 32 KiB page p; its magic is set while a slab starts there. */
static backing__slab *backing__slabtab(backing__arena *ar, uint64_t p) {
  return (backing__slab *)(void *)((unsigned char *)ar + BACKING__SLABTAB +
                                   p * BACKING__SLABTAB_ENTRY);
}
static int backing__enter(backing *s) {
  backing__last_err = 0;
  if (BACKING__UNLIKELY(!s || s->magic != BACKING__HANDLE_MAGIC))
    return backing__err(BACKING_EINVAL);
  if (BACKING__UNLIKELY(s->forked)) return backing__err(BACKING_EFORKED);
  return 0;
}

static backing__store *backing__st(backing *s) {
  return (backing__store *)(void *)(s->ar0 + s->hdr_size);
}
static uint32_t backing__data_start(backing *s, uint32_t i) {
  return s->hdr_size + (i == 0 ? BACKING__STORE_SIZE : 0u);
}
/* A block header's check word: a hash of its place, its size and its flags (a stale
   header whose flags a new owner's byte changed cannot pass), never 0. */
static uint32_t backing__check_of(backing *s, uint64_t off, uint32_t size_flags) {
  uint64_t x = (off << 32 | size_flags) * 0x9E3779B97F4A7C15ull;
  uint32_t c = (uint32_t)(x >> 32) ^ s->salt;
  return c ? c : 1u;
}
/* The check word goes first, then the size: a header caught between the two (a process
   killed there) has its old size, which recovery trusts, and a mismatched check, which it
   rewrites; a size is never seen with a stale check. */
static void backing__set_hdr(backing *s, backing__arena *ar, uint64_t off, uint32_t size_flags) {
  backing__blk *h = backing__hdr(ar, off);
  BACKING__SET(h->check, backing__check_of(s, off, size_flags));
  BACKING__SET(h->size, size_flags);
}

/* A broken invariant, reported by its name and place: `what` is "I3 what was seen"
   (>>invariants), and the detail reads "I3 arena 2 offset 4096: what was seen". */
static void backing__report(backing *s, uint64_t i, uint64_t off, const char *what) {
  size_t t = 0;
  if ((what[0] == 'I' || what[0] == 'S') && what[1] >= '0' && what[1] <= '9')
    while (what[t] && what[t] != ' ') t++;
  snprintf(s->detail, sizeof s->detail, "%.*s%sarena %u offset %llu: %s", (int)t, what,
           t ? " " : "", (unsigned)i, (unsigned long long)off, what + (what[t] ? t + !!t : t));
}
static int backing__corrupt(backing *s, uint32_t i, uint64_t off, const char *what) {
  backing__report(s, i, off, what);
  return BACKING_ECORRUPT;
}
/* An arena whose structures do not hold together (a damaged or hostile file): it is
   never allocated from again and calls that need it fail with ECORRUPT (>>recovery). */
static void backing__damaged(backing *s, backing__arena *ar, uint64_t off, const char *why) {
  uint64_t i = (unsigned char *)ar == s->ar0
                   ? 0
                   : (uint64_t)((unsigned char *)ar - s->view.base) >> s->shift;
  ar->quarantined = 1;
  backing__report(s, i, off, why);
}
/* Is o, an arena offset read from the store, a place a block or link may be? One compare
   and one test: every offset the allocator follows passes here first. */
static int backing__off_ok(backing *s, uint64_t o) {
  return !(o & 15) && o - s->hdr_size <= s->mask - 31 - s->hdr_size;
}
/* Is x, read from the store, where a slab's slots may start? */
static int backing__slab_ok(backing *s, uint32_t x) {
  return !(x & (BACKING__SLAB - 1)) && x - s->hdr_size <= s->mask - s->hdr_size;
}

/* The arena's three doubly linked lists over 32-bit arena offsets, one implementation:
     FREE  free blocks of one size class (TLSF); links in the block's first user bytes
     SLAB  slabs of one class with a free slot; links in their slab table entries
     WAIT  GC blocks at count 0; links in their GC headers
   Every link read from the store is checked before it is followed; one that does not
   hold together damages the arena (what names the list, with its invariant) and the list
   is left as it was. */
enum { BACKING__L_FREE, BACKING__L_SLAB, BACKING__L_WAIT };

/* Member off's next (which 0) or previous (which 1) link. */
BACKING__INLINE uint32_t *backing__link(backing__arena *ar, int kind, uint32_t off, int which) {
  switch (kind) {
  case BACKING__L_FREE:
    return backing__u32(ar, (uint64_t)off + 16 + 4u * (unsigned)which);
  case BACKING__L_SLAB: {
    backing__slab *sl = backing__slabtab(ar, off >> BACKING__SLAB_SHIFT);
    return which ? &sl->prev : &sl->next;
  }
  default: /* a GC header: {prev, next, count, type} */
    return backing__u32(ar, (uint64_t)off + 4u * (unsigned)!which);
  }
}
BACKING__INLINE int backing__link_ok(backing *s, int kind, uint32_t o) {
  return kind == BACKING__L_SLAB ? backing__slab_ok(s, o) : backing__off_ok(s, o);
}

/* Put off at the front (at_tail 0) or the back of the list with these ends (tail NULL:
   a list with a head only). */
BACKING__INLINE void backing__olist_add(backing *s, backing__arena *ar, int kind, uint32_t off,
                                        uint32_t *head, uint32_t *tail, int at_tail,
                                        const char *what) {
  uint32_t *end = at_tail ? tail : head, e = *end;
  if (e && !backing__link_ok(s, kind, e)) {
    backing__damaged(s, ar, e, what);
    e = 0;
  }
  *backing__link(ar, kind, off, 0) = at_tail ? 0 : e;
  *backing__link(ar, kind, off, 1) = at_tail ? e : 0;
  if (e)
    *backing__link(ar, kind, e, at_tail ? 0 : 1) = off;
  else if (at_tail)
    *head = off;
  else if (tail)
    *tail = off;
  *end = off;
}

/* Take off out of its list; 0, or 1 (nothing changed) when its links do not hold. */
BACKING__INLINE int backing__olist_take(backing *s, backing__arena *ar, int kind, uint32_t off,
                                        uint32_t *head, uint32_t *tail, const char *what) {
  uint32_t next = *backing__link(ar, kind, off, 0), prev = *backing__link(ar, kind, off, 1);
  if ((next && !backing__link_ok(s, kind, next)) || (prev && !backing__link_ok(s, kind, prev))) {
    backing__damaged(s, ar, off, what);
    return 1;
  }
  if (next)
    *backing__link(ar, kind, next, 1) = prev;
  else if (tail)
    *tail = prev;
  if (prev)
    *backing__link(ar, kind, prev, 0) = next;
  else
    *head = next;
  return 0;
}

static uint64_t backing__round16(uint64_t n) {
  return (n + 15) & ~(uint64_t)15;
}
static uint64_t backing__hsize(uint64_t arena_size) {
  return (BACKING__SLABTAB + (arena_size >> BACKING__SLAB_SHIFT) * BACKING__SLABTAB_ENTRY + 4095) &
         ~(uint64_t)4095;
}
/* Largest usable size of one block: a whole arena other than arena 0. */
static uint64_t backing__max_block(backing *s) {
  return ((uint64_t)1 << s->shift) - s->hdr_size - BACKING__HDR;
}

static uint64_t backing__fnv(const void *p, size_t n) {
  const unsigned char *b = (const unsigned char *)p;
  uint64_t h = 0xcbf29ce484222325ull;
  size_t i;
  for (i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
  return h;
}

static uint32_t backing__abi(void) {
  struct probe {
    char c;
    uint64_t u;
  };
  return (uint32_t)(sizeof(void *) << 8 | offsetof(struct probe, u));
}

/* >>tlsf --------------------------------------------------------------------------- */
/* Segregated free lists: row fl = log2(size) - 7 (sizes below 256 share row 0 in 16-byte
   steps), 16 lists per row, and a bitmap per level so a fit is found in O(1). */

static unsigned backing__log2(uint64_t x) {
  return 63u - BACKING__CLZ64(x);
}

static void backing__mapping(uint64_t size, unsigned *fl, unsigned *sl) {
  if (size < 256) {
    *fl = 0;
    *sl = (unsigned)(size >> 4);
  } else {
    unsigned t = backing__log2(size);
    *fl = t - 7;
    *sl = (unsigned)(size >> (t - 4)) & 15u;
  }
}

static void backing__list_insert(backing *s, backing__arena *ar, uint64_t off, uint32_t size) {
  unsigned fl, sl;
  backing__mapping(size, &fl, &sl);
  backing__olist_add(s, ar, BACKING__L_FREE, (uint32_t)off, &ar->heads[fl][sl], NULL, 0,
                     "I8 free list head");
  ar->fl_map |= 1u << fl;
  ar->sl_map[fl] |= 1u << sl;
}
static void backing__list_remove(backing *s, backing__arena *ar, uint64_t off, uint32_t size) {
  unsigned fl, sl;
  backing__mapping(size, &fl, &sl);
  if (fl >= BACKING__FL) {
    backing__damaged(s, ar, off, "I8 free list link");
    return;
  }
  if (backing__olist_take(s, ar, BACKING__L_FREE, (uint32_t)off, &ar->heads[fl][sl], NULL,
                          "I8 free list link") == 0 &&
      !ar->heads[fl][sl]) { /* emptied: its bitmaps say so */
    ar->sl_map[fl] &= ~(1u << sl);
    if (!ar->sl_map[fl]) ar->fl_map &= ~(1u << fl);
  }
}

/* A free block of at least `size` bytes, 0 if none. Good fit: the search starts at the
   first list whose every block is big enough; failing that, the head of the list that
   `size` itself maps to is taken if it happens to be big enough, so an exact fit is never
   missed. */
static uint32_t backing__find(backing *s, backing__arena *ar, uint64_t size) {
  unsigned fl, sl, fl0, sl0;
  uint32_t m;
  uint64_t want = size;
  backing__mapping(size, &fl0, &sl0);
  if (size >= 256) want += ((uint64_t)1 << (backing__log2(size) - 4)) - 1;
  backing__mapping(want, &fl, &sl);
  if (fl < BACKING__FL) {
    /* (the masks keep a damaged bitmap from indexing past the lists) */
    m = ar->sl_map[fl] & (~0u << sl) & 0xffffu;
    if (m) return ar->heads[fl][BACKING__CTZ32(m)];
    m = ar->fl_map & (~0u << (fl + 1)) & ((1u << BACKING__FL) - 1); /* fl + 1 <= 25 */
    if (m) {
      fl = BACKING__CTZ32(m);
      m = ar->sl_map[fl] & 0xffffu;
      return m ? ar->heads[fl][BACKING__CTZ32(m)] : 0;
    }
  }
  if (fl0 < BACKING__FL && ar->heads[fl0][sl0]) {
    uint32_t h = ar->heads[fl0][sl0];
    if (backing__off_ok(s, h) && (backing__hdr(ar, h)->size & ~BACKING__FLAGS) >= size) return h;
  }
  return 0;
}

#ifdef BACKING_DEBUG
/* I1 and I2 for the block at b that the allocator has just written (never user input):
   BACKING_DEBUG builds check them where they can break. */
static void backing__debug_block(backing *s, backing__arena *ar, uint64_t b) {
  backing__blk *h = backing__hdr(ar, b);
  uint32_t w = h->size, n = w & ~BACKING__FLAGS;
  BACKING_ASSERT(n >= BACKING__MIN_BLOCK && !(n & 15) && b + n <= ar->top);
  BACKING_ASSERT(h->check == backing__check_of(s, b, w));
  (void)s, (void)n;
}
#define BACKING__DEBUG_BLOCK(s, ar, b) backing__debug_block(s, ar, b)
#else
#define BACKING__DEBUG_BLOCK(s, ar, b) ((void)0)
#endif

/* Give [off, off + size) back: merge with free neighbours or the untouched top. The block
   header at off need not be valid. A neighbour that does not hold together damages the
   arena (nothing is merged with it). */
static void backing__release(backing *s, backing__arena *ar, uint64_t off, uint32_t size,
                             uint32_t prev_free_flag, uint32_t prev_size) {
  uint64_t next, top = ar->top;
  /* First mark it free: a header left inside a bigger free region must never say USED,
     so that a second free of it is refused (EFREED) rather than obeyed. */
  backing__set_hdr(s, ar, off, size);
  BACKING__CRASH(BACKING__CP_RELEASE_MARKED);
  if (prev_free_flag) {
    uint64_t p = off - prev_size;
    if (prev_size > off || !backing__off_ok(s, p) ||
        backing__hdr(ar, p)->size != prev_size) { /* free, no flags, this size */
      backing__damaged(s, ar, off, "I6 boundary tag of a free neighbour");
      return;
    }
    backing__list_remove(s, ar, p, prev_size);
    BACKING__CRASH(BACKING__CP_RELEASE_PREV);
    off = p;
    size += prev_size;
  }
  next = off + size;
  if (next == top) {
    BACKING__SET(ar->top, off);
    BACKING__POISON(s, ar, off, size);
    return;
  }
  if (next > top) {
    backing__damaged(s, ar, next, "I1 block runs past top");
    return;
  }
  {
    backing__blk *n = backing__hdr(ar, next);
    uint32_t nw = n->size;
    if (!(nw & BACKING__USED)) {
      uint32_t ns = nw & ~BACKING__FLAGS;
      if (ns < BACKING__MIN_BLOCK || ns > top - next) {
        backing__damaged(s, ar, next, "I1 free block size");
        return;
      }
      backing__list_remove(s, ar, next, ns);
      BACKING__CRASH(BACKING__CP_RELEASE_NEXT);
      size += ns;
      next = off + size;
      n = backing__hdr(ar, next);
    }
    backing__set_hdr(s, ar, off, size);
    BACKING__CRASH(BACKING__CP_RELEASE_MERGED);
    if (next < top) {
      n->prev = size;
      backing__set_hdr(s, ar, next, n->size | BACKING__PREV_FREE);
    }
  }
  BACKING__UNPOISON(s, ar, off + BACKING__HDR, 8); /* its links (a slab's slot was there) */
  backing__list_insert(s, ar, off, size);
  BACKING__POISON_FREE(s, ar, off, size);
  BACKING__DEBUG_BLOCK(s, ar, off);
}

/* Carve a block of `total` bytes whose user data is `align`-aligned (align >= 16) from the
   free lists or the top. Returns the block's offset or 0. */
static uint64_t backing__carve(backing *s, backing__arena *ar, uint64_t total, uint64_t align,
                               uint32_t kind) {
  uint64_t arena_size = (uint64_t)1 << s->shift;
  uint64_t want = total + (align > 16 ? align + BACKING__MIN_BLOCK : 0);
  uint64_t off, size, gap = 0;
  uint32_t flags = 0;
  uint32_t found = want <= arena_size ? backing__find(s, ar, want) : 0;
  if (found) { /* a free block that holds together, or the arena is damaged */
    uint32_t w = backing__off_ok(s, found) && found < ar->top ? backing__hdr(ar, found)->size : 1u;
    if ((w & BACKING__USED) || (w & ~BACKING__FLAGS) < want ||
        (w & ~BACKING__FLAGS) > ar->top - found) {
      backing__damaged(s, ar, found, "I8 free list holds a bad block");
      return 0;
    }
  }
  off = found ? found : ar->top;
  if (align > 16) {
    uint64_t user = off + BACKING__HDR;
    gap = ((user + align - 1) & ~(align - 1)) - user;
    if (gap && gap < BACKING__MIN_BLOCK) gap += align;
  }
  if (!found) { /* from the top: nothing above it is seen until the top moves */
    uint64_t b = off + gap;
    if (off > arena_size || arena_size - off < gap + total) return 0;
    BACKING__UNPOISON(s, ar, off, gap + total);
    if (gap) { /* the leading gap becomes a free block of its own */
      backing__set_hdr(s, ar, off, (uint32_t)gap);
      backing__list_insert(s, ar, off, (uint32_t)gap);
      backing__hdr(ar, b)->prev = (uint32_t)gap;
      BACKING__POISON_FREE(s, ar, off, gap);
    }
    backing__set_hdr(s, ar, b,
                     (uint32_t)total | (gap ? BACKING__PREV_FREE : 0u) | BACKING__USED | kind);
    BACKING__CRASH(BACKING__CP_CARVE_TOP);
    BACKING__SET(ar->top, b + total); /* publish */
    BACKING__DEBUG_BLOCK(s, ar, b);
    return b;
  }
  {
    /* From a free block [off, end): write the pieces inside it first (unseen while the
       header at off still spans it all), and publish last by rewriting that header. */
    backing__blk *h = backing__hdr(ar, found);
    uint64_t b = off + gap, end, bsize = total;
    size = h->size & ~BACKING__FLAGS;
    flags = h->size & BACKING__PREV_FREE;
    end = off + size;
    BACKING__UNPOISON(s, ar, off, size);
    backing__list_remove(s, ar, off, (uint32_t)size);
    BACKING__CRASH(BACKING__CP_CARVE_UNLISTED);
    if (end - b - total >= BACKING__MIN_BLOCK) { /* split: the tail stays free */
      uint64_t rest = b + total;
      uint32_t rs = (uint32_t)(end - rest);
      backing__set_hdr(s, ar, rest, rs);
      BACKING__CRASH(BACKING__CP_CARVE_SPLIT);
      if (end < ar->top) backing__hdr(ar, end)->prev = rs; /* PREV_FREE is set there */
      backing__list_insert(s, ar, rest, rs);
      BACKING__POISON_FREE(s, ar, rest, rs);
    } else {
      bsize = end - b;
      if (end < ar->top)
        backing__set_hdr(s, ar, end, backing__hdr(ar, end)->size & ~BACKING__PREV_FREE);
    }
    if (gap) {
      backing__set_hdr(s, ar, b, (uint32_t)bsize | BACKING__PREV_FREE | BACKING__USED | kind);
      backing__hdr(ar, b)->prev = (uint32_t)gap;
      BACKING__CRASH(BACKING__CP_CARVE_GAP);
      backing__set_hdr(s, ar, off, (uint32_t)gap | flags); /* publish */
      backing__list_insert(s, ar, off, (uint32_t)gap);
      BACKING__POISON_FREE(s, ar, off, gap);
    } else {
      backing__set_hdr(s, ar, off, (uint32_t)bsize | flags | BACKING__USED | kind); /* publish */
    }
    BACKING__DEBUG_BLOCK(s, ar, b);
    return b;
  }
}

/* >>slabs -------------------------------------------------------------------------- */

static backing__slab *backing__slab_at(backing__arena *ar, uint64_t x) {
  return backing__slabtab(ar, x >> BACKING__SLAB_SHIFT);
}

/* Per class, a doubly linked list of the slabs that have a free slot. A new slab goes to
   the front; a slab that was full goes to the back, so allocation keeps filling the slab
   in front rather than taking a slab off and putting it back at every other call (that
   cut the instructions of a churn by 5%). */

/* Put slab x on its class's partial list: at the head (a new slab, taken from first) or
   at the tail (a full slab that got a slot back: older slabs fill up first). */
static void backing__partial_add(backing *s, backing__arena *ar, uint32_t x, backing__slab *sl,
                                 int at_tail) {
  unsigned li = sl->cls; /* its list: class, + 28 for GC slabs */
  backing__olist_add(s, ar, BACKING__L_SLAB, x, &ar->partial[li], &ar->partial_tail[li], at_tail,
                     "I10 partial slab list end");
}
static void backing__partial_remove(backing *s, backing__arena *ar, uint32_t x, backing__slab *sl) {
  unsigned li = sl->cls;
  if (li >= BACKING__NLIST) {
    backing__damaged(s, ar, x, "I10 partial slab list link");
    return;
  }
  backing__olist_take(s, ar, BACKING__L_SLAB, x, &ar->partial[li], &ar->partial_tail[li],
                      "I10 partial slab list link");
}

static uint32_t backing__new_slab(backing *s, backing__arena *ar, unsigned cls, uint32_t kind) {
  uint64_t off = backing__carve(s, ar, BACKING__SLAB, BACKING__SLAB, BACKING__SLABBLK);
  uint32_t x;
  backing__slab *sl;
  if (!off) return 0;
  x = (uint32_t)off + BACKING__HDR;
  sl = backing__slab_at(ar, x);
  BACKING__CRASH(BACKING__CP_SLAB_CARVED);
  memset(sl, 0, sizeof *sl);
  sl->cls = (uint16_t)cls;
  sl->kind = (uint16_t)kind;
  sl->nslots = (uint16_t)((BACKING__SLAB - BACKING__HDR) / backing__slot_size[cls]);
  BACKING__CRASH(BACKING__CP_SLAB_ENTRY);
  BACKING__ASTORE(&sl->magic, BACKING__SLAB_MAGIC, BACKING__RELEASE); /* publish last */
  backing__partial_add(s, ar, x, sl, 0);
  BACKING__POISON(s, ar, x, BACKING__SLAB - BACKING__HDR);
  return x;
}

/* Take a slot from slab x (which has one free). Returns its arena offset, or 0 when the
   slab does not hold together (the arena is damaged). */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline, cold))
#endif
static uint32_t
backing__slab_bad(backing *s, backing__arena *ar, uint32_t x) {
  backing__damaged(s, ar, x, "slab");
  return 0;
}

/* The first half of taking a slot: off the free list (or the bump), its bit set; 0 and
   nothing written when the slab does not hold together. The count is the caller's. */
BACKING__INLINE uint32_t backing__slab_pop(backing *s, backing__arena *ar, backing__slab *sl,
                                           uint32_t x, unsigned cls) {
  uint32_t slot, idx;
  /* x comes from a partial list, whose heads are checked when the arena is first used
     and whose links are checked where they are followed */
  if (BACKING__UNLIKELY(sl->cls != cls)) return 0;
  if (sl->free) { /* (a damaged link still names a slot of this slab that is free) */
    uint32_t rel = sl->free - x;
    idx = backing__slot_index(rel, cls);
    if (BACKING__UNLIKELY(rel >= BACKING__SLAB - BACKING__HDR || idx >= sl->nslots ||
                          (sl->bits[idx >> 6] >> (idx & 63) & 1)))
      return 0;
    sl->free = *backing__u32(ar, sl->free);
    slot = x + idx * backing__slot_size[cls];
  } else {
    idx = sl->bump;
    if (BACKING__UNLIKELY(idx >= sl->nslots || sl->nslots > 2047)) return 0;
    BACKING__SET(sl->bump, idx + 1);
    slot = x + idx * backing__slot_size[cls];
  }
  BACKING__CRASH(BACKING__CP_SLOT_TAKEN);
  BACKING__SET(sl->bits[idx >> 6], sl->bits[idx >> 6] | (uint64_t)1 << (idx & 63));
  BACKING__CRASH(BACKING__CP_SLOT_MARKED);
  BACKING__UNPOISON(s, ar, slot, backing__slot_size[cls]);
  (void)s;
  return slot;
}

BACKING__INLINE uint32_t backing__slab_take(backing *s, backing__arena *ar, uint32_t x,
                                            unsigned cls) {
  backing__slab *sl = backing__slab_at(ar, x);
  uint32_t slot = backing__slab_pop(s, ar, sl, x, cls);
  if (BACKING__UNLIKELY(!slot)) return backing__slab_bad(s, ar, x);
  if (++sl->used == sl->nslots) backing__partial_remove(s, ar, x, sl);
  return slot;
}

/* A slot of list li (class, plus BACKING__NCLASS for GC slabs) in arena ar; 0 if none. */
static uint64_t backing__slab_alloc(backing *s, backing__arena *ar, unsigned li) {
  uint32_t x = ar->partial[li];
  if (!x) x = backing__new_slab(s, ar, li, li >= BACKING__NCLASS ? BACKING__GC : 0u);
  return x ? backing__slab_take(s, ar, x, li) : 0;
}

/* The slot at arena offset off, in the slab that the slab table says covers it. 0, or
   EBADADDR (not a slot start) or EFREED (a free slot). */
/* The same, for a caller that has the slab table entry sl of off's page already (the
   fast paths, which tested its magic); x is the slab's offset. */
BACKING__INLINE int backing__slot_in(const backing__slab *sl, uint32_t x, uint64_t off,
                                     uint32_t *idxp) {
  unsigned cls = sl->cls;
  uint32_t rel, idx;
  if (cls >= BACKING__NLIST) return BACKING_EBADADDR;
  rel = (uint32_t)off - x;
  idx = backing__slot_index(rel, cls); /* < 2048: rel < 2^15, class >= 16 */
  if (idx * backing__slot_size[cls] != rel || idx >= BACKING__GET(sl->bump))
    return BACKING_EBADADDR;
  if (!(BACKING__GET(sl->bits[idx >> 6]) >> (idx & 63) & 1)) return BACKING_EFREED;
  *idxp = idx;
  return 0;
}
static inline int backing__slot_of(backing__arena *ar, uint64_t off, backing__slab **slp,
                                   uint32_t *xp, uint32_t *idxp) {
  uint32_t x = (uint32_t)off & ~(BACKING__SLAB - 1);
  backing__slab *sl = backing__slab_at(ar, x);
  int r = backing__slot_in(sl, x, off, idxp);
  if (r) return r;
  *slp = sl;
  *xp = x;
  return 0;
}

/* The count of a slot free when it changes a list: a full slab goes back on its partial
   list, an emptied one back to the arena. Out of line, so that the common free (the count
   alone) calls nothing and needs no stack frame. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static void
backing__slot_free_edge(backing *s, backing__arena *ar, backing__slab *sl, uint32_t x) {
  if (sl->used-- == sl->nslots) backing__partial_add(s, ar, x, sl, 1);
  if (BACKING__UNLIKELY(sl->used == 0)) {
    backing__blk *h = backing__hdr(ar, x - BACKING__HDR);
    backing__partial_remove(s, ar, x, sl);
    BACKING__CRASH(BACKING__CP_SLAB_EMPTIED);
    BACKING__SET(sl->magic, 0u);
    backing__release(s, ar, x - BACKING__HDR, BACKING__SLAB, h->size & BACKING__PREV_FREE, h->prev);
  }
}

/* The first half of a slot free: its bit cleared, the slot put on the slab's free list.
   Then the count: lowered here (0), or left to backing__slot_free_edge (1). */
BACKING__INLINE int backing__slot_unlink(backing *s, backing__arena *ar, backing__slab *sl,
                                         uint32_t idx, uint64_t off) {
  BACKING__SET(sl->bits[idx >> 6], sl->bits[idx >> 6] & ~((uint64_t)1 << (idx & 63)));
  BACKING__CRASH(BACKING__CP_SLOT_CLEARED);
  *backing__u32(ar, off) = sl->free;
  sl->free = (uint32_t)off;
  BACKING__POISON(s, ar, off + 4, backing__slot_size[sl->cls] - 4u);
  (void)s;
  BACKING__CRASH(BACKING__CP_SLOT_LISTED);
  if (BACKING__UNLIKELY(sl->used == sl->nslots || sl->used <= 1)) return 1;
  sl->used--;
  return 0;
}

/* Free a slot found by backing__slot_of; an emptied slab goes back to the arena. */
static inline uint64_t backing__slot_free(backing *s, backing__arena *ar, backing__slab *sl,
                                          uint32_t x, uint32_t idx, uint64_t off) {
  unsigned cls = sl->cls;
  if (backing__slot_unlink(s, ar, sl, idx, off)) backing__slot_free_edge(s, ar, sl, x);
  return backing__slot_size[cls];
}

/* >>sources ------------------------------------------------------------------------ */
/* Where arenas come from. Each source is one table of operations; the rest of the
   library calls them through s->ops and never asks which source a handle has. The
   configuration is resolved once, at open, into s->ops.
     reserve  the handle's address range, and how many bytes of a store are already there
     create   (may be NULL) before a new store's first arena is written
     publish  (may be NULL) after it is written: the store becomes visible to others
     extend   make [old, new) of the range usable memory (a new arena)
     attach   arenas another handle or process added, up to `size` bytes: reach them
     sync     make [a, a + len) durable
     join     (may be NULL) enter the store's session (>>session); leave: go out of it
     guard    (may be NULL) close arena 0's header pages in the user's view (>>view)
     release  give back everything the others took (any of them may have failed)
     dead     is the owner of a lock word dead? (>>locks) */

typedef struct backing__source_ops {
  int (*reserve)(backing *s, const backing_config *cfg, uint64_t want, uint64_t *existing);
  int (*create)(backing *s);
  int (*publish)(backing *s);
  int (*extend)(backing *s, uint64_t old_size, uint64_t new_size);
  int (*attach)(backing *s, uint64_t size);
  int (*sync)(backing *s, uint64_t a, uint64_t len, int flags);
  int (*join)(backing *s);
  void (*leave)(backing *s);
  void (*guard)(backing *s);
  void (*release)(backing *s);
  int (*dead)(backing *s, uint64_t owner);
} backing__source_ops;

/* The source a configuration names, its default resolved: MMAP when a directory is
   given, else MEMORY. */
static int backing__source_of(const backing_config *cfg) {
  if (cfg->source) return cfg->source;
  return cfg->dirname && cfg->dirname[0] ? BACKING_SOURCE_MMAP : BACKING_SOURCE_MEMORY;
}

static int backing__dead_pid(backing *s, uint64_t owner); /* (>>locks) */
static int backing__sync_none(backing *s, uint64_t a, uint64_t len, int flags) {
  (void)s, (void)a, (void)len, (void)flags;
  return 0; /* memory has nothing to make durable */
}

/* ---- MEMORY: anonymous memory in a reservation (or, without an OS layer, one block
   from BACKING_MALLOC of max_size, default 64 MiB). */
static int backing__mem_reserve(backing *s, const backing_config *cfg, uint64_t want,
                                uint64_t *existing) {
  void *p = NULL;
  int r;
  *existing = 0;
#ifdef BACKING_NO_MMAP
  want = cfg->max_size ? want : ((uint64_t)64 << 20);
  if (want + 4096 > (size_t)-1) return BACKING_ENOMEM;
  p = BACKING_MALLOC((size_t)(want + 4096), s->alloc_ctx);
  if (!p) return BACKING_ENOMEM;
  s->heap_block = p;
  p = (void *)(((uintptr_t)p + 4095u) & ~(uintptr_t)4095u);
  r = 0;
#else
  (void)cfg;
  if ((r = backing__os_reserve(want, 0, &p)) != 0) return r;
#endif
  s->view.base = (unsigned char *)p;
  s->reserve = want;
  return r;
}
static int backing__mem_extend(backing *s, uint64_t old_size, uint64_t new_size) {
#ifdef BACKING_NO_MMAP
  (void)s, (void)old_size, (void)new_size;
  return 0;
#else
  s->fresh = 1;
  return backing__os_commit(s->view.base + old_size, new_size - old_size);
#endif
}
static int backing__mem_attach(backing *s, uint64_t size) {
  return size <= s->reserve ? 0 : BACKING_EBADADDR; /* one range, shared by its handles */
}
static void backing__mem_release(backing *s) {
#ifdef BACKING_NO_MMAP
  if (s->heap_block) BACKING_FREE(s->heap_block, s->alloc_ctx);
#else
  backing__os_release(s->view.base, s->reserve);
#endif
  s->heap_block = NULL;
}

/* ---- BUFFER: caller memory. The start is rounded up to 4096; the buffer holds a store
   already when its first bytes say so. */
static int backing__buf_reserve(backing *s, const backing_config *cfg, uint64_t want,
                                uint64_t *existing) {
  uintptr_t b = (uintptr_t)cfg->buffer, a = (b + 4095u) & ~(uintptr_t)4095u;
  uint64_t avail;
  *existing = 0;
  if (cfg->buffer_size < (uint64_t)(a - b) + ((uint64_t)1 << BACKING__MIN_SHIFT))
    return BACKING_EINVAL;
  avail = cfg->buffer_size - (a - b);
  s->view.base = (unsigned char *)a;
  s->reserve = avail < want ? avail : want;
  if (((const backing__ident *)(const void *)s->view.base)->magic == BACKING__MAGIC)
    *existing = s->reserve;
  return 0;
}
static int backing__buf_extend(backing *s, uint64_t old_size, uint64_t new_size) {
  (void)s, (void)old_size, (void)new_size;
  return 0;
}
static void backing__buf_release(backing *s) {
  (void)s; /* the caller's */
}

/* ---- CUSTOM: the caller's callbacks. */
static int backing__cus_reserve(backing *s, const backing_config *cfg, uint64_t want,
                                uint64_t *existing) {
  void *base = NULL;
  uint64_t size = 0;
  int r;
  s->src = *cfg->custom;
  r = s->src.reserve(s->src.ctx, want, &base, &size);
  *existing = 0;
  if (r) return r;
  if (!base || ((uintptr_t)base & 4095u)) return BACKING_EINVAL;
  s->view.base = (unsigned char *)base;
  s->reserve = want;
  *existing = size;
  return 0;
}
static int backing__cus_extend(backing *s, uint64_t old_size, uint64_t new_size) {
  return s->src.extend(s->src.ctx, s->view.base, old_size, new_size);
}
static int backing__cus_attach(backing *s, uint64_t size) {
  (void)s, (void)size;
  return BACKING_EBADADDR; /* custom memory has no way to reach what others added */
}
static int backing__cus_sync(backing *s, uint64_t a, uint64_t len, int flags) {
  return s->src.sync ? s->src.sync(s->src.ctx, s->view.base, a, len, flags) : 0;
}
static void backing__cus_release(backing *s) {
  if (s->src.release && s->view.base) /* only what reserve handed out */
    s->src.release(s->src.ctx, s->view.base, s->reserve, s->view.limit);
}

static const backing__source_ops backing__memory_ops = {backing__mem_reserve,
                                                        NULL,
                                                        NULL,
                                                        backing__mem_extend,
                                                        backing__mem_attach,
                                                        backing__sync_none,
                                                        NULL,
                                                        NULL,
                                                        NULL,
                                                        backing__mem_release,
                                                        backing__dead_pid};
static const backing__source_ops backing__buffer_ops = {backing__buf_reserve,
                                                        NULL,
                                                        NULL,
                                                        backing__buf_extend,
                                                        backing__mem_attach,
                                                        backing__sync_none,
                                                        NULL,
                                                        NULL,
                                                        NULL,
                                                        backing__buf_release,
                                                        backing__dead_pid};
static const backing__source_ops backing__custom_ops = {backing__cus_reserve,
                                                        NULL,
                                                        NULL,
                                                        backing__cus_extend,
                                                        backing__cus_attach,
                                                        backing__cus_sync,
                                                        NULL,
                                                        NULL,
                                                        NULL,
                                                        backing__cus_release,
                                                        backing__dead_pid};

#ifndef BACKING_NO_MMAP
/* ---- MMAP: <dirname>/<name>.backing, one file, grown by whole arenas, each fully
   allocated on disk before use. */
static char *backing__strdup2(void *ctx, const char *a, const char *b, const char *c) {
  size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
  char *p = (char *)BACKING_MALLOC(la + lb + lc + 1, ctx);
  if (!p) return NULL;
  memcpy(p, a, la);
  memcpy(p + la, b, lb);
  memcpy(p + la + lb, c, lc + 1);
  (void)ctx;
  return p;
}

/* <dirname>/<name>.backing, allocated; NULL if out of memory or the name has a slash. */
static char *backing__store_path(void *ctx, const backing_config *cfg) {
  const char *name = cfg->name && cfg->name[0] ? cfg->name : "store";
  char *dir, *full;
  if (!cfg->dirname || strchr(name, '/')) return NULL;
  dir = backing__strdup2(ctx, cfg->dirname, "/", name);
  if (!dir) return NULL;
  full = backing__strdup2(ctx, dir, ".backing", "");
  BACKING_FREE(dir, ctx);
  return full;
}

/* Map the file from s->mapped up to `size` where views end at the file's end; where
   they may run past it, the whole reservation was mapped at open. */
static int backing__mmap_view(backing *s, uint64_t size) {
  int r;
  if (BACKING__OS_MAPS_PAST_EOF || size <= s->mapped) return 0;
  r = backing__os_map_fixed(s->view.base + s->mapped, size - s->mapped, s->view.base + s->reserve,
                            s->fd, s->mapped, !s->ro);
  if (!r) s->mapped = size;
  return r;
}

static int backing__mmap_reserve(backing *s, const backing_config *cfg, uint64_t want,
                                 uint64_t *existing) {
  backing__finfo fi = {0, 0, 0, 0};
  void *p = NULL;
  int r;
  *existing = 0;
  s->path = backing__store_path(s->alloc_ctx, cfg);
  if (!s->path) return cfg->name && strchr(cfg->name, '/') ? BACKING_EINVAL : BACKING_ENOMEM;
  r = backing__os_open(s->path, s->ro ? BACKING__OPEN_READ : BACKING__OPEN_WRITE, &s->fd);
  if (r == ENOENT) { /* a new store: the file is made by create */
    if (cfg->flags & (BACKING_NOCREATE | BACKING_RDONLY)) return ENOENT;
    if ((r = backing__os_mkdirs(cfg->dirname)) != 0) return r;
    if ((r = backing__os_reserve(want, 1, &p)) != 0) return r;
    s->view.base = (unsigned char *)p;
    s->reserve = want;
    return 0;
  }
  if (r) return r;
  if ((r = backing__os_file_info(s->fd, &fi)) != 0) return r;
  if (!fi.regular) return BACKING_ECORRUPT;
  s->dev = fi.dev;
  s->ino = fi.ino;
  if (fi.size < ((uint64_t)1 << BACKING__MIN_SHIFT)) return BACKING_ECORRUPT; /* no arena */
  if (cfg->flags & BACKING_EXCL) return EEXIST;
  s->file_size = fi.size;
  if (s->file_size > want) want = (s->file_size + 65535u) & ~(uint64_t)65535u;
  if (BACKING__OS_MAPS_PAST_EOF) { /* the file over the whole range, in one call (>>view) */
    r = backing__os_map(s->fd, 0, want, s->ro ? BACKING__MAP_RO : BACKING__MAP_RW, &p);
    if (r) return r == ENOMEM ? BACKING_ENOMEM : r;
    s->view.base = (unsigned char *)p;
    s->reserve = want;
  } else { /* whole 64 KiB units (the smallest arena) */
    if ((r = backing__os_reserve(want, 1, &p)) != 0) return r;
    s->view.base = (unsigned char *)p;
    s->reserve = want;
    r = backing__mmap_view(s, s->file_size & ~(((uint64_t)1 << BACKING__MIN_SHIFT) - 1));
  }
  if (r) return r;
  *existing = s->file_size;
  return 0;
}

/* A new store is built in a temporary file and linked into place once arena 0 is
   written, so a crash never leaves a half-made store under the real name. */
static int backing__mmap_create(backing *s) {
  char suffix[24];
  backing__finfo fi = {0, 0, 0, 0};
  uint32_t v = backing__os_pid();
  int n = 0, i, r;
  char digits[12];
  do digits[n++] = (char)('0' + v % 10);
  while ((v /= 10) && n < 11);
  suffix[0] = '.';
  for (i = 0; i < n; i++) suffix[1 + i] = digits[n - 1 - i];
  suffix[1 + n] = 0;
  s->tmp_path = backing__strdup2(s->alloc_ctx, s->path, suffix, ".tmp");
  if (!s->tmp_path) return BACKING_ENOMEM;
  r = backing__os_open(s->tmp_path, BACKING__OPEN_WRITE | BACKING__OPEN_TRUNC, &s->fd);
  if (r) return r;
  s->file_size = 0;
  if ((r = backing__os_file_info(s->fd, &fi)) != 0) return r;
  s->dev = fi.dev; /* the file keeps its identity when linked into place */
  s->ino = fi.ino;
  if (BACKING__OS_MAPS_PAST_EOF) /* see >>view */
    return backing__os_map_fixed(s->view.base, s->reserve, s->view.base + s->reserve, s->fd, 0, 1);
  return 0;
}
static int backing__mmap_publish(backing *s) {
  int r = backing__os_fsync(s->fd);
  if (!r) r = backing__os_link(s->tmp_path, s->path);
  backing__os_unlink(s->tmp_path);
  BACKING_FREE(s->tmp_path, s->alloc_ctx);
  s->tmp_path = NULL;
  return r;
}
static int backing__mmap_extend(backing *s, uint64_t old_size, uint64_t new_size) {
  int r;
  s->fresh = old_size >= s->file_size; /* beyond the old end: new, zeroed space */
  if (new_size > s->file_size) {
    r = backing__os_grow(s->fd, s->file_size, new_size - s->file_size);
    if (r) {
      backing__os_truncate(s->fd, s->file_size); /* best effort */
      return r;
    }
    s->file_size = new_size;
  }
  return backing__mmap_view(s, new_size);
}
/* Another process grew the store to `size` bytes: the file must hold them. */
static int backing__mmap_attach(backing *s, uint64_t size) {
  backing__finfo fi = {0, 0, 0, 0};
  if (backing__os_file_info(s->fd, &fi) != 0 || fi.size < size) return BACKING_ECORRUPT;
  if (fi.size > s->file_size) s->file_size = fi.size;
  return backing__mmap_view(s, size);
}
static int backing__mmap_sync(backing *s, uint64_t a, uint64_t len, int flags) {
  int r = backing_msync(s->view.base + a, len, flags);
  /* arena 0's header pages are closed in the user's view and written through the
     library's (>>view): where a flush covers one view, they are flushed from there too */
  if (!r && BACKING__OS_SYNC_PER_VIEW && s->ar0 != s->view.base && a < s->view.floor)
    r = backing_msync(s->ar0, s->view.floor, flags);
  if (!r && !BACKING__OS_SYNC_WAITS && !(flags & BACKING_SYNC_ASYNC)) r = backing__os_fsync(s->fd);
  return r;
}
static void backing__mmap_release(backing *s) {
  if (s->ar0 && s->ar0 != s->view.base) backing__os_unmap(s->ar0, (uint64_t)1 << s->shift);
  backing__os_release(s->view.base, s->reserve);
  backing__os_close(s->fd);
  s->fd = BACKING__NOFILE;
  if (s->tmp_path) backing__os_unlink(s->tmp_path);
}

/* >>view: what the user's view of a store shows. An MMAP handle maps the store file over
   its whole reservation at open, past the end of the file too (where the OS allows it:
   BACKING__OS_MAPS_PAST_EOF): an arena that another process adds later is there without
   a remap, so an address published by that process works in every accessor at once (the
   kernel faults pages in as the file grows). Where views end at the file's end
   (Windows), each growth is mapped when the handle sees it: in its own allocations and
   in every call that takes an address, but not in the inline accessors (README).
   And the first pages of arena 0 (the identity header, the allocator state, the store
   state below the first block) are closed in the view: a write through address 0 or any
   small address faults like a NULL pointer instead of reaching the file. The library
   reaches arena 0 through a second mapping of it (s->ar0). That costs a second TLB entry
   for every page of arena 0 that both the library and the user touch (measured: MEMORY
   stores put in an anonymous file to get the same guard ran the churn 15% slower), so
   only file stores, whose damage outlives the process, pay it: MEMORY, BUFFER and CUSTOM
   memory has the header open to a stray write, which backing_check finds. */
static void backing__mmap_guard(backing *s) {
  uint64_t a = (uint64_t)1 << s->shift, floor = backing__data_start(s, 0);
  uint64_t closed = floor & ~(backing__os_pagesize() - 1);
  void *p = NULL;
  if (s->ar0 != s->view.base ||
      backing__os_map(s->fd, 0, a, s->ro ? BACKING__MAP_RO : BACKING__MAP_RW, &p) != 0)
    return; /* no room for a second view: the header stays open */
  s->ar0 = (unsigned char *)p;
  if (closed && backing__os_guard(s->view.base, closed) != 0) {
    s->ar0 = s->view.base;
    backing__os_unmap(p, a);
  }
}

static int backing__join(backing *s);
static void backing__leave(backing *s);
static int backing__dead_slot(backing *s, uint64_t owner);
static const backing__source_ops backing__mmap_ops = {
    backing__mmap_reserve, backing__mmap_create,  backing__mmap_publish, backing__mmap_extend,
    backing__mmap_attach,  backing__mmap_sync,    backing__join,         backing__leave,
    backing__mmap_guard,   backing__mmap_release, backing__dead_slot};
#endif

static const backing__source_ops *backing__ops_of(int source) {
  switch (source) {
  case BACKING_SOURCE_MEMORY:
    return &backing__memory_ops;
  case BACKING_SOURCE_BUFFER:
    return &backing__buffer_ops;
  case BACKING_SOURCE_CUSTOM:
    return &backing__custom_ops;
#ifndef BACKING_NO_MMAP
  case BACKING_SOURCE_MMAP:
    return &backing__mmap_ops;
#endif
  default:
    return NULL;
  }
}

/* >>arenas ------------------------------------------------------------------------- */

static void backing__seal(backing__ident *id) {
  id->checksum = backing__fnv(id, offsetof(backing__ident, checksum));
}

/* Write a fresh arena i (its memory is usable). */
static void backing__format_arena(backing *s, uint32_t i, const uint8_t *store_id) {
  backing__arena *ar = backing__ar(s, i);
  /* Fresh anonymous memory and newly allocated file space read as zeros already: clear
     the slab table only when the memory may hold old bytes, so growth touches one page. */
  memset(ar, 0, s->fresh ? BACKING__SLABTAB : s->hdr_size);
  ar->ident.magic = BACKING__MAGIC;
  ar->ident.format = BACKING_FORMAT_VERSION;
  ar->ident.data_start = backing__data_start(s, i);
  ar->ident.endian = BACKING__ENDIAN;
  ar->ident.abi = backing__abi();
  ar->ident.shift = s->shift;
  memcpy(ar->ident.id, store_id, 16);
  ar->ident.index = i;
  ar->ident.flags = i == 0 ? BACKING__ARENA_STORE : 0u;
  backing__seal(&ar->ident);
  ar->top = ar->ident.data_start;
}

/* Validate arena i's header against arena 0's. 0 or ECORRUPT (detail set). */
/* I0: the identity header of arena i, one set of checks for every arena. Arena 0 is
   judged against this build, the others against arena 0. 0, or the refusal code and
   *why: a format or a platform another build wrote is EVERSION or EMISMATCH, any other
   mismatch ECORRUPT. */
static int backing__ident_ok(backing *s, uint32_t i, const backing__ident *id, const char **why) {
  const backing__ident *z = i ? &backing__ar(s, 0)->ident : NULL;
  if (id->magic != BACKING__MAGIC) return *why = "I0 bad magic", BACKING_ECORRUPT;
  if (id->format != BACKING_FORMAT_VERSION) return *why = "I0 bad format version", BACKING_EVERSION;
  if (id->endian != BACKING__ENDIAN || id->abi != backing__abi())
    return *why = "I0 byte order or ABI of another platform", BACKING_EMISMATCH;
  if (id->checksum != backing__fnv(id, offsetof(backing__ident, checksum)))
    return *why = "I0 header checksum", BACKING_ECORRUPT;
  if (z ? id->shift != z->shift || memcmp(id->id, z->id, 16) != 0
        : id->shift < BACKING__MIN_SHIFT || id->shift > BACKING__MAX_SHIFT)
    return *why = "I0 header does not belong to this store", BACKING_ECORRUPT;
  if (id->index != i || !(id->flags & BACKING__ARENA_STORE) != !!i)
    return *why = "I0 arena index or layout", BACKING_ECORRUPT;
  return 0;
}

/* Validate arena i's header and top (the shift is known). 0 or ECORRUPT (detail set). */
static int backing__validate_arena(backing *s, uint32_t i) {
  const backing__arena *ar = backing__ar(s, i);
  const backing__ident *id = &ar->ident;
  const char *why = NULL;
  if (backing__ident_ok(s, i, id, &why) != 0) return backing__corrupt(s, i, 0, why);
  if (id->data_start != backing__data_start(s, i))
    return backing__corrupt(s, i, 0, "I0 arena index or layout");
  if (ar->top < id->data_start || ar->top > ((uint64_t)1 << s->shift) || (ar->top & 15))
    return backing__corrupt(s, i, 0, "I1 top out of range");
  if (i == 0 && BACKING__GET(ar->span) > 1) /* (arena 0 is validated by attach, not by
                                               arena_ready, where spans are judged) */
    return backing__corrupt(s, 0, 0, "I13 span on arena 0");
  return 0;
}

/* >>locks -------------------------------------------------------------------------- */
/* A lock is one 64-bit word in the store: 0 when free, else its owner's id:
     MMAP stores     (process slot + 1) << 54 | slot generation (32 bits) << 22 | thread id
     other sources   1 << 63 | process id (32 bits) << 22 | thread id
   (thread ids are below 2^22 on Linux; on Windows a larger one is cut to 22 bits). Taking a free
   lock is one compare-and- swap; giving it back is one store. A waiter yields, and every 64 turns
   asks whether the owner is still alive (the source's `dead`: backing__dead_pid,
   backing__dead_slot): a dead owner's lock is taken over and what it left half done is repaired
   before anyone goes on. No lock is ever broken by a timeout, and none is waited on forever.
   BACKING_NO_THREADS compiles all of it out. */

#define BACKING__STOLEN 1 /* the lock was taken over from a dead owner */
#define BACKING__LK_SLOT_SHIFT 54
#define BACKING__LK_GEN_SHIFT 22
#define BACKING__LK_TID 0x3fffffu
#define BACKING__LK_PID ((uint64_t)1 << 63)

/* This process's part of the lock words of a store: its slot and generation (MMAP), or
   its process id. */
#ifndef BACKING_NO_MMAP
static uint64_t backing__lock_id_slot(int slot, uint32_t gen) {
  return (uint64_t)(slot + 1) << BACKING__LK_SLOT_SHIFT | (uint64_t)gen << BACKING__LK_GEN_SHIFT;
}
#endif
static uint64_t backing__lock_id_pid(void) {
  return BACKING__LK_PID | (uint64_t)backing__os_pid() << BACKING__LK_GEN_SHIFT;
}

/* A lock word that names a process and thread (every source but MMAP):
   is that thread gone? */
static int backing__dead_pid(backing *s, uint64_t owner) {
  (void)s;
  if (!(owner & BACKING__LK_PID)) return 1; /* names no one */
  return !backing__os_alive((uint32_t)(owner >> BACKING__LK_GEN_SHIFT),
                            (uint32_t)(owner & BACKING__LK_TID));
}
static BACKING__TLS uint32_t backing__held; /* > 0 while this thread runs user code that a
                                               close would pull the handle from under: a
                                               walk callback (a lock held), a destructor */
#ifndef BACKING_NO_THREADS
static BACKING__TLS uint32_t backing__tid_cache;

static uint32_t backing__tid(void) {
  if (BACKING__UNLIKELY(!backing__tid_cache))
    backing__tid_cache = backing__os_tid() & BACKING__LK_TID;
  return backing__tid_cache;
}

static int backing__join_late(backing *s);
static void backing__check_heads(backing *s, uint32_t i);
BACKING__INLINE int backing__inner(backing *s, uint64_t i);

static inline int backing__trylock(backing *s, uint64_t *w) {
  uint64_t v = 0;
  if (BACKING__UNLIKELY(BACKING__ALOAD(&s->lazy, BACKING__ACQUIRE)))
    return 0; /* the session first: backing__lock_slow joins it */
  if (BACKING__ACAS(w, &v, s->lock_id | backing__tid(), 0, BACKING__ACQUIRE, BACKING__RELAXED))
    return 1;
  return 0;
}

/* The same for the fast paths, with no call: before the thread's first lock (its id not
   yet known) it fails, and the caller's slow path learns the id. */
BACKING__INLINE int backing__trylock_fast(backing *s, uint64_t *w) {
  uint64_t v = 0;
  uint32_t t = backing__tid_cache;
  return t != 0 && BACKING__ACAS(w, &v, s->lock_id | t, 0, BACKING__ACQUIRE, BACKING__RELAXED);
}

static int backing__lock_slow(backing *s, uint64_t *w) {
  uint64_t me;
  uint32_t n;
  int r;
  if (BACKING__UNLIKELY(BACKING__ALOAD(&s->lazy, BACKING__ACQUIRE)) &&
      (r = backing__join_late(s)) != 0)
    return r;
  me = s->lock_id | backing__tid();
  for (n = 1;; n++) {
    uint64_t v = BACKING__ALOAD(w, BACKING__RELAXED);
    if (v == 0) {
      if (BACKING__ACAS(w, &v, me, 0, BACKING__ACQUIRE, BACKING__RELAXED)) break;
      continue;
    }
    if (v == me) return BACKING_EBUSY; /* this thread holds it already */
    if ((n & 63) == 0 && s->ops->dead(s, v) &&
        BACKING__ACAS(w, &v, me, 0, BACKING__ACQUIRE, BACKING__RELAXED))
      return BACKING__STOLEN;
    if (n > 16) backing__os_yield();
  }
  return 0;
}

static inline int backing__lock(backing *s, uint64_t *w) {
  return backing__trylock(s, w) ? 0 : backing__lock_slow(s, w);
}
static inline void backing__unlock(uint64_t *w) {
  BACKING__ASTORE(w, 0, BACKING__RELEASE);
}
static void backing__spin_lock(int *w) {
  while (BACKING__AXCHG(w, 1, BACKING__ACQUIRE))
    while (BACKING__ALOAD(w, BACKING__RELAXED)) backing__os_yield();
}
static void backing__spin_unlock(int *w) {
  BACKING__ASTORE(w, 0, BACKING__RELEASE);
}
#else
#define backing__tid() 0u
#define backing__trylock(s, w) ((void)(s), (void)(w), 1)
#define backing__trylock_fast(s, w) ((void)(s), (void)(w), 1)
#define backing__lock(s, w) ((void)(s), (void)(w), 0)
#define backing__unlock(w) ((void)(w))
#define backing__spin_lock(w) ((void)(w))
#define backing__spin_unlock(w) ((void)(w))
#endif

static int backing__recover_arena(backing *s, uint32_t i);
#ifndef BACKING_NO_MMAP
static int backing__join(backing *s);
static void backing__leave(backing *s);
#endif

#ifndef BACKING_NO_THREADS
/* A handle that has only read needs no session: an MMAP handle opened on a clean store
   joins it (a process slot, the dirty flag: >>session) when it first takes a lock, which
   every change of the store's structures does first. Until then its fast paths step
   aside (s->slow) so that they too come here. The joining thread's own locks go ahead;
   other threads wait for it. */
static int backing__join_late(backing *s) {
  int r = 0;
  uint32_t me = backing__tid();
  if (BACKING__ALOAD(&s->joiner, BACKING__ACQUIRE) == me) return 0;
  backing__spin_lock(&s->join_lock);
  if (BACKING__ALOAD(&s->lazy, BACKING__ACQUIRE)) {
    BACKING__ASTORE(&s->joiner, me, BACKING__RELEASE);
    r = s->ops->join(s);
    BACKING__ASTORE(&s->joiner, 0u, BACKING__RELEASE);
    if (!r) { /* the list heads of the arenas validated while it only read */
      uint32_t i;
      backing__spin_lock(&s->attach_lock);
      for (i = 0; i < s->valid; i++)
        if (!backing__inner(s, i)) backing__check_heads(s, i);
      BACKING__ASTORE(&s->slow, s->ro || s->forked, BACKING__RELEASE);
      BACKING__ASTORE(&s->lazy, 0, BACKING__RELEASE);
      backing__spin_unlock(&s->attach_lock);
    }
  }
  backing__spin_unlock(&s->join_lock);
  return r;
}
#endif

/* Take arena i's lock; if its owner had died, repair the arena first. 0 with the lock
   held, or an error (ECORRUPT: quarantined) without it. */
static int backing__lock_arena(backing *s, backing__arena *ar, uint32_t i) {
  int r = backing__lock(s, &ar->lock);
  if (BACKING__UNLIKELY(r != 0)) {
    if (r != BACKING__STOLEN) return r;
    r = backing__recover_arena(s, i);
  }
  if (BACKING__UNLIKELY(r != 0 || ar->quarantined)) {
    backing__unlock(&ar->lock);
    return r ? r : BACKING_ECORRUPT;
  }
  return 0;
}

/* For calls that only read: a read-only handle cannot write a lock word, and reads
   without one (like any reader of plain memory, it may see a change half made). */
static int backing__rlock(backing *s, backing__arena *ar, uint32_t i) {
  return s->ro ? 0 : backing__lock_arena(s, ar, i);
}
static void backing__runlock(backing *s, backing__arena *ar) {
  if (!s->ro) backing__unlock(&ar->lock);
}

static void backing__growth_died(backing *s, uint64_t g);
/* The store lock guards growth and the roots; both publish with one 8-byte store. A dead
   owner may have left the roots' sequence count odd (a name half written, >>roots): it is
   made even again, and the entry stays free. Or it died growing a span in place
   (`growing` still set): the span is trimmed to the count. */
static int backing__lock_store(backing *s) {
  backing__store *st = backing__st(s);
  int r = backing__lock(s, &st->lock);
  if (r == 0 || r == BACKING__STOLEN) { /* odd under the lock: its writer died (also when
                                           backing__reclaim_slot let the lock go) */
    uint64_t v = BACKING__ALOAD(&st->roots_ver, BACKING__RELAXED);
    if (v & 1) BACKING__ASTORE(&st->roots_ver, v + 1, BACKING__RELEASE);
    v = BACKING__ALOAD(&st->growing, BACKING__RELAXED);
    if (BACKING__UNLIKELY(v != 0)) backing__growth_died(s, v);
    r = 0;
  }
  return r;
}

/* At an arena's first use: the partial slab lists' heads, which the allocation fast path
   follows without a check (their links are checked where they are followed). */
static void backing__check_heads(backing *s, uint32_t i) {
  backing__arena *ar = backing__ar(s, i);
  unsigned c;
  for (c = 0; !s->ro && !s->judging && c < BACKING__NLIST; c++)
    if ((ar->partial[c] && !backing__slab_ok(s, ar->partial[c])) ||
        (ar->partial_tail[c] && !backing__slab_ok(s, ar->partial_tail[c]))) {
      backing__damaged(s, ar, 0, "I10 partial slab list head");
      return;
    }
}

static void backing__set_valid(backing *s, uint32_t n) {
  BACKING__ASTORE(&s->valid, n, BACKING__RELEASE);
  BACKING__ASTORE(&s->valid_limit, (uint64_t)n << s->shift, BACKING__RELEASE);
}

/* Spans. A block larger than an arena (BACKING_HUGE) takes whole arenas: the first (the
   head) is an arena like any other whose one block runs to its end, and its `span` says
   how many arenas the block covers; the others (inner arenas) have no header of their
   own. A span is made by growth and stays one: freed, its head is an empty arena that
   only a huge block may take again. Only the store's last span changes, and it only
   grows (realloc in place), by arenas added at the end under the store lock: the store's
   `growing` names the head, then the head's span is raised, then the store's count, and
   `growing` is cleared. So a handle learns inner arenas once, in order, as it validates
   arenas: an arena past the span it knows last is inner if that head's span, read again,
   covers it. A span past the store's count is a growth under way, or one that died (then
   `growing` still names it: the next holder of the store lock trims the span to the
   count); any other is damage (I13). A span ends at the count whatever its field says.
   Inner arenas are skipped wherever arenas are walked, and an address in one is EBADADDR
   (the fast paths test the bit first). */
BACKING__INLINE int backing__inner(backing *s, uint64_t i) {
  /* (acquire: mark_inner publishes the bitmap, zeroed, while fast paths on other threads
     read it; one that read the old valid_limit has no other ordering with the memset) */
  const uint32_t *b = (const uint32_t *)(uintptr_t)BACKING__ALOAD(&s->inner, BACKING__ACQUIRE);
  return BACKING__UNLIKELY(b != NULL) &&
         (BACKING__ALOAD(&b[i >> 5], BACKING__RELAXED) >> (i & 31) & 1);
}
static uint64_t backing__span_reach(backing *s, uint32_t h);
/* The bytes a block of arena ar that ends at `end` (an arena offset) has beyond the
   arena: the rest of its span, if ar is a head and the block runs to its end. (`valid`
   is read before the span: a span that a dead growth left past the count is trimmed
   before any arena past that count is counted, so one below `valid` is whole.) */
BACKING__INLINE uint64_t backing__span_tail(backing *s, backing__arena *ar, uint64_t end) {
  uint32_t valid = BACKING__LD(s->valid), n = BACKING__ALOAD(&ar->span, BACKING__ACQUIRE), h;
  if (BACKING__LIKELY(n < 2) || end != ((uint64_t)1 << s->shift) || ar == backing__ar(s, 0))
    return 0;
  h = (uint32_t)(((const unsigned char *)ar - s->view.base) >> s->shift);
  if (BACKING__UNLIKELY(h + (uint64_t)n > valid)) return backing__span_reach(s, h);
  return (uint64_t)(n - 1) << s->shift;
}
/* Mark arenas [from, to) inner (the caller holds attach_lock; `valid` passes them next). */
static int backing__mark_inner(backing *s, uint32_t from, uint32_t to) {
  uint32_t j;
  if (from < to && !s->inner) {
    uint64_t words = ((s->reserve >> s->shift) + 32) / 32;
    uint32_t *b = (uint32_t *)BACKING_MALLOC((size_t)(words * 4), s->alloc_ctx);
    if (!b) return BACKING_ENOMEM;
    memset(b, 0, (size_t)(words * 4));
    BACKING__ASTORE(&s->inner, b, BACKING__RELEASE);
  }
  for (j = from; j < to; j++) { /* (the only writer: readers test bits below valid) */
    uint32_t w = BACKING__ALOAD(&s->inner[j >> 5], BACKING__RELAXED);
    BACKING__ASTORE(&s->inner[j >> 5], w | 1u << (j & 31), BACKING__RELEASE);
  }
  return 0;
}

/* Span n of head v reaches past the count this handle read: a growth in place under way
   or dead (`growing` names v, and its old span ends at that count), or one that ended
   since (the count has moved past it). */
static int backing__growing(backing *s, uint32_t v, uint32_t n) {
  backing__store *st = backing__st(s);
  uint64_t g = BACKING__ALOAD(&st->growing, BACKING__ACQUIRE);
  return ((uint32_t)g == v && (g >> 32) == s->count - v) ||
         n <= BACKING__ALOAD(&st->arena_count, BACKING__ACQUIRE) - v;
}

/* Make arena i usable by this handle: known and validated. Arenas are validated in order,
   once per handle, when first used (so open reads one header whatever the store's size);
   every address below valid_limit is in a validated arena. */
static int backing__arena_ready(backing *s, uint32_t i) {
  int r = 0;
  backing__spin_lock(&s->attach_lock);
  if (i >= s->count) { /* another handle or process may have grown the store */
    uint64_t n = BACKING__ALOAD(&backing__st(s)->arena_count, BACKING__ACQUIRE);
    if (i >= n || n > (s->reserve >> s->shift))
      r = BACKING_EBADADDR;
    else
      r = s->ops->attach(s, n << s->shift);
    if (!r) {
      BACKING__ASTORE(&s->count, (uint32_t)n, BACKING__RELEASE);
      BACKING__ASTORE(&s->view.limit, n << s->shift, BACKING__RELEASE);
    }
  }
  while (!r && s->valid <= i) {
    uint32_t v = s->valid, n;
    if (s->tail && v - s->tail < BACKING__ALOAD(&backing__ar(s, s->tail)->span, BACKING__ACQUIRE)) {
      if ((r = backing__mark_inner(s, v, v + 1)) == 0) /* the last span grew in place */
        backing__set_valid(s, v + 1);
      continue;
    }
    if ((r = backing__validate_arena(s, v)) != 0) break;
    n = BACKING__ALOAD(&backing__ar(s, v)->span, BACKING__ACQUIRE);
    if (n > 1 && n > s->count - v && !backing__growing(s, v, n))
      r = backing__corrupt(s, v, 0, "I13 span out of the store");
    else if (n > 1) { /* a head (its span ends at the count, at most) */
      n = n < s->count - v ? n : s->count - v;
      r = backing__mark_inner(s, v + 1, v + n);
    } else
      n = 1;
    if (!r) {
      s->tail = n > 1 ? v : 0;
      if (!BACKING__ALOAD(&s->lazy, BACKING__ACQUIRE)) /* (else at the join: a handle */
        backing__check_heads(s, v);                    /* that only reads writes nothing) */
      backing__set_valid(s, v + n);
    }
  }
  backing__spin_unlock(&s->attach_lock);
  return r;
}

/* A span that reaches past the arenas this handle has validated: it grew in place in
   another handle, or it is a growth that died before counting. Take up what the store
   has of it; the bytes it has beyond its head's arena. (The span is read again after
   the count: a dead growth's span is trimmed before the count moves past it.) */
static uint64_t backing__span_reach(backing *s, uint32_t h) {
  uint64_t end = BACKING__ALOAD(&backing__st(s)->arena_count, BACKING__ACQUIRE);
  uint32_t n = BACKING__ALOAD(&backing__ar(s, h)->span, BACKING__ACQUIRE), valid;
  if (n < 2 || end <= h || end > 0xffffffffu) return 0;
  if (end > h + (uint64_t)n) end = h + (uint64_t)n;
  if (end > BACKING__LD(s->valid)) (void)backing__arena_ready(s, (uint32_t)end - 1);
  valid = BACKING__LD(s->valid); /* (what failed to validate stays out) */
  if (h >= valid) return 0;
  if (n > end - h) n = (uint32_t)(end - h);
  if (n > valid - h) n = valid - h;
  return (uint64_t)(n - 1) << s->shift;
}

/* Make [old, new) of the range a new arena's memory. */
static int backing__extend(backing *s, uint64_t old_size, uint64_t new_size) {
  s->fresh = 0; /* the source says when the memory is known to read as zeros */
  return s->ops->extend(s, old_size, new_size);
}

/* Add n arenas at the end (the caller holds the store lock, and backing__ready_all has
   validated every arena): made, formatted, then counted with one store. With head 0 they
   are new arenas, the first the head of a span when n > 1; else they join the span at
   head, which must be the store's last (it grows in place: `growing`, its span, the
   count, `growing` cleared). 0 or an error (ENOSPACE at max_size, an errno such as
   ENOSPC from the OS). */
static int backing__add_arenas(backing *s, uint32_t n, uint32_t head) {
  uint64_t old, add = (uint64_t)n << s->shift;
  uint32_t first;
  int r;
  backing__spin_lock(&s->attach_lock);
  first = s->count;
  old = (uint64_t)first << s->shift;
  if (head && (s->valid != first || s->tail != head)) /* (not the store's last span) */
    r = BACKING_EINVAL;
  else if (add > s->reserve || old + add > s->max_bytes || old + add > s->reserve)
    r = BACKING_ENOSPACE;
  else if ((r = backing__extend(s, old, old + add)) == 0) {
    BACKING__CRASH(BACKING__CP_GROW_EXTENDED);
    if (head) {
      BACKING__ASTORE(&backing__st(s)->growing, (uint64_t)(first - head) << 32 | head,
                      BACKING__RELEASE);
      BACKING__ASTORE(&backing__ar(s, head)->span, first + n - head, BACKING__RELEASE);
      BACKING__CRASH(BACKING__CP_SPAN_GROWN);
    } else {
      backing__format_arena(s, first, backing__ar(s, 0)->ident.id);
      if (n > 1) backing__ar(s, first)->span = n;
#ifndef BACKING_NO_THREADS
      if (n > 1) /* a span's head is locked for its grower, who carves its block first */
        BACKING__ASTORE(&backing__ar(s, first)->lock, s->lock_id | backing__tid(),
                        BACKING__RELAXED);
#endif
      BACKING__CRASH(BACKING__CP_GROW_FORMATTED);
    }
    BACKING__ASTORE(&s->count, first + n, BACKING__RELEASE);
    BACKING__ASTORE(&s->view.limit, old + add, BACKING__RELEASE);
    if (s->valid == first &&
        (r = backing__mark_inner(s, head ? first : first + 1, first + n)) == 0) {
      s->tail = head ? head : n > 1 ? first : 0;
      backing__set_valid(s, first + n);
    }
    BACKING__ASTORE(&backing__st(s)->arena_count, (uint64_t)first + n, BACKING__RELEASE);
    if (head) BACKING__ASTORE(&backing__st(s)->growing, 0, BACKING__RELEASE);
    if (r && !head && n > 1) backing__unlock(&backing__ar(s, first)->lock);
  }
  backing__spin_unlock(&s->attach_lock);
  return r;
}

/* Under the store lock with `growing` set: its grower died after raising the head's span
   (and maybe after counting the arenas). The span ends at the count. */
static void backing__growth_died(backing *s, uint64_t g) {
  uint64_t count = BACKING__ALOAD(&backing__st(s)->arena_count, BACKING__ACQUIRE);
  uint32_t head = (uint32_t)g;
  if (head && head < count && backing__arena_ready(s, head) == 0 && !backing__inner(s, head)) {
    backing__arena *ar = backing__ar(s, head);
    if (BACKING__GET(ar->span) > count - head)
      BACKING__ASTORE(&ar->span, (uint32_t)(count - head), BACKING__RELEASE);
  }
  BACKING__ASTORE(&backing__st(s)->growing, 0, BACKING__RELEASE);
}

/* Under the store lock: attach and validate every arena the store has. 0, or the error
   of an arena that fails validation (then the store grows no more through this handle:
   an arena added past it would never be usable). *picked: there were arenas another
   handle or process added. */
static int backing__ready_all(backing *s, int *picked) {
  uint64_t shared = BACKING__ALOAD(&backing__st(s)->arena_count, BACKING__ACQUIRE);
  *picked = shared > s->count && shared <= 0xffffffffu;
  if (*picked) return backing__arena_ready(s, (uint32_t)shared - 1);
  return BACKING__LD(s->valid) < s->count ? backing__arena_ready(s, s->count - 1) : 0;
}

/* Add one arena, or pick up the ones another handle or process added. */
static int backing__grow(backing *s) {
  int picked, r = backing__lock_store(s);
  if (r) return r;
  if ((r = backing__ready_all(s, &picked)) == 0 && !picked) r = backing__add_arenas(s, 1, 0);
  backing__unlock(&backing__st(s)->lock);
  return r;
}

/* Add a span of n arenas for a huge block, after the ones others added; its head in *head,
   locked (0 returned), and in *zero whether its memory is known to read as zeros (new
   memory or file space). */
static int backing__grow_span(backing *s, uint32_t n, uint32_t *head, int *zero) {
  int picked, r = backing__lock_store(s);
  if (r) return r;
  r = backing__ready_all(s, &picked);
  *head = BACKING__LD(s->count);
  if (!r) r = backing__add_arenas(s, n, 0);
  *zero = !r && s->fresh;
  backing__unlock(&backing__st(s)->lock);
  return r;
}

/* >>open --------------------------------------------------------------------------- */

static int backing__check_config(const backing_config *c) {
  if (c->arena_size && (c->arena_size & (c->arena_size - 1))) return BACKING_EINVAL;
  if (c->arena_size && (c->arena_size < ((uint64_t)1 << BACKING__MIN_SHIFT) ||
                        c->arena_size > ((uint64_t)1 << BACKING__MAX_SHIFT)))
    return BACKING_EINVAL;
  if (c->flags &
      ~(BACKING_NOCREATE | BACKING_EXCL | BACKING_RDONLY | BACKING_VERIFY | BACKING_HUGE))
    return BACKING_EINVAL;
  if (c->name && (strchr(c->name, '/') || !strcmp(c->name, ".") || !strcmp(c->name, "..")))
    return BACKING_EINVAL; /* a hidden or misplaced file */
  if (c->max_size &&
      (c->max_size & ((c->arena_size ? c->arena_size : (uint64_t)1 << BACKING__MIN_SHIFT) - 1)))
    return BACKING_EINVAL; /* not whole arenas (checked again once the arena size is known) */
  if ((c->flags & BACKING_RDONLY) &&
      (c->source == BACKING_SOURCE_MEMORY || c->source == BACKING_SOURCE_BUFFER ||
       c->source == BACKING_SOURCE_CUSTOM || !c->dirname || !c->dirname[0]))
    return BACKING_EINVAL; /* read-only is for store files */
  switch (c->source) {
  case BACKING_SOURCE_DEFAULT:
  case BACKING_SOURCE_MEMORY:
    break;
  case BACKING_SOURCE_MMAP:
#ifdef BACKING_NO_MMAP
    return BACKING_EINVAL;
#else
    if (!c->dirname || !c->dirname[0]) return BACKING_EINVAL;
    break;
#endif
  case BACKING_SOURCE_BUFFER:
    if (!c->buffer || !c->buffer_size) return BACKING_EINVAL;
    break;
  case BACKING_SOURCE_CUSTOM:
    if (!c->custom || !c->custom->reserve || !c->custom->extend) return BACKING_EINVAL;
    break;
  default:
    return BACKING_EINVAL;
  }
  return 0;
}

static void backing__set_shift(backing *s, unsigned shift) {
  s->shift = shift;
  s->mask = ((uint64_t)1 << shift) - 1;
  s->hdr_size = (uint32_t)backing__hsize((uint64_t)1 << shift);
}

/* Validate an existing store whose first `size` bytes are at base. */
static int backing__attach(backing *s, const backing_config *cfg, uint64_t size) {
  const backing__ident *id = (const backing__ident *)(const void *)s->view.base;
  uint64_t a, n;
  const char *why;
  int r;
  if (size < sizeof(backing__ident)) return BACKING_ECORRUPT;
  if ((r = backing__ident_ok(s, 0, id, &why)) != 0) return r;
  a = (uint64_t)1 << id->shift;
  if (cfg->arena_size && cfg->arena_size != a) return BACKING_EMISMATCH;
  backing__set_shift(s, id->shift);
  if (id->data_start != backing__data_start(s, 0)) return BACKING_ECORRUPT;
  if (size < a) return BACKING_ECORRUPT; /* truncated */
  n = BACKING__LD(backing__st(s)->arena_count);
  /* Another process may have grown the store (and published its count) since we looked
     at its size: reach what it has gained. */
  if (n > size / a && n <= s->reserve >> id->shift && s->ops->attach(s, n << id->shift) == 0)
    size = n << id->shift;
  if (n == 0 || n > size / a || n > 0xffffffffu) return BACKING_ECORRUPT;
  if ((n << id->shift) > s->reserve) return BACKING_ENOMEM;
  s->count = (uint32_t)n;
  s->view.limit = n << id->shift;
  memcpy(&s->salt, id->id, 4);
  if (backing__validate_arena(s, 0)) return BACKING_ECORRUPT;
  backing__set_valid(s, 1); /* (its heads are checked once the open succeeds) */
  return 0;
}

static int backing__create(backing *s, const backing_config *cfg) {
  uint8_t id[16];
  uint64_t a;
  int r;
  backing__set_shift(s, cfg->arena_size ? backing__log2(cfg->arena_size) : BACKING__DEFAULT_SHIFT);
  a = (uint64_t)1 << s->shift;
  if (a > s->reserve || a > s->max_bytes) return BACKING_EINVAL;
  if (s->ops->create && (r = s->ops->create(s)) != 0) return r;
  if ((r = backing__extend(s, 0, a)) != 0) return r;
  backing__os_random(id, sizeof id);
  memset(s->view.base + s->hdr_size, 0, BACKING__STORE_SIZE);
  backing__format_arena(s, 0, id);
  memcpy(&s->salt, id, 4);
  s->count = 1;
  backing__set_valid(s, 1);
  s->view.limit = a;
  backing__st(s)->arena_count = 1;
  return s->ops->publish ? s->ops->publish(s) : 0;
}

static void backing__free_handle(backing *s) {
  s->magic = 0;
  BACKING__UNPOISON_ALL(s);
  if (s->ops) s->ops->release(s);
  if (s->path) BACKING_FREE(s->path, s->alloc_ctx);
  if (s->tmp_path) BACKING_FREE(s->tmp_path, s->alloc_ctx);
  if (s->dtors) BACKING_FREE(s->dtors, s->alloc_ctx);
  if (s->inner) BACKING_FREE(s->inner, s->alloc_ctx);
  BACKING_FREE(s, s->alloc_ctx);
}

static int backing__open(backing **out, const backing_config *cfg) {
  backing *s;
  uint64_t existing = 0, want;
  int r, attempt;
  for (attempt = 0; attempt < 2; attempt++) {
    s = (backing *)BACKING_MALLOC(sizeof *s, cfg->alloc_ctx);
    if (!s) return backing__err(BACKING_ENOMEM);
    memset(s, 0, sizeof *s);
    s->alloc_ctx = cfg->alloc_ctx;
    s->fd = BACKING__NOFILE;
    s->slot = -1;
    s->lock_id = backing__lock_id_pid(); /* MMAP: replaced by a process slot's at join */
    s->flags = cfg->flags;
    s->ro = s->view.ro = !!(cfg->flags & BACKING_RDONLY);
    s->magic = BACKING__HANDLE_MAGIC; /* (cleared again if the open fails) */
    s->lifetime = cfg->lifetime ? cfg->lifetime : 2;
    s->source = backing__source_of(cfg);
    s->ops = backing__ops_of(s->source);
    if (!s->ops) { /* (BACKING_NO_MMAP: no MMAP source) */
      BACKING_FREE(s, s->alloc_ctx);
      return BACKING_EINVAL;
    }
    want = cfg->max_size ? cfg->max_size : BACKING_RESERVE;
    want = (want + 65535u) & ~(uint64_t)65535u;
    if (!want) want = BACKING_RESERVE; /* rounding overflowed */
    r = s->ops->reserve(s, cfg, want, &existing);
    s->ar0 = s->view.base;
    s->view.floor = 1;
    s->max_bytes = cfg->max_size ? cfg->max_size : s->reserve;
    if (!r) {
      if (existing) {
        r = (cfg->flags & BACKING_EXCL) ? EEXIST : backing__attach(s, cfg, existing);
      } else if (cfg->flags & BACKING_NOCREATE) {
        r = ENOENT;
      } else {
        r = backing__create(s, cfg);
      }
    }
    if (!r && cfg->max_size &&
        ((cfg->max_size & s->mask) || /* whole arenas, and no fewer */
         cfg->max_size < ((uint64_t)s->count << s->shift)))
      r = BACKING_EINVAL; /* than the store has */
    if (r == EEXIST && !(cfg->flags & BACKING_EXCL) && attempt == 0) {
      backing__free_handle(s); /* another process created it first: open theirs */
      continue;
    }
    if (!r && s->ops->join) {
#ifndef BACKING_NO_THREADS
      /* a clean store: join at the first change (backing__join_late) */
      if (!s->ro && !(s->flags & BACKING_VERIFY) &&
          BACKING__ALOAD(&backing__st(s)->dirty, BACKING__ACQUIRE) == 0)
        s->lazy = 1;
      else
#endif
        r = s->ops->join(s);
    }
    if (!r) {
      s->view.floor = backing__data_start(s, 0); /* below it: arena 0's header (>>view) */
      if (s->ops->guard) s->ops->guard(s);
    }
    if (!r && (s->flags & BACKING_VERIFY) && backing_check(s) != 0) {
      if (s->ops->leave) s->ops->leave(s);
      r = BACKING_ECORRUPT;
    }
    if (r) {
      backing__free_handle(s);
      return r;
    }
    /* (only now: a refused store is not written; a lazy handle, at its join: until then
       its fast paths step aside, and a handle that only reads never needs it) */
    if (!s->lazy) backing__check_heads(s, 0);
    s->detail[0] = 0;
    s->refs = 1;
    s->slow = s->ro || s->lazy;
    s->uid = BACKING__AADD(&backing__uids, 1, BACKING__RELAXED) + 1;
    *out = s;
    return 0;
  }
  return BACKING_EBUSY;
}

/* Every handle of this process is on one list, so that a fork can mark them all as the
   parent's; MMAP handles are also on a second, so that opening a store again shares its
   mapping (and its process slot) instead of making a second one. The lock guarding both
   is never held across a blocking call. */
static backing *backing__handles;
static backing *backing__open_stores;
static int backing__handles_lock;

#if !defined(BACKING_NO_MMAP) && !defined(BACKING_NO_THREADS)
/* In a child of fork, every handle is the parent's: its locks, process slot and session
   must not be touched from here. Calls refuse (EFORKED); close frees memory only. */
static void backing__fork_prepare(void) {
  backing__spin_lock(&backing__handles_lock);
}
static void backing__fork_parent(void) {
  backing__spin_unlock(&backing__handles_lock);
}
static void backing__fork_child(void) {
  backing *s;
  for (s = backing__handles; s; s = s->next_all) s->forked = s->slow = 1;
  backing__tid_cache = 0; /* this thread has a new id now, and the process too */
  backing__os_forget_pid();
  backing__spin_unlock(&backing__handles_lock);
}
/* Where views end at the file's end (>>view), an address in an arena that another
   process added faults in an inline accessor until this process maps the arena: the OS
   layer hands the fault here, and the arena is attached like any call would. */
static int backing__fault(void *addr) {
  unsigned char *p = (unsigned char *)addr;
  backing *s;
  int done = 0;
  backing__spin_lock(&backing__handles_lock);
  for (s = backing__handles; s && !done; s = s->next_all)
    if (!s->forked && s->view.base && p >= s->view.base + BACKING__LD(s->view.limit) &&
        p < s->view.base + s->reserve)
      done = backing__arena_ready(s, (uint32_t)((uint64_t)(p - s->view.base) >> s->shift)) == 0 &&
             p < s->view.base + BACKING__LD(s->view.limit);
  backing__spin_unlock(&backing__handles_lock);
  return done;
}
static void backing__watch_forks(void) {
  static int done;
  if (!BACKING__AXCHG(&done, 1, BACKING__ACQ_REL)) {
    backing__os_on_fork(backing__fork_prepare, backing__fork_parent, backing__fork_child);
    backing__os_on_fault(backing__fault);
  }
}
#else
#define backing__watch_forks() ((void)0)
#endif

static void backing__list_add(backing *s) {
  backing__spin_lock(&backing__handles_lock);
  s->next_all = backing__handles;
  backing__handles = s;
  backing__spin_unlock(&backing__handles_lock);
}

/* Off the lists; the caller holds the lock. */
static void backing__list_drop(backing *s) {
  backing **p;
  for (p = &backing__handles; *p; p = &(*p)->next_all)
    if (*p == s) {
      *p = s->next_all;
      break;
    }
  for (p = &backing__open_stores; *p; p = &(*p)->next_open)
    if (*p == s) {
      *p = s->next_open;
      break;
    }
}

#ifndef BACKING_NO_MMAP
/* This process's open handle of the store at (dev, ino) in mode ro, NULL if none; a
   second open shares it. The caller holds the lock. */
static backing *backing__shared(const backing_config *cfg, uint64_t dev, uint64_t ino, int *err) {
  backing *s;
  int ro = !!(cfg->flags & BACKING_RDONLY);
  for (s = backing__open_stores; s; s = s->next_open) {
    if (s->dev != dev || s->ino != ino || s->ro != ro || s->forked) continue;
    *err = (cfg->flags & BACKING_EXCL)                                         ? EEXIST
           : (cfg->arena_size && cfg->arena_size != ((uint64_t)1 << s->shift)) ? BACKING_EMISMATCH
                                                                               : 0;
    if (!*err) s->refs++;
    return s;
  }
  return NULL;
}
#endif

BACKING_API int backing_open(backing **out, const backing_config *cfg) {
  int r;
  backing__last_err = 0;
  if (out) *out = NULL;
  if (!out || !cfg) return backing__err(BACKING_EINVAL);
  if ((r = backing__check_config(cfg)) != 0) return backing__err(r);
  backing__watch_forks();
#ifndef BACKING_NO_MMAP
  if (backing__source_of(cfg) == BACKING_SOURCE_MMAP) {
    char *path = backing__store_path(cfg->alloc_ctx, cfg);
    backing__finfo fi = {0, 0, 0, 0};
    backing *s = NULL;
    if (!path) return backing__err(BACKING_ENOMEM);
    r = backing__os_path_info(path, &fi);
    BACKING_FREE(path, cfg->alloc_ctx);
    if (r == 0) { /* open here already? */
      backing__spin_lock(&backing__handles_lock);
      s = backing__shared(cfg, fi.dev, fi.ino, &r);
      backing__spin_unlock(&backing__handles_lock);
      if (s) return r ? backing__err(r) : (*out = s, 0);
    }
    /* Opening may wait for another process (joining) or repair the store: no lock held.
       Two threads that race to open the same store end with one handle. */
    if ((r = backing__open(&s, cfg)) != 0) return backing__err(r);
    backing__spin_lock(&backing__handles_lock);
    {
      int e = 0;
      backing *other = backing__shared(cfg, s->dev, s->ino, &e);
      if (other && !e) {
        backing__spin_unlock(&backing__handles_lock);
        backing__leave(s);
        backing__free_handle(s);
        *out = other;
        return 0;
      }
    }
    s->next_open = backing__open_stores;
    backing__open_stores = s;
    s->next_all = backing__handles;
    backing__handles = s;
    backing__spin_unlock(&backing__handles_lock);
    *out = s;
    return 0;
  }
#endif
  r = backing__open(out, cfg);
  if (r) return backing__err(r);
  backing__list_add(*out);
  return 0;
}

BACKING_API int backing_close(backing *s) {
  int last;
  backing__last_err = 0;
  if (!s || s->magic != BACKING__HANDLE_MAGIC) return backing__err(BACKING_EINVAL);
  if (backing__held) return backing__err(BACKING_EBUSY); /* a walk callback, a destructor */
  backing__spin_lock(&backing__handles_lock);
  last = s->forked || --s->refs == 0; /* opened n times in this process: the n-th close */
  if (last) backing__list_drop(s);
  backing__spin_unlock(&backing__handles_lock);
  if (!last) return 0;
  if (s->ops->leave && !s->forked) s->ops->leave(s); /* not the parent's */
  /* No sync here: what was written is in the page cache and reaches the file whatever
     happens to this process; backing_sync() is the call that waits for the disk. */
  backing__free_handle(s);
  return 0;
}

BACKING_API int backing_destroy(const backing_config *cfg) {
  backing__last_err = 0;
  if (!cfg) return backing__err(BACKING_EINVAL);
  if (backing__source_of(cfg) == BACKING_SOURCE_MMAP) {
#ifdef BACKING_NO_MMAP
    return backing__err(BACKING_EINVAL);
#else
    char *path;
    int r = 0;
    if (!cfg->dirname || (cfg->name && (strchr(cfg->name, '/') || !strcmp(cfg->name, ".") ||
                                        !strcmp(cfg->name, ".."))))
      return backing__err(BACKING_EINVAL);
    path = backing__store_path(cfg->alloc_ctx, cfg);
    if (!path) return backing__err(BACKING_ENOMEM);
    r = backing__os_unlink(path);
    BACKING_FREE(path, cfg->alloc_ctx);
    return r ? backing__err(r) : 0;
#endif
  }
  return 0;
}

/* >>alloc -------------------------------------------------------------------------- */

/* Where a block lives, found from its address with every read bounds-checked. */
typedef struct backing__loc {
  backing__arena *ar;
  uint64_t off;      /* arena offset of the user data */
  backing__slab *sl; /* small block: its slab, else NULL */
  uint32_t x, idx;   /* small block: slab offset and slot index */
  backing__blk *h;   /* large block: its header */
  uint64_t usable;
  uint32_t kind; /* BACKING__GC or 0 */
} backing__loc;

/* The size word of the large block whose user data is at arena offset off, if a header is
   there (its check word matches, its size fits the arena's used part); else 0. The one
   test of a large block's header from an address, for locate and the GC fast path. */
BACKING__INLINE uint32_t backing__blk_word(backing *s, backing__arena *ar, uint64_t off) {
  backing__blk *h = backing__hdr(ar, off - BACKING__HDR);
  uint32_t word = BACKING__GET(h->size), size = word & ~BACKING__FLAGS;
  if (BACKING__GET(h->check) != backing__check_of(s, off - BACKING__HDR, word) ||
      size < BACKING__MIN_BLOCK || size > BACKING__GET(ar->top) - (off - BACKING__HDR))
    return 0;
  return word;
}

/* Where the block at user address a lives: the one lookup of an address (callers hold its
   arena's lock; backing__plain_locate and backing__gc_locate_held add the kind the caller
   wants, and the lock-free fast paths repeat its slot and header tests inline). */
static int backing__locate(backing *s, backing_addr a, backing__loc *L) {
  uint64_t i = a >> s->shift, off = a & s->mask;
  backing__arena *ar;
  if (BACKING__UNLIKELY(a >= BACKING__LD(s->valid_limit))) {
    int r;
    if (i >= 0xffffffffu) return BACKING_EBADADDR;
    r = backing__arena_ready(s, (uint32_t)i);
    if (r) return r;
  }
  if (backing__inner(s, i)) return BACKING_EBADADDR; /* inside a huge block */
  ar = backing__ar(s, (uint32_t)i);
  L->x = L->idx = 0;
  if ((off & 15) || off < backing__data_start(s, (uint32_t)i) + BACKING__HDR)
    return BACKING_EBADADDR;
  if (off >= ar->top) return BACKING_EFREED; /* untouched space, or given back to it */
  L->ar = ar;
  L->off = off;
  if (backing__slab_at(ar, off)->magic == BACKING__SLAB_MAGIC) {
    int r = backing__slot_of(ar, off, &L->sl, &L->x, &L->idx);
    if (r) return r;
    L->h = NULL;
    L->usable = backing__slot_size[L->sl->cls];
    L->kind = L->sl->kind;
  } else {
    uint32_t word;
    if (BACKING__POISONED(s, ar, off - 8)) return BACKING_EFREED; /* inside free space */
    if ((word = backing__blk_word(s, ar, off)) == 0) return BACKING_EBADADDR;
    if (!(word & BACKING__USED)) return BACKING_EFREED;
    if (word & BACKING__SLABBLK) return BACKING_EBADADDR;
    L->sl = NULL;
    L->h = backing__hdr(ar, off - BACKING__HDR);
    L->usable = (word & ~BACKING__FLAGS) - BACKING__HDR +
                backing__span_tail(s, ar, off - BACKING__HDR + (word & ~BACKING__FLAGS));
    L->kind = word & BACKING__GC;
  }
  return 0;
}

/* Usable bytes of the live block whose user data is at arena offset off (no checks: the caller
   owns it, so it cannot change). */
static uint64_t backing__usable_at(backing *s, backing__arena *ar, uint64_t off) {
  backing__slab *sl = backing__slab_at(ar, off);
  uint64_t size;
  if (BACKING__ALOAD(&sl->magic, BACKING__ACQUIRE) == BACKING__SLAB_MAGIC)
    return backing__slot_size[sl->cls];
  size = BACKING__GET(backing__hdr(ar, off - BACKING__HDR)->size) & ~BACKING__FLAGS;
  return size - BACKING__HDR + backing__span_tail(s, ar, off - BACKING__HDR + size);
}

/* locate for the plain API: a GC block, found at a or 16 bytes before it, is ETYPE. */
static int backing__plain_locate(backing *s, backing_addr a, backing__loc *L) {
  int r = backing__locate(s, a, L);
  if (r == 0) return L->kind ? BACKING_ETYPE : 0;
  if (a >= 16 && !(a & 15)) {
    backing__loc G;
    if (backing__locate(s, a - 16, &G) == 0 && G.kind) return BACKING_ETYPE;
  }
  return r;
}

static uint64_t backing__free_loc(backing *s, backing__loc *L) {
  if (L->sl) return backing__slot_free(s, L->ar, L->sl, L->x, L->idx, L->off);
  backing__release(s, L->ar, L->off - BACKING__HDR, L->h->size & ~BACKING__FLAGS,
                   L->h->size & BACKING__PREV_FREE, L->h->prev);
  return L->usable;
}

/* Allocate in arena i; returns the arena offset of the user data or 0. */
static uint64_t backing__alloc_in(backing *s, uint32_t i, uint64_t size, uint64_t align,
                                  uint32_t kind) {
  backing__arena *ar = backing__ar(s, i);
  uint64_t total, off;
  if (size <= BACKING__SMALL_MAX && align <= 16) {
    off = backing__slab_alloc(s, ar, backing__class_of(size) + (kind ? BACKING__NCLASS : 0u));
    if (off) return off;
    /* no room for another slab here: the small block becomes a large one */
  }
  total = backing__round16(size ? size : 1) + BACKING__HDR + (kind ? 16u : 0u); /* + GC header */
  if (total < BACKING__MIN_BLOCK) total = BACKING__MIN_BLOCK;
  off = backing__carve(s, ar, total, align, kind);
  return off ? off + BACKING__HDR : 0;
}

/* The arena this thread allocates from first: a thread keeps to the arena it last used,
   so threads that collide once spread out over the arenas and stay apart. */
static BACKING__TLS struct backing__pref {
  uint64_t uid; /* the handle's id, not its pointer: a new handle may sit where one was */
  uint32_t cur;
} backing__pref;

static uint32_t backing__cur(backing *s) {
  return backing__pref.uid == s->uid && backing__pref.cur < BACKING__LD(s->valid)
             ? backing__pref.cur
             : BACKING__ALOAD(&s->cur, BACKING__ACQUIRE);
}
static void backing__set_cur(backing *s, uint32_t i) {
  /* The fast paths lock and read the current arena's header without a look at `valid` or
     the span bits: never make that an arena not validated yet or one inside a span (after
     a growth that picked up another's span, count - 1 is one). */
  if (i >= BACKING__LD(s->valid) || backing__inner(s, i)) return;
  backing__pref.uid = s->uid;
  backing__pref.cur = i;
  if (BACKING__ALOAD(&s->cur, BACKING__RELAXED) != i) /* the default for new threads */
    BACKING__ASTORE(&s->cur, i, BACKING__RELEASE);
}

/* A new GC block's header, written (and the block put on the waiting list if its count is
   0) under the same lock that allocated it. */
typedef struct backing__gcinit {
  uint32_t type;
  int32_t count;
  int zero; /* gc_calloc */
} backing__gcinit;

static void backing__gc_init(backing *s, backing__arena *ar, uint64_t off,
                             const backing__gcinit *gi);

/* Allocate in arena i under its lock; `wait` 0 gives up at once if another holds it, and
   says so in *busy. A span's head takes only a huge block (kind | BACKING__HUGEREQ), and
   a huge block only a span's head. */
#define BACKING__HUGEREQ 0x100u
static uint64_t backing__alloc_locked(backing *s, uint32_t i, uint64_t size, uint64_t align,
                                      uint32_t kind, int wait, const backing__gcinit *gi,
                                      int *busy) {
  backing__arena *ar;
  uint64_t off;
  *busy = 0;
#ifndef BACKING_NO_THREADS
  if (BACKING__UNLIKELY(BACKING__ALOAD(&s->lazy, BACKING__ACQUIRE)) && backing__join_late(s) != 0)
    return 0; /* (join first: a try below would take the session for a busy arena) */
#endif
  if (i >= BACKING__LD(s->valid) && backing__arena_ready(s, i) != 0) return 0;
  if (backing__inner(s, i)) return 0;
  ar = backing__ar(s, i);
  if (wait) {
    if (backing__lock_arena(s, ar, i) != 0) return 0;
  } else if (!backing__trylock(s, &ar->lock)) {
    *busy = 1;
    return 0;
  } else if (ar->quarantined) {
    backing__unlock(&ar->lock);
    return 0;
  }
  if ((ar->span > 1) != !!(kind & BACKING__HUGEREQ)) { /* a span's head: huge blocks only */
    backing__unlock(&ar->lock);
    return 0;
  }
  off = backing__alloc_in(s, i, size, align, kind & ~BACKING__HUGEREQ);
  if (off && gi) backing__gc_init(s, ar, off, gi);
  backing__unlock(&ar->lock);
  return off;
}

/* The huge block this thread's last backing__alloc_huge made in a new span whose memory
   reads as zeros (0: none), so that calloc need not write (and commit) every page. */
static BACKING__TLS backing_addr backing__zeroed;

/* A huge block's part in its span's head (kind: plain 0, else GC with its 16-byte
   header), and the arenas a block of size bytes needs: that part, then whole arenas. */
static uint64_t backing__span_room(backing *s, uint32_t kind) {
  return ((uint64_t)1 << s->shift) - s->hdr_size - BACKING__HDR - (kind ? 16u : 0u);
}
static uint64_t backing__span_need(backing *s, uint64_t size, uint32_t kind) {
  uint64_t a = (uint64_t)1 << s->shift, room = backing__span_room(s, kind);
  return size <= room ? 1 : 1 + (size - room + a - 1) / a;
}

/* The smallest free span of n to 2n arenas, up to the store's count (others' spans too),
   other than the nskip in skip (ones alloc_locked refused); 0 if none. A look without
   the locks: alloc_locked decides. */
static uint32_t backing__free_span(backing *s, uint32_t n, const uint32_t *skip, int nskip) {
  uint64_t shared = BACKING__ALOAD(&backing__st(s)->arena_count, BACKING__ACQUIRE);
  uint32_t count, i, best = 0, best_span = 0xffffffffu;
  if (shared > BACKING__LD(s->count) && shared <= 0xffffffffu) /* spans others added */
    (void)backing__arena_ready(s, (uint32_t)shared - 1);
  count = BACKING__LD(s->count);
  for (i = 1; i < count; i++) {
    backing__arena *ar;
    uint32_t span;
    int k;
    if (i >= BACKING__LD(s->valid) && backing__arena_ready(s, i) != 0) break;
    if (backing__inner(s, i)) continue;
    ar = backing__ar(s, i);
    span = BACKING__GET(ar->span); /* (past the count: a dead growth in place's) */
    span = span < count - i ? span : count - i;
    if (span < n || span - n > n || span >= best_span || BACKING__GET(ar->quarantined) ||
        BACKING__GET(ar->top) != backing__data_start(s, i))
      continue;
    for (k = 0; k < nskip && skip[k] != i; k++) {
    }
    if (k < nskip) continue;
    best = i, best_span = span;
    if (span == n) break;
  }
  return best;
}

/* A huge block (BACKING_HUGE): the one block of a span's head, which runs on through the
   span. The smallest free span of n to 2n arenas is taken again, else the store grows by
   a new one. (Taking any larger free span would pin it under a small block and make the
   store grow for the next large one.) Aligned only to 16 (what its head's first block
   start gives). */
static backing_addr backing__alloc_huge(backing *s, uint64_t size, uint32_t kind,
                                        const backing__gcinit *gi) {
  uint64_t off, n64 = backing__span_need(s, size, kind), room = backing__span_room(s, kind);
  uint32_t n, head, best, tries, refused[8];
  int busy, zero, r = 0, nrefused = 0;
  backing__gcinit g0;
  backing__zeroed = 0;
  if (n64 > (s->reserve >> s->shift)) return BACKING__FAIL(BACKING_ENOSPACE);
  n = (uint32_t)n64;
  for (tries = 0; tries < 4; tries++) {
    while (nrefused < 8 && (best = backing__free_span(s, n, refused, nrefused)) != 0) {
      off = backing__alloc_locked(s, best, room, 16, kind | BACKING__HUGEREQ, 1, gi, &busy);
      if (off) return ((uint64_t)best << s->shift) | off;
      refused[nrefused++] = best; /* (taken meanwhile, or damaged: the next best) */
    }
    if ((r = backing__grow_span(s, n, &head, &zero)) != 0) break;
    { /* the new head is locked for us: no one else carves it, so zeros are still zeros */
      backing__arena *ar = backing__ar(s, head);
      off = head < BACKING__LD(s->valid) ? backing__alloc_in(s, head, room, 16, kind) : 0;
      if (off && gi) { /* (gc_calloc need not zero it) */
        g0 = *gi;
        g0.zero = g0.zero && !zero;
        backing__gc_init(s, ar, off, &g0);
      }
      backing__unlock(&ar->lock);
    }
    if (off && zero) backing__zeroed = ((uint64_t)head << s->shift) | off;
    if (off) return ((uint64_t)head << s->shift) | off;
  }
  BACKING__AADD(&s->alloc_failures, 1, BACKING__RELAXED);
  return BACKING__FAIL(r ? r : BACKING_ENOSPACE);
}

/* Which arena a thread allocates in: its own, once it has one. A thread without one that
   finds the shared first choice busy takes an arena of its own (growing the store, up to
   BACKING__SPREAD arenas), so threads stop queueing on one lock; a thread with one waits
   for it (whoever holds it is freeing a block into it, briefly). Only when its arena is
   full does a thread move on: to another with room, else to a new one. */
static backing_addr backing__alloc(backing *s, uint64_t size, uint64_t align, uint32_t kind,
                                   const backing__gcinit *gi) {
  uint32_t cur = backing__cur(s), n, pass, i;
  int own = backing__pref.uid == s->uid, busy, r;
  uint64_t off;
  if (s->ro) return BACKING__FAIL(BACKING_ERDONLY);
  if (BACKING__UNLIKELY(size > backing__max_block(s) - (kind ? 16u : 0u)))
    return align > 16 ? BACKING__FAIL(BACKING_ETOOBIG) : backing__alloc_huge(s, size, kind, gi);
  for (;;) {
    uint32_t count = BACKING__LD(s->count);
    off = backing__alloc_locked(s, cur, size, align, kind, own, gi, &busy);
    if (!off && busy) {
      if (count < BACKING__SPREAD && backing__grow(s) == 0 && BACKING__LD(s->count) > count) {
        i = BACKING__LD(s->count) - 1;
        off = backing__alloc_locked(s, i, size, align, kind, 1, gi, &busy);
        if (off) {
          backing__set_cur(s, i);
          return ((uint64_t)i << s->shift) | off;
        }
      }
      /* (a store with arenas enough already: one of them, if free now; else wait here) */
      for (n = 1; !off && n < count && n <= BACKING__SPREAD; n++) {
        i = (cur + n) % count;
        off = backing__alloc_locked(s, i, size, align, kind, 0, gi, &busy);
        if (off) {
          backing__set_cur(s, i);
          return ((uint64_t)i << s->shift) | off;
        }
      }
      off = backing__alloc_locked(s, cur, size, align, kind, 1, gi, &busy);
    }
    if (off) return ((uint64_t)cur << s->shift) | off;
    for (pass = 0; pass < 2; pass++) /* cur is full: the others, free ones first */
      for (n = 1; n < count; n++) {
        i = (cur + n) % count;
        off = backing__alloc_locked(s, i, size, align, kind, pass, gi, &busy);
        if (off) {
          backing__set_cur(s, i);
          return ((uint64_t)i << s->shift) | off;
        }
      }
    r = backing__grow(s); /* every arena is full: add one (or find one another added) */
    if (r) {
      BACKING__AADD(&s->alloc_failures, 1, BACKING__RELAXED);
      return BACKING__FAIL(r);
    }
    cur = BACKING__LD(s->count) - 1;
    own = 1;
    backing__set_cur(s, cur);
  }
}

static int backing__size_ok(backing *s, uint64_t size, uint64_t align) {
  uint64_t max = backing__max_block(s);
  if (align > 16) max -= align + BACKING__MIN_BLOCK;
  if (size > max && (s->flags & BACKING_HUGE) && align <= 16 && size <= s->reserve) return 1;
  if (size > max) {
    BACKING__AADD(&s->alloc_failures, 1, BACKING__RELAXED);
    backing__err(BACKING_ETOOBIG);
    return 0;
  }
  return 1;
}

/* The fast path's rarer ends, out of line so that it needs no stack frame. Each unlocks.
   The slot taken filled its slab: off the partial list. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static backing_addr
backing__alloc_filled(backing *s, backing__arena *ar, backing__slab *sl, uint32_t cur,
                      uint32_t slot) {
  uint32_t x = slot & ~(BACKING__SLAB - 1); /* the slab it came from */
  if (++sl->used == sl->nslots) backing__partial_remove(s, ar, x, sl);
  backing__unlock(&ar->lock);
  backing__last_err = 0;
  return ((uint64_t)cur << s->shift) | slot;
}
/* The slab did not hold together: the arena is marked damaged, and the usual path looks
   elsewhere. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static backing_addr
backing__alloc_damaged(backing *s, backing__arena *ar, uint32_t x, uint64_t size) {
  backing__slab_bad(s, ar, x);
  backing__unlock(&ar->lock);
  backing__last_err = 0;
  return backing__alloc(s, size, 16, 0, NULL);
}
/* Everything but a slot from the current arena's first partial slab. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static backing_addr
backing__alloc_slow(backing *s, uint64_t size) {
  BACKING__ENTER_VAL(s);
  if (BACKING__UNLIKELY(!backing__size_ok(s, size, 16))) return 0;
  return backing__alloc(s, size, 16, 0, NULL);
}

/* The fast path calls nothing but in tail position; a lock not free at once goes to the
   slow path, which waits for it. */
BACKING_API backing_addr backing_alloc(backing *s, uint64_t size) {
  if (BACKING__LIKELY(s != NULL && size <= BACKING__SMALL_MAX &&
                      !BACKING__GET(s->slow))) { /* fast path */
    unsigned cls = backing__class_of(size);
    uint32_t cur = backing__cur(s);
    backing__arena *ar = backing__ar(s, cur);
    if (BACKING__LIKELY(backing__trylock_fast(s, &ar->lock))) {
      uint32_t x = ar->partial[cls];
      if (BACKING__LIKELY(x != 0 && !ar->quarantined)) {
        backing__slab *sl = backing__slab_at(ar, x);
        uint32_t slot = backing__slab_pop(s, ar, sl, x, cls);
        if (BACKING__UNLIKELY(!slot)) return backing__alloc_damaged(s, ar, x, size);
        if (BACKING__UNLIKELY((uint16_t)(sl->used + 1) == sl->nslots))
          return backing__alloc_filled(s, ar, sl, cur, slot);
        sl->used++;
        backing__unlock(&ar->lock);
        backing__last_err = 0;
        return ((uint64_t)cur << s->shift) | slot;
      }
      backing__unlock(&ar->lock);
    }
  }
  return backing__alloc_slow(s, size);
}

BACKING_API backing_addr backing_alloc_aligned(backing *s, uint64_t size, uint64_t align) {
  BACKING__ENTER_VAL(s);
  if (align == 0 || (align & (align - 1)) || align > BACKING__MAX_ALIGN)
    return BACKING__FAIL(BACKING_EINVAL);
  if (align < 16) align = 16;
  if (!backing__size_ok(s, size, align)) return 0;
  return backing__alloc(s, size, align, 0, NULL);
}

BACKING_API backing_addr backing_calloc(backing *s, uint64_t size) {
  backing_addr a;
  backing__zeroed = 0;
  a = backing_alloc(s, size);
  if (a && a != backing__zeroed) { /* ours now: its size cannot change, no lock to read it */
    backing__arena *ar = backing__ar(s, (uint32_t)(a >> s->shift));
    memset(s->view.base + a, 0, (size_t)backing__usable_at(s, ar, a & s->mask));
  }
  return a;
}

/* Lock the arena an address falls in (attaching it if another process added it); `write`
   0 asks only to read, which a read-only handle does without a lock. */
static int backing__lock_addr(backing *s, backing_addr a, backing__arena **arp, int write) {
  uint64_t i = a >> s->shift;
  if (s->ro && write) return BACKING_ERDONLY;
  if (a >= BACKING__LD(s->valid_limit)) {
    int r;
    if (i >= 0xffffffffu) return BACKING_EBADADDR;
    r = backing__arena_ready(s, (uint32_t)i);
    if (r) return r;
  }
  if (backing__inner(s, i)) return BACKING_EBADADDR; /* inside a huge block */
  *arp = backing__ar(s, (uint32_t)i);
  return write ? backing__lock_arena(s, *arp, (uint32_t)i) : backing__rlock(s, *arp, (uint32_t)i);
}

/* Everything but a live plain slot: large blocks and every error. Kept out of line so the
   fast path below needs no stack frame. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static uint64_t
backing__free_slow(backing *s, backing_addr a) {
  backing__loc L;
  int r;
  uint64_t freed = 0;
  backing__arena *ar;
  BACKING__ENTER_VAL(s);
  r = backing__lock_addr(s, a, &ar, 1);
  if (r) return BACKING__FAIL(r);
  r = backing__plain_locate(s, a, &L);
  if (r == 0) freed = backing__free_loc(s, &L);
  backing__unlock(&ar->lock);
  return r ? BACKING__FAIL(r) : freed;
}

/* The fast path's slot free when the count changes a list; it also unlocks. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static uint64_t
backing__free_edge(backing *s, backing__arena *ar, backing__slab *sl, uint32_t x, unsigned cls) {
  backing__slot_free_edge(s, ar, sl, x);
  backing__unlock(&ar->lock);
  backing__last_err = 0;
  return backing__slot_size[cls];
}

/* The fast path calls nothing but in tail position (no stack frame): a lock that is not
   free at once, like every other case, goes to backing__free_slow. */
BACKING_API uint64_t backing_free(backing *s, backing_addr a) {
  if (BACKING__LIKELY(s != NULL && a < BACKING__LD(s->valid_limit) && !BACKING__GET(s->slow) &&
                      !backing__inner(s, a >> s->shift))) { /* fast path: a slot */
    backing__arena *ar = backing__ar(s, (uint32_t)(a >> s->shift));
    uint64_t off = a & s->mask;
    backing__slab *sl = backing__slab_at(ar, off);
    uint32_t x = (uint32_t)off & ~(BACKING__SLAB - 1), idx;
    if (sl->magic == BACKING__SLAB_MAGIC && !(off & 15) &&
        BACKING__LIKELY(backing__trylock_fast(s, &ar->lock))) {
      if (BACKING__LIKELY(!ar->quarantined) && backing__slot_in(sl, x, off, &idx) == 0 &&
          sl->kind == 0) {
        unsigned cls = sl->cls;
        if (backing__slot_unlink(s, ar, sl, idx, off)) return backing__free_edge(s, ar, sl, x, cls);
        backing__unlock(&ar->lock);
        backing__last_err = 0;
        return backing__slot_size[cls];
      }
      backing__unlock(&ar->lock);
    }
  }
  return backing__free_slow(s, a);
}

BACKING_API uint64_t backing_sizeof(backing *s, backing_addr a) {
  backing__loc L;
  int r;
  backing__arena *ar;
  BACKING__ENTER_VAL(s);
  r = backing__lock_addr(s, a, &ar, 0);
  if (r) return BACKING__FAIL(r);
  r = backing__plain_locate(s, a, &L);
  backing__runlock(s, ar);
  return r ? BACKING__FAIL(r) : L.usable;
}

/* Grow or shrink a large block where it is; 1 if done. */
static int backing__resize_in_place(backing *s, backing__loc *L, uint64_t size) {
  backing__arena *ar = L->ar;
  backing__blk *h = L->h;
  uint64_t boff = L->off - BACKING__HDR, arena_size = (uint64_t)1 << s->shift;
  uint32_t bsize = h->size & ~BACKING__FLAGS, keep = h->size & BACKING__FLAGS;
  uint64_t total = backing__round16(size) + BACKING__HDR, next = boff + bsize;
  if (total < BACKING__MIN_BLOCK) total = BACKING__MIN_BLOCK;
  if (total <= bsize) { /* shrink: the tail goes back */
    if (bsize - total >= BACKING__MIN_BLOCK) {
      backing__set_hdr(s, ar, boff + total, bsize - (uint32_t)total); /* before it is seen */
      BACKING__CRASH(BACKING__CP_REALLOC_TAIL);
      backing__set_hdr(s, ar, boff, (uint32_t)total | keep);
      backing__release(s, ar, boff + total, bsize - (uint32_t)total, 0, 0);
    }
    return 1;
  }
  if (next == ar->top) { /* the last block: bump the top (recovery trusts the header) */
    if (arena_size - boff < total) return 0;
    BACKING__UNPOISON(s, ar, next, boff + total - next);
    backing__set_hdr(s, ar, boff, (uint32_t)total | keep);
    BACKING__CRASH(BACKING__CP_REALLOC_TOP);
    BACKING__SET(ar->top, boff + total);
    return 1;
  }
  {
    backing__blk *n;
    uint32_t ns, combined;
    if (next > ar->top) return 0; /* (a damaged header: locate let it through) */
    n = backing__hdr(ar, next);
    ns = n->size & ~BACKING__FLAGS;
    if ((n->size & BACKING__USED) || (uint64_t)bsize + ns < total) return 0;
    if (ns < BACKING__MIN_BLOCK || ns > ar->top - next) {
      backing__damaged(s, ar, next, "I1 free block size");
      return 0;
    }
    backing__list_remove(s, ar, next, ns);
    BACKING__CRASH(BACKING__CP_REALLOC_NEXT);
    BACKING__UNPOISON(s, ar, next, ns);
    combined = bsize + ns;
    if (combined - total >= BACKING__MIN_BLOCK) {
      uint64_t rest = boff + total;
      uint32_t rs = combined - (uint32_t)total;
      backing__set_hdr(s, ar, rest, rs);
      if (rest + rs < ar->top) backing__hdr(ar, rest + rs)->prev = rs; /* PREV_FREE is set */
      backing__list_insert(s, ar, rest, rs);
      BACKING__POISON_FREE(s, ar, rest, rs);
      backing__set_hdr(s, ar, boff, (uint32_t)total | keep); /* publish */
    } else {
      uint64_t after = boff + combined;
      backing__set_hdr(s, ar, boff, combined | keep); /* publish */
      if (after < ar->top)
        backing__set_hdr(s, ar, after, backing__hdr(ar, after)->size & ~BACKING__PREV_FREE);
    }
  }
  return 1;
}

/* A huge block in the store's last span grows in place: the store grows by the arenas
   it lacks, and they join its span. Not when a free span would take it: moving there
   keeps the store from growing (a block rebuilt by growing, as a level's array is, goes
   back to the spans it left); `defer` 0 grows it anyway (the move failed). 1 if done;
   0: the caller moves it. */
static int backing__grow_in_place(backing *s, backing_addr a, uint64_t size, int defer) {
  uint32_t h = (uint32_t)(a >> s->shift);
  uint64_t need = backing__span_need(s, size, 0);
  backing__arena *ar = backing__ar(s, h);
  backing__loc L;
  int picked, done = 0;
  if (defer && need <= 0xffffffffu && backing__free_span(s, (uint32_t)need, NULL, 0) != 0) return 0;
  /* the arena's lock, then the store's: the order everywhere (a walk's callback holds an
     arena and may set a root; nothing waits for an arena's lock under the store's) */
  if (backing__lock_arena(s, ar, h) != 0) return 0;
  if (backing__lock_store(s) == 0) {
    if (backing__ready_all(s, &picked) == 0 && s->tail == h &&
        backing__plain_locate(s, a, &L) == 0) { /* (again, under the locks) */
      uint64_t more = size <= L.usable ? 0 : (size - L.usable + s->mask) >> s->shift;
      done = more == 0 ||
             (more <= (s->reserve >> s->shift) && backing__add_arenas(s, (uint32_t)more, h) == 0);
    }
    backing__unlock(&backing__st(s)->lock);
  }
  backing__unlock(&ar->lock);
  return done;
}

BACKING_API backing_addr backing_realloc(backing *s, backing_addr a, uint64_t size) {
  backing__loc L;
  backing_addr n;
  int r;
  BACKING__ENTER_VAL(s);
  if (a == 0) return backing_alloc(s, size);
  {
    backing__arena *ar;
    int done, huge;
    r = backing__lock_addr(s, a, &ar, 1);
    if (r) return BACKING__FAIL(r);
    r = backing__plain_locate(s, a, &L);
    if (r || !backing__size_ok(s, size, 16)) {
      backing__unlock(&ar->lock);
      return r ? BACKING__FAIL(r) : 0;
    }
    huge = !L.sl && L.usable > backing__max_block(s);
    done = L.sl || huge ? size <= L.usable : backing__resize_in_place(s, &L, size);
    backing__unlock(&ar->lock);
    if (done || (huge && backing__grow_in_place(s, a, size, 1))) return a;
    n = backing__alloc(s, size, 16, 0, NULL);
    if (!n && huge && backing__grow_in_place(s, a, size, 0)) { /* (it could not move) */
      BACKING__AADD(&s->alloc_failures, (uint64_t)-1, BACKING__RELAXED);
      backing__last_err = 0;
      return a;
    }
  }
  if (!n) return 0;
  memcpy(s->view.base + n, s->view.base + a, (size_t)(L.usable < size ? L.usable : size));
  backing_free(s, a);
  return n;
}

BACKING_API int backing__reach(backing *s, backing_addr a, uint64_t n) {
  uint64_t last;
  BACKING__ENTER_INT(s);
  last = a + (n ? n - 1 : 0);
  if (a < s->view.floor || last < a || last >> s->shift >= 0xffffffffu)
    return backing__err(BACKING_EBADADDR);
  if (last >= BACKING__LD(s->view.limit) && backing__arena_ready(s, (uint32_t)(last >> s->shift)))
    return backing__err(BACKING_EBADADDR); /* not even in arenas others added */
  return 0;
}

BACKING_API void *backing_ptr(backing *s, backing_addr a) {
  if (backing__reach(s, a, 1) != 0) return NULL;
  return s->view.base + a;
}

BACKING_API backing_addr backing_addr_of(backing *s, const void *p) {
  const unsigned char *c = (const unsigned char *)p;
  BACKING__ENTER_VAL(s);
  if (!p || c < s->view.base + s->view.floor ||
      (uint64_t)(c - s->view.base) >= BACKING__LD(s->view.limit))
    return BACKING__FAIL(BACKING_EBADADDR);
  return (backing_addr)(c - s->view.base);
}

/* >>roots -------------------------------------------------------------------------- */

static int backing__name_ok(const char *name) {
  size_t n = 0;
  if (!name) return 0;
  while (n <= BACKING_ROOT_NAME_MAX && name[n]) n++;
  return n >= 1 && n <= BACKING_ROOT_NAME_MAX;
}

/* Roots are looked up without a lock. A name is written only into a free entry (address
   0), and the store's `roots_ver` is odd while that happens and one more when it is done (a
   sequence lock): a lookup that began at an odd count, or ended at another, looks again.
   Names are compared as the table holds them, zero-padded to 7 words, each loaded
   atomically. */
typedef struct backing__rkey {
  uint64_t w[7];
} backing__rkey;
BACKING__STATIC_ASSERT(sizeof(backing__rkey) == sizeof(((backing__root *)0)->name), root_key);

static void backing__rkey_of(const char *name, backing__rkey *k) {
  memset(k, 0, sizeof *k);
  memcpy(k, name, strlen(name)); /* (backing__name_ok: 1 to 55 bytes) */
}
static backing__root *backing__root_find(backing *s, const backing__rkey *k) {
  backing__root *r = backing__st(s)->roots;
  int i, j;
  for (i = 0; i < BACKING_ROOT_MAX; i++) {
    uint64_t *w = (uint64_t *)(void *)r[i].name;
    if (!BACKING__ALOAD(&r[i].addr, BACKING__ACQUIRE)) continue;
    for (j = 0; j < 7 && BACKING__ALOAD(&w[j], BACKING__ACQUIRE) == k->w[j]; j++) {
    }
    if (j == 7) return &r[i];
  }
  return NULL;
}

BACKING_API int backing_root_set(backing *s, const char *name, backing_addr a) {
  backing__store *st;
  backing__root *r;
  backing__rkey k;
  int i, e;
  BACKING__ENTER_INT(s);
  if (!backing__name_ok(name) || a == 0 || a >= BACKING__LD(s->view.limit))
    return backing__err(BACKING_EINVAL);
  if (s->ro) return backing__err(BACKING_ERDONLY);
  if ((e = backing__lock_store(s)) != 0) return backing__err(e);
  st = backing__st(s);
  backing__rkey_of(name, &k);
  if ((r = backing__root_find(s, &k)) != NULL) {
    BACKING__ASTORE(&r->addr, a, BACKING__RELEASE); /* one 8-byte store replaces it */
  } else {
    uint64_t v = BACKING__ALOAD(&st->roots_ver, BACKING__RELAXED), *w;
    for (i = 0; i < BACKING_ROOT_MAX && !r; i++)
      if (!BACKING__ALOAD(&st->roots[i].addr, BACKING__ACQUIRE)) r = &st->roots[i];
    if (!r) {
      backing__unlock(&st->lock);
      return backing__err(BACKING_EFULL);
    }
    w = (uint64_t *)(void *)r->name;
    BACKING__ASTORE(&st->roots_ver, v + 1, BACKING__RELAXED); /* odd: a name changes */
    for (i = 0; i < 7; i++) BACKING__ASTORE(&w[i], k.w[i], BACKING__RELEASE);
    BACKING__CRASH(BACKING__CP_ROOT_NAMED);
    BACKING__ASTORE(&r->addr, a, BACKING__RELEASE); /* one 8-byte store publishes the root */
    BACKING__ASTORE(&st->roots_ver, v + 2, BACKING__RELEASE);
  }
  backing__unlock(&st->lock);
  return 0;
}

/* No lock, no write: a handle that only reads never joins the store's session. */
BACKING_API backing_addr backing_root_get(backing *s, const char *name) {
  backing__store *st;
  backing__root *r;
  backing__rkey k;
  backing_addr a = 0;
  uint32_t tries;
  int e;
  BACKING__ENTER_VAL(s);
  if (!backing__name_ok(name)) return BACKING__FAIL(BACKING_EINVAL);
  st = backing__st(s);
  backing__rkey_of(name, &k);
  for (tries = 0; tries < 200; tries++) {
    uint64_t v = BACKING__ALOAD(&st->roots_ver, BACKING__ACQUIRE);
    if (!(v & 1)) {
      r = backing__root_find(s, &k);
      a = r ? BACKING__ALOAD(&r->addr, BACKING__ACQUIRE) : 0;
      if (BACKING__ALOAD(&st->roots_ver, BACKING__RELAXED) == v)
        return a ? a : BACKING__FAIL(BACKING_ENOTFOUND);
    }
    if (tries >= 8) backing__os_yield();
  }
  /* a name still being written: its writer may have died; a read-write handle takes the
     lock (and so the writer's place), a read-only one reads as things are */
  if (!s->ro && (e = backing__lock_store(s)) != 0) return BACKING__FAIL(e);
  r = backing__root_find(s, &k);
  a = r ? BACKING__ALOAD(&r->addr, BACKING__ACQUIRE) : 0;
  if (!s->ro) backing__unlock(&st->lock);
  return a ? a : BACKING__FAIL(BACKING_ENOTFOUND);
}

BACKING_API int backing_root_del(backing *s, const char *name) {
  backing__root *r;
  backing__rkey k;
  int e;
  BACKING__ENTER_INT(s);
  if (!backing__name_ok(name)) return backing__err(BACKING_EINVAL);
  if (s->ro) return backing__err(BACKING_ERDONLY);
  if ((e = backing__lock_store(s)) != 0) return backing__err(e);
  backing__rkey_of(name, &k);
  r = backing__root_find(s, &k);
  if (r) BACKING__ASTORE(&r->addr, 0, BACKING__RELEASE);
  backing__unlock(&backing__st(s)->lock);
  return r ? 0 : backing__err(BACKING_ENOTFOUND);
}

/* >>gc ----------------------------------------------------------------------------- */

static backing__gch *backing__gch_at(backing__arena *ar, uint64_t o) {
  return (backing__gch *)(void *)((unsigned char *)ar + o);
}
static int32_t backing__gc_load(backing__gch *g) {
  return BACKING__ALOAD(&g->count, BACKING__ACQUIRE);
}

/* The waiting list of an arena (callers hold the GC lock). */
static void backing__wait_push(backing *s, backing__arena *ar, uint32_t o, backing__gch *g) {
  (void)g;
  backing__olist_add(s, ar, BACKING__L_WAIT, o, &ar->gc_head, &ar->gc_tail, 1,
                     "I11 waiting list tail");
  ar->gc_count++;
}
static void backing__wait_remove(backing *s, backing__arena *ar, backing__gch *g) {
  uint32_t o = (uint32_t)((unsigned char *)g - (unsigned char *)ar);
  if (backing__olist_take(s, ar, BACKING__L_WAIT, o, &ar->gc_head, &ar->gc_tail,
                          "I11 waiting list link"))
    return;
  g->prev = g->next = 0;
  ar->gc_count--;
}

/* Resolve a GC address: its block starts 16 bytes before it. A plain block is ETYPE.
   The caller holds the arena's lock (see backing__gc_locate). */
static int backing__gc_locate_held(backing *s, backing_addr a, backing__loc *L) {
  backing__loc P;
  int r = (s == NULL) ? BACKING_EINVAL : (a < 16 || (a & 15)) ? BACKING_EBADADDR : 0;
  if (r) return r;
  r = backing__locate(s, a - 16, L);
  if (r == 0 && L->kind) return 0;
  if (backing__locate(s, a, &P) == 0) return P.kind ? BACKING_EBADADDR : BACKING_ETYPE;
  return r ? r : BACKING_EBADADDR;
}

/* The GC header of a live GC block at a, checked as strictly as backing__gc_locate but
   with nothing else done; NULL sends the caller to the slow path (and its error code). */
BACKING__INLINE backing__gch *backing__gc_fast(backing *s, backing_addr a) {
  uint64_t b = a - 16, off;
  backing__arena *ar;
  backing__slab *sl;
  if (!s || BACKING__GET(s->slow) || a < 16 || (a & 15) || b >= BACKING__LD(s->valid_limit) ||
      backing__inner(s, b >> s->shift))
    return NULL;
  ar = backing__ar(s, (uint32_t)(b >> s->shift));
  off = b & s->mask;
  sl = backing__slab_at(ar, off);
  if (BACKING__ALOAD(&sl->magic, BACKING__ACQUIRE) == BACKING__SLAB_MAGIC) {
    uint32_t idx;
    if (!sl->kind || backing__slot_in(sl, (uint32_t)off & ~(BACKING__SLAB - 1), off, &idx) != 0)
      return NULL;
  } else {
    if (off < 4096 + BACKING__HDR) return NULL;         /* below any arena's first block */
    if (BACKING__POISONED(s, ar, off - 8)) return NULL; /* inside free space */
    if ((backing__blk_word(s, ar, off) & (BACKING__USED | BACKING__GC | BACKING__SLABBLK)) !=
        (BACKING__USED | BACKING__GC))
      return NULL;
  }
  return backing__gch_at(ar, off);
}

/* The same, taking the arena's lock for the look (read-only handles look without one). */
static int backing__gc_locate(backing *s, backing_addr a, backing__loc *L) {
  backing__arena *ar;
  int r = backing__enter(s);
  if (!r && (a < 16 || (a & 15))) r = BACKING_EBADADDR;
  if (r || (r = backing__lock_addr(s, a - 16, &ar, 0)) != 0) return r;
  r = backing__gc_locate_held(s, a, L);
  backing__runlock(s, ar);
  return r;
}

/* The destructor table's entry of `type` (the caller holds dtor_lock). */
static struct backing__dtor *backing__dtor_slot(backing *s, uint32_t type) {
  uint32_t k;
  for (k = 0; k < s->ndtors; k++)
    if (s->dtors[k].type == type) return &s->dtors[k];
  return NULL;
}
/* A copy of it, taken under the lock; 0 if the type has none. */
static int backing__dtor_of(backing *s, uint32_t type, struct backing__dtor *out) {
  struct backing__dtor *d;
  if (!BACKING__ALOAD(&s->ndtors, BACKING__ACQUIRE)) return 0; /* none at all: no lock */
  backing__spin_lock(&s->dtor_lock);
  d = backing__dtor_slot(s, type);
  if (d) *out = *d;
  backing__spin_unlock(&s->dtor_lock);
  return d != NULL;
}

static void backing__gc_init(backing *s, backing__arena *ar, uint64_t off,
                             const backing__gcinit *gi) {
  backing__gch *g = backing__gch_at(ar, off);
  if (gi->zero) memset(g + 1, 0, (size_t)(backing__usable_at(s, ar, off) - 16));
  g->type = gi->type;
  g->prev = g->next = 0;
  BACKING__CRASH(BACKING__CP_GC_INIT);
  BACKING__ASTORE(&g->count, gi->count, BACKING__RELEASE);
  if (gi->count == 0) backing__wait_push(s, ar, (uint32_t)off, g);
}

static backing_addr backing__gc_new(backing *s, uint64_t size, uint32_t type, uint32_t refs,
                                    int zero) {
  backing__gcinit gi;
  backing_addr a;
  BACKING__ENTER_VAL(s);
  if (refs > (uint32_t)INT32_MAX) return BACKING__FAIL(BACKING_EINVAL);
  if (s->ro) return BACKING__FAIL(BACKING_ERDONLY);
  if (size > backing__max_block(s) - 16 && !((s->flags & BACKING_HUGE) && size <= s->reserve)) {
    BACKING__AADD(&s->alloc_failures, 1, BACKING__RELAXED);
    return BACKING__FAIL(BACKING_ETOOBIG);
  }
  gi.type = type;
  gi.count = (int32_t)refs;
  gi.zero = zero;
  a = backing__alloc(s, size, 16, BACKING__GC, &gi); /* the GC header comes on top */
  return a ? a + 16 : 0;
}

/* gc_alloc's fast path: a slot of the current arena's first partial GC slab of the class,
   taken and initialised under the arena's lock exactly as backing__alloc would (the
   slab_pop stores, the count, then backing__gc_init). A slot that would fill its slab,
   a slab that does not hold together and every other case take the usual path. */
BACKING_API backing_addr backing_gc_alloc(backing *s, uint64_t size, uint32_t type, uint32_t refs) {
  if (BACKING__RESERVED(type)) return BACKING__FAIL(BACKING_EINVAL); /* containers' */
  if (BACKING__LIKELY(s != NULL && size <= BACKING__SMALL_MAX && !BACKING__GET(s->slow) &&
                      refs <= (uint32_t)INT32_MAX)) {
    unsigned li = backing__class_of(size) + BACKING__NCLASS;
    uint32_t cur = backing__cur(s);
    backing__arena *ar = backing__ar(s, cur);
    if (BACKING__LIKELY(backing__trylock_fast(s, &ar->lock))) {
      uint32_t x = ar->partial[li];
      if (BACKING__LIKELY(x != 0 && !ar->quarantined)) {
        backing__slab *sl = backing__slab_at(ar, x);
        uint32_t slot;
        if (BACKING__LIKELY((uint16_t)(sl->used + 1) != sl->nslots) &&
            BACKING__LIKELY((slot = backing__slab_pop(s, ar, sl, x, li)) != 0)) {
          backing__gcinit gi;
          sl->used++;
          gi.type = type;
          gi.count = (int32_t)refs;
          gi.zero = 0;
          backing__gc_init(s, ar, slot, &gi);
          backing__unlock(&ar->lock);
          backing__last_err = 0;
          return (((uint64_t)cur << s->shift) | slot) + 16;
        }
      }
      backing__unlock(&ar->lock);
    }
  }
  return backing__gc_new(s, size, type, refs, 0);
}
BACKING_API backing_addr backing_gc_calloc(backing *s, uint64_t size, uint32_t type,
                                           uint32_t refs) {
  if (BACKING__RESERVED(type)) return BACKING__FAIL(BACKING_EINVAL);
  return backing__gc_new(s, size, type, refs, 1);
}

/* The GC header of the live GC block at a, for a count to change: checked inline on the
   way there, fully (with the error) only if that fails. */
BACKING__INLINE int backing__gc_header(backing *s, backing_addr a, backing__gch **gp) {
  backing__loc L;
  int r;
  *gp = backing__gc_fast(s, a);
  if (BACKING__LIKELY(*gp != NULL)) {
    backing__last_err = 0;
    return 0;
  }
  if ((r = backing__enter(s)) != 0) return r;
  if ((r = backing__gc_locate(s, a, &L)) != 0) return r;
  if (s->ro) return BACKING_ERDONLY;
  *gp = backing__gch_at(L.ar, L.off);
  return 0;
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static uint32_t
backing__gc_ref_slow(backing *s, backing_addr a) {
  backing__gch *g;
  int r = backing__gc_header(s, a, &g);
  if (BACKING__UNLIKELY(r != 0)) return BACKING__FAIL(r);
  if (BACKING__UNLIKELY(BACKING__RESERVED(g->type))) return BACKING__FAIL(BACKING_ETYPE);
  for (;;) {
    int32_t c = backing__gc_load(g);
    if (c == BACKING__DYING) return BACKING__FAIL(BACKING_EFREED);
    if (c > 0) { /* the common case: one compare-and-swap, no lock */
      if (c == INT32_MAX) return BACKING__FAIL(BACKING_EINVAL);
      if (BACKING__ACAS(&g->count, &c, c + 1, 0, BACKING__ACQ_REL, BACKING__ACQUIRE))
        return (uint32_t)c + 1;
      continue;
    }
    { /* from 0: off the waiting list, under the arena's lock */
      uint32_t i = (uint32_t)((a - 16) >> s->shift);
      backing__arena *ar = backing__ar(s, i);
      if ((r = backing__lock_arena(s, ar, i)) != 0) return BACKING__FAIL(r);
      c = backing__gc_load(g);
      if (c <= 0 && c != BACKING__DYING) {
        backing__wait_remove(s, ar, g);
        BACKING__ASTORE(&g->count, 1, BACKING__RELEASE);
        backing__unlock(&ar->lock);
        return 1;
      }
      backing__unlock(&ar->lock);
    }
  }
}

BACKING__INLINE uint32_t backing__gc_unref(backing *s, backing_addr a, int own) {
  backing__gch *g;
  int r = backing__gc_header(s, a, &g);
  if (BACKING__UNLIKELY(r != 0)) return BACKING__FAIL(r);
  if (BACKING__UNLIKELY(!own && BACKING__RESERVED(g->type))) return BACKING__FAIL(BACKING_ETYPE);
  for (;;) {
    int32_t c = backing__gc_load(g);
    if (c <= 0) return 0; /* 0 stays 0 */
    if (c > 1) {
      if (BACKING__ACAS(&g->count, &c, c - 1, 0, BACKING__ACQ_REL, BACKING__ACQUIRE))
        return (uint32_t)c - 1;
      continue;
    }
    { /* to 0: onto the waiting list, age 0, under the arena's lock */
      uint32_t i = (uint32_t)((a - 16) >> s->shift);
      backing__arena *ar = backing__ar(s, i);
      if ((r = backing__lock_arena(s, ar, i)) != 0) return BACKING__FAIL(r);
      if (BACKING__ACAS(&g->count, &c, 0, 0, BACKING__ACQ_REL, BACKING__ACQUIRE)) {
        BACKING__CRASH(BACKING__CP_GC_AT_ZERO);
        backing__wait_push(s, ar, (uint32_t)((a - 16) & s->mask), g);
        backing__unlock(&ar->lock);
        return 0;
      }
      backing__unlock(&ar->lock);
    }
  }
}

/* gc_ref and gc_unref: the same checks as backing__gc_header, then one compare-and-swap
   on a count that stays above 0, with nothing called but in tail position (no stack
   frame); every other case (a count at 0 or about to be, an error, a contended count)
   goes to the full path from the start. */
BACKING_API uint32_t backing_gc_ref(backing *s, backing_addr a) {
  backing__gch *g = backing__gc_fast(s, a);
  if (BACKING__LIKELY(g != NULL) && BACKING__LIKELY(!BACKING__RESERVED(g->type))) {
    int32_t c = backing__gc_load(g);
    if (BACKING__LIKELY(c > 0 && c != INT32_MAX) &&
        BACKING__ACAS(&g->count, &c, c + 1, 0, BACKING__ACQ_REL, BACKING__ACQUIRE)) {
      backing__last_err = 0;
      return (uint32_t)c + 1;
    }
  }
  return backing__gc_ref_slow(s, a);
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static uint32_t
backing__gc_unref_slow(backing *s, backing_addr a) {
  return backing__gc_unref(s, a, 0);
}

BACKING_API uint32_t backing_gc_unref(backing *s, backing_addr a) {
  backing__gch *g = backing__gc_fast(s, a);
  if (BACKING__LIKELY(g != NULL) && BACKING__LIKELY(!BACKING__RESERVED(g->type))) {
    int32_t c = backing__gc_load(g);
    if (BACKING__LIKELY(c > 1) &&
        BACKING__ACAS(&g->count, &c, c - 1, 0, BACKING__ACQ_REL, BACKING__ACQUIRE)) {
      backing__last_err = 0;
      return (uint32_t)c - 1;
    }
  }
  return backing__gc_unref_slow(s, a);
}

/* Run the destructor of the dying block at arena offset o, then free it. */
static uint64_t backing__gc_reap(backing *s, uint32_t i, uint32_t o) {
  backing_addr a = ((uint64_t)i << s->shift) + o;
  backing__gch *g = backing__gch_at(backing__ar(s, i), o);
  struct backing__dtor d;
  backing__arena *ar = backing__ar(s, i);
  backing__loc L;
  uint64_t freed = 0;
  if (backing__dtor_of(s, g->type, &d)) { /* no lock held: it may ref, unref, alloc, free */
    backing__held++;                      /* but not close the handle */
    d.fn(s, a + 16, d.ctx);
    backing__held--;
  }
  BACKING__CRASH(BACKING__CP_GC_DESTRUCTED);
  if (backing__lock_arena(s, ar, i) != 0) return 0;
  if (backing__locate(s, a, &L) == 0) freed = backing__free_loc(s, &L);
  backing__unlock(&ar->lock);
  return freed;
}

/* Phase one of a cycle for arena i: age every waiting block by one; those at the lifetime
   leave the list for the arena's doomed chain. No user code runs here, so the list cannot
   change under the walk. */
static void backing__gc_age(backing *s, uint32_t i) {
  backing__arena *ar = backing__ar(s, i);
  uint32_t life = s->lifetime ? s->lifetime : 1, o, n, guard;
  if (backing__lock_arena(s, ar, i) != 0) return;
  guard = ar->gc_count;
  for (o = ar->gc_head, n = 0; o && n <= guard; n++) {
    backing__gch *g;
    if (!backing__off_ok(s, o)) {
      backing__damaged(s, ar, o, "I11 waiting list link");
      break;
    }
    g = backing__gch_at(ar, o);
    int32_t c = backing__gc_load(g);
    uint32_t next = g->next;
    uint32_t age = c < 0 && c != BACKING__DYING ? (uint32_t)(-(int64_t)c) + 1 : 1;
    if (age > (uint32_t)INT32_MAX) age = (uint32_t)INT32_MAX; /* saturates: no overflow */
    if (age >= life) {
      backing__wait_remove(s, ar, g);
      BACKING__CRASH(BACKING__CP_GC_UNLISTED);
      BACKING__ASTORE(&g->count, BACKING__DYING, BACKING__RELEASE);
      g->next = ar->gc_doomed;
      ar->gc_doomed = o;
      BACKING__CRASH(BACKING__CP_GC_DOOMED);
    } else {
      BACKING__ASTORE(&g->count, -(int32_t)age, BACKING__RELEASE);
    }
    o = next;
  }
  backing__unlock(&ar->lock);
}

/* Phase two: free the doomed blocks of arena i, one at a time (re-entrant: a destructor
   may run a cycle of its own). */
static uint64_t backing__gc_reap_all(backing *s, uint32_t i) {
  backing__arena *ar = backing__ar(s, i);
  uint64_t freed = 0;
  for (;;) {
    uint32_t o;
    backing__loc L;
    if (backing__lock_arena(s, ar, i) != 0) break;
    o = ar->gc_doomed;
    if (o && (backing__locate(s, ((uint64_t)i << s->shift) + o, &L) != 0 || !L.kind || L.off != o ||
              backing__gc_load(backing__gch_at(ar, o)) != BACKING__DYING)) {
      backing__damaged(s, ar, o, "I11 doomed chain holds a block that is not due"); /* free none */
      ar->gc_doomed = o = 0;
    }
    if (o) ar->gc_doomed = backing__gch_at(ar, o)->next;
    backing__unlock(&ar->lock);
    if (!o) break;
    freed += backing__gc_reap(s, i, o);
  }
  return freed;
}

BACKING_API uint64_t backing_gc_cycle(backing *s) {
  uint32_t i, n;
  uint64_t freed = 0;
  BACKING__ENTER_VAL(s);
  if (s->ro) return BACKING__FAIL(BACKING_ERDONLY);
  n = BACKING__LD(s->count);
  for (i = 0; i < n; i++) /* age everything first: destructors' unrefs wait for the next */
    if ((i < BACKING__LD(s->valid) || backing__arena_ready(s, i) == 0) && !backing__inner(s, i))
      backing__gc_age(s, i);
  for (i = 0; i < n; i++)
    if (i < BACKING__LD(s->valid) && !backing__inner(s, i)) freed += backing__gc_reap_all(s, i);
  return freed;
}

BACKING_API uint64_t backing_gc_step(backing *s) {
  uint32_t i;
  BACKING__ENTER_VAL(s);
  if (s->ro) return BACKING__FAIL(BACKING_ERDONLY);
  {
    uint32_t n = BACKING__LD(s->count), turn = BACKING__AADD(&s->gc_turn, 1, BACKING__RELAXED);
    uint32_t tries;
    for (tries = 0;; tries++) { /* round robin, also when threads step at once; a span's */
      i = turn % n;             /* inner arenas pass their turn on (its head has the GC) */
      if (i >= BACKING__LD(s->valid) && backing__arena_ready(s, i) != 0) return 0;
      if (!backing__inner(s, i) || tries >= n) break;
      turn = BACKING__AADD(&s->gc_turn, 1, BACKING__RELAXED);
    }
    if (backing__inner(s, i)) return backing__err(0);
  }
  backing__gc_age(s, i);
  return backing__gc_reap_all(s, i);
}

/* gc_free; `own` 1 lets the library free its containers' blocks, which users may not. */
static uint64_t backing__gc_free(backing *s, backing_addr a, int own) {
  struct backing__dtor d;
  backing__loc L;
  backing__gch *g;
  int32_t c;
  uint32_t i;
  int r;
  BACKING__ENTER_VAL(s);
  if (s->ro) return BACKING__FAIL(BACKING_ERDONLY);
  if (a < 16 || (a & 15)) return BACKING__FAIL(BACKING_EBADADDR);
  i = (uint32_t)((a - 16) >> s->shift);
  if ((r = backing__lock_addr(s, a - 16, &L.ar, 1)) != 0) return BACKING__FAIL(r);
  r = backing__gc_locate_held(s, a, &L); /* under the lock: nothing moves while we look */
  if (r) {
    backing__unlock(&backing__ar(s, i)->lock);
    return BACKING__FAIL(r);
  }
  g = backing__gch_at(L.ar, L.off);
  c = backing__gc_load(g);
  if (!own && BACKING__RESERVED(g->type)) { /* a container: its _free does this */
    backing__unlock(&L.ar->lock);
    return BACKING__FAIL(BACKING_ETYPE);
  }
  if (c > 0 || c == BACKING__DYING) {
    backing__unlock(&L.ar->lock);
    return BACKING__FAIL(c > 0 ? BACKING_EREFERENCED : BACKING_EFREED);
  }
  backing__wait_remove(s, L.ar, g);
  if (!backing__dtor_of(s, g->type, &d)) { /* no destructor to run: free it under this lock */
    uint64_t freed = backing__free_loc(s, &L);
    backing__unlock(&L.ar->lock);
    return freed;
  }
  BACKING__ASTORE(&g->count, BACKING__DYING, BACKING__RELEASE);
  backing__unlock(&L.ar->lock);
  return backing__gc_reap(s, i, (uint32_t)L.off);
}

/* gc_free's fast path: a GC slot at count <= 0 (waiting), with no destructor registered
   in this process: off the waiting list and freed under one lock, the same stores in the
   same order as backing__gc_free. Every other case (and every error) goes there. */
BACKING_API uint64_t backing_gc_free(backing *s, backing_addr a) {
  uint64_t b = a - 16;
  if (BACKING__LIKELY(s != NULL && !BACKING__GET(s->slow) && a >= 16 && !(a & 15) &&
                      b < BACKING__LD(s->valid_limit) && !backing__inner(s, b >> s->shift))) {
    backing__arena *ar = backing__ar(s, (uint32_t)(b >> s->shift));
    uint64_t off = b & s->mask;
    backing__slab *sl = backing__slab_at(ar, off);
    uint32_t x = (uint32_t)off & ~(BACKING__SLAB - 1), idx;
    if (sl->magic == BACKING__SLAB_MAGIC && BACKING__LIKELY(backing__trylock_fast(s, &ar->lock))) {
      if (BACKING__LIKELY(!ar->quarantined) && sl->kind &&
          backing__slot_in(sl, x, off, &idx) == 0) {
        backing__gch *g = backing__gch_at(ar, off);
        int32_t c = backing__gc_load(g);
        if (!BACKING__RESERVED(g->type) && c <= 0 && c != BACKING__DYING &&
            !BACKING__ALOAD(&s->ndtors, BACKING__ACQUIRE)) {
          unsigned cls = sl->cls;
          backing__wait_remove(s, ar, g);
          if (backing__slot_unlink(s, ar, sl, idx, off))
            return backing__free_edge(s, ar, sl, x, cls);
          backing__unlock(&ar->lock);
          backing__last_err = 0;
          return backing__slot_size[cls];
        }
      }
      backing__unlock(&ar->lock);
    }
  }
  return backing__gc_free(s, a, 0);
}

BACKING_API uint32_t backing_gc_refcount(backing *s, backing_addr a) {
  backing__loc L;
  int32_t c;
  int r = backing__gc_locate(s, a, &L);
  if (r) return BACKING__FAIL(r);
  c = backing__gc_load(backing__gch_at(L.ar, L.off));
  return c > 0 ? (uint32_t)c : 0;
}

BACKING_API uint32_t backing_gc_age(backing *s, backing_addr a) {
  backing__loc L;
  int32_t c;
  int r = backing__gc_locate(s, a, &L);
  if (r) return BACKING__FAIL(r);
  c = backing__gc_load(backing__gch_at(L.ar, L.off));
  return c <= 0 && c != BACKING__DYING ? (uint32_t)(-(int64_t)c) : 0;
}

BACKING_API uint32_t backing_gc_type(backing *s, backing_addr a) {
  backing__loc L;
  int r = backing__gc_locate(s, a, &L);
  if (r) return BACKING__FAIL(r);
  return backing__gch_at(L.ar, L.off)->type;
}

BACKING_API uint64_t backing_gc_sizeof(backing *s, backing_addr a) {
  backing__loc L;
  int r = backing__gc_locate(s, a, &L);
  if (r) return BACKING__FAIL(r);
  return L.usable - 16;
}

BACKING_API int backing_gc_on_free(backing *s, uint32_t type,
                                   void (*fn)(backing *s, backing_addr a, void *ctx), void *ctx) {
  struct backing__dtor *d;
  int r = 0;
  BACKING__ENTER_INT(s);
  if (BACKING__RESERVED(type)) return backing__err(BACKING_EINVAL);
  backing__spin_lock(&s->dtor_lock); /* a cycle on another thread may be reading the table */
  d = backing__dtor_slot(s, type);
  if (!fn) {
    if (d) {
      *d = s->dtors[s->ndtors - 1];
      BACKING__ASTORE(&s->ndtors, s->ndtors - 1, BACKING__RELEASE);
    }
  } else {
    if (!d && s->ndtors == s->dtor_cap) {
      uint32_t cap = s->dtor_cap ? 2 * s->dtor_cap : 8;
      struct backing__dtor *p =
          (struct backing__dtor *)BACKING_MALLOC(cap * sizeof *p, s->alloc_ctx);
      if (!p)
        r = BACKING_ENOMEM;
      else {
        if (s->dtors) {
          memcpy(p, s->dtors, s->ndtors * sizeof *p);
          BACKING_FREE(s->dtors, s->alloc_ctx);
        }
        s->dtors = p;
        s->dtor_cap = cap;
      }
    }
    if (!r && !d) {
      d = &s->dtors[s->ndtors];
      d->type = type;
      BACKING__ASTORE(&s->ndtors, s->ndtors + 1, BACKING__RELEASE);
    }
    if (!r) {
      d->fn = fn;
      d->ctx = ctx;
    }
  }
  backing__spin_unlock(&s->dtor_lock);
  return r ? backing__err(r) : 0;
}

BACKING_API int backing_gc_set_lifetime(backing *s, uint32_t lifetime) {
  BACKING__ENTER_INT(s);
  /* ages are kept in the count word, down to -INT32_MAX: a longer life never ends */
  s->lifetime = lifetime > (uint32_t)INT32_MAX ? (uint32_t)INT32_MAX : lifetime;
  return 0;
}

/* >>containers --------------------------------------------------------------------- */
/* Every container is GC blocks of the library's own types, at count 1 while in use. A
   block is found again from an address read from the store only after the address is
   checked (backing__obj), so a damaged or hostile container gives an error, not a crash. */

#define BACKING__T_STR (BACKING_TYPE_RESERVED + 1)
#define BACKING__T_VEC (BACKING_TYPE_RESERVED + 2)
#define BACKING__T_VSEG (BACKING_TYPE_RESERVED + 3)
#define BACKING__T_MAP (BACKING_TYPE_RESERVED + 4)
#define BACKING__T_DIR (BACKING_TYPE_RESERVED + 5)
#define BACKING__T_SEG (BACKING_TYPE_RESERVED + 6)
#define BACKING__T_ENT (BACKING_TYPE_RESERVED + 7)

/* The GC block of `type` at a, in use (or, with `retired`, also given back to the GC but
   not yet freed): its bytes, and its usable size in *n if n is not NULL. NULL with the
   error set (ETYPE: another kind; EFREED: given back; EBADADDR: no block there). */
static unsigned char *backing__obj_at(backing *s, backing_addr a, uint32_t type, uint64_t *n,
                                      int retired) {
  backing__gch *g = backing__gc_fast(s, a);
  backing__loc L;
  int32_t c;
  int r;
  if (g) {
    if (n) {
      uint64_t b = a - 16;
      L.usable = backing__usable_at(s, backing__ar(s, (uint32_t)(b >> s->shift)), b & s->mask);
    }
  } else {
    if ((r = backing__gc_locate(s, a, &L)) != 0) return backing__err(r), (unsigned char *)NULL;
    g = backing__gch_at(L.ar, L.off);
  }
  c = backing__gc_load(g);
  if (g->type != type) return backing__err(BACKING_ETYPE), (unsigned char *)NULL;
  if (c == BACKING__DYING || (c <= 0 && !retired))
    return backing__err(BACKING_EFREED), (unsigned char *)NULL;
  if (n) *n = L.usable - 16;
  backing__last_err = 0;
  return s->view.base + a;
}
static unsigned char *backing__obj(backing *s, backing_addr a, uint32_t type, uint64_t *n) {
  return backing__obj_at(s, a, type, n, 0);
}

/* A container block, new, at count 1. */
static backing_addr backing__obj_new(backing *s, uint64_t size, uint32_t type, int zero) {
  return backing__gc_new(s, size, type, 1, zero);
}
/* Give a block back now (strings, vectors: their owner says they are done). */
static void backing__obj_free(backing *s, backing_addr a) {
  backing__gc_unref(s, a, 1);
  backing__gc_free(s, a, 1);
}
/* Give a block back after `lifetime` GC cycles (what readers elsewhere may still hold). */
static void backing__obj_retire(backing *s, backing_addr a) {
  backing__gc_unref(s, a, 1);
}

/* ---- strings: {u64 len; bytes; NUL} */

BACKING_API backing_addr backing_str_new(backing *s, const void *bytes, uint64_t len) {
  backing_addr a;
  BACKING__ENTER_VAL(s);
  if (!bytes && len) return BACKING__FAIL(BACKING_EINVAL);
  if (len > backing__max_block(s) - 16 - 9) return BACKING__FAIL(BACKING_ETOOBIG);
  if ((a = backing__obj_new(s, len + 9, BACKING__T_STR, 0)) == 0) return 0;
  memcpy(s->view.base + a, &len, 8);
  if (len) memcpy(s->view.base + a + 8, bytes, (size_t)len);
  s->view.base[a + 8 + len] = 0;
  return a;
}

/* The string at a, its length in *len (checked against its block). */
static const char *backing__str(backing *s, backing_addr a, uint64_t *len) {
  uint64_t n, l;
  unsigned char *p = backing__obj(s, a, BACKING__T_STR, &n);
  if (!p) return NULL;
  memcpy(&l, p, 8);
  if (n < 9 || l > n - 9) return backing__err(BACKING_ECORRUPT), (const char *)NULL;
  *len = l;
  return (const char *)p + 8;
}

BACKING_API uint64_t backing_str_len(backing *s, backing_addr str) {
  uint64_t len = 0;
  return backing__str(s, str, &len) ? len : 0;
}
BACKING_API const char *backing_str_data(backing *s, backing_addr str) {
  uint64_t len;
  return backing__str(s, str, &len);
}
BACKING_API int backing_str_free(backing *s, backing_addr str) {
  uint64_t len;
  if (!backing__str(s, str, &len)) return backing_last_error();
  if (s->ro) return backing__err(BACKING_ERDONLY);
  backing__obj_free(s, str);
  return backing__err(0);
}

/* ---- vectors: a header block and segments. Segment 0 holds 2^lb elements, segment k
   (k >= 1) 2^(lb+k-1), doubling up to 2^lc (the most one block holds), then 2^lc each.
   An element never moves; push writes it, then publishes it with one store of len. */

#define BACKING__VSEGS 251
typedef struct backing__vech {
  uint64_t lock;
  uint64_t len;
  uint64_t elem;
  uint32_t lb, lc;
  uint64_t seg[BACKING__VSEGS];
} backing__vech;
BACKING__STATIC_ASSERT(sizeof(backing__vech) == 2040, vector_header_is_2040_bytes);

/* Segment and offset of element i. */
static void backing__vpos(const backing__vech *v, uint64_t i, unsigned *k, uint64_t *off) {
  uint64_t c = (uint64_t)1 << v->lc;
  if (i < ((uint64_t)1 << v->lb)) {
    *k = 0, *off = i;
  } else if (i < c) {
    unsigned t = backing__log2(i);
    *k = t - v->lb + 1, *off = i - ((uint64_t)1 << t);
  } else { /* (past the last segment: BACKING__VSEGS or more) */
    uint64_t q = i >> v->lc;
    *k = q < BACKING__VSEGS ? (unsigned)(v->lc - v->lb + q) : BACKING__VSEGS, *off = i & (c - 1);
  }
}
static uint64_t backing__vseg_len(const backing__vech *v, unsigned k) {
  return k == 0 ? (uint64_t)1 << v->lb
                : (uint64_t)1 << (v->lb + k - 1 < v->lc ? v->lb + k - 1 : v->lc);
}

/* The vector at a, with its fields checked (a damaged header is ECORRUPT). */
static backing__vech *backing__vec(backing *s, backing_addr a) {
  uint64_t n;
  backing__vech *v = (backing__vech *)(void *)backing__obj(s, a, BACKING__T_VEC, &n);
  if (!v) return NULL;
  if (n < sizeof *v || !v->elem || v->lb > v->lc || v->lc > 40 ||
      (v->elem << v->lc) >> v->lc != v->elem)
    return backing__err(BACKING_ECORRUPT), (backing__vech *)NULL;
  return v;
}

/* A pointer to element i (< len, not checked) or NULL if its segment is not there. */
static unsigned char *backing__vat(backing *s, backing__vech *v, uint64_t i) {
  unsigned k;
  uint64_t off, seg;
  backing__vpos(v, i, &k, &off);
  if (k >= BACKING__VSEGS) return NULL;
  seg = BACKING__ALOAD(&v->seg[k], BACKING__ACQUIRE);
  if (!seg || backing__span(s, seg, backing__vseg_len(v, k) * v->elem) != 0) return NULL;
  return s->view.base + seg + off * v->elem;
}

/* Make room for elements [0, n) (the caller holds the lock). */
static int backing__vgrow(backing *s, backing__vech *v, uint64_t n) {
  unsigned k, last;
  uint64_t off;
  if (!n) return 0;
  backing__vpos(v, n - 1, &last, &off);
  if (last >= BACKING__VSEGS) return BACKING_ETOOBIG;
  for (k = 0; k <= last; k++) {
    backing_addr seg;
    if (v->seg[k]) continue;
    seg = backing__obj_new(s, backing__vseg_len(v, k) * v->elem, BACKING__T_VSEG, 0);
    if (!seg) return backing_last_error();
    BACKING__ASTORE(&v->seg[k], seg, BACKING__RELEASE); /* publish */
  }
  return 0;
}

/* The vector's lock (a dead holder leaves nothing half done: len is published last). */
static int backing__vlock(backing *s, backing__vech *v) {
  int r;
  if (s->ro) return BACKING_ERDONLY;
  r = backing__lock(s, &v->lock);
  return r == BACKING__STOLEN ? 0 : r;
}

BACKING_API backing_addr backing_vec_new(backing *s, uint64_t elem_size, uint64_t cap) {
  backing_addr a;
  backing__vech *v;
  uint64_t most;
  unsigned lb = 2;
  BACKING__ENTER_VAL(s);
  if (!elem_size) return BACKING__FAIL(BACKING_EINVAL);
  if (elem_size > backing__max_block(s) - 16) return BACKING__FAIL(BACKING_ETOOBIG);
  most = (backing__max_block(s) - 16) / elem_size; /* elements in the largest segment */
  while (lb < 40 && ((uint64_t)1 << lb) < cap) lb++;
  if ((a = backing__obj_new(s, sizeof *v, BACKING__T_VEC, 1)) == 0) return 0;
  v = (backing__vech *)(void *)(s->view.base + a);
  v->elem = elem_size;
  v->lc = backing__log2(most);
  v->lb = lb < v->lc ? lb : v->lc;
  if (cap && backing__vgrow(s, v, cap < most ? cap : most) != 0) {
    int r = backing_last_error();
    backing__obj_free(s, a);
    return BACKING__FAIL(r ? r : BACKING_ENOSPACE);
  }
  return a;
}

BACKING_API int backing_vec_push(backing *s, backing_addr va, const void *elem) {
  backing__vech *v = backing__vec(s, va);
  uint64_t i;
  int r;
  if (!v) return backing_last_error();
  if (!elem) return backing__err(BACKING_EINVAL);
  if ((r = backing__vlock(s, v)) != 0) return backing__err(r);
  i = v->len;
  r = backing__vgrow(s, v, i + 1);
  if (!r) {
    unsigned char *p = backing__vat(s, v, i);
    if (!p)
      r = BACKING_ECORRUPT;
    else {
      memcpy(p, elem, (size_t)v->elem);
      BACKING__ASTORE(&v->len, i + 1, BACKING__RELEASE); /* publish */
    }
  }
  backing__unlock(&v->lock);
  return r ? backing__err(r) : backing__err(0);
}

BACKING_API int backing_vec_pop(backing *s, backing_addr va, void *out) {
  backing__vech *v = backing__vec(s, va);
  int r;
  if (!v) return backing_last_error();
  if ((r = backing__vlock(s, v)) != 0) return backing__err(r);
  if (!v->len)
    r = BACKING_ENOTFOUND;
  else {
    unsigned char *p = backing__vat(s, v, v->len - 1);
    if (!p)
      r = BACKING_ECORRUPT;
    else {
      if (out) memcpy(out, p, (size_t)v->elem);
      BACKING__ASTORE(&v->len, v->len - 1, BACKING__RELEASE);
    }
  }
  backing__unlock(&v->lock);
  return r ? backing__err(r) : 0;
}

BACKING_API void *backing_vec_at(backing *s, backing_addr va, uint64_t i) {
  backing__vech *v = backing__vec(s, va);
  unsigned char *p;
  if (!v) return NULL;
  if (i >= BACKING__ALOAD(&v->len, BACKING__ACQUIRE))
    return backing__err(BACKING_EINVAL), (void *)NULL;
  p = backing__vat(s, v, i);
  return p ? (void *)p : (backing__err(BACKING_ECORRUPT), (void *)NULL);
}

BACKING_API uint64_t backing_vec_len(backing *s, backing_addr va) {
  backing__vech *v = backing__vec(s, va);
  return v ? BACKING__ALOAD(&v->len, BACKING__ACQUIRE) : 0;
}

BACKING_API int backing_vec_resize(backing *s, backing_addr va, uint64_t len) {
  backing__vech *v = backing__vec(s, va);
  int r;
  if (!v) return backing_last_error();
  if ((r = backing__vlock(s, v)) != 0) return backing__err(r);
  if (len > v->len && (r = backing__vgrow(s, v, len)) == 0) {
    uint64_t i = v->len;
    while (i < len && !r) { /* zero the new ones, a segment's run at a time */
      unsigned k;
      uint64_t off, run;
      unsigned char *p = backing__vat(s, v, i);
      backing__vpos(v, i, &k, &off);
      run = backing__vseg_len(v, k) - off;
      if (run > len - i) run = len - i;
      if (!p)
        r = BACKING_ECORRUPT;
      else
        memset(p, 0, (size_t)(run * v->elem));
      i += run;
    }
  }
  if (!r) BACKING__ASTORE(&v->len, len, BACKING__RELEASE);
  backing__unlock(&v->lock);
  return r ? backing__err(r) : 0;
}

BACKING_API int backing_vec_free(backing *s, backing_addr va) {
  backing__vech *v = backing__vec(s, va);
  unsigned k;
  if (!v) return backing_last_error();
  if (s->ro) return backing__err(BACKING_ERDONLY);
  for (k = 0; k < BACKING__VSEGS; k++)
    if (v->seg[k]) backing__obj_free(s, v->seg[k]);
  backing__obj_free(s, va);
  return backing__err(0);
}

/* ---- the map: an extendible hash table.
   header   {magic, seed, lock, dir, spare, splits; stripe[64]}: dir is the directory's
            address; lock guards the directory; splits counts splits and rebuilds (segments
            moved); the stripes are the segments' lock words, one per cache line.
   dir      {depth; seg[2^depth]}: the segment of a hash is seg[hash >> (64 - depth)].
   segment  {busy, ver, depth, prefix, live, used, split[2]; slot[506]}: the keys whose
            hash starts with `prefix` (depth bits), by linear probing from (u32)hash * 506
            >> 32. A slot is 0 (empty), 1 (deleted) or tag << 48 | entry address; it changes
            by one 8-byte store, and a key never moves to another slot of its segment.
   entry    {klen, kind, inline value or bytes length} + key + NUL + value bytes + NUL.
   A segment that is 3/4 full splits in two (or, if mostly deleted slots, is rebuilt): the
   halves are built complete, recorded in split[] (the old segment is retired from then
   on and never changes again), then the directory entries that named it are pointed at
   them one by one, and the old one is given back, all under its stripe; a reader that
   finds the old one still finds every key it held. A writer that finds a retired segment
   still held (its splitter died) finishes the last two steps. What the map gives back
   (old entries, retired segments and directories) is unref'd: the GC frees it `lifetime`
   cycles later, which is what keeps views from get safe.
   A process stalled for longer than that may hold an address that was given back and
   reused as something else. So a writer locks nothing inside a segment: it takes the
   segment's stripe, a word of the map header (which lives as long as the map), and only
   then checks that the address is a segment in use and current; under the stripe it stays
   so. A writer marks a segment `busy` while it changes it: one that finds it busy (its
   writer died) counts it again from the slots. A get's miss counts only if neither its
   segment's `ver` nor `splits` moved meanwhile. */

#define BACKING__MAP_MAGIC 0x3150414d4b4342ull /* "BCKMAP1" */
#define BACKING__NSLOT 506u
#define BACKING__TOMB 1u
#define BACKING__ADDR_BITS 48
#define BACKING__ADDR(w) ((w) & (((uint64_t)1 << BACKING__ADDR_BITS) - 1))
/* A slot's tag: hash bits the directory does not use (it takes the top ones) and the
   probe does not either (the low 32), so a tag that matches is rarely another key's. */
#define BACKING__TAG(hash) ((hash) >> 32 & 0xffffu)

#define BACKING__MSTRIPES 64u
typedef struct backing__maph {
  uint64_t magic;
  uint64_t seed;
  uint64_t lock;
  uint64_t dir;
  uint64_t spare; /* (keys are counted per segment: exact after any crash) */
  uint64_t splits;
  uint64_t pad[2];
  struct {
    uint64_t w, pad[7];
  } stripe[BACKING__MSTRIPES]; /* the segments' locks: backing__mstripe */
} backing__maph;
BACKING__AT(backing__maph, magic, 0);
BACKING__AT(backing__maph, lock, 16);
BACKING__AT(backing__maph, dir, 24);
BACKING__AT(backing__maph, splits, 40);
BACKING__AT(backing__maph, stripe, 64);
BACKING__STATIC_ASSERT(sizeof(backing__maph) == 64 + 64 * BACKING__MSTRIPES, map_header_size);

typedef struct backing__seg {
  uint64_t busy; /* nonzero while a writer changes slots or counts */
  uint32_t ver;  /* bumped after every slot change: a reader that missed looks again */
  uint32_t depth;
  uint64_t prefix;
  uint32_t live, used;
  uint64_t split[2];
  uint64_t slot[BACKING__NSLOT];
} backing__seg;
BACKING__AT(backing__seg, busy, 0);
BACKING__AT(backing__seg, slot, 48);
BACKING__STATIC_ASSERT(sizeof(backing__seg) == 4096, segment_is_4096_bytes);

typedef struct backing__ent {
  uint32_t klen;
  uint32_t kind; /* BACKING_VALUE_* */
  uint64_t inl;  /* the value (I64, F64, ADDR), or the length of BYTES */
} backing__ent;
BACKING__STATIC_ASSERT(sizeof(backing__ent) == 16, entry_header_is_16_bytes);

/* A 64-bit hash of the key, keyed by the map's seed. */
static uint64_t backing__hash(uint64_t seed, const void *key, uint64_t n) {
  const unsigned char *p = (const unsigned char *)key;
  uint64_t h = seed ^ (n * 0x9E3779B97F4A7C15ull), w;
  for (; n >= 8; n -= 8, p += 8) {
    memcpy(&w, p, 8);
    h = (h ^ (w * 0xbf58476d1ce4e5b9ull));
    h = (h << 31 | h >> 33) * 0x94d049bb133111ebull;
  }
  if (n) {
    w = 0;
    memcpy(&w, p, (size_t)n);
    h = (h ^ (w * 0xbf58476d1ce4e5b9ull));
    h = (h << 31 | h >> 33) * 0x94d049bb133111ebull;
  }
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  return h ^ (h >> 32);
}

static backing__maph *backing__map(backing *s, backing_addr m) {
  backing__maph *h = (backing__maph *)(void *)backing__obj(s, m, BACKING__T_MAP, NULL);
  if (h && BACKING__ALOAD(&h->magic, BACKING__ACQUIRE) != BACKING__MAP_MAGIC)
    return backing__err(BACKING_ECORRUPT), (backing__maph *)NULL;
  return h;
}

/* A block address read from the map: inside the store, 16-aligned, n bytes readable. */
BACKING__INLINE void *backing__mref(backing *s, uint64_t a, uint64_t n) {
  if ((a & 15) || backing__span(s, a, n) != 0) return NULL;
  return s->view.base + a;
}

/* The directory (its depth in *g) and the segment address of hash h in it. */
BACKING__INLINE uint64_t *backing__mdir(backing *s, backing__maph *h, uint32_t *g) {
  uint64_t d = BACKING__ALOAD(&h->dir, BACKING__ACQUIRE), depth;
  uint64_t *p = (uint64_t *)backing__mref(s, d, 8);
  if (!p) return NULL;
  depth = BACKING__ALOAD(p, BACKING__ACQUIRE);
  if (depth > 40 || !backing__mref(s, d, 8 + (8ull << depth))) return NULL;
  *g = (uint32_t)depth;
  return p + 1;
}
static uint64_t backing__dir_index(uint64_t hash, uint32_t g) {
  return g ? hash >> (64 - g) : 0;
}

/* The segment at address a, if it is one that can hold hash (else NULL: a directory that
   moved under a reader, or damage). */
BACKING__INLINE backing__seg *backing__mseg(backing *s, uint64_t a, uint64_t hash) {
  backing__seg *g = (backing__seg *)backing__mref(s, a, sizeof(backing__seg));
  uint32_t d;
  if (!g) return NULL;
  d = BACKING__ALOAD(&g->depth, BACKING__ACQUIRE);
  if (d > 48 || (d && (hash >> (64 - d)) != g->prefix)) return NULL;
  return g;
}

/* The current segment for hash, from the one the directory names at *a: a retired one
   (split, its directory update unfinished) hands over to its half that holds hash. */
BACKING__INLINE backing__seg *backing__mcur(backing *s, uint64_t *a, uint64_t hash) {
  backing__seg *g = backing__mseg(s, *a, hash);
  uint32_t hops = 0;
  while (g && BACKING__UNLIKELY(BACKING__ALOAD(&g->split[0], BACKING__ACQUIRE) != 0)) {
    uint64_t b = BACKING__ALOAD(&g->split[1], BACKING__ACQUIRE);
    *a = b && (hash >> (63 - g->depth) & 1) ? b : g->split[0];
    g = ++hops < 64 ? backing__mseg(s, *a, hash) : NULL;
  }
  return g;
}

/* An entry as a reader sees it: its header copied once, so that every length used is
   the one checked (a reader may race the GC giving the block back and reusing it), and
   its key's bytes. */
typedef struct backing__entv {
  backing__ent h;
  const unsigned char *key;
} backing__entv;

/* The entry a slot word names, if it is one: 1 and *v, with its key and bytes inside the
   store. */
BACKING__INLINE int backing__ment(backing *s, uint64_t w, backing__entv *v) {
  uint64_t a = BACKING__ADDR(w);
  const backing__ent *e = (const backing__ent *)backing__mref(s, a, sizeof(backing__ent));
  if (!e) return 0;
  memcpy(&v->h, e, sizeof v->h);
  if (!backing__mref(s, a,
                     sizeof *e + (uint64_t)v->h.klen + 1 +
                         (v->h.kind == BACKING_VALUE_BYTES ? v->h.inl : 0)))
    return 0;
  v->key = (const unsigned char *)(e + 1);
  return 1;
}

static int backing__ent_is(const backing__entv *v, const void *key, uint64_t klen) {
  return v->h.klen == klen && memcmp(v->key, key, (size_t)klen) == 0;
}
/* An entry's hash: not stored (16 bytes more per key); the slot's tag filters lookups, and
   a split or a check computes it again from the key. */
static uint64_t backing__ent_hash(uint64_t seed, const backing__entv *v) {
  return backing__hash(seed, v->key, v->h.klen);
}

/* An entry's value, as get returns it. 0, or ECORRUPT. */
static int backing__ent_value(const backing__entv *v, backing_value *out) {
  memset(out, 0, sizeof *out);
  out->kind = v->h.kind;
  switch (v->h.kind) {
  case BACKING_VALUE_BYTES: /* (its length was checked by backing__ment) */
    out->data = v->key + v->h.klen + 1;
    out->len = v->h.inl;
    return 0;
  case BACKING_VALUE_I64:
    memcpy(&out->i64, &v->h.inl, 8);
    return 0;
  case BACKING_VALUE_F64:
    memcpy(&out->f64, &v->h.inl, 8);
    return 0;
  case BACKING_VALUE_ADDR:
    out->addr = v->h.inl;
    return 0;
  default:
    return BACKING_ECORRUPT;
  }
}

static uint32_t backing__home(uint64_t hash) {
  return (uint32_t)(((uint64_t)(uint32_t)hash * BACKING__NSLOT) >> 32);
}

/* Find key in segment g (locked, or read as a get does). Returns the slot
   index of the key, or -1; *free_at is the first empty or deleted slot on the way (or -1
   when the segment is full of other keys). */
static int backing__mfind(backing *s, backing__seg *g, uint64_t hash, const void *key,
                          uint64_t klen, int *free_at) {
  uint32_t j = backing__home(hash), n;
  uint64_t tag = BACKING__TAG(hash);
  *free_at = -1;
  for (n = 0; n < BACKING__NSLOT; n++, j = j + 1 == BACKING__NSLOT ? 0 : j + 1) {
    uint64_t w = BACKING__ALOAD(&g->slot[j], BACKING__ACQUIRE);
    if (w <= BACKING__TOMB) {
      if (*free_at < 0) *free_at = (int)j;
      if (!w) return -1;
      continue;
    }
    if (w >> BACKING__ADDR_BITS == tag) {
      backing__entv v;
      if (backing__ment(s, w, &v) && backing__ent_is(&v, key, klen)) return (int)j;
    }
  }
  return -1;
}

/* The lock word of the segment at address a: a stripe of the map header. */
BACKING__INLINE uint64_t *backing__mstripe(backing__maph *h, backing_addr a) {
  return &h->stripe[(a * 0x9E3779B97F4A7C15ull) >> 58].w;
}
BACKING__STATIC_ASSERT(BACKING__MSTRIPES == 64, stripe_index_takes_6_bits);

/* Take the stripe of the segment at a, then check that a is a segment in use that can hold
   hash (it stays so while the stripe is held: giving it back takes the stripe). 1 and *g
   (the stripe held); 0 (not held): not a segment in use, or the lock failed (*err). A
   segment a writer died changing is counted again from its slots. */
static int backing__mtake(backing *s, backing__maph *h, backing_addr a, uint64_t hash,
                          backing__seg **g, int *err) {
  uint64_t *lk = backing__mstripe(h, a);
  int r = backing__lock(s, lk);
  *err = 0;
  if (r != 0 && r != BACKING__STOLEN) return *err = r, 0;
  if (!backing__obj_at(s, a, BACKING__T_SEG, NULL, 0) || !(*g = backing__mseg(s, a, hash))) {
    backing__unlock(lk);
    return 0;
  }
  { /* this map's: its directory names a at hash's entry, or names there the retired
       segment a is a half of (stable while a's stripe is held) */
    uint32_t gd;
    uint64_t *dir = backing__mdir(s, h, &gd), o = 0;
    backing__seg *p;
    if (dir) o = BACKING__ALOAD(&dir[backing__dir_index(hash, gd)], BACKING__ACQUIRE);
    if (o != a && (!dir || !(p = backing__mseg(s, o, hash)) ||
                   (BACKING__ALOAD(&p->split[0], BACKING__ACQUIRE) != a &&
                    BACKING__ALOAD(&p->split[1], BACKING__ACQUIRE) != a))) {
      backing__unlock(lk);
      return 0;
    }
  }
  if (BACKING__ALOAD(&(*g)->busy, BACKING__ACQUIRE)) {
    uint32_t j, live = 0, used = 0;
    for (j = 0; j < BACKING__NSLOT; j++) {
      uint64_t w = (*g)->slot[j];
      live += w > BACKING__TOMB;
      used += w != 0;
    }
    (*g)->live = live;
    (*g)->used = used;
    BACKING__ASTORE(&(*g)->busy, 0, BACKING__RELEASE);
  }
  return 1;
}

/* Point every directory entry that names retired segment `old` at its successor (idempotent,
   under the map's lock). */
static int backing__mforward(backing *s, backing__maph *h, backing_addr old, backing__seg *g) {
  uint32_t gd, d = g->depth;
  uint64_t *dir, lo, hi, j;
  int r = backing__lock(s, &h->lock);
  if (r != 0 && r != BACKING__STOLEN) return r;
  dir = backing__mdir(s, h, &gd);
  if (dir && gd >= d) {
    lo = d ? g->prefix << (gd - d) : 0;
    hi = lo + ((uint64_t)1 << (gd - d));
    for (j = lo; j < hi; j++) {
      uint64_t to = g->split[1] && ((j >> (gd - d - 1)) & 1) ? g->split[1] : g->split[0];
      if (BACKING__ALOAD(&dir[j], BACKING__ACQUIRE) == old)
        BACKING__ASTORE(&dir[j], to, BACKING__RELEASE);
    }
  }
  backing__unlock(&h->lock);
  return dir ? 0 : BACKING_ECORRUPT;
}

/* A new segment of depth d holding the live slots of g whose hash bit (63 - bitd) is
   `bit` (bitd < 0: all of them). 0 if out of memory. */
static backing_addr backing__mseg_new(backing *s, uint64_t seed, const backing__seg *g, uint32_t d,
                                      uint64_t prefix, int bitd, unsigned bit) {
  backing_addr a = backing__obj_new(s, sizeof(backing__seg), BACKING__T_SEG, 1);
  backing__seg *n;
  uint32_t j;
  if (!a) return 0;
  n = (backing__seg *)(void *)(s->view.base + a);
  n->depth = d;
  n->prefix = prefix;
  for (j = 0; j < BACKING__NSLOT; j++) {
    uint64_t w = g->slot[j];
    backing__entv v;
    uint64_t hash;
    uint32_t k;
    if (w <= BACKING__TOMB || !backing__ment(s, w, &v)) continue;
    hash = backing__ent_hash(seed, &v);
    if (bitd >= 0 && ((hash >> (63 - bitd)) & 1) != bit) continue;
    for (k = backing__home(hash); n->slot[k]; k = k + 1 == BACKING__NSLOT ? 0 : k + 1) {
    }
    n->slot[k] = w;
    n->live++;
    n->used++;
  }
  return a;
}

/* Split (or rebuild) segment g at address ga, its stripe held; then let the stripe go. */
static int backing__msplit(backing *s, backing__maph *h, backing_addr ga, backing__seg *g) {
  int rebuild = g->live < BACKING__NSLOT / 2, r = 0;
  uint32_t d = g->depth;
  backing_addr a, b = 0;
  if (!rebuild && d >= 40) rebuild = 1; /* (1 << 40 segments: never in practice) */
  a = rebuild ? backing__mseg_new(s, h->seed, g, d, g->prefix, -1, 0)
              : backing__mseg_new(s, h->seed, g, d + 1, g->prefix << 1, (int)d, 0);
  if (a && !rebuild &&
      !(b = backing__mseg_new(s, h->seed, g, d + 1, g->prefix << 1 | 1, (int)d, 1))) {
    r = backing_last_error(); /* (the free below succeeds and clears it) */
    backing__obj_free(s, a);
    a = 0;
  } else
    r = a ? 0 : backing_last_error();
  if (!a) {
    backing__unlock(backing__mstripe(h, ga));
    return r ? r : BACKING_ENOSPACE;
  }
  if (!rebuild) { /* the directory must tell the halves apart */
    uint32_t gd = 0;
    uint64_t *dir;
    if ((r = backing__lock(s, &h->lock)) == BACKING__STOLEN) r = 0;
    dir = r ? NULL : backing__mdir(s, h, &gd);
    if (!r && !dir) r = BACKING_ECORRUPT;
    if (!r && gd == d) { /* double it: a new one, complete, published with one store */
      backing_addr na = backing__obj_new(s, 8 + (16ull << gd), BACKING__T_DIR, 0);
      uint64_t j, *nd, old = h->dir;
      if (!na)
        r = backing_last_error();
      else {
        nd = (uint64_t *)(void *)(s->view.base + na);
        for (j = 0; j < (2ull << gd); j++) nd[1 + j] = dir[j >> 1];
        nd[0] = gd + 1;
        BACKING__ASTORE(&h->dir, na, BACKING__RELEASE);
        backing__obj_retire(s, old);
      }
    }
    backing__unlock(&h->lock);
    if (r) {
      backing__obj_free(s, a);
      backing__obj_free(s, b);
      backing__unlock(backing__mstripe(h, ga));
      return r;
    }
  }
  g->split[1] = b;
  BACKING__AADD(&h->splits, 1, BACKING__ACQ_REL);     /* (readers: the segments moved) */
  BACKING__ASTORE(&g->split[0], a, BACKING__RELEASE); /* retired from here on */
  r = backing__mforward(s, h, ga, g);
  if (!r)
    backing__obj_retire(s, ga); /* (under the stripe: a writer that takes it next sees
                                   the segment given back, or its splitter dead) */
  backing__unlock(backing__mstripe(h, ga));
  return r;
}

BACKING_API backing_addr backing_map_new(backing *s, uint64_t expected_keys) {
  backing_addr m, d;
  backing__maph *h;
  uint32_t depth = 0;
  uint64_t j, *dir;
  BACKING__ENTER_VAL(s);
  while (depth < 20 && ((uint64_t)BACKING__NSLOT << depth) / 2 < expected_keys) depth++;
  if ((m = backing__obj_new(s, sizeof *h, BACKING__T_MAP, 1)) == 0) return 0;
  if ((d = backing__obj_new(s, 8 + (8ull << depth), BACKING__T_DIR, 0)) == 0) {
    int r = backing_last_error(); /* (the free below succeeds and clears it) */
    backing__obj_free(s, m);
    return BACKING__FAIL(r);
  }
  dir = (uint64_t *)(void *)(s->view.base + d);
  dir[0] = depth;
  for (j = 0; j < ((uint64_t)1 << depth); j++) {
    backing__seg *g;
    if ((dir[1 + j] = backing__obj_new(s, sizeof *g, BACKING__T_SEG, 1)) == 0) {
      int r = backing_last_error();
      while (j--) backing__obj_free(s, dir[1 + j]);
      backing__obj_free(s, d);
      backing__obj_free(s, m);
      return BACKING__FAIL(r);
    }
    g = (backing__seg *)(void *)(s->view.base + dir[1 + j]);
    memset(g, 0, sizeof *g);
    g->depth = depth;
    g->prefix = j;
  }
  h = (backing__maph *)(void *)(s->view.base + m);
  memset(h, 0, sizeof *h);
  h->dir = d;
#ifndef BACKING_NO_MMAP
  backing__os_random((uint8_t *)&h->seed, sizeof h->seed);
#else
  h->seed = backing__hash(s->salt, &m, sizeof m); /* no random source: the place will do */
#endif
  BACKING__ASTORE(&h->magic, BACKING__MAP_MAGIC, BACKING__RELEASE);
  return m;
}

/* A new entry for key and v. */
static backing_addr backing__ent_new(backing *s, const void *key, uint64_t klen,
                                     const backing_value *v) {
  uint64_t vlen = v->kind == BACKING_VALUE_BYTES ? v->len : 0, size;
  backing_addr a;
  backing__ent *e;
  size = sizeof *e + klen + 1 + (v->kind == BACKING_VALUE_BYTES ? vlen + 1 : 0);
  if (size > backing__max_block(s) - 16) return BACKING__FAIL(BACKING_ETOOBIG);
  if ((a = backing__obj_new(s, size, BACKING__T_ENT, 0)) == 0) return 0;
  e = (backing__ent *)(void *)(s->view.base + a);
  e->klen = (uint32_t)klen;
  e->kind = v->kind;
  e->inl = vlen;
  if (v->kind == BACKING_VALUE_I64) memcpy(&e->inl, &v->i64, 8);
  if (v->kind == BACKING_VALUE_F64) memcpy(&e->inl, &v->f64, 8);
  if (v->kind == BACKING_VALUE_ADDR) e->inl = v->addr;
  if (klen) memcpy(e + 1, key, (size_t)klen);
  ((unsigned char *)(e + 1))[klen] = 0;
  if (v->kind == BACKING_VALUE_BYTES) {
    unsigned char *p = (unsigned char *)(e + 1) + klen + 1;
    if (vlen) memcpy(p, v->data, (size_t)vlen);
    p[vlen] = 0;
  }
  return a;
}

/* The segment of hash, its stripe held, current (not retired, still in the directory). */
static backing__seg *backing__mlocked(backing *s, backing__maph *h, uint64_t hash, backing_addr *ga,
                                      int *err) {
  uint32_t tries;
  for (tries = 0;; tries++) {
    uint32_t gd;
    uint64_t sp = BACKING__ALOAD(&h->splits, BACKING__ACQUIRE);
    uint64_t *dir = backing__mdir(s, h, &gd), a = 0;
    backing__seg *g = NULL;
    int r;
    *err = 0;
    if (dir) a = BACKING__ALOAD(&dir[backing__dir_index(hash, gd)], BACKING__ACQUIRE);
    BACKING__CRASH(BACKING__CP_MAP_STALE);
    if (!dir || !backing__mtake(s, h, a, hash, &g, err)) {
      /* (a directory read as it was given back: again; one that keeps naming no segment in
         use is damaged) */
      if (dir && !*err && (tries < 1000 || BACKING__ALOAD(&h->splits, BACKING__ACQUIRE) != sp))
        continue;
      if (!*err) *err = BACKING_ECORRUPT;
      return NULL;
    }
    dir = backing__mdir(s, h, &gd); /* (mtake: it names a, or a's retired parent) */
    if (g->split[0] && dir &&
        BACKING__ALOAD(&dir[backing__dir_index(hash, gd)], BACKING__ACQUIRE) == a) {
      if ((r = backing__mforward(s, h, a, g)) == 0) backing__obj_retire(s, a);
      backing__unlock(backing__mstripe(h, a));
      if (r) {
        *err = r;
        return NULL;
      }
      continue;
    }
    if (dir && !g->split[0] &&
        BACKING__ALOAD(&dir[backing__dir_index(hash, gd)], BACKING__ACQUIRE) == a) {
      *ga = a;
      return g;
    }
    backing__unlock(backing__mstripe(h, a)); /* split meanwhile: again */
  }
}

BACKING_API int backing_map_put(backing *s, backing_addr m, const void *key, uint64_t klen,
                                const backing_value *v) {
  backing__maph *h = backing__map(s, m);
  uint64_t hash, w;
  backing_addr e, ga;
  int r;
  if (!h) return backing_last_error();
  if (s->ro) return backing__err(BACKING_ERDONLY);
  if ((!key && klen) || !v || v->kind < BACKING_VALUE_BYTES || v->kind > BACKING_VALUE_ADDR ||
      (v->kind == BACKING_VALUE_BYTES && !v->data && v->len))
    return backing__err(BACKING_EINVAL);
  if (klen > BACKING_MAP_KEY_MAX) return backing__err(BACKING_ETOOBIG);
  hash = backing__hash(h->seed, key, klen);
  if ((e = backing__ent_new(s, key, klen, v)) == 0) return backing_last_error();
  if (e >> BACKING__ADDR_BITS) { /* (a store past 256 TiB) */
    backing__obj_free(s, e);
    return backing__err(BACKING_ENOSPACE);
  }
  w = (uint64_t)BACKING__TAG(hash) << BACKING__ADDR_BITS | e;
  for (;;) {
    int at, free_at;
    backing__seg *g = backing__mlocked(s, h, hash, &ga, &r);
    uint64_t old = 0;
    if (!g) break;
    at = backing__mfind(s, g, hash, key, klen, &free_at);
    if (at < 0 &&
        (free_at < 0 || (g->slot[free_at] == 0 && (g->used + 1) * 4 > BACKING__NSLOT * 3))) {
      if ((r = backing__msplit(s, h, ga, g)) != 0) break; /* (it unlocked g) */
      continue;
    }
    BACKING__ASTORE(&g->busy, 1, BACKING__RELAXED);
    if (at >= 0) {
      old = g->slot[at];
      BACKING__CRASH(BACKING__CP_MAP_SLOT);
      BACKING__ASTORE(&g->slot[at], w, BACKING__RELEASE); /* publish */
      BACKING__ASTORE(&g->ver, g->ver + 1, BACKING__RELEASE);
    } else {
      if (!g->slot[free_at]) g->used++;
      BACKING__CRASH(BACKING__CP_MAP_SLOT);
      BACKING__ASTORE(&g->slot[free_at], w, BACKING__RELEASE); /* publish */
      BACKING__ASTORE(&g->ver, g->ver + 1, BACKING__RELEASE);
      g->live++;
    }
    BACKING__ASTORE(&g->busy, 0, BACKING__RELEASE);
    backing__unlock(backing__mstripe(h, ga));
    if (old) backing__obj_retire(s, BACKING__ADDR(old));
    return backing__err(0);
  }
  backing__obj_free(s, e);
  return backing__err(r);
}

BACKING_API int backing_map_del(backing *s, backing_addr m, const void *key, uint64_t klen) {
  backing__maph *h = backing__map(s, m);
  uint64_t hash, old;
  backing_addr ga;
  backing__seg *g;
  int at, free_at, r;
  if (!h) return backing_last_error();
  if (s->ro) return backing__err(BACKING_ERDONLY);
  if ((!key && klen)) return backing__err(BACKING_EINVAL);
  if (klen > BACKING_MAP_KEY_MAX) return backing__err(BACKING_ENOTFOUND);
  hash = backing__hash(h->seed, key, klen);
  if (!(g = backing__mlocked(s, h, hash, &ga, &r))) return backing__err(r);
  if ((at = backing__mfind(s, g, hash, key, klen, &free_at)) < 0) {
    backing__unlock(backing__mstripe(h, ga));
    return backing__err(BACKING_ENOTFOUND);
  }
  old = g->slot[at];
  BACKING__ASTORE(&g->busy, 1, BACKING__RELAXED);
  BACKING__CRASH(BACKING__CP_MAP_SLOT);
  BACKING__ASTORE(&g->slot[at], (uint64_t)BACKING__TOMB, BACKING__RELEASE); /* publish */
  BACKING__ASTORE(&g->ver, g->ver + 1, BACKING__RELEASE);
  g->live--;
  BACKING__ASTORE(&g->busy, 0, BACKING__RELEASE);
  backing__unlock(backing__mstripe(h, ga));
  backing__obj_retire(s, BACKING__ADDR(old));
  return backing__err(0);
}

/* A get needs no lock and no retry: a slot is one 8-byte word, the entry it names never
   changes (an overwrite publishes a new entry), and nothing it reads is freed until
   `lifetime` GC cycles after it was unlinked. So it never waits for a writer and never
   writes. */
BACKING_API int backing_map_get(backing *s, backing_addr m, const void *key, uint64_t klen,
                                backing_value *out) {
  backing__maph *h = backing__map(s, m);
  uint64_t hash;
  uint32_t tries;
  if (!h) return backing_last_error();
  if ((!key && klen) || !out) return backing__err(BACKING_EINVAL);
  if (klen > BACKING_MAP_KEY_MAX) return backing__err(BACKING_ENOTFOUND);
  hash = backing__hash(h->seed, key, klen);
  for (tries = 0; tries < 100; tries++) {
    uint32_t gd, ver;
    uint64_t sp = BACKING__ALOAD(&h->splits, BACKING__ACQUIRE);
    uint64_t *dir = backing__mdir(s, h, &gd), w, sa;
    backing__seg *g;
    backing__entv v;
    int at, free_at;
    if (!dir) break;
    sa = BACKING__ALOAD(&dir[backing__dir_index(hash, gd)], BACKING__ACQUIRE);
    g = backing__mcur(s, &sa, hash);
    if (!g) continue; /* the directory moved under us (or is damaged: then give up) */
    ver = BACKING__ALOAD(&g->ver, BACKING__ACQUIRE);
    if ((at = backing__mfind(s, g, hash, key, klen, &free_at)) < 0) {
      /* A miss counts only if nothing moved while we looked: a segment or an entry we
         read may have been given back and reused by then (a reader stalled for longer
         than the GC's grace), and then the key may well be there. */
      if (BACKING__ALOAD(&g->ver, BACKING__ACQUIRE) != ver ||
          BACKING__ALOAD(&h->splits, BACKING__ACQUIRE) != sp)
        continue;
      return backing__err(BACKING_ENOTFOUND);
    }
    w = BACKING__ALOAD(&g->slot[at], BACKING__ACQUIRE);
    if (w <= BACKING__TOMB || !backing__ment(s, w, &v) || !backing__ent_is(&v, key, klen))
      continue; /* deleted or overwritten just now: look again */
    return backing__err(backing__ent_value(&v, out));
  }
  return backing__err(BACKING_ECORRUPT);
}

BACKING_API int backing_map_next(backing *s, backing_addr m, backing_map_cursor *c,
                                 const void **key, uint64_t *klen, backing_value *out) {
  backing__maph *h = backing__map(s, m);
  uint32_t guard = 0, bad = 0;
  if (!h) return backing_last_error();
  if (!c || !key || !klen || !out) return backing__err(BACKING_EINVAL);
  while (guard++ < 100000) {
    backing__seg *g;
    uint32_t j;
    int fresh = c->state != 1;
    if (c->state == 2) return backing__err(0);
    if (c->state != 1) { /* the segment that holds hash c->pos now */
      uint32_t gd;
      uint64_t *dir = backing__mdir(s, h, &gd);
      if (!dir) return backing__err(BACKING_ECORRUPT);
      c->seg = BACKING__ALOAD(&dir[backing__dir_index(c->pos, gd)], BACKING__ACQUIRE);
      backing__mcur(s, &c->seg, c->pos);
      c->idx = 0;
      c->state = 1;
    }
    /* the segment visited is read to its end even if it splits meanwhile: it is a
       complete picture of its keys when it retired; if it has been freed since, start its
       range again from the directory */
    g = backing__mseg(s, c->seg, c->pos);
    if (!g || !backing__obj_at(s, c->seg, BACKING__T_SEG, NULL, 1)) {
      /* (a directory read just before it was given back and freed: read it again; one
         that keeps naming no segment is damaged) */
      if (fresh && ++bad > 100) return backing__err(BACKING_ECORRUPT);
      c->state = 0;
      continue;
    }
    for (j = c->idx; j < BACKING__NSLOT; j++) { /* keys never move within a segment */
      uint64_t w = BACKING__ALOAD(&g->slot[j], BACKING__ACQUIRE);
      backing__entv v;
      int r;
      if (w <= BACKING__TOMB || !backing__ment(s, w, &v)) continue;
      if (backing__ent_hash(h->seed, &v) < c->pos)
        continue; /* in a range visited already (a bigger segment found
                     where a split's directory update is unfinished) */
      r = backing__ent_value(&v, out);
      if (r && BACKING__ALOAD(&g->slot[j], BACKING__ACQUIRE) != w) continue; /* gone now */
      c->idx = j + 1;
      if (r) return backing__err(r);
      *key = v.key;
      *klen = v.h.klen;
      backing__last_err = 0;
      return 1;
    }
    { /* the end of this segment's range */
      uint32_t d = g->depth;
      uint64_t next = d ? (g->prefix + 1) << (64 - d) : 0;
      if (!next) {
        c->state = 2;
        return backing__err(0);
      }
      c->pos = next;
      c->state = 0;
    }
  }
  return backing__err(BACKING_EBUSY);
}

/* Visit every current segment of the map once: fn(s, g, ga, ctx); a nonzero return stops. */
typedef int (*backing__mseg_fn)(backing *s, backing__seg *g, backing_addr ga, void *ctx);
static int backing__mvisit(backing *s, backing__maph *h, backing__mseg_fn fn, void *ctx) {
  uint32_t gd;
  uint64_t *dir = backing__mdir(s, h, &gd), j, prev = 0;
  if (!dir) return BACKING_ECORRUPT;
  for (j = 0; j < ((uint64_t)1 << gd); j++) {
    uint64_t a = BACKING__ALOAD(&dir[j], BACKING__ACQUIRE);
    backing__seg *g;
    int r;
    if (!(g = backing__mcur(s, &a, gd ? j << (64 - gd) : 0))) return BACKING_ECORRUPT;
    if (a == prev)
      continue; /* a segment's entries are side by side (also when it is
                   reached through its retired parent) */
    prev = a;
    if ((r = fn(s, g, a, ctx)) != 0) return r;
  }
  return 0;
}

static int backing__mlen_fn(backing *s, backing__seg *g, backing_addr ga, void *ctx) {
  (void)s, (void)ga;
  if (BACKING__ALOAD(&g->busy, BACKING__ACQUIRE)) { /* a writer in it, or one that died */
    uint32_t j, live = 0;
    for (j = 0; j < BACKING__NSLOT; j++)
      live += BACKING__ALOAD(&g->slot[j], BACKING__RELAXED) > BACKING__TOMB;
    *(uint64_t *)ctx += live;
  } else {
    *(uint64_t *)ctx += BACKING__ALOAD(&g->live, BACKING__RELAXED);
  }
  return 0;
}

/* O(keys / 250): the keys are counted per segment, so the count is exact after any crash
   (a map-wide counter would need a second store in every put). */
BACKING_API uint64_t backing_map_len(backing *s, backing_addr m) {
  backing__maph *h = backing__map(s, m);
  uint64_t n = 0;
  uint32_t tries;
  int r;
  if (!h) return 0;
  for (tries = 0;; tries++) { /* a visit that raced a split is done again */
    uint64_t sp = BACKING__ALOAD(&h->splits, BACKING__ACQUIRE);
    n = 0;
    r = backing__mvisit(s, h, backing__mlen_fn, &n);
    if (tries >= 8 || BACKING__ALOAD(&h->splits, BACKING__ACQUIRE) == sp) break;
  }
  if (r) return BACKING__FAIL(r);
  backing__last_err = 0;
  return n;
}

typedef struct backing__mstat {
  backing_map_stats *st;
  uint64_t seed;
} backing__mstat;

static int backing__mstat_fn(backing *s, backing__seg *g, backing_addr ga, void *ctx) {
  backing_map_stats *st = ((backing__mstat *)ctx)->st;
  uint32_t j;
  (void)ga;
  st->segments++;
  st->slots += BACKING__NSLOT;
  st->bytes += sizeof *g + 16;
  for (j = 0; j < BACKING__NSLOT; j++) {
    uint64_t w = g->slot[j];
    backing__entv v;
    if (w == BACKING__TOMB) st->tombstones++;
    if (w <= BACKING__TOMB || !backing__ment(s, w, &v)) continue;
    st->bytes += backing__round16(sizeof v.h + v.h.klen + 1 +
                                  (v.h.kind == BACKING_VALUE_BYTES ? v.h.inl + 1 : 0)) +
                 16;
    {
      uint32_t home = backing__home(backing__ent_hash(((backing__mstat *)ctx)->seed, &v)),
               probe = (j + BACKING__NSLOT - home) % BACKING__NSLOT + 1;
      if (probe > st->max_probe) st->max_probe = probe;
    }
  }
  return 0;
}

BACKING_API int backing_map_stat(backing *s, backing_addr m, backing_map_stats *st) {
  backing__maph *h = backing__map(s, m);
  uint32_t gd;
  int r;
  if (!h) return backing_last_error();
  if (!st) return backing__err(BACKING_EINVAL);
  memset(st, 0, sizeof *st);
  if (!backing__mdir(s, h, &gd)) return backing__err(BACKING_ECORRUPT);
  st->depth = gd;
  st->bytes = sizeof *h + 16 + 8 + (8ull << gd) + 16;
  {
    backing__mstat ms;
    ms.st = st;
    ms.seed = h->seed;
    if ((r = backing__mvisit(s, h, backing__mstat_fn, &ms)) != 0) return backing__err(r);
  }
  backing__mvisit(s, h, backing__mlen_fn, &st->entries);
  st->load = st->slots ? (double)st->entries / (double)st->slots : 0.0;
  return backing__err(0);
}

/* check: every current segment is a live SEG block covering exactly its directory range,
   not retired, every slot empty, deleted or a live entry whose hash fits the segment and
   its tag, and its counts right (the keys are counted per segment: no total to match). */
typedef struct backing__mcheck {
  backing__maph *h;
  const char *why;
  uint64_t where;
} backing__mcheck;

/* One segment, locked (a read-write handle waits for a live writer and repairs after a
   dead one; a read-only one looks without a lock and leaves the counts alone). */
static int backing__mcheck_seg(backing *s, backing__seg *g, backing_addr ga, backing__mcheck *k) {
  uint32_t j, live = 0, used = 0, d = g->depth, gd;
  uint64_t lo, hi, x, *dir;
  int busy = s->ro; /* a read-only handle cannot stop writers: counts may move under it */
  k->where = ga;
  if (g->split[0]) return 0; /* retired since the directory was read: its halves are there */
  if (!(dir = backing__mdir(s, k->h, &gd)) || d > gd)
    return k->why = "M1 a directory entry is not a segment", BACKING_ECORRUPT;
  lo = d ? g->prefix << (gd - d) : 0;
  hi = lo + ((uint64_t)1 << (gd - d));
  for (x = lo; x < hi; x++) { /* its range names it, or the segment it was split from (a
                                 splitter that died before the directory was done) */
    uint64_t o = BACKING__ALOAD(&dir[x], BACKING__ACQUIRE);
    backing__seg *p = o == ga ? NULL : (backing__seg *)backing__mref(s, o, sizeof *p);
    if (o != ga && (!p || (p->split[0] != ga && p->split[1] != ga)))
      return k->why = "M1 a segment's directory range", BACKING_ECORRUPT;
  }
  for (j = 0; j < BACKING__NSLOT; j++) {
    uint64_t w = BACKING__ALOAD(&g->slot[j], BACKING__ACQUIRE);
    uint64_t ea = BACKING__ADDR(w);
    backing__entv v;
    used += w != 0;
    if (w <= BACKING__TOMB) continue;
    live++;
    if (!backing__ment(s, w, &v) || !backing__obj(s, ea, BACKING__T_ENT, NULL) ||
        w >> BACKING__ADDR_BITS != BACKING__TAG(backing__ent_hash(k->h->seed, &v)) ||
        (d && (backing__ent_hash(k->h->seed, &v) >> (64 - d)) != g->prefix)) {
      if (busy)
        continue; /* a read-only look cannot stop writers, nor the GC giving back
                     what they unlinked (the entry, or this segment, may be reused
                     by now): only a read-write check judges slots */
      return k->why = "M2 a slot names no entry of this segment", BACKING_ECORRUPT;
    }
  }
  if (!busy && (live != g->live || used != g->used)) {
    if (!s->repairing) return k->why = "M3 segment counts", BACKING_ECORRUPT;
    g->live = live, g->used = used; /* derived: a full repair puts them right */
  }
  return 0;
}

static int backing__mcheck_fn(backing *s, backing__seg *g, backing_addr ga, void *ctx) {
  backing__mcheck *k = (backing__mcheck *)ctx;
  uint32_t d = BACKING__ALOAD(&g->depth, BACKING__RELAXED);
  uint64_t hash = d && d <= 48 ? g->prefix << (64 - d) : 0; /* (checked again under the lock) */
  int r;
  if (s->ro) {
    if (!backing__obj_at(s, ga, BACKING__T_SEG, NULL, 1))
      return k->where = ga, k->why = "M1 a directory entry is not a segment", BACKING_ECORRUPT;
    return backing__mcheck_seg(s, g, ga, k);
  }
  if (!backing__mtake(s, k->h, ga, hash, &g, &r)) {
    if (r) return k->where = ga, k->why = "lock", r;
    if (backing__obj_at(s, ga, BACKING__T_SEG, NULL, 1)) { /* given back meanwhile? */
      uint32_t gd;
      uint64_t *dir = backing__mdir(s, k->h, &gd);
      if (!dir || BACKING__ALOAD(&dir[backing__dir_index(hash, gd)], BACKING__ACQUIRE) != ga)
        return 0; /* yes: the directory has moved on (map_check looks again) */
      return k->where = ga, k->why = "M1 the directory names a segment given back",
             BACKING_ECORRUPT;
    }
    return k->where = ga, k->why = "M1 a directory entry is not a segment", BACKING_ECORRUPT;
  }
  r = backing__mcheck_seg(s, g, ga, k);
  backing__unlock(backing__mstripe(k->h, ga));
  return r;
}

BACKING_API int backing_map_check(backing *s, backing_addr m) {
  backing__maph *h = backing__map(s, m);
  backing__mcheck k;
  uint32_t gd, tries;
  int r;
  if (!h) return backing_last_error();
  memset(&k, 0, sizeof k);
  if (!backing__mdir(s, h, &gd) ||
      !backing__obj(s, BACKING__ALOAD(&h->dir, BACKING__ACQUIRE), BACKING__T_DIR, NULL)) {
    snprintf(s->detail, sizeof s->detail, "map %llu: directory", (unsigned long long)m);
    return backing__err(BACKING_ECORRUPT);
  }
  k.h = h;
  for (tries = 0;; tries++) { /* a segment split while we looked may be reused by now */
    uint64_t sp = BACKING__ALOAD(&h->splits, BACKING__ACQUIRE);
    r = backing__mvisit(s, h, backing__mcheck_fn, &k);
    if (!r || tries >= 8 || BACKING__ALOAD(&h->splits, BACKING__ACQUIRE) == sp) break;
  }
  if (r) {
    snprintf(s->detail, sizeof s->detail, "map %llu at %llu: %s", (unsigned long long)m,
             (unsigned long long)k.where, k.why ? k.why : "segment");
    return backing__err(r);
  }
  return backing__err(0);
}

static int backing__mfree_fn(backing *s, backing__seg *g, backing_addr ga, void *ctx) {
  uint32_t j;
  (void)ctx;
  for (j = 0; j < BACKING__NSLOT; j++)
    if (g->slot[j] > BACKING__TOMB) backing__obj_retire(s, BACKING__ADDR(g->slot[j]));
  backing__obj_retire(s, ga);
  return 0;
}

BACKING_API int backing_map_free(backing *s, backing_addr m) {
  backing__maph *h = backing__map(s, m);
  int r;
  if (!h) return backing_last_error();
  if (s->ro) return backing__err(BACKING_ERDONLY);
  if ((r = backing__lock(s, &h->lock)) != 0 && r != BACKING__STOLEN) return backing__err(r);
  r = backing__mvisit(s, h, backing__mfree_fn, NULL);
  backing__obj_retire(s, h->dir);
  BACKING__ASTORE(&h->magic, 0, BACKING__RELEASE);
  backing__unlock(&h->lock);
  backing__obj_retire(s, m);
  return r ? backing__err(r) : backing__err(0);
}

/* Every root names an arena the store has (anyone's) and holds a terminated name. */
static int backing__check_roots(backing *s, backing__store *st) {
  int k;
  for (k = 0; k < BACKING_ROOT_MAX; k++) {
    backing__root *rt = &st->roots[k];
    uint64_t a = BACKING__ALOAD(&rt->addr, BACKING__ACQUIRE);
    if (a && (a >> s->shift >= BACKING__LD(st->arena_count) ||
              memchr(rt->name, 0, sizeof rt->name) == NULL || !rt->name[0]))
      return backing__corrupt(s, 0, s->hdr_size, "S2 root table entry");
  }
  return 0;
}

/* Does root address a name a map? Looked up under its arena's lock, and as a plain block
   first, so that no byte of a block's user data is read (other threads may be writing). */
static int backing__names_map(backing *s, backing_addr a) {
  backing__arena *ar;
  backing__loc L;
  int is = 0;
  if (a < 32 || (a & 15) || backing__lock_addr(s, a - 16, &ar, 0) != 0) return 0;
  /* A map's address is 16 bytes into its block, never a block's start: a freed block's
     start (EFREED) is not one, and looking 16 bytes lower would read the end of the block
     before it, which its owner may be writing. */
  if (backing__locate(s, a, &L) == BACKING_EBADADDR && backing__locate(s, a - 16, &L) == 0 &&
      L.kind)
    is = backing__gch_at(L.ar, L.off)->type == BACKING__T_MAP;
  backing__runlock(s, ar);
  return is;
}

/* >>invariants --------------------------------------------------------------------- */
/* What holds in every arena between two operations, each named once. backing_check
   (>>check) tests all of them and reports a failure by name and place ("I8 arena 2 offset
   4096: free block in the wrong list"); the allocator trusts the derived ones and checks
   each offset it follows (backing__off_ok), quarantining the arena on a mismatch.

   Truth (written last by every change; what recovery reads):
     I0   the identity header is this store's: magic, format, endian and ABI marks,
          arena size, store id, index, data start, checksum
     I1   blocks tile [data start, top) exactly: each size (a multiple of 16, at least 32)
          leads to the next header, the last ends at top, top <= the arena size
     I2   every block header's check word is the hash of its offset, size and flags
     I3   a slab is a 32 KiB block whose data is 32 KiB-aligned, and the slab table
          entry of its page (and no other page's) carries the slab magic
     I4   a slab's in-use bitmap has `used` bits set, none at or past `bump`
     I5   a GC block's count is > 0 (references) or <= 0 (minus its age while waiting)
   Derived (rebuilt from the truth when a dead owner's lock is taken: backing__rebuild):
     I6   PREV_FREE is set exactly when the previous block is free, and then the header's
          prev holds that block's size (its boundary tag)
     I7   no two free blocks are neighbours, and the last block before top is not free
     I8   every free block is on exactly the TLSF list of its size, once; the lists are
          doubly linked; the bitmaps mark exactly the nonempty lists
     I9   a slab's free-slot list holds exactly its free slots below bump, once each
     I10  the partial list of each class holds exactly its slabs with a free slot, doubly
          linked, its tail last
     I11  the waiting list holds exactly the GC blocks at count <= 0 that no cycle is
          freeing, doubly linked; the doomed chain holds only blocks being freed
   Spans:
     I13  a span's head is not arena 0 and holds one block or none; its span ends inside
          the store unless the store's `growing` names it (a growth in place under way, or
          dead: the next holder of the store lock trims it); its inner arenas are no
          arenas (skipped by every walk, EBADADDR to every lookup)
   Locks:
     I12  an arena's lock word is 0 or names a live owner; a word naming a dead one means
          I6-I11 may be broken, and whoever takes the lock rebuilds them before any use;
          a quarantined arena (its truth broken) is never allocated from
   Store (arena 0):
     S1   the arena count is at least 1 and every counted arena is in the file
     S2   every root is a NUL-terminated name with the address of a live block
     S3   the roots' sequence count is even, except while a root's name is written; a
          lock taken from a dead owner makes it even again
   Maps (backing_map_check, for every map a root names):
     M1   every directory entry names a segment in use covering exactly its range, or a
          retired one (split[] recorded) whose halves do
     M2   every slot is empty, deleted, or a live entry whose hash fits its segment's
          prefix and the slot's tag
     M3   a segment's counts match its slots unless it is busy (its writer died); whoever
          takes its stripe next counts them again (derived)
   BACKING_DEBUG builds assert I1 and I2 for each block the allocator hands out or takes
   back (backing__debug_block). */

/* >>recovery ----------------------------------------------------------------------- */
/* What is true in an arena is: each block's size and flags (one 4-byte word, written
   last when a block is split or merged), the top, each slab's in-use bitmap and each GC
   block's count. Everything else (free lists, their bitmaps, slab free-slot lists and
   partial lists, the waiting lists, boundary tags) is derived, and is rebuilt from the
   truth when a lock is taken from a dead owner. Every change the allocator makes keeps
   the truth walkable at every instant, so the only thing a death can lose is the block
   that was being allocated or freed. If even the truth does not hold together, the arena
   is quarantined: never allocated from again, reported by backing_check. */

/* Rebuild slab x's free-slot list and count from its bitmap. Returns its live slots, or
   -1 if its table entry is not a slab's (a slab made or emptied when its owner died). */
static int backing__rebuild_slab(backing *s, backing__arena *ar, uint32_t x, uint64_t marker) {
  backing__slab *sl = backing__slab_at(ar, x);
  uint32_t idx, used = 0, csize;
  if (sl->magic != BACKING__SLAB_MAGIC || sl->cls >= BACKING__NLIST ||
      !!sl->kind != (sl->cls >= BACKING__NCLASS) ||
      sl->nslots != (BACKING__SLAB - BACKING__HDR) / backing__slot_size[sl->cls])
    return -1;
  csize = backing__slot_size[sl->cls];
  if (sl->bump > sl->nslots) sl->bump = sl->nslots;
  for (idx = sl->bump; idx < 32u * 64u; idx++) sl->bits[idx >> 6] &= ~((uint64_t)1 << (idx & 63));
  sl->free = 0;
  for (idx = sl->bump; idx-- > 0;) {
    uint32_t slot = x + idx * csize;
    if (sl->bits[idx >> 6] >> (idx & 63) & 1) {
      used++;
      if (sl->kind) { /* a GC block at 0 waits (one being freed is its reaper's) */
        backing__gch *g = backing__gch_at(ar, slot);
        int32_t c = backing__gc_load(g);
        if (c <= 0 && c != BACKING__DYING) backing__wait_push(s, ar, slot, g);
      }
    } else {
      *backing__u32(ar, slot) = sl->free;
      sl->free = slot;
    }
  }
  sl->used = (uint16_t)used;
  sl->seen = marker;
  (void)s;
  return (int)used;
}

/* Walk arena i's truth. With `repair`, rebuild everything derived from it (the caller
   holds the arena's lock) and quarantine the arena if the truth does not hold together;
   without, only say whether it does (ECORRUPT, detail set), writing nothing. */
static int backing__rebuild(backing *s, uint32_t i, int repair) {
  backing__arena *ar = backing__ar(s, i);
  uint64_t arena_size = (uint64_t)1 << s->shift, off = backing__data_start(s, i), top = ar->top;
  uint64_t run = 0, run_size = 0, marker = s->lock_id ^ (uint64_t)(uintptr_t)&top, p;
  int in_run = 0;
  const char *why = NULL;
  if (backing__validate_arena(s, i) != 0) {
    if (repair) ar->quarantined = 1;
    return BACKING_ECORRUPT;
  }
  if (repair) {
    ar->fl_map = 0;
    memset(ar->sl_map, 0, sizeof ar->sl_map);
    memset(ar->heads, 0, sizeof ar->heads);
    memset(ar->partial, 0, sizeof ar->partial);
    memset(ar->partial_tail, 0, sizeof ar->partial_tail);
    ar->gc_head = ar->gc_tail = ar->gc_count = 0; /* the doomed chain is kept: see below */
    BACKING__CRASH(BACKING__CP_REBUILD_CLEARED);
  }
  while (off < top) { /* each step advances >= 32 bytes */
    backing__blk *h = backing__hdr(ar, off);
    uint32_t word = BACKING__GET(h->size), size = word & ~BACKING__FLAGS;
    int is_free = !(word & BACKING__USED);
    if (size < BACKING__MIN_BLOCK || size > arena_size - off) {
      why = "I1 block chain broken";
      break;
    }
    if (off + size > top) { /* a last block grown at the top before the top moved */
      if (is_free || h->check != backing__check_of(s, off, word)) {
        why = "I1 block runs past top";
        break;
      }
      top = off + size;
    }
    if (!is_free && (word & BACKING__SLABBLK) &&
        (size != BACKING__SLAB || ((off + BACKING__HDR) & (BACKING__SLAB - 1)))) {
      why = "I3 slab block size or alignment";
      break;
    }
    if (repair) {
      if (!is_free && (word & BACKING__SLABBLK)) {
        uint32_t x = (uint32_t)off + BACKING__HDR;
        int used = backing__rebuild_slab(s, ar, x, marker);
        if (used <= 0) { /* half made or emptied: give its space back */
          backing__slab_at(ar, x)->magic = 0;
          is_free = 1;
        } else if ((uint32_t)used < backing__slab_at(ar, x)->nslots) {
          backing__partial_add(s, ar, x, backing__slab_at(ar, x), 1);
        }
      } else if (!is_free && (word & BACKING__GC)) {
        backing__gch *g = backing__gch_at(ar, off + BACKING__HDR);
        int32_t c = backing__gc_load(g);
        if (c <= 0 && c != BACKING__DYING)
          backing__wait_push(s, ar, (uint32_t)off + BACKING__HDR, g);
      }
      if (is_free) {
        if (!in_run) run = off, run_size = 0, in_run = 1;
        run_size += size;
      } else {
        uint32_t flags = word & (BACKING__USED | BACKING__SLABBLK | BACKING__GC);
        if (in_run) { /* neighbouring free blocks become one */
          backing__set_hdr(s, ar, run, (uint32_t)run_size);
          backing__list_insert(s, ar, run, (uint32_t)run_size);
          h->prev = (uint32_t)run_size;
          flags |= BACKING__PREV_FREE;
          in_run = 0;
        }
        backing__set_hdr(s, ar, off, size | flags);
      }
    }
    off += size;
  }
  if (why) {
    if (repair) ar->quarantined = 1;
    return backing__corrupt(s, i, off, why);
  }
  if (!repair) return 0;
  BACKING__CRASH(BACKING__CP_REBUILD_WALKED);
  BACKING__SET(ar->top, in_run ? run : top); /* free space at the end goes back to the top */
  for (p = 0; p < (arena_size >> BACKING__SLAB_SHIFT); p++) { /* table entries of no slab */
    backing__slab *sl = backing__slabtab(ar, p);
    if (sl->magic == BACKING__SLAB_MAGIC && sl->seen != marker) BACKING__SET(sl->magic, 0u);
  }
  { /* The chain of blocks a cycle is freeing belongs to whoever reaps next (a live process
       may be in the middle of it, between a destructor and the free): keep it if it holds
       together, else drop it (those blocks leak, they are never freed twice). */
    uint32_t o = ar->gc_doomed, n = 0;
    while (o) {
      backing__loc L;
      if (n++ > (arena_size >> 5) || backing__locate(s, ((uint64_t)i << s->shift) + o, &L) != 0 ||
          !L.kind || L.off != o || backing__gch_at(ar, o)->count != BACKING__DYING) {
        ar->gc_doomed = 0;
        break;
      }
      o = backing__gch_at(ar, o)->next;
    }
  }
  return 0;
}

static int backing__recover_arena(backing *s, uint32_t i) {
  return backing__rebuild(s, i, 1);
}

#ifndef BACKING_NO_MMAP
/* Is the owner of an MMAP store's lock word dead? Owners hold a lock on their process
   slot's byte of the store file while they live, which the system drops when the process
   dies; a slot claimed again since (another generation) is dead too, and within this
   process the thread is asked. A word that names no slot names no one: dead. */
static int backing__dead_slot(backing *s, uint64_t owner) {
  uint64_t slot = (owner >> BACKING__LK_SLOT_SHIFT) - 1;
  uint32_t gen = (uint32_t)(owner >> BACKING__LK_GEN_SHIFT);
  if (owner & BACKING__LK_PID) return backing__dead_pid(s, owner);
  if (owner >> BACKING__LK_SLOT_SHIFT == 0 || slot >= BACKING__SLOTS) return 1;
  if (BACKING__ALOAD(&backing__st(s)->slots[slot].gen, BACKING__ACQUIRE) != gen) return 1;
  if ((int)slot == s->slot)
    return !backing__os_alive(backing__os_pid(), (uint32_t)(owner & BACKING__LK_TID));
  return !backing__os_locked(s->fd, BACKING__LK_SLOT(slot));
}
#endif

#ifndef BACKING_NO_MMAP
/* Repair what dead processes left, when nobody else is attached (the first process to
   attach after a crash, the last to leave when another died meanwhile): every held lock
   is a dead one. `full` (a machine crash, or a copy of a store taken while it was in use)
   trusts nothing: every arena's truth is walked first without writing, and the store is
   refused untouched (ECORRUPT) if any does not hold together; then every arena is
   rebuilt from it and the whole store checked. Otherwise only arenas with a held lock are
   rebuilt. */
static int backing__recover_all(backing *s, int full) {
  uint32_t i, n;
  backing__store *st = backing__st(s);
  int r;
  n = BACKING__LD(s->count);
  s->judging = full; /* (a store refused is left as it was: not even a quarantine mark) */
  for (i = 0, r = 0; !r && i < n; i++)
    if (i >= BACKING__LD(s->valid)) r = backing__arena_ready(s, i);
  s->judging = 0;
  if (r) return r;
  if (full) {
    for (i = 0; i < n; i++) {
      if (backing__inner(s, i)) continue;
      if (backing__ar(s, i)->quarantined) return backing__corrupt(s, i, 0, "I12 arena quarantined");
      if ((r = backing__rebuild(s, i, 0)) != 0) return r;
    }
    if ((r = backing__check_roots(s, st)) != 0) return r;
    { /* and the maps the roots name, as a read-only handle sees them (no lock, no write) */
      int ro = s->ro, k;
      s->ro = 1;
      for (k = 0; !r && k < BACKING_ROOT_MAX; k++) {
        backing_addr a = st->roots[k].addr;
        if (a && backing__names_map(s, a) && backing_map_check(s, a) != 0) r = BACKING_ECORRUPT;
      }
      s->ro = ro;
      if (r) return r;
    }
  }
  BACKING__ASTORE(&st->lock, 0, BACKING__RELEASE);
  if (st->roots_ver & 1) /* (a root's writer died: backing__lock_store) */
    BACKING__ASTORE(&st->roots_ver, st->roots_ver + 1, BACKING__RELEASE);
  for (i = 0; i < n; i++) {
    backing__arena *ar = backing__ar(s, i);
    if (backing__inner(s, i)) continue;
    if (!full && BACKING__ALOAD(&ar->lock, BACKING__ACQUIRE) == 0) continue;
    BACKING__ASTORE(&ar->lock, s->lock_id | backing__tid(), BACKING__RELEASE); /* all dead */
    r = backing__recover_arena(s, i);
    backing__unlock(&ar->lock);
    if (r && full) return r;
  }
  if (!full) return 0;
  s->repairing = 1; /* the check puts right what is derived in the maps too */
  r = backing_check(s);
  s->repairing = 0;
  return r;
}

/* A process slot whose last owner died while others stayed attached is being claimed
   again: take over and repair whatever that owner left locked, before the slot's record
   of the death is gone. Lock words of older generations of this slot are dead. */
static void backing__reclaim_slot(backing *s, int k) {
  uint32_t i;
  uint64_t v;
  backing__store *st = backing__st(s);
  for (i = 0; i < BACKING__LD(s->count); i++) {
    backing__arena *ar = backing__ar(s, i);
    if (i >= BACKING__LD(s->valid) && backing__arena_ready(s, i) != 0) break;
    if (backing__inner(s, i)) continue;
    v = BACKING__ALOAD(&ar->lock, BACKING__ACQUIRE);
    if (v && !(v & BACKING__LK_PID) && (v >> BACKING__LK_SLOT_SHIFT) == (uint64_t)k + 1 &&
        BACKING__ACAS(&ar->lock, &v, s->lock_id | backing__tid(), 0, BACKING__ACQUIRE,
                      BACKING__RELAXED)) {
      backing__recover_arena(s, i);
      backing__unlock(&ar->lock);
    }
  }
  v = BACKING__ALOAD(&st->lock, BACKING__ACQUIRE); /* the store lock leaves nothing half done */
  if (v && !(v & BACKING__LK_PID) && (v >> BACKING__LK_SLOT_SHIFT) == (uint64_t)k + 1 &&
      BACKING__ACAS(&st->lock, &v, s->lock_id | backing__tid(), 0, BACKING__ACQUIRE,
                    BACKING__RELAXED)) {
    if (st->roots_ver & 1) /* (a root's name half written: >>roots) */
      BACKING__ASTORE(&st->roots_ver, st->roots_ver + 1, BACKING__RELEASE);
    backing__unlock(&st->lock);
  }
}

/* >>session ------------------------------------------------------------------------ */
/* Who is attached to an MMAP store, and who repairs what (README: "Sessions").
     process slots   256 in arena 0's store state, {generation, attached}. A read-write
                     handle claims the first slot whose byte (BACKING__LK_SLOT(k), far
                     past the data) it can lock, bumps its generation and marks it
                     attached; the byte stays locked while the process lives, and the
                     system drops it when the process dies. Lock words name (slot + 1,
                     generation, thread): an owner is dead when its slot's byte is free or
                     the slot has been claimed again since (backing__dead_slot).
     PRESENCE        a byte every attached handle holds shared: whoever can take it
                     exclusively is alone (the first opener).
     OPEN            a byte held while joining or leaving, so that both see the slots
                     stable.
     dirty flag      set by the first writer to attach, with the boot id and the file's
                     device and inode; cleared by the last writer to leave. A first opener
                     that finds it set repairs: the arenas whose lock a dead process held
                     (a process died), or all of the store after a dry run (another boot:
                     the machine went down; another file: a copy taken while in use).
     when            a read-write handle on a clean store joins at its first lock
                     (backing__join_late); on a dirty one, at open. A slot claimed again
                     after its owner died has that owner's locks repaired first
                     (backing__reclaim_slot); the last writer to leave repairs what writers
                     that died during the session held (backing__leave).
   The crash points (BACKING__CRASH_POINTS, near the top of the implementation) name what
   is true at each place a process may die; recovery puts each right. */

/* The boot id, so that a store left dirty by a machine that went down can be told from one
   left dirty by a process that died. */
static void backing__boot_id(uint8_t out[16]) {
  static uint8_t cached[16];
  static int have; /* it cannot change while this process lives: read it once */
  if (BACKING__ALOAD(&have, BACKING__ACQUIRE)) {
    memcpy(out, cached, 16);
    return;
  }
  if (backing__os_boot_id(out)) {
    memcpy(cached, out, 16);
    BACKING__ASTORE(&have, 1, BACKING__RELEASE);
  }
}

/* Attach an MMAP handle to the store's coordination: open-file-description locks on bytes
   far past the data (OPEN: held while attaching or leaving; PRESENCE: shared by every
   attached handle, so whoever gets it exclusively is alone; one byte per process slot).
   The first to attach finds out whether the last session ended cleanly. */
static int backing__join(backing *s) {
  backing__store *st = backing__st(s);
  int rdonly = !!(s->flags & BACKING_RDONLY), first, r = 0, k;
  uint8_t boot[16];
  /* (readers join side by side, unless asking whether a byte is held takes it) */
  r = backing__os_lock(
      s->fd, BACKING__LK_OPEN,
      BACKING__LOCK_WAIT |
          (rdonly && !BACKING__OS_PROBE_TAKES ? BACKING__LOCK_SHARED : BACKING__LOCK_EXCL));
  if (r) return r;
  first = !backing__os_locked(s->fd, BACKING__LK_PRESENCE);
  backing__boot_id(boot);
  if (first && !st->dirty && (s->flags & BACKING_VERIFY)) {
    /* Alone with a clean store: prove it before writing a byte (a refused store is left
       as it was); it is read without locks, as a read-only handle would. */
    int ro = s->ro;
    s->ro = 1;
    if (backing_check(s) != 0) r = BACKING_ECORRUPT;
    s->ro = ro;
    s->flags &= ~BACKING_VERIFY; /* done */
  }
  if (!r && first && st->dirty) { /* the last session did not end cleanly */
    /* The machine went down (pages may have reached the disk in any order), or this is a
       copy of a store taken while it was in use: trust nothing. Else a process died:
       repair what it held. */
    int full = memcmp(boot, st->boot_id, 16) != 0 || st->file_dev != s->dev ||
               st->file_ino != s->ino || (s->flags & BACKING_VERIFY);
    r = rdonly ? BACKING_ERECOVER : backing__recover_all(s, full); /* only a writer repairs */
  }
  if (!r && !rdonly) { /* claim a process slot: its byte stays locked while we live */
    for (k = 0; k < BACKING__SLOTS; k++)
      if (backing__os_lock(s->fd, BACKING__LK_SLOT(k), BACKING__LOCK_EXCL) == 0) break;
    if (k == BACKING__SLOTS)
      r = BACKING_EBUSY;
    else {
      uint32_t gen = BACKING__AADD(&st->slots[k].gen, 1, BACKING__ACQ_REL) + 1;
      s->slot = k;
      s->lock_id = backing__lock_id_slot(k, gen);
      if (first) { /* nobody else is attached: every slot's owner is gone */
        int j;
        for (j = 0; j < BACKING__SLOTS; j++) st->slots[j].state = 0;
      } else if (st->slots[k].state) {
        backing__reclaim_slot(s, k); /* its last owner died: repair before reuse */
      }
      if (!BACKING__ALOAD(&st->dirty, BACKING__ACQUIRE)) {
        /* the session's first writer, alone or beside readers (who hold PRESENCE too) */
        memcpy(st->boot_id, boot, 16);
        st->file_dev = s->dev;
        st->file_ino = s->ino;
        BACKING__ASTORE(&st->dirty, 1, BACKING__RELEASE);
      }
      st->slots[k].state = 1;
    }
  }
  if (!r)
    r = backing__os_lock(s->fd, BACKING__LK_PRESENCE, BACKING__LOCK_SHARED | BACKING__LOCK_WAIT);
  backing__os_lock(s->fd, BACKING__LK_OPEN, BACKING__LOCK_FREE);
  return r;
}

/* Detach: the last writer to leave (read-only handles may stay) repairs what dead writers
   left and marks the store clean. Writers join and leave holding OPEN exclusively, so the
   slot states are stable here: a slot still marked attached whose byte nobody holds is a
   writer that died. */
static void backing__leave(backing *s) {
  backing__store *st = backing__st(s);
  int k, died = 0, others = 0;
  if (s->slot < 0) return;
  if (backing__os_lock(s->fd, BACKING__LK_OPEN, BACKING__LOCK_WAIT | BACKING__LOCK_EXCL) != 0)
    return;
  st->slots[s->slot].state = 0;
  for (k = 0; k < BACKING__SLOTS; k++)
    if (st->slots[k].state) {
      if (backing__os_locked(s->fd, BACKING__LK_SLOT(k)))
        others = 1;
      else
        died = 1;
    }
  if (!others) {
    for (k = 0; died && k < BACKING__SLOTS; k++) st->slots[k].state = 0;
    /* clean: no msync here (close does not wait for the disk; backing_sync does) */
    if (!died || backing__recover_all(s, 0) == 0) BACKING__ASTORE(&st->dirty, 0, BACKING__RELEASE);
  }
  backing__os_lock(s->fd, BACKING__LK_OPEN, BACKING__LOCK_FREE);
}
#endif

/* >>mapping ------------------------------------------------------------------------ */

#ifndef BACKING_NO_MMAP
BACKING_API uint64_t backing_pagesize(void) {
  return backing__os_pagesize();
}

/* Widen [addr, addr + len) to whole pages; EINVAL if the range wraps around. */
static int backing__pages(const void *addr, uint64_t len, uintptr_t *start, size_t *n) {
  uintptr_t ps = (uintptr_t)backing__os_pagesize(), a = (uintptr_t)addr;
  backing__last_err = 0;
  if (len > (uint64_t)(UINTPTR_MAX - a) || a + (uintptr_t)len > UINTPTR_MAX - ps)
    return backing__err(BACKING_EINVAL);
  *start = a & ~(ps - 1);
  *n = (size_t)(((a + len + ps - 1) & ~(ps - 1)) - *start);
  return 0;
}

BACKING_API int backing_file_map(backing_mapping *m, const char *path, uint64_t offset,
                                 uint64_t length, int flags) {
  int mode = flags & 3, r;
  backing__file f = BACKING__NOFILE;
  backing__finfo fi = {0, 0, 0, 0};
  uint64_t g = backing__os_granularity(), aoff, end;
  void *p = NULL;
  backing__last_err = 0;
  if (!m) return backing__err(BACKING_EINVAL);
  memset(m, 0, sizeof *m);
  if (!path || mode == 3 || (flags & ~7) || ((flags & BACKING_MAP_CREATE) && mode != 1))
    return backing__err(BACKING_EINVAL);
  r = backing__os_open(path,
                       (mode == BACKING_MAP_SHARED ? BACKING__OPEN_WRITE : BACKING__OPEN_READ) |
                           ((flags & BACKING_MAP_CREATE) ? BACKING__OPEN_CREATE : 0),
                       &f);
  if (r) return backing__err(r);
  if ((r = backing__os_file_info(f, &fi)) != 0) goto done;
  if (!fi.regular) { /* a FIFO, a socket, a device, a directory */
    r = BACKING_EINVAL;
    goto done;
  }
  if (length == 0) {
    if (offset >= fi.size) { /* nothing there to map (an empty file) */
      r = BACKING_ERANGE;
      goto done;
    }
    length = fi.size - offset;
  }
  end = offset + length;
  if (end < offset || end > (uint64_t)INT64_MAX) {
    r = BACKING_EINVAL;
    goto done;
  }
  if (end > fi.size) { /* past the end: refused, or fully backed on CREATE */
    if (!(flags & BACKING_MAP_CREATE)) {
      r = BACKING_ERANGE;
      goto done;
    }
    if ((r = backing__os_grow(f, fi.size, end - fi.size)) != 0) goto done;
  }
  aoff = offset & ~(g - 1); /* views start at the system's granularity */
  r = backing__os_map(f, aoff, end - aoff,
                      mode == BACKING_MAP_READ     ? BACKING__MAP_RO
                      : mode == BACKING_MAP_SHARED ? BACKING__MAP_RW
                                                   : BACKING__MAP_COW,
                      &p);
  if (r) goto done;
  m->map_base = p;
  m->map_length = end - aoff;
  m->data = (unsigned char *)p + (offset - aoff);
  m->length = length;
done:
  backing__os_close(f); /* the mapping keeps the file */
  return r ? backing__err(r) : 0;
}

BACKING_API int backing_file_unmap(backing_mapping *m) {
  int r;
  backing__last_err = 0;
  if (!m || !m->map_base) return backing__err(BACKING_EINVAL);
  if ((r = backing__os_unmap(m->map_base, m->map_length)) != 0) return backing__err(r);
  memset(m, 0, sizeof *m);
  return 0;
}

BACKING_API int backing_msync(void *addr, uint64_t len, int flags) {
  uintptr_t start;
  size_t n;
  int r;
  if (!addr || (flags & ~3)) return backing__err(BACKING_EINVAL);
  if ((r = backing__pages(addr, len, &start, &n)) != 0) return r;
  if (len == 0) return 0;
  r = backing__os_sync((void *)start, n, flags);
  return r ? backing__err(r) : 0;
}

BACKING_API int backing_madvise(void *addr, uint64_t len, int advice) {
  uintptr_t start;
  size_t n;
  int r;
  if (!addr || advice < 0 || advice > 4) return backing__err(BACKING_EINVAL);
  if (backing__pages(addr, len, &start, &n) != 0) return BACKING_EINVAL;
  if (len == 0) return 0;
  r = backing__os_advise((void *)start, n, advice);
  return r ? backing__err(r) : 0;
}

BACKING_API int backing_mincore(const void *addr, uint64_t len, uint64_t *resident,
                                uint64_t *total) {
  uintptr_t start;
  size_t n;
  uint64_t res = 0;
  int r;
  if (!addr || !resident || !total) return backing__err(BACKING_EINVAL);
  if (backing__pages(addr, len, &start, &n) != 0) return BACKING_EINVAL;
  if ((r = backing__os_incore((void *)start, n, &res)) != 0) return backing__err(r);
  *resident = res;
  *total = n / backing__os_pagesize();
  return 0;
}
#else
BACKING_API uint64_t backing_pagesize(void) {
  return 4096;
}
BACKING_API int backing_file_map(backing_mapping *m, const char *path, uint64_t offset,
                                 uint64_t length, int flags) {
  (void)path, (void)offset, (void)length, (void)flags;
  if (m) memset(m, 0, sizeof *m);
  return backing__err(BACKING_EINVAL);
}
BACKING_API int backing_file_unmap(backing_mapping *m) {
  (void)m;
  return backing__err(BACKING_EINVAL);
}
BACKING_API int backing_msync(void *addr, uint64_t len, int flags) {
  (void)addr, (void)len, (void)flags;
  return 0;
}
BACKING_API int backing_madvise(void *addr, uint64_t len, int advice) {
  (void)addr, (void)len;
  return advice < 0 || advice > 4 ? backing__err(BACKING_EINVAL) : 0;
}
BACKING_API int backing_mincore(const void *addr, uint64_t len, uint64_t *resident,
                                uint64_t *total) {
  if (!addr || !resident || !total) return backing__err(BACKING_EINVAL);
  *total = *resident = (len + 4095) / 4096; /* plain memory is always resident */
  return 0;
}
#endif

/* A store range [a, a + len); len 0 means from a to the end. Arenas other processes added
   are attached first. */
static int backing__store_range(backing *s, backing_addr a, uint64_t *len) {
  int r = backing__enter(s);
  uint64_t shared;
  if (r) return r;
  shared = BACKING__LD(backing__st(s)->arena_count);
  if (shared > BACKING__LD(s->count) && shared <= 0xffffffffu)
    backing__arena_ready(s, (uint32_t)shared - 1);
  if (a >= s->view.limit) return BACKING_EBADADDR;
  if (*len == 0) *len = s->view.limit - a;
  if (*len > s->view.limit - a) return BACKING_EBADADDR;
  return 0;
}

BACKING_API int backing_sync(backing *s, backing_addr a, uint64_t len, int flags) {
  int r = backing__store_range(s, a, &len);
  if (r) return backing__err(r);
  if (flags & ~3) return backing__err(BACKING_EINVAL);
  r = s->ops->sync(s, a, len, flags);
  return r ? backing__err(r) : 0;
}

BACKING_API int backing_advise(backing *s, backing_addr a, uint64_t len, int advice) {
  int r = backing__store_range(s, a, &len);
  if (r) return backing__err(r);
  /* Dropping pages of memory that is not a file's would drop the data with them. */
  if (advice == BACKING_ADVICE_DONTNEED && s->source != BACKING_SOURCE_MMAP)
    return backing__err(BACKING_EINVAL);
  return backing_madvise(s->view.base + a, len, advice);
}

BACKING_API int backing_incore(backing *s, backing_addr a, uint64_t len, uint64_t *resident,
                               uint64_t *total) {
  int r = backing__store_range(s, a, &len);
  if (r) return backing__err(r);
  return backing_mincore(s->view.base + a, len, resident, total);
}

/* >>check -------------------------------------------------------------------------- */
/* One walker serves stat, walk and check. It trusts nothing it reads: every size and
   offset is checked against the arena before use, and every loop is bounded. */

typedef struct backing__visit {
  backing_walk_fn fn;
  void *ctx;
  backing_stats *st;
  int full;         /* check: free lists, slab lists, slab table */
  uint8_t *freemap; /* full: one bit per 16 bytes, set at each free block */
  uint32_t nfree;   /* free blocks seen in this arena */
  uint32_t nslabs;  /* slabs seen in this arena */
  uint32_t partial[BACKING__NLIST];
  uint32_t gc_zero; /* GC blocks at count 0 seen in this arena */
} backing__visit;

static int backing__emit(backing__visit *v, backing *s, backing_addr a, uint64_t size, int state) {
  if (v->st) {
    if (state == BACKING_BLOCK_FREE) {
      v->st->free_bytes += size;
      v->st->free_blocks++;
      if (size > v->st->largest_free) v->st->largest_free = size;
    } else {
      v->st->used_bytes += size;
      v->st->used_blocks++;
    }
  }
  return v->fn ? v->fn(s, a, size, state, v->ctx) : 0;
}

/* A live block whose user data is at arena offset o: a GC block is reported at its GC
   address with its GC size, and counted if it waits at 0. */
static int backing__emit_live(backing__visit *v, backing *s, uint32_t i, backing__arena *ar,
                              uint64_t o, uint64_t usable, uint32_t kind) {
  uint64_t base = (uint64_t)i << s->shift;
  if (kind) {
    int32_t c = BACKING__ALOAD(&backing__gch_at(ar, o)->count, BACKING__RELAXED);
    if (c <= 0 && c != BACKING__DYING) v->gc_zero++;
    return backing__emit(v, s, base + o + 16, usable - 16, BACKING_BLOCK_GC);
  }
  return backing__emit(v, s, base + o, usable, BACKING_BLOCK_USED);
}

static int backing__visit_slab(backing *s, uint32_t i, backing__arena *ar, uint32_t x,
                               backing__visit *v) {
  backing__slab *sl = backing__slab_at(ar, x);
  unsigned cls = sl->cls, k, cnt = 0;
  uint32_t csize, idx;
  if (sl->magic != BACKING__SLAB_MAGIC || cls >= BACKING__NLIST ||
      !!sl->kind != (cls >= BACKING__NCLASS))
    return backing__corrupt(s, i, x, "I3 slab header");
  csize = backing__slot_size[cls];
  if (sl->nslots != (BACKING__SLAB - BACKING__HDR) / csize || sl->bump > sl->nslots ||
      sl->used > sl->bump || sl->used == 0)
    return backing__corrupt(s, i, x, "I4 slab counts");
  for (k = 0; k < 32; k++) cnt += BACKING__POPCNT64(sl->bits[k]);
  if (cnt != sl->used) return backing__corrupt(s, i, x, "I4 slab bitmap and count disagree");
  for (idx = sl->bump; idx < 32u * 64u; idx++)
    if (sl->bits[idx >> 6] & ((uint64_t)1 << (idx & 63)))
      return backing__corrupt(s, i, x, "I4 slab bit set past its bump");
  if (v->full) { /* the free-slot list: bounded, inside the slab, unused slots, no repeats */
    uint64_t seen[32];
    uint32_t e = sl->free, n = 0;
    memset(seen, 0, sizeof seen);
    while (e) {
      uint32_t rel;
      if (n++ >= sl->nslots || e < x || e >= x + BACKING__SLAB - BACKING__HDR)
        return backing__corrupt(s, i, x, "I9 slab free list leaves the slab or loops");
      rel = e - x;
      idx = backing__slot_index(rel, cls);
      if (idx * csize != rel || idx >= sl->bump || (sl->bits[idx >> 6] >> (idx & 63) & 1) ||
          (seen[idx >> 6] >> (idx & 63) & 1))
        return backing__corrupt(s, i, x, "I9 slab free list holds a bad slot");
      seen[idx >> 6] |= (uint64_t)1 << (idx & 63);
      e = *backing__u32(ar, e);
    }
    if (n != sl->bump - sl->used) return backing__corrupt(s, i, x, "I9 slab loses free slots");
    if (sl->used < sl->nslots) v->partial[sl->cls]++;
  }
  for (idx = 0; idx < sl->bump; idx++) {
    if (sl->bits[idx >> 6] >> (idx & 63) & 1) {
      int r = backing__emit_live(v, s, i, ar, x + (uint64_t)idx * csize, csize, sl->kind);
      if (r) return r;
    }
  }
  return 0;
}

/* Free lists and slab lists of one arena, after its blocks were walked. */
static int backing__check_lists(backing *s, uint32_t i, backing__arena *ar, backing__visit *v) {
  uint64_t arena_size = (uint64_t)1 << s->shift;
  uint32_t listed = 0, fl, sl, c, pm = 0, k;
  if (ar->fl_map >> BACKING__FL) return backing__corrupt(s, i, 0, "I8 first-level bitmap");
  for (fl = 0; fl < BACKING__FL; fl++) {
    if (ar->sl_map[fl] >> BACKING__SL) return backing__corrupt(s, i, 0, "I8 second-level bitmap");
    if (!!(ar->fl_map >> fl & 1) != !!ar->sl_map[fl])
      return backing__corrupt(s, i, 0, "I8 first-level bitmap");
    for (sl = 0; sl < BACKING__SL; sl++) {
      uint32_t e = ar->heads[fl][sl], prev = 0;
      if (!!(ar->sl_map[fl] >> sl & 1) != !!e)
        return backing__corrupt(s, i, 0, "I8 second-level bitmap");
      while (e) {
        unsigned f2, s2;
        uint32_t size;
        if (e >= ar->top || (e & 15) || !(v->freemap[e >> 7] >> (e >> 4 & 7) & 1))
          return backing__corrupt(s, i, e, "I8 free list holds a stray or repeats a block");
        v->freemap[e >> 7] &= (uint8_t) ~(1u << (e >> 4 & 7));
        size = backing__hdr(ar, e)->size & ~BACKING__FLAGS;
        backing__mapping(size, &f2, &s2);
        if (f2 != fl || s2 != sl)
          return backing__corrupt(s, i, e, "I8 free block in the wrong list");
        if (*backing__u32(ar, e + 20) != prev)
          return backing__corrupt(s, i, e, "I8 free list back link");
        listed++;
        prev = e;
        e = *backing__u32(ar, e + 16);
      }
    }
  }
  if (listed != v->nfree) return backing__corrupt(s, i, 0, "I8 free block missing from the lists");
  for (c = 0; c < BACKING__NLIST; c++) {
    uint32_t x = ar->partial[c], prev = 0, n = 0;
    while (x) {
      backing__slab *p;
      if (n++ >= v->partial[c] || x >= arena_size || (x & (BACKING__SLAB - 1)) ||
          backing__slab_at(ar, x)->magic != BACKING__SLAB_MAGIC)
        return backing__corrupt(s, i, x, "I10 partial slab list holds a stray or loops");
      p = backing__slab_at(ar, x);
      if (p->cls != c || p->prev != prev)
        return backing__corrupt(s, i, x, "I10 partial slab list links");
      prev = x;
      x = p->next;
    }
    if (n != v->partial[c]) return backing__corrupt(s, i, 0, "I10 slab with free slots not listed");
    if (ar->partial_tail[c] != prev) return backing__corrupt(s, i, 0, "I10 partial slab list tail");
  }
  { /* the waiting list: bounded, linked both ways, exactly the GC blocks at count 0 */
    uint32_t o = ar->gc_head, prev = 0, n = 0;
    while (o) {
      backing__loc L;
      backing__gch *g;
      if (n++ >= v->gc_zero || backing__locate(s, ((uint64_t)i << s->shift) + o, &L) != 0 ||
          !L.kind || L.off != o)
        return backing__corrupt(s, i, o, "I11 waiting list holds a stray or loops");
      g = backing__gch_at(ar, o);
      if (g->count > 0 || g->count == BACKING__DYING || g->prev != prev)
        return backing__corrupt(s, i, o, "I11 waiting list entry");
      prev = o;
      o = g->next;
    }
    if (n != v->gc_zero || ar->gc_count != n || ar->gc_tail != prev)
      return backing__corrupt(s, i, 0, "I11 GC block at count 0 not on the waiting list");
  }
  { /* the doomed chain (what a cycle is freeing): bounded, live GC blocks being freed */
    uint32_t o = ar->gc_doomed, n = 0;
    while (o) {
      backing__loc L;
      if (n++ > (arena_size >> 5) || !backing__off_ok(s, o) ||
          backing__locate(s, ((uint64_t)i << s->shift) + o, &L) != 0 || !L.kind || L.off != o ||
          backing__gc_load(backing__gch_at(ar, o)) != BACKING__DYING)
        return backing__corrupt(s, i, o, "I11 doomed chain holds a block that is not being freed");
      o = backing__gch_at(ar, o)->next;
    }
  }
  for (k = 0; k < (uint32_t)(arena_size >> BACKING__SLAB_SHIFT); k++)
    pm += backing__slabtab(ar, k)->magic == BACKING__SLAB_MAGIC;
  if (pm != v->nslabs)
    return backing__corrupt(s, i, 0, "I3 slab table marks a page that is no slab");
  return 0;
}

static int backing__visit_arena(backing *s, uint32_t i, backing__visit *v) {
  backing__arena *ar = backing__ar(s, i);
  uint64_t arena_size = (uint64_t)1 << s->shift, base = (uint64_t)i << s->shift;
  uint64_t off = backing__data_start(s, i), top = ar->top, prev_size = 0, blocks = 0;
  int prev_free = 0, r;
  v->nfree = v->nslabs = v->gc_zero = 0;
  memset(v->partial, 0, sizeof v->partial);
  while (off < top) { /* each step advances >= 32 bytes: bounded by the arena */
    backing__blk *h = backing__hdr(ar, off);
    uint32_t size = h->size & ~BACKING__FLAGS;
    if (top - off < BACKING__MIN_BLOCK)
      return backing__corrupt(s, i, off, "I1 block runs past top");
    if (size < BACKING__MIN_BLOCK || size > top - off)
      return backing__corrupt(s, i, off, "I1 bad block size");
    if (h->check != backing__check_of(s, off, h->size))
      return backing__corrupt(s, i, off, "I2 block header check");
    if (!!(h->size & BACKING__PREV_FREE) != prev_free || (prev_free && h->prev != prev_size))
      return backing__corrupt(s, i, off, "I6 boundary tag disagrees with previous block");
    if (!(h->size & BACKING__USED)) {
      if (prev_free) return backing__corrupt(s, i, off, "I7 two free blocks side by side");
      if (h->size & (BACKING__SLABBLK | BACKING__GC))
        return backing__corrupt(s, i, off, "I7 free block with a kind");
      if (v->full) v->freemap[off >> 7] |= (uint8_t)(1u << (off >> 4 & 7));
      v->nfree++;
      r = backing__emit(v, s, base + off, size, BACKING_BLOCK_FREE);
    } else if (h->size & BACKING__SLABBLK) {
      if (size != BACKING__SLAB || ((off + BACKING__HDR) & (BACKING__SLAB - 1)))
        return backing__corrupt(s, i, off, "I3 slab block size or alignment");
      v->nslabs++;
      if (v->st) v->st->slabs++;
      r = backing__visit_slab(s, i, ar, (uint32_t)off + BACKING__HDR, v);
    } else {
      r = backing__emit_live(v, s, i, ar, off + BACKING__HDR,
                             size - BACKING__HDR + backing__span_tail(s, ar, off + size),
                             h->size & BACKING__GC);
    }
    if (r) return r;
    prev_free = !(h->size & BACKING__USED);
    prev_size = size;
    off += size;
    blocks++;
  }
  if (off != top) return backing__corrupt(s, i, off, "I1 blocks overrun top");
  if (v->full && BACKING__GET(ar->span) > 1 && /* a head: empty, or its one block to its end */
      (i == 0 || v->nslabs || blocks > 1 || (blocks == 1 && top != arena_size)))
    return backing__corrupt(s, i, 0, "I13 a span's head holds more than its one block");
  if (prev_free) return backing__corrupt(s, i, off, "I7 free block not merged into top");
  if (v->st) v->st->gc_waiting += v->gc_zero;
  if (v->full) {
    r = backing__check_lists(s, i, ar, v);
    if (r) return r;
  }
  if (top < arena_size) /* (a free span's head: its inner arenas too) */
    return backing__emit(v, s, base + top, arena_size - top + backing__span_tail(s, ar, arena_size),
                         BACKING_BLOCK_FREE);
  return 0;
}

/* Visit arena i. A read-only handle takes no lock, so what looks damaged may be a change
   a writer is making: it lets a writer that holds the arena's lock finish (briefly), and
   check and stat (which call no user function) look again, a few times, before they say
   so. */
static int backing__visit_ro(backing *s, uint32_t i, backing__visit *v) {
  backing__visit v0 = *v;
  backing_stats st0;
  unsigned tries, k;
  int r;
  if (v->st) st0 = *v->st;
  for (tries = 0;; tries++) {
    for (k = 0; s->ro && k < 64 && BACKING__ALOAD(&backing__ar(s, i)->lock, BACKING__ACQUIRE); k++)
      backing__os_yield();
    if (v->full) memset(v->freemap, 0, (size_t)((uint64_t)1 << s->shift >> 7));
    r = backing__visit_arena(s, i, v);
    if (r != BACKING_ECORRUPT || !s->ro || v->fn || tries >= 8) return r;
    *v = v0;
    if (v->st) *v->st = st0;
    s->detail[0] = 0;
    backing__os_yield();
  }
}

static int backing__visit_all(backing *s, backing__visit *v) {
  uint32_t i;
  int r;
  if (!s) return BACKING_EINVAL;
  s->detail[0] = 0;
  {
    uint64_t shared = BACKING__LD(backing__st(s)->arena_count); /* arenas others added */
    if (shared > BACKING__LD(s->count) && shared <= 0xffffffffu &&
        (r = backing__arena_ready(s, (uint32_t)shared - 1)) != 0)
      return r == BACKING_EBADADDR ? backing__corrupt(s, 0, s->hdr_size, "S1 arena count") : r;
  }
  for (i = 0; i < BACKING__LD(s->count); i++) {
    backing__arena *ar = backing__ar(s, i);
    if (i >= BACKING__LD(s->valid) && (r = backing__arena_ready(s, i)) != 0) return r;
    if (backing__inner(s, i)) continue; /* (its head reports the huge block) */
    if (v->full && ar->quarantined) return backing__corrupt(s, i, 0, "I12 arena quarantined");
    if ((r = backing__rlock(s, ar, i)) != 0) return r;
    if (v->full && (r = backing__validate_arena(s, i)) != 0) { /* again, fully */
      backing__runlock(s, ar);
      return r;
    }
    backing__held++;
    r = backing__visit_ro(s, i, v); /* under the arena's lock: fn must not call in */
    backing__held--;
    backing__runlock(s, ar);
    if (r) return r;
  }
  return 0;
}

BACKING_API int backing_stat(backing *s, backing_stats *st) {
  backing__visit v;
  int r;
  BACKING__ENTER_INT(s);
  if (!st) return backing__err(BACKING_EINVAL);
  memset(st, 0, sizeof *st);
  memset(&v, 0, sizeof v);
  v.st = st;
  r = backing__visit_all(s, &v);
  st->arena_size = (uint64_t)1 << s->shift;
  st->arena_count = BACKING__LD(s->count);
  st->capacity = (uint64_t)BACKING__LD(s->count) << s->shift;
  st->alloc_failures = s->alloc_failures;
  st->max_block = backing__max_block(s);
  return r ? backing__err(r) : 0;
}

BACKING_API int backing_walk(backing *s, backing_walk_fn fn, void *ctx) {
  backing__visit v;
  int r;
  BACKING__ENTER_INT(s);
  if (!fn) return backing__err(BACKING_EINVAL);
  memset(&v, 0, sizeof v);
  v.fn = fn;
  v.ctx = ctx;
  r = backing__visit_all(s, &v);
  return r < 0 ? backing__err(r) : r;
}

BACKING_API int backing_check(backing *s) {
  backing__visit v;
  int r, k;
  BACKING__ENTER_INT(s);
  memset(&v, 0, sizeof v);
  v.full = 1;
  v.freemap = (uint8_t *)BACKING_MALLOC((size_t)((uint64_t)1 << s->shift >> 7), s->alloc_ctx);
  if (!v.freemap) return backing__err(BACKING_ENOMEM);
  r = backing__visit_all(s, &v);
  BACKING_FREE(v.freemap, s->alloc_ctx);
  if (!r) {
    backing__store *st = backing__st(s);
    int locked;
    /* under the store lock: growth changes the store's count and ours, and root_set names */
    locked = !s->ro && backing__lock_store(s) == 0;
    if (BACKING__LD(st->arena_count) < BACKING__LD(s->count)) /* more: another process grew it */
      r = backing__corrupt(s, 0, s->hdr_size, "S1 arena count");
    if (!r) r = backing__check_roots(s, st);
    if (locked) backing__unlock(&st->lock);
    for (k = 0; !r && k < BACKING_ROOT_MAX; k++) { /* the maps the roots name */
      backing_addr a = BACKING__ALOAD(&st->roots[k].addr, BACKING__ACQUIRE);
      if (a && backing__names_map(s, a) && backing_map_check(s, a) != 0) r = BACKING_ECORRUPT;
    }
  }
  return r ? backing__err(r) : 0;
}

BACKING_API const char *backing_check_detail(backing *s) {
  backing__last_err = 0;
  return s && s->magic == BACKING__HANDLE_MAGIC ? s->detail : "";
}

#ifdef BACKING_DEBUG
#ifndef BACKING_DEBUG_BAD_ACCESS /* the default: stop right there, like a fault would */
#if defined(__GNUC__) || defined(__clang__)
#define BACKING_DEBUG_BAD_ACCESS(s, a, n) __builtin_trap()
#elif defined(_MSC_VER)
#define BACKING_DEBUG_BAD_ACCESS(s, a, n) __debugbreak()
#else
#define BACKING_DEBUG_BAD_ACCESS(s, a, n) abort()
#endif
#endif
typedef struct backing__find_ctx {
  backing_addr a;
  uint64_t n;
  int found;
} backing__find_ctx;
static int backing__find_cb(backing *s, backing_addr b, uint64_t size, int state, void *ctx) {
  backing__find_ctx *f = (backing__find_ctx *)ctx;
  (void)s;
  if (f->a >= b && f->a - b < size) {
    f->found = state != BACKING_BLOCK_FREE && f->n <= size - (f->a - b);
    return 1;
  }
  return 0;
}
/* Debug builds: is [a, a + n) inside one live block? O(store) per access. */
BACKING_API void backing__debug_access(backing *s, backing_addr a, uint64_t n) {
  backing__find_ctx f;
  f.a = a;
  f.n = n;
  f.found = 0;
  if (s) backing_walk(s, backing__find_cb, &f);
  if (!f.found) {
    backing__err(BACKING_EBADADDR);
    BACKING_DEBUG_BAD_ACCESS(s, a, n);
  }
}
#endif

#endif /* BACKING_IMPLEMENTATION */

/*
   MIT License. Copyright (c) 2026 the backing.h authors. See LICENSE.md for the full text:
   permission is granted, free of charge, to deal in the software without restriction,
   provided the copyright notice and this permission notice are included in all copies.
   THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND.
*/
