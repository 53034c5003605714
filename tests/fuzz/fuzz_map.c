/* fuzz_map.c: libFuzzer harness for the mapping layer (backing_file_map / unmap, msync,
   madvise, mincore) with fuzzed offsets, lengths and flags on a small temporary file.

   A model of the file (its bytes) and of every mapping (slot, flags, range, private copy)
   is kept; the harness aborts when
   - a map that should succeed fails, or one that should fail (bad flags, a range not
     inside the file without CREATE, an offset + length that wraps) succeeds;
   - a mapping's length or bytes differ from the file (or, for PRIVATE, from its own
     writes), or the file differs from the model (PRIVATE writes must not reach it);
   - msync / madvise / mincore refuse a valid range inside a mapping, accept a bad flag or
     advice, or accept a range whose end wraps around the address space;
   - mincore's page count is not that of the widened range;
   - a FIFO, a directory, an empty or a missing file is mapped, or mapping one blocks.

   Input: first byte and second byte size the file; then op records (op byte + arguments,
   missing bytes read as 0), see fm_step. Ranges given to msync / madvise / mincore stay
   inside a mapping, except the wrapping ones (made to be refused); DONTNEED is given only
   inside a mapping.
   Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_map.c */
#define BACKING_IMPLEMENTATION
#include "backing.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FM_SLOTS 6
#define FM_MAX_FILE ((uint64_t)1 << 20) /* CREATE never extends the file past 1 MiB */
#define FM_MAX_OPS 200u

typedef struct fm_slot {
  backing_mapping m;
  int used, flags;
  uint64_t offset;
  unsigned char *priv; /* PRIVATE: what the mapping must hold */
} fm_slot;

static char fm_dir[256], fm_file[300], fm_fifo[300], fm_empty[300], fm_sub[300], fm_none[300];
static unsigned char *fm_model; /* FM_MAX_FILE bytes */
static uint64_t fm_size;
static fm_slot fm_slots[FM_SLOTS];
static const uint8_t *fm_p, *fm_end;
static uint64_t fm_ps;

static void fm_fail(const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "fuzz_map model violation: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, " (last error %d: %s)\n", backing_last_error(),
          backing_strerror(backing_last_error()));
  abort();
}

static unsigned fm_byte(void) {
  return fm_p < fm_end ? *fm_p++ : 0u;
}
static unsigned fm_u16(void) {
  unsigned lo = fm_byte();
  return lo | fm_byte() << 8;
}
static uint64_t fm_u64(void) {
  uint64_t v = 0;
  int i;
  for (i = 0; i < 8; i++) v |= (uint64_t)fm_byte() << (8 * i);
  return v;
}

/* An offset or a length: a kind byte, then a value. */
static uint64_t fm_number(void) {
  unsigned kind = fm_byte() % 6;
  switch (kind) {
  case 0:
    return fm_u16() % 8192u; /* small, any alignment */
  case 1:
    return (uint64_t)(fm_byte() % 16) * fm_ps; /* page multiples */
  case 2:
    return fm_size + (uint64_t)((int)(fm_byte() % 64) - 32); /* around the file's end */
  case 3:
    return UINT64_MAX - fm_u16(); /* near the top: wraps */
  case 4:
    return fm_u64(); /* anything */
  default:
    return 0;
  }
}

static void fm_cleanup(void) {
  unlink(fm_file);
  unlink(fm_fifo);
  unlink(fm_empty);
  rmdir(fm_sub);
  rmdir(fm_dir);
}

static void fm_init(void) {
  const char *t = getenv("TMPDIR");
  FILE *f;
  if (fm_model) return;
  fm_ps = backing_pagesize();
  fm_model = (unsigned char *)malloc(FM_MAX_FILE);
  if (!fm_model) abort();
  snprintf(fm_dir, sizeof fm_dir, "%s/backing-fuzz-map-XXXXXX", t && t[0] ? t : "/tmp");
  if (!mkdtemp(fm_dir)) abort();
  snprintf(fm_file, sizeof fm_file, "%s/file", fm_dir);
  snprintf(fm_fifo, sizeof fm_fifo, "%s/fifo", fm_dir);
  snprintf(fm_empty, sizeof fm_empty, "%s/empty", fm_dir);
  snprintf(fm_sub, sizeof fm_sub, "%s/dir", fm_dir);
  snprintf(fm_none, sizeof fm_none, "%s/missing", fm_dir);
  if (mkfifo(fm_fifo, 0600) != 0 || mkdir(fm_sub, 0700) != 0) abort();
  f = fopen(fm_empty, "wb");
  if (!f || fclose(f) != 0) abort();
  atexit(fm_cleanup);
}

