/* fuzz_store.c: libFuzzer harness, store bytes -> open -> use.

   The input is a store image (64 KiB arenas). Trailing zeros may be left out: the image is
   padded with zeros to a whole number of arenas (at most FS_MAX_ARENAS). It is opened twice:
   as a BUFFER store (copied into a page-aligned buffer with room to grow) and as an MMAP
   store (written to a file in a private temporary directory). Each open store gets
   backing_check, backing_stat, backing_walk, a few allocations, frees, a realloc, GC
   blocks and a GC cycle, frees of blocks the walk reported, and backing_check again,
   whatever the first check said (a damaged store must fail cleanly, never crash).

   Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_store.c */
#define BACKING_IMPLEMENTATION
#include "backing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FS_ARENA ((uint64_t)65536)
#define FS_MAX_ARENAS 4u /* longest image used */
#define FS_ROOM 8u       /* arenas a store may grow to */
#define FS_WALK_MAX 64u  /* blocks the walk remembers to free later */

static unsigned char *fs_buffer; /* FS_ROOM arenas, 4096-aligned */
static char fs_dir[256];
static char fs_file[300];

static void fs_cleanup(void) {
  if (fs_file[0]) unlink(fs_file);
  if (fs_dir[0]) rmdir(fs_dir);
}

static void fs_init(void) {
  const char *t = getenv("TMPDIR");
  if (fs_buffer) return;
  fs_buffer = (unsigned char *)aligned_alloc(4096, FS_ROOM * FS_ARENA);
  if (!fs_buffer) abort();
  snprintf(fs_dir, sizeof fs_dir, "%s/backing-fuzz-store-XXXXXX", t && t[0] ? t : "/tmp");
  if (!mkdtemp(fs_dir)) {
    perror("mkdtemp");
    abort();
  }
  snprintf(fs_file, sizeof fs_file, "%s/f.backing", fs_dir);
  atexit(fs_cleanup);
}

typedef struct fs_walk {
  backing_addr plain[FS_WALK_MAX];
  backing_addr gc[FS_WALK_MAX];
  unsigned nplain, ngc;
  uint64_t blocks;
  volatile unsigned char sink;
} fs_walk;

/* Reads the first and last byte of every block (through backing_read: bounds-checked) and
   remembers some live blocks. */
static int fs_walk_cb(backing *s, backing_addr a, uint64_t size, int state, void *ctx) {
  fs_walk *w = (fs_walk *)ctx;
  unsigned char b = 0;
  w->blocks++;
  if (size && backing_read(s, a, &b, 1) == 0) w->sink ^= b;
  if (size && backing_read(s, a + size - 1, &b, 1) == 0) w->sink ^= b;
  if (state == BACKING_BLOCK_USED && w->nplain < FS_WALK_MAX) w->plain[w->nplain++] = a;
  if (state == BACKING_BLOCK_GC && w->ngc < FS_WALK_MAX) w->gc[w->ngc++] = a;
  return w->blocks > 100000 ? 1 : 0; /* a walk that never ends is a bug too, but stop */
}

