/* gen_seeds.c: writes the seed corpora of the fuzz harnesses (tests/fuzz/corpus/).

     cc -std=c11 -I. -o build/fuzz-gen-seeds tests/fuzz/gen_seeds.c
     build/fuzz-gen-seeds tests/fuzz/corpus

     build/fuzz-gen-seeds --reseal FILE...

   store/: store images with 64 KiB arenas made through the API on a BUFFER source, trailing
   zeros left out (fuzz_store pads them back). ops/ and map/: short operation sequences in
   the byte codes of fuzz_ops.c and fuzz_map.c. */
#define BACKING_IMPLEMENTATION
#include "backing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA ((uint64_t)65536)
#define ROOM 4u

static unsigned char *buf;

static void put(const char *dir, const char *name, const unsigned char *p, size_t n) {
  char path[512];
  FILE *f;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  f = fopen(path, "wb");
  if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
    perror(path);
    exit(1);
  }
}

static backing *fresh_with(int flags) {
  backing_config cfg;
  backing *s;
  memset(buf, 0, ROOM * ARENA);
  memset(&cfg, 0, sizeof cfg);
  cfg.source = BACKING_SOURCE_BUFFER;
  cfg.buffer = buf;
  cfg.buffer_size = ROOM * ARENA;
  cfg.arena_size = ARENA;
  cfg.flags = flags;
  if (backing_open(&s, &cfg) != 0) {
    fprintf(stderr, "gen_seeds: open failed: %s\n", backing_strerror(backing_last_error()));
    exit(1);
  }
  return s;
}
static backing *fresh(void) {
  return fresh_with(0);
}

/* Writes the store's arenas without their trailing zeros. */
static void dump(const char *dir, const char *name, backing *s) {
  backing_stats st;
  size_t n;
  if (backing_check(s) != 0 || backing_stat(s, &st) != 0) {
    fprintf(stderr, "gen_seeds: %s fails check: %s\n", name, backing_check_detail(s));
    exit(1);
  }
  n = (size_t)(st.arena_count * ARENA);
  backing_close(s);
  while (n > 0 && buf[n - 1] == 0) n--;
  put(dir, name, buf, n);
}

static void stores(const char *dir) {
  backing *s;
  backing_addr a[40];
  int i;

  s = fresh();
  dump(dir, "empty", s);

  /* small and large blocks, some freed (free lists and partial slabs), roots */
  s = fresh();
  for (i = 0; i < 40; i++) {
    a[i] = backing_alloc(s, (uint64_t)(i % 5 == 4 ? 600 + 97 * i : 16 + 24 * i));
    if (!a[i]) exit(1);
    memset(backing_ptr(s, a[i]), 0x11 * (i & 7), 16);
  }
  for (i = 0; i < 40; i += 3) backing_free(s, a[i]);
  backing_root_set(s, "list", a[1]);
  backing_root_set(s, "big", a[4]);
  dump(dir, "plain", s);

  /* GC blocks: referenced, waiting at count 0 with ages, and a large one */
  s = fresh();
  for (i = 0; i < 12; i++) a[i] = backing_gc_alloc(s, (uint64_t)(32 + 40 * i), (uint32_t)i, 1);
  a[12] = backing_gc_alloc(s, 5000, 7, 0);
  for (i = 0; i < 12; i += 2) backing_gc_unref(s, a[i]);
  backing_gc_cycle(s);
  backing_gc_unref(s, a[1]);
  backing_root_set(s, "gc", a[3]);
  dump(dir, "gc", s);

  /* two arenas: a block too big to share arena 0 with the first one */
  s = fresh();
  a[0] = backing_alloc(s, 40000);
  a[1] = backing_alloc(s, 40000);
  a[2] = backing_alloc(s, 100);
  a[3] = backing_gc_alloc(s, 200, 1, 0);
  backing_free(s, a[0]);
  dump(dir, "two-arenas", s);

  /* a span: a huge block over arenas 1 and 2 (BACKING_HUGE), then blocks in arena 0 */
  s = fresh_with(BACKING_HUGE);
  a[0] = backing_alloc(s, 70000);
  if (!a[0]) exit(1);
  memset(backing_ptr(s, a[0]), 0x5a, 70000);
  a[1] = backing_alloc(s, 300);
  a[2] = backing_gc_alloc(s, 64, 3, 0);
  backing_root_set(s, "huge", a[0]);
  dump(dir, "span", s);
}