/* The file as the model says it is, and every mapping as it must be. */
static void fm_verify(void) {
  static unsigned char back[1 << 20];
  FILE *f = fopen(fm_file, "rb");
  size_t got;
  int k;
  if (!f) fm_fail("the file is gone");
  got = fread(back, 1, sizeof back, f);
  fclose(f);
  if (got != fm_size) fm_fail("file size %zu, model %llu", got, (unsigned long long)fm_size);
  if (memcmp(back, fm_model, (size_t)fm_size) != 0) fm_fail("file contents differ from the model");
  for (k = 0; k < FM_SLOTS; k++) {
    fm_slot *sl = &fm_slots[k];
    const unsigned char *want;
    if (!sl->used) continue;
    want = sl->priv ? sl->priv : fm_model + sl->offset;
    if (memcmp(sl->m.data, want, (size_t)sl->m.length) != 0)
      fm_fail("mapping %d (offset %llu, %llu bytes, flags %d) differs from %s", k,
              (unsigned long long)sl->offset, (unsigned long long)sl->m.length, sl->flags,
              sl->priv ? "its private copy" : "the file");
  }
}

/* A range inside slot sl's mapping: *addr and *len from two u16. */
static void fm_range(fm_slot *sl, unsigned char **addr, uint64_t *len) {
  uint64_t off = fm_u16() % sl->m.length;
  *addr = (unsigned char *)sl->m.data + off;
  *len = fm_u16() % (sl->m.length - off + 1);
}

/* Pages [start, start + n) of a PRIVATE mapping after madvise: DONTNEED gives the file's
   bytes back (the private copy is dropped), other advice keeps them. Either way the pages
   are made private again (written) so that later writes to the file do not show. */
static void fm_after_advice(fm_slot *sl, uintptr_t start, uint64_t n, int dontneed) {
  unsigned char *d = (unsigned char *)sl->m.data;
  uint64_t k;
  for (k = 0; k < sl->m.length; k++) {
    uintptr_t at = (uintptr_t)(d + k);
    if (at < start || at >= start + n) continue;
    if (dontneed) sl->priv[k] = fm_model[sl->offset + k];
    if (d[k] != sl->priv[k])
      fm_fail("private mapping byte %llu after madvise %s: %02x, want %02x", (unsigned long long)k,
              dontneed ? "DONTNEED" : "", d[k], sl->priv[k]);
    d[k] = sl->priv[k]; /* copy-on-write again */
  }
}

static void fm_map(fm_slot *sl) {
  uint64_t offset = fm_number(), length = fm_number(), end, want_len;
  int flags = (int)(fm_byte() % 12), mode = flags & 3, ok, r;
  if (sl->used) return;
  end = offset + length;
  /* CREATE only where the file stays small */
  if ((flags & BACKING_MAP_CREATE) && (end < offset || end > FM_MAX_FILE))
    flags &= ~BACKING_MAP_CREATE;
  ok = flags <= 7 && mode != 3 && (!(flags & BACKING_MAP_CREATE) || mode == BACKING_MAP_SHARED);
  if (length == 0) {
    ok = ok && offset < fm_size;
    want_len = fm_size - offset;
  } else {
    ok = ok && end >= offset && (end <= fm_size || (flags & BACKING_MAP_CREATE));
    want_len = length;
  }
  r = backing_file_map(&sl->m, fm_file, offset, length, flags);
  if (r == 0 && !ok)
    fm_fail("file_map(offset %llu, length %llu, flags %d) on a %llu-byte file succeeded",
            (unsigned long long)offset, (unsigned long long)length, flags,
            (unsigned long long)fm_size);
  if (r != 0 && ok)
    fm_fail("file_map(offset %llu, length %llu, flags %d) on a %llu-byte file failed: %d",
            (unsigned long long)offset, (unsigned long long)length, flags,
            (unsigned long long)fm_size, r);
  if (r != 0) {
    if (sl->m.data || sl->m.map_base) fm_fail("failed file_map left a mapping in *m");
    if (r != backing_last_error()) fm_fail("file_map returned %d, last error differs", r);
    return;
  }
  if (sl->m.length != want_len || !sl->m.data)
    fm_fail("file_map length %llu, want %llu", (unsigned long long)sl->m.length,
            (unsigned long long)want_len);
  if (((uintptr_t)sl->m.data - (uintptr_t)sl->m.map_base) != offset % fm_ps)
    fm_fail("file_map data is not at the offset within its page");
  if (offset + want_len > fm_size) { /* CREATE extended the file: zeros */
    memset(fm_model + fm_size, 0, (size_t)(offset + want_len - fm_size));
    fm_size = offset + want_len;
  }
  sl->used = 1;
  sl->flags = flags;
  sl->offset = offset;
  sl->priv = NULL;
  if (mode == BACKING_MAP_PRIVATE) {
    unsigned char *d = (unsigned char *)sl->m.data;
    uint64_t k;
    sl->priv = (unsigned char *)malloc((size_t)sl->m.length);
    if (!sl->priv) abort();
    memcpy(sl->priv, fm_model + offset, (size_t)sl->m.length);
    for (k = 0; k < sl->m.length; k++) d[k] = sl->priv[k]; /* every page copied now */
  }
  fm_verify();
}