/* The same calls on every store that opened. */
static void fs_use(backing *s) {
  backing_stats st;
  fs_walk w;
  backing_addr a[8], r;
  unsigned i;
  int checked;

  memset(&w, 0, sizeof w);
  checked = backing_check(s);
  (void)backing_check_detail(s);
  (void)backing_stat(s, &st);
  (void)backing_walk(s, fs_walk_cb, &w);
  (void)backing_root_get(s, "fuzz");

  /* allocations of each kind: small, large, aligned, zeroed, GC */
  a[0] = backing_alloc(s, 24);
  a[1] = backing_alloc(s, 5000);
  a[2] = backing_calloc(s, 100);
  a[3] = backing_alloc_aligned(s, 200, 256);
  a[4] = backing_gc_alloc(s, 48, 1, 1);
  a[5] = backing_gc_alloc(s, 6000, 2, 0); /* waits at count 0 at once */
  a[6] = backing_alloc(s, 3000);
  a[7] = backing_gc_calloc(s, 16, 3, 2);
  for (i = 0; i < 8; i++)
    if (a[i]) {
      uint64_t n = backing_sizeof(s, a[i]);
      void *p = backing_ptr(s, a[i]);
      if (i == 4 || i == 5 || i == 7) n = backing_gc_sizeof(s, a[i]);
      if (p && n) memset(p, 0xA0 + (int)i, (size_t)n); /* a live block is ours to write */
    }
  r = backing_realloc(s, a[0], 700);
  if (r) a[0] = r;
  r = backing_realloc(s, a[1], 100);
  if (r) a[1] = r;
  if (a[2]) (void)backing_root_set(s, "fuzz", a[2]);
  (void)backing_gc_unref(s, a[4]);
  (void)backing_gc_ref(s, a[7]);
  (void)backing_gc_cycle(s);

  /* blocks that were already in the store: the walk said they are live */
  for (i = 0; i < w.nplain; i += 2) {
    (void)backing_sizeof(s, w.plain[i]);
    (void)backing_free(s, w.plain[i]);
  }
  for (i = 0; i < w.nplain; i += 3) (void)backing_realloc(s, w.plain[i], 40 + 16 * i);
  for (i = 0; i < w.ngc; i++) {
    (void)backing_gc_refcount(s, w.gc[i]);
    (void)backing_gc_age(s, w.gc[i]);
    (void)backing_gc_type(s, w.gc[i]);
    if (i & 1) (void)backing_gc_ref(s, w.gc[i]);
    (void)backing_gc_unref(s, w.gc[i]);
  }
  (void)backing_gc_cycle(s);
  (void)backing_gc_step(s);
  (void)backing_gc_cycle(s);
  for (i = 0; i < w.ngc; i++) (void)backing_gc_free(s, w.gc[i]);

  /* ours again: frees, a double free, a free of an interior address */
  (void)backing_free(s, a[3]);
  (void)backing_free(s, a[3]);
  if (a[6]) (void)backing_free(s, a[6] + 32);
  (void)backing_free(s, a[6]);
  (void)backing_free(s, a[0]);
  (void)backing_free(s, a[1]);
  (void)backing_gc_free(s, a[5]);
  (void)backing_root_del(s, "fuzz");
  (void)backing_free(s, a[2]);
  (void)backing_gc_unref(s, a[7]);
  (void)backing_gc_unref(s, a[7]);
  (void)backing_gc_unref(s, a[7]);
  (void)backing_gc_cycle(s);
  (void)backing_gc_cycle(s);
  a[0] = backing_alloc(s, 64);
  (void)backing_free(s, a[0]);

  (void)backing_stat(s, &st);
  (void)backing_check(s);
  (void)checked;
}

/* A refused open must leave the file byte for byte as it was. */
static void fs_unchanged(const uint8_t *data, uint64_t n, uint64_t len) {
  static unsigned char back[FS_MAX_ARENAS * 65536];
  uint64_t k;
  FILE *f = fopen(fs_file, "rb");
  if (!f) abort();
  if (fread(back, 1, sizeof back, f) != len) {
    fprintf(stderr, "fuzz_store: a refused open changed the file's size\n");
    abort();
  }
  fclose(f);
  for (k = 0; k < len; k++)
    if (back[k] != (k < n ? data[k] : 0)) {
      fprintf(stderr, "fuzz_store: a refused open changed byte %llu of the file\n",
              (unsigned long long)k);
      abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  backing_config cfg;
  backing *s = NULL;
  uint64_t n = size, arenas;
  FILE *f;

  fs_init();
  if (n > FS_MAX_ARENAS * FS_ARENA) n = FS_MAX_ARENAS * FS_ARENA;
  arenas = n ? (n + FS_ARENA - 1) / FS_ARENA : 1;

  /* BUFFER: the image, zero padding, and room to grow to FS_ROOM arenas */
  memset(fs_buffer, 0, FS_ROOM * FS_ARENA);
  memcpy(fs_buffer, data, (size_t)n);
  memset(&cfg, 0, sizeof cfg);
  cfg.source = BACKING_SOURCE_BUFFER;
  cfg.buffer = fs_buffer;
  cfg.buffer_size = FS_ROOM * FS_ARENA;
  cfg.arena_size = FS_ARENA;
  if (backing_open(&s, &cfg) == 0) {
    fs_use(s);
    backing_close(s);
  }

  /* MMAP: the same image in a file (padded to whole arenas) */
  f = fopen(fs_file, "wb");
  if (!f) abort();
  if (n && fwrite(data, 1, (size_t)n, f) != (size_t)n) abort();
  if (n < arenas * FS_ARENA && /* (pad with zeros; an image of whole arenas needs none) */
      (fseek(f, (long)(arenas * FS_ARENA) - 1, SEEK_SET) != 0 || fputc(0, f) == EOF))
    abort();
  if (fclose(f) != 0) abort();
  memset(&cfg, 0, sizeof cfg);
  cfg.source = BACKING_SOURCE_MMAP;
  cfg.dirname = fs_dir;
  cfg.name = "f";
  cfg.arena_size = FS_ARENA;
  cfg.max_size = FS_ROOM * FS_ARENA;
  s = NULL;
  if (backing_open(&s, &cfg) == 0) {
    fs_use(s);
    backing_close(s);
  } else {
    fs_unchanged(data, n, arenas * FS_ARENA); /* "a store that is refused is left unchanged" */
  }
  unlink(fs_file);
  return 0;
}