static void ops(const char *dir) {
  /* fuzz_ops.c codes: op byte (mod 24), then its arguments (u16 little-endian) */
  static const unsigned char allocs[] = {0,  24, 0,  0, 0, 20, 1, 100,  0,  2,  200, 0,  8,  3,
                                         0,  0,  8,  4, 1, 5,  0, 6,    2,  5,  0,   20, 64, 0,
                                         16, 0,  15, 0, 4, 0,  2, 0x5a, 17, 23, 4,   0};
  static const unsigned char gc[] = {7,  48, 0,  4, 7,  0, 16, 0,  21, 32, 0,  9,  9,
                                     0,  10, 10, 8, 1,  9, 1,  11, 0,  18, 19, 1,  10,
                                     22, 0,  22, 1, 17, 7, 64, 0,  0,  10, 10, 10, 17};
  static const unsigned char roots[] = {0,  64, 0,  12, 0,  0, 12, 1,  0, 13, 0, 13, 5,
                                        14, 0,  14, 0,  12, 2, 0,  17, 6, 4,  1, 0};
  static const unsigned char fill[] = {
      0, 0xf0, 0xef, 0, 0xf0, 0xef, 0, 0xf0, 0xef, 0,  0xf0, 0xef, 0,  0xf0, 0xef, 0, 16, 0,
      7, 16,   0,    0, 4,    0,    4, 1,    17,   20, 0xf0, 0xef, 15, 0,    0,    0, 0,  0x11};
  put(dir, "allocs", allocs, sizeof allocs);
  put(dir, "gc", gc, sizeof gc);
  put(dir, "roots", roots, sizeof roots);
  put(dir, "fill", fill, sizeof fill);
  { /* containers: op bytes 216.. (fuzz_ops.c fo_cstep): maps, vectors, strings, wrong kinds */
    static const unsigned char cont[] = {
        216, 0,  4,   217, 0,   5,   1,   10,  0,   217, 0, 0,   2,   0, 0,   217, 0,   1,
        3,   0,  0,   231, 0,   39,  1,   200, 1,   217, 0, 38,  4,   0, 0,   219, 0,   5,
        221, 0,  220, 0,   5,   220, 0,   5,   223, 1,   1, 0,   224, 1, 60,  225, 1,   3,
        226, 1,  100, 0,   227, 1,   5,   0,   9,   229, 0, 20,  0,   7, 235, 234, 0,   0,
        234, 1,  1,   234, 2,   0,   234, 5,   0,   230, 0, 234, 4,   0, 222, 0,   234, 4,
        0,   10, 10,  228, 1,   17,  216, 1,   0,   217, 1, 0,   1,   0, 0,   221, 1};
    put(dir, "containers", cont, sizeof cont);
  }
}

static void maps(const char *dir) {
  /* fuzz_map.c: two bytes size the file, then op, slot, arguments; a number is a kind byte
     and a value */
  static const unsigned char whole[] = {2, 10, 0, 0, 5, 5, 0, 0,   1,   0, 100,  0, 1, 2, 2,  0, 2,
                                        1, 1,  0, 0, 1, 5, 2, 10,  0,   3, 0x41, 6, 0, 3, 1,  0, 0,
                                        0, 1,  4, 4, 0, 0, 0, 255, 255, 2, 2,    0, 0, 0, 16, 0, 8,
                                        0, 0,  0, 0, 0, 1, 0, 1,   1,   1, 2,    7, 0, 2, 9,  0};
  static const unsigned char create[] = {1,  0, 0, 0, 0, 0, 0, 1, 20, 5, 5, 0, 0, 1,
                                         10, 7, 6, 0, 0, 1, 2, 3, 0,  0, 1, 1, 1, 0};
  static const unsigned char edges[] = {3, 3, 0, 0, 3, 0, 0,  0, 0, 0, 0, 0, 2, 0,
                                        0, 0, 0, 0, 0, 2, 40, 5, 0, 7, 0, 0, 9, 0};
  put(dir, "whole", whole, sizeof whole);
  put(dir, "create", create, sizeof create);
  put(dir, "edges", edges, sizeof edges);
}

/* --reseal: carries saved inputs (tests/fuzz/crashes/store-*) over a format version bump, so
   that they go on testing what they found: every arena header of the old version whose
   checksum was right gets this version, sealed again; the rest stays as it was. */
static int reseal(const char *path) {
  static unsigned char img[64u * 65536];
  FILE *f = fopen(path, "rb");
  size_t n, off;
  int changed = 0;
  if (!f) return perror(path), 1;
  n = fread(img, 1, sizeof img, f);
  fclose(f);
  for (off = 0; off + sizeof(backing__ident) <= n; off += ARENA) {
    backing__ident *id = (backing__ident *)(void *)(img + off);
    if (id->magic != BACKING__MAGIC || id->format != BACKING_FORMAT_VERSION - 1 ||
        id->checksum != backing__fnv(id, offsetof(backing__ident, checksum)))
      continue;
    id->format = BACKING_FORMAT_VERSION;
    backing__seal(id);
    changed++;
  }
  if (changed) put(".", path, img, n);
  printf("%s: %d arena headers resealed\n", path, changed);
  return 0;
}

int main(int argc, char **argv) {
  char d[400];
  if (argc >= 3 && strcmp(argv[1], "--reseal") == 0) {
    int i, r = 0;
    for (i = 2; i < argc; i++) r |= reseal(argv[i]);
    return r;
  }
  if (argc != 2) {
    fprintf(stderr, "usage: %s <corpus dir> | --reseal FILE...\n", argv[0]);
    return 2;
  }
  buf = (unsigned char *)aligned_alloc(4096, ROOM * ARENA);
  if (!buf) return 1;
  snprintf(d, sizeof d, "%s/store", argv[1]);
  stores(d);
  snprintf(d, sizeof d, "%s/ops", argv[1]);
  ops(d);
  snprintf(d, sizeof d, "%s/map", argv[1]);
  maps(d);
  free(buf);
  return 0;
}