static void fm_unmap(fm_slot *sl) {
  int r = backing_file_unmap(&sl->m);
  if (!sl->used) {
    if (r == 0) fm_fail("file_unmap of no mapping succeeded");
    return;
  }
  if (r != 0) fm_fail("file_unmap failed");
  if (sl->m.data || sl->m.map_base) fm_fail("file_unmap left the map filled in");
  free(sl->priv);
  memset(sl, 0, sizeof *sl);
}

static void fm_step(unsigned op) {
  fm_slot *sl = &fm_slots[fm_byte() % FM_SLOTS];
  switch (op % 10) {
  case 0:
    fm_map(sl);
    break;
  case 1:
    fm_unmap(sl);
    break;
  case 2: { /* msync inside a mapping */
    unsigned char *a;
    uint64_t len;
    int flags = (int)(fm_byte() % 5), r;
    if (!sl->used) break;
    fm_range(sl, &a, &len);
    r = backing_msync(a, len, flags);
    if ((flags & ~3) ? r != BACKING_EINVAL : r != 0)
      fm_fail("msync(+%llu, %llu, %d) returned %d",
              (unsigned long long)(a - (unsigned char *)sl->m.data), (unsigned long long)len, flags,
              r);
    break;
  }
  case 3: { /* madvise inside a mapping */
    unsigned char *a;
    uint64_t len;
    int advice = (int)(fm_byte() % 7), r;
    if (!sl->used) break;
    fm_range(sl, &a, &len);
    r = backing_madvise(a, len, advice);
    if (advice > 4 ? r != BACKING_EINVAL : r != 0)
      fm_fail("madvise(+%llu, %llu, %d) returned %d",
              (unsigned long long)(a - (unsigned char *)sl->m.data), (unsigned long long)len,
              advice, r);
    if (sl->priv && r == 0 && len) {
      uintptr_t start = (uintptr_t)a & ~(uintptr_t)(fm_ps - 1);
      uint64_t n = (((uintptr_t)a + len + fm_ps - 1) & ~(uintptr_t)(fm_ps - 1)) - start;
      fm_after_advice(sl, start, n, advice == BACKING_ADVICE_DONTNEED);
    }
    break;
  }
  case 4: { /* mincore inside a mapping */
    unsigned char *a;
    uint64_t len, res = 0, total = 0, want;
    uintptr_t start;
    int r;
    if (!sl->used) break;
    fm_range(sl, &a, &len);
    r = backing_mincore(a, len, &res, &total);
    start = (uintptr_t)a & ~(uintptr_t)(fm_ps - 1);
    want = ((((uintptr_t)a + len + fm_ps - 1) & ~(uintptr_t)(fm_ps - 1)) - start) / fm_ps;
    if (r != 0 || total != want || res > total)
      fm_fail("mincore(+%llu, %llu) = %d: %llu of %llu pages, want %llu pages",
              (unsigned long long)(a - (unsigned char *)sl->m.data), (unsigned long long)len, r,
              (unsigned long long)res, (unsigned long long)total, (unsigned long long)want);
    break;
  }
  case 5: { /* write through a writable mapping */
    unsigned char *d;
    uint64_t off, n, k;
    unsigned v;
    if (!sl->used) break;
    off = fm_u16() % sl->m.length;
    n = 1 + fm_byte() * 16u;
    v = fm_byte();
    if (n > sl->m.length - off) n = sl->m.length - off;
    if ((sl->flags & 3) == BACKING_MAP_READ) break;
    d = (unsigned char *)sl->m.data;
    for (k = 0; k < n; k++) {
      unsigned char b = (unsigned char)(v + k * 7u);
      d[off + k] = b;
      if (sl->priv)
        sl->priv[off + k] = b;
      else
        fm_model[sl->offset + off + k] = b;
    }
    break;
  }
  case 6:
    fm_verify();
    break;
  case 7: { /* things that are not a mappable file: refused at once */
    static const char *const paths[] = {fm_fifo, fm_sub, fm_empty, fm_none};
    backing_mapping m;
    unsigned w = fm_byte();
    int flags = (int)((w >> 2) % 3), r;
    uint64_t length = (w & 64) ? 1 : 0;
    r = backing_file_map(&m, paths[w % 4], 0, length, flags);
    if (r == 0) fm_fail("file_map of %s succeeded", paths[w % 4]);
    if (w % 4 == 2 && r != -18 /* BACKING_ERANGE */ && r != BACKING_EINVAL)
      fm_fail("file_map of an empty file returned %d", r);
    break;
  }
  case 8: { /* a range whose end wraps around the address space: EINVAL */
    unsigned char *a;
    uint64_t len, res, total;
    unsigned which = fm_byte() % 3;
    int r;
    if (!sl->used) break;
    a = (unsigned char *)sl->m.data + fm_u16() % sl->m.length;
    len = (uint64_t)0 - (uint64_t)(uintptr_t)a + fm_u16(); /* addr + len wraps to a small value */
    if (len == 0) len = UINT64_MAX;
    if (which == 0)
      r = backing_msync(a, len, BACKING_SYNC_ASYNC);
    else if (which == 1)
      r = backing_madvise(a, len, BACKING_ADVICE_WILLNEED);
    else
      r = backing_mincore(a, len, &res, &total);
    if (r != BACKING_EINVAL)
      fm_fail("%s(%p, %llu): addr + len wraps, returned %d, want EINVAL",
              which == 0   ? "msync"
              : which == 1 ? "madvise"
                           : "mincore",
              (void *)a, (unsigned long long)len, r);
    break;
  }
  default: { /* NULL and unmapped arguments */
    uint64_t res, total;
    if (backing_msync(NULL, 4096, 0) != BACKING_EINVAL) fm_fail("msync(NULL) accepted");
    if (backing_madvise(NULL, 4096, 0) != BACKING_EINVAL) fm_fail("madvise(NULL) accepted");
    if (backing_mincore(NULL, 4096, &res, &total) != BACKING_EINVAL)
      fm_fail("mincore(NULL) accepted");
    if (sl->used && backing_mincore(sl->m.data, 1, NULL, &total) != BACKING_EINVAL)
      fm_fail("mincore with a NULL out-parameter accepted");
    if (backing_file_map(NULL, fm_file, 0, 0, 0) != BACKING_EINVAL) fm_fail("file_map(NULL m)");
    break;
  }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FILE *f;
  uint64_t k;
  unsigned ops = 0;
  int i;
  fm_init();
  fm_p = data;
  fm_end = data + size;
  fm_size = (uint64_t)(fm_byte() % 4) * fm_ps + fm_byte() * 31u;
  for (k = 0; k < fm_size; k++) fm_model[k] = (unsigned char)(k * 131u + (k >> 9) + 1u);
  f = fopen(fm_file, "wb");
  if (!f || (fm_size && fwrite(fm_model, 1, (size_t)fm_size, f) != fm_size) || fclose(f) != 0)
    abort();
  while (fm_p < fm_end && ops++ < FM_MAX_OPS) fm_step(fm_byte());
  fm_verify();
  for (i = 0; i < FM_SLOTS; i++)
    if (fm_slots[i].used) fm_unmap(&fm_slots[i]);
  unlink(fm_file);
  return 0;
}
