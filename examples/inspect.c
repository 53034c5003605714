/* inspect.c: look inside a store file from the shell (`make install` names it
   backing-inspect). It shows the diagnostics API (backing_stat, backing_check and its
   detail, backing_walk), reading a store through a BACKING_RDONLY handle, iterating a map
   with a cursor, and the on-disk format (README: "On-disk format") read from the file.

     backing-inspect [--json] [--rw] DIR/NAME.backing COMMAND
       stat            the store's figures (--json: one JSON object)
       check           verify everything; print what is damaged (--json: one JSON object)
       walk            every block: address, size, used / gc / free, "slab" for small blocks
       roots           the named roots: name, address and what each one names
       dump ADDR [LEN] hex dump of LEN bytes (default 256) from store address ADDR
       map ROOT        the keys and values of the map named ROOT (or at address ROOT)
       svg OUT.svg     a picture: each arena a strip of used, GC, slab and free space

   Exit status: 0 success, 1 the store is damaged (check's detail printed), 2 a usage
   error, a store that cannot be opened, or a bad argument. The store is opened read-only
   and never changed; --rw opens it read-write, which only matters for a store a crashed
   writer left to repair (a read-only handle refuses it with BACKING_ERECOVER).
   Keys and BYTES values print as "quoted text" with C escapes, or as 0x... hex when they
   hold control bytes; I64 and F64 values as numbers, ADDR values as @0x... */
#define BACKING_IMPLEMENTATION
#include "backing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *prog = "backing-inspect";
static int json; /* --json */

static int usage(void) {
  fprintf(stderr,
          "usage: %s [--json] [--rw] DIR/NAME.backing COMMAND\n"
          "  stat | check | walk | roots | dump ADDR [LEN] | map ROOT | svg OUT.svg\n"
          "  exit status: 0 ok, 1 damage found, 2 usage or open error\n",
          prog);
  return 2;
}

static int fail(const char *what, int err) {
  fprintf(stderr, "%s: %s: %s\n", prog, what, backing_strerror(err));
  return 2;
}

/* A damaged store: what the library found, exit status 1. */
static int damaged(backing *s, const char *what) {
  fprintf(stderr, "%s: %s: store is damaged: %s\n", prog, what, backing_check_detail(s));
  return 1;
}

/* ---- The file's own bytes, for what the API does not list: the root table's names and
   each arena's data start (README, "On-disk format"). Mapped read-only. */
typedef struct raw {
  backing_mapping m;
  const unsigned char *p;
  uint64_t size;
} raw;

static uint64_t raw_u(const raw *r, uint64_t off, unsigned width) {
  uint32_t v32;
  uint64_t v64;
  if (!r->p || off > r->size || width > r->size - off) return 0;
  if (width == 4) {
    memcpy(&v32, r->p + off, 4);
    return v32;
  }
  memcpy(&v64, r->p + off, 8);
  return v64;
}

/* Arena 0's data start is H + 6144; the roots are at H + 256, 60 of {name[56], u64}. */
#define ROOT_AT(r, k) (raw_u((r), 12, 4) - 6144 + 256 + (uint64_t)(k)*64)

/* The name of root slot k (NULL if empty or not a NUL-terminated name) and its address. */
static const char *raw_root(const raw *r, int k, uint64_t *addr) {
  uint64_t at = ROOT_AT(r, k);
  const char *name;
  if (raw_u(r, 12, 4) < 6144 || at + 64 > r->size) return NULL;
  name = (const char *)r->p + at;
  if (!name[0] || !memchr(name, 0, BACKING_ROOT_NAME_MAX + 1)) return NULL;
  *addr = raw_u(r, at + 56, 8);
  return name;
}

/* What every command gets: the handle, the file's bytes, the path, its own arguments. */
typedef struct job {
  backing *s;
  raw r;
  const char *path;
  char **argv;
  int argc;
} job;

/* ---- Opening: DIR/NAME.backing becomes dirname DIR, name NAME. */
#define BAD_PATH (-1000) /* open_store: not a .backing path (reported) */
static int open_store(const char *path, int rw, backing **s, raw *r) {
  backing_config cfg;
  char *copy = (char *)malloc(strlen(path) + 1), *slash, *name;
  size_t n;
  int err;
  if (!copy) return BACKING_ENOMEM;
  strcpy(copy, path);
  slash = strrchr(copy, '/') ? strrchr(copy, '/') : strrchr(copy, '\\');
  name = slash ? slash + 1 : copy;
  n = strlen(name);
  if (n <= 8 || strcmp(name + n - 8, ".backing") != 0) {
    fprintf(stderr, "%s: %s: expected a path DIR/NAME.backing\n", prog, path);
    free(copy);
    return BAD_PATH;
  }
  name[n - 8] = 0;
  if (slash) *slash = 0;
  memset(&cfg, 0, sizeof cfg);
  cfg.dirname = !slash ? "." : slash == copy ? "/" : copy;
  cfg.name = name;
  cfg.source = BACKING_SOURCE_MMAP;
  cfg.flags = BACKING_NOCREATE | (rw ? 0 : BACKING_RDONLY);
  err = backing_open(s, &cfg);
  free(copy);
  memset(r, 0, sizeof *r);
  if (err) return err;
  if (backing_file_map(&r->m, path, 0, 0, BACKING_MAP_READ) == 0) {
    r->p = (const unsigned char *)r->m.data;
    r->size = r->m.length;
  }
  return 0;
}

/* ---- Printing helpers */
static const char *human(uint64_t n, char *buf) { /* buf: 32 bytes */
  const char *unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  double v = (double)n;
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, u++;
  sprintf(buf, u == 0 || v == (double)(uint64_t)v ? "%.0f %s" : "%.1f %s", v, unit[u]);
  return buf;
}

/* Bytes as "text" with C escapes, or 0x hex if they hold control bytes; at most 160. */
static void print_bytes(const unsigned char *p, uint64_t len) {
  static const char from[] = "\"\\\t\n\r", to[] = "\"\\tnr";
  uint64_t i, shown = len > 160 ? 160 : len;
  int text = 1;
  for (i = 0; i < len; i++)
    if ((p[i] < 0x20 && !strchr(from, p[i] ? p[i] : 'x')) || p[i] == 0x7f) text = 0;
  printf(text ? "\"" : "0x");
  for (i = 0; i < shown; i++) {
    const char *e = p[i] ? strchr(from, p[i]) : NULL;
    if (!text)
      printf("%02x", p[i]);
    else if (e)
      printf("\\%c", to[e - from]);
    else
      printf(p[i] < 0x80 ? "%c" : "\\x%02x", p[i]);
  }
  if (text) putchar('"');
  if (shown < len) printf("... (%llu bytes)", (unsigned long long)len);
}

/* A string for JSON (with its quotes) or for SVG text. */
static void json_str(FILE *f, const char *str) {
  fputc('"', f);
  for (; *str; str++) {
    unsigned char c = (unsigned char)*str;
    fprintf(f, c == '"' || c == '\\' ? "\\%c" : c < 0x20 ? "\\u%04x" : "%c", c);
  }
  fputc('"', f);
}
static void xml_text(FILE *f, const char *str) {
  for (; *str; str++) {
    const char *e = *str == '<' ? "&lt;" : *str == '>' ? "&gt;" : *str == '&' ? "&amp;" : NULL;
    if (e)
      fputs(e, f);
    else
      fputc(*str, f);
  }
}

/* ---- stat and check */
static int cmd_stat(job *j) {
  backing *s = j->s;
  const raw *r = &j->r;
  const char *path = j->path;
  backing_stats st;
  char b1[32], b2[32];
  int err = backing_stat(s, &st), k, roots = 0;
  uint64_t a;
  if (err == BACKING_ECORRUPT) return damaged(s, "stat");
  if (err) return fail("stat", err);
  for (k = 0; k < BACKING_ROOT_MAX; k++) roots += raw_root(r, k, &a) != NULL;
  if (json) {
    const struct {
      const char *key;
      uint64_t v;
    } f[] = {{"file_size", r->size},
             {"format_version", raw_u(r, 8, 4)},
             {"arena_size", st.arena_size},
             {"arena_count", st.arena_count},
             {"capacity", st.capacity},
             {"used_bytes", st.used_bytes},
             {"used_blocks", st.used_blocks},
             {"free_bytes", st.free_bytes},
             {"free_blocks", st.free_blocks},
             {"largest_free", st.largest_free},
             {"slabs", st.slabs},
             {"gc_waiting", st.gc_waiting},
             {"max_block", st.max_block},
             {"roots", (uint64_t)roots}};
    printf("{\"path\": ");
    json_str(stdout, path);
    for (k = 0; k < (int)(sizeof f / sizeof f[0]); k++)
      printf(", \"%s\": %llu", f[k].key, (unsigned long long)f[k].v);
    printf("}\n");
    return 0;
  }
  printf("store         %s (%s, format version %u)\n", path, human(r->size, b1),
         (unsigned)raw_u(r, 8, 4));
  printf("arenas        %llu of %s (capacity %s)\n", (unsigned long long)st.arena_count,
         human(st.arena_size, b1), human(st.capacity, b2));
  printf("used          %llu blocks, %s\n", (unsigned long long)st.used_blocks,
         human(st.used_bytes, b1));
  printf("free          %llu blocks, %s (largest %s)\n", (unsigned long long)st.free_blocks,
         human(st.free_bytes, b1), human(st.largest_free, b2));
  printf("slabs         %llu\n", (unsigned long long)st.slabs);
  printf("gc waiting    %llu\n", (unsigned long long)st.gc_waiting);
  printf("largest block %llu bytes\n", (unsigned long long)st.max_block);
  printf("roots         %d of %d\n", roots, BACKING_ROOT_MAX);
  return 0;
}

/* A store refused at open as damaged comes here with j->s NULL. */
static int cmd_check(job *j) {
  int err = j->s ? backing_check(j->s) : BACKING_ECORRUPT;
  const char *path = j->path;
  const char *detail = !j->s ? "refused at open (not a store, a damaged first header, or cut short)"
                       : err ? backing_check_detail(j->s)
                             : "";
  if (json) {
    printf("{\"path\": ");
    json_str(stdout, path);
    printf(", \"ok\": %s, \"error\": ", err ? "false" : "true");
    if (err)
      json_str(stdout, backing_strerror(err));
    else
      printf("null");
    printf(", \"detail\": ");
    json_str(stdout, detail);
    printf("}\n");
  } else if (!err) {
    printf("%s: ok\n", path);
  } else {
    printf("%s: %s: %s\n", path, backing_strerror(err), detail);
  }
  return err == 0 ? 0 : err == BACKING_ECORRUPT ? 1 : 2;
}

/* ---- Following the walk: it reports live blocks by their user address and usable size
   and free space by its start and total size, in address order. Large blocks and free
   space tile an arena from its data start; a 32 KiB slab is one block whose header says
   so, and the small blocks inside it are reported one by one (free slots not at all).
   So keeping `cur`, the offset where the next block begins, tells each block's whole
   extent (headers included) and whether it lies in a slab. */
enum { K_META, K_USED, K_GC, K_SLAB, K_SLOTS, K_FREE, K_N }; /* K_SLOTS: a slab's free slots */
static const char *const kind_name[K_N] = {"arena header", "used",       "GC",
                                           "slab, in use", "slab, free", "free"};
static const char *const kind_colour[K_N] = {"#8c8c8c", "#3b75af", "#ef8a2c",
                                             "#4e9a45", "#b5dcab", "#e6e6e6"};

#define SLAB 32768u /* small blocks are carved from 32 KiB slabs */

typedef struct tracker {
  backing *s;
  const raw *r;
  uint64_t asize;    /* arena size */
  uint64_t arena;    /* the arena being walked, UINT64_MAX before the first */
  uint64_t cur;      /* arena offset where the next block starts */
  uint64_t slab_end; /* the end of the slab being walked, 0 if none */
  void (*area)(void *ctx, uint64_t arena, int kind, uint64_t lo, uint64_t hi);
  void *ctx;
} tracker;

static void track_area(tracker *t, int kind, uint64_t lo, uint64_t hi) {
  if (t->area && hi > lo) t->area(t->ctx, t->arena, kind, lo, hi);
}

/* Is there a slab block at arena offset `off`? Its header's size word says 32 KiB, used,
   slab (README: large block header). */
static int slab_at(tracker *t, uint64_t off) {
  uint32_t word;
  if ((off + 16) % SLAB || off + SLAB > t->asize) return 0;
  if (backing_read(t->s, t->arena * t->asize + off + 8, &word, 4) != 0) return 0;
  return (word & ~(uint32_t)2) == (SLAB | 1 | 4); /* size, USED, SLAB; PREV_FREE may be set */
}

/* Account for one block of the walk; returns 1 if it lies in a slab. */
static int track(tracker *t, backing_addr a, uint64_t size, int state) {
  uint64_t i = a / t->asize, off = a % t->asize;
  if (i != t->arena) {
    uint64_t start = raw_u(t->r, i * t->asize + 12, 4);
    t->arena = i;
    t->cur = start < t->asize ? start : 0;
    t->slab_end = 0;
    track_area(t, K_META, 0, t->cur);
  }
  while (off >= t->slab_end && state != BACKING_BLOCK_FREE && t->cur < off &&
         slab_at(t, t->cur)) { /* a slab starts at cur: all free slots until told */
    track_area(t, K_SLOTS, t->cur, t->cur + SLAB);
    t->cur = t->slab_end = t->cur + SLAB;
  }
  if (off < t->slab_end) { /* a small block: a GC one has its header in the slot */
    track_area(t, K_SLAB, state == BACKING_BLOCK_GC ? off - 16 : off, off + size);
    return 1;
  }
  if (off + size > t->cur) {
    int kind = state == BACKING_BLOCK_FREE ? K_FREE : state == BACKING_BLOCK_GC ? K_GC : K_USED;
    track_area(t, kind, t->cur < off ? t->cur : off, off + size);
    t->cur = off + size;
  }
  return 0;
}

static void tracker_init(tracker *t, backing *s, const raw *r, uint64_t asize) {
  memset(t, 0, sizeof *t);
  t->s = s;
  t->r = r;
  t->asize = asize;
  t->arena = UINT64_MAX;
}

/* ---- walk */
static int walk_cb(backing *s, backing_addr a, uint64_t size, int state, void *ctx) {
  int in_slab = track((tracker *)ctx, a, size, state);
  const char *name = state == BACKING_BLOCK_FREE ? "free"
                     : state == BACKING_BLOCK_GC ? "gc"
                                                 : "used";
  (void)s;
  printf("0x%010llx %10llu %s%s\n", (unsigned long long)a, (unsigned long long)size, name,
         in_slab ? " slab" : "");
  return 0;
}

static int cmd_walk(job *j) {
  backing_stats st;
  tracker t;
  int err = backing_stat(j->s, &st);
  if (!err) {
    tracker_init(&t, j->s, &j->r, st.arena_size);
    err = backing_walk(j->s, walk_cb, &t);
  }
  if (err == BACKING_ECORRUPT) return damaged(j->s, "walk");
  return err ? fail("walk", err) : 0;
}

/* ---- roots: names from the file's table, addresses and kinds from the API */
static void describe(backing *s, backing_addr a) {
  uint64_t n = backing_map_len(s, a);
  if (!backing_last_error()) {
    printf("map, %llu keys", (unsigned long long)n);
    return;
  }
  n = backing_str_len(s, a);
  if (!backing_last_error()) {
    printf("string, %llu bytes: ", (unsigned long long)n);
    print_bytes((const unsigned char *)backing_str_data(s, a), n > 40 ? 40 : n);
    return;
  }
  n = backing_vec_len(s, a);
  if (!backing_last_error()) {
    printf("vector, %llu elements", (unsigned long long)n);
    return;
  }
  n = backing_gc_sizeof(s, a);
  if (!backing_last_error()) {
    printf("gc block, %llu bytes, type %u, count %u", (unsigned long long)n,
           (unsigned)backing_gc_type(s, a), (unsigned)backing_gc_refcount(s, a));
    return;
  }
  n = backing_sizeof(s, a);
  if (!backing_last_error())
    printf("block, %llu bytes", (unsigned long long)n);
  else
    printf("not a live block (%s)", backing_strerror(backing_last_error()));
}

static int cmd_roots(job *j) {
  int k;
  for (k = 0; k < BACKING_ROOT_MAX; k++) {
    uint64_t addr;
    const char *name = raw_root(&j->r, k, &addr);
    if (!name) continue;
    addr = backing_root_get(j->s, name); /* the library's answer, under its rules */
    printf("%-24s 0x%010llx ", name, (unsigned long long)addr);
    describe(j->s, addr);
    putchar('\n');
  }
  return 0;
}

/* ---- dump */
static int cmd_dump(job *j) {
  backing *s = j->s;
  char *end, *end2 = (char *)"";
  backing_addr a = strtoull(j->argv[0], &end, 0);
  uint64_t len = j->argc == 2 ? strtoull(j->argv[1], &end2, 0) : 256, done;
  unsigned char line[16];
  if (*end || *end2 || !*j->argv[0]) return usage();
  for (done = 0; done < len; done += 16) {
    uint64_t n = len - done < 16 ? len - done : 16, i;
    if (backing_read(s, a + done, line, n) != 0) {
      fprintf(stderr, "%s: dump: 0x%llx is not inside the store's blocks\n", prog,
              (unsigned long long)(a + done));
      return 2;
    }
    printf("%010llx ", (unsigned long long)(a + done));
    for (i = 0; i < 16; i++) {
      if (i < n)
        printf(" %02x", line[i]);
      else
        printf("   ");
    }
    printf("  |");
    for (i = 0; i < n; i++) putchar(line[i] >= 0x20 && line[i] < 0x7f ? line[i] : '.');
    printf("|\n");
  }
  return 0;
}

/* ---- map */
static int cmd_map(job *j) {
  backing *s = j->s;
  const char *root = j->argv[0];
  backing_map_cursor c;
  backing_value v;
  const void *key;
  uint64_t klen;
  backing_addr m = backing_root_get(s, root);
  char *end;
  int r;
  if (!m) { /* not a root name: an address? */
    m = strtoull(root, &end, 0);
    if (*end || !m) return fail(root, BACKING_ENOTFOUND);
  }
  memset(&c, 0, sizeof c);
  while ((r = backing_map_next(s, m, &c, &key, &klen, &v)) == 1) {
    print_bytes((const unsigned char *)key, klen);
    putchar('\t');
    if (v.kind == BACKING_VALUE_BYTES)
      print_bytes((const unsigned char *)v.data, v.len);
    else if (v.kind == BACKING_VALUE_I64)
      printf("%lld", (long long)v.i64);
    else if (v.kind == BACKING_VALUE_F64)
      printf("%.17g", v.f64);
    else
      printf("@0x%llx", (unsigned long long)v.addr);
    putchar('\n');
  }
  if (r == BACKING_ECORRUPT) return damaged(s, root);
  return r ? fail(root, r) : 0;
}

/* ---- svg: each arena a strip COLS pixels wide; a column stacks the share of each kind
   of space in its bytes, and runs of identical columns become one rectangle per kind. */
#define COLS 1024
#define LEFT 80
#define TOP 64
#define STRIP 28
#define PITCH 40

typedef struct picture {
  FILE *f;
  uint64_t asize, count;    /* arena size, arenas to draw */
  uint64_t arena;           /* the arena in cols, UINT64_MAX if none */
  uint64_t cols[COLS][K_N]; /* bytes of each kind per column */
  uint64_t total[K_N];
} picture;

/* A column's stack: kind k fills rows b[k] to b[k + 1] of the strip. */
static void column_stack(const uint64_t *bytes, uint64_t per_col, int *b) {
  uint64_t acc = 0;
  int k;
  for (b[0] = 0, k = 0; k < K_N; k++) {
    acc += bytes[k];
    b[k + 1] = (int)((acc * STRIP + per_col / 2) / per_col);
  }
}

/* The strip of one arena: a path per kind, one rectangle in it per run of equal columns. */
static void strip_flush(picture *p) {
  uint64_t per_col = p->asize / COLS;
  int y = TOP + (int)p->arena * PITCH, c, c0, k, b0[K_N + 1], b[K_N + 1];
  if (p->arena == UINT64_MAX) return;
  fprintf(p->f, "<g class=\"arena\"><text x=\"8\" y=\"%d\">arena %llu</text>\n", y + 19,
          (unsigned long long)p->arena);
  for (k = 0; k < K_N; k++) {
    fprintf(p->f, "<path class=\"k%d\" d=\"", k);
    column_stack(p->cols[0], per_col, b0);
    for (c0 = 0, c = 1; c <= COLS; c++) {
      if (c < COLS) column_stack(p->cols[c], per_col, b);
      if (c < COLS && memcmp(b, b0, sizeof b) == 0) continue;
      if (b0[k + 1] > b0[k])
        fprintf(p->f, "M%d %dh%dv%dh%dz", LEFT + c0, y + b0[k], c - c0, b0[k + 1] - b0[k], c0 - c);
      c0 = c;
      memcpy(b0, b, sizeof b);
    }
    fprintf(p->f, "\"/>\n");
  }
  fprintf(
      p->f,
      "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/></g>\n",
      LEFT, y, COLS, STRIP);
  memset(p->cols, 0, sizeof p->cols);
}

static void svg_area(void *ctx, uint64_t arena, int kind, uint64_t lo, uint64_t hi) {
  picture *p = (picture *)ctx;
  uint64_t per_col = p->asize / COLS, c;
  if (arena >= p->count) return; /* grown since the picture was sized */
  if (arena != p->arena) {
    strip_flush(p);
    p->arena = arena;
  }
  p->total[kind] += hi - lo;
  if (kind == K_SLAB) p->total[K_SLOTS] -= hi - lo; /* slab space found in use */
  for (c = lo / per_col; c < COLS && c * per_col < hi; c++) {
    uint64_t a = lo > c * per_col ? lo : c * per_col;
    uint64_t b = hi < (c + 1) * per_col ? hi : (c + 1) * per_col;
    p->cols[c][kind] += b - a;
    if (kind == K_SLAB) p->cols[c][K_SLOTS] -= b - a;
  }
}

static int svg_cb(backing *s, backing_addr a, uint64_t size, int state, void *ctx) {
  (void)s;
  track((tracker *)ctx, a, size, state);
  return 0;
}

static int cmd_svg(job *j) {
  backing *s = j->s;
  const char *path = j->path, *out = j->argv[0];
  static picture p;
  backing_stats st;
  tracker t;
  char b1[32], b2[32];
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  int err = backing_stat(s, &st), k;
  uint64_t all = 0;
  double height;
  if (err == BACKING_ECORRUPT) return damaged(s, "svg");
  if (err) return fail("svg", err);
  memset(&p, 0, sizeof p);
  p.asize = st.arena_size;
  p.count = st.arena_count;
  p.arena = UINT64_MAX;
  p.f = fopen(out, "w");
  if (!p.f) {
    perror(out);
    return 2;
  }
  height = TOP + (double)p.count * PITCH + 56;
  fprintf(p.f,
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" "
          "viewBox=\"0 0 %d %.0f\" font-family=\"sans-serif\" font-size=\"13\">\n<style>",
          LEFT + COLS + 16, height, LEFT + COLS + 16, height);
  for (k = 0; k < K_N; k++) fprintf(p.f, ".k%d{fill:%s}", k, kind_colour[k]);
  fprintf(p.f, "</style>\n<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n"
               "<text x=\"8\" y=\"22\" font-size=\"15\" font-weight=\"bold\">");
  xml_text(p.f, base);
  fprintf(p.f, ": %llu arena%s of %s, %s used in %llu blocks</text>\n", (unsigned long long)p.count,
          p.count == 1 ? "" : "s", human(p.asize, b1), human(st.used_bytes, b2),
          (unsigned long long)st.used_blocks);
  for (k = 0; k <= 4; k++) /* a scale: arena offsets at quarters */
    fprintf(p.f, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\" fill=\"#555\">%s</text>\n",
            LEFT + k * COLS / 4, TOP - 8,
            k == 0   ? "start"
            : k == 4 ? "end"
                     : "middle",
            k == 0 ? "0" : human(p.asize / 4 * (uint64_t)k, b1));
  tracker_init(&t, s, &j->r, st.arena_size);
  t.area = svg_area;
  t.ctx = &p;
  err = backing_walk(s, svg_cb, &t);
  strip_flush(&p);
  for (k = 0; k < K_N; k++) all += p.total[k];
  for (k = 0; k < K_N; k++) { /* the legend, three to a row, with each kind's share */
    int x = 8 + k % 3 * 360, y = (int)height - 52 + k / 3 * 22;
    char label[96];
    sprintf(label, "%s %s (%.1f%%)", kind_name[k], human(p.total[k], b1),
            all ? 100.0 * (double)p.total[k] / (double)all : 0.0);
    fprintf(p.f,
            "<rect class=\"k%d\" x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" stroke=\"#444\"/>"
            "<text x=\"%d\" y=\"%d\">%s</text>\n",
            k, x, y, x + 20, y + 12, label);
  }
  fprintf(p.f, "</svg>\n");
  if (fclose(p.f) != 0) {
    perror(out);
    return 2;
  }
  if (err == BACKING_ECORRUPT) return damaged(s, "svg");
  return err ? fail("svg", err) : 0;
}

static const struct command {
  const char *name;
  int (*run)(job *j);
  int min_args, max_args, json;
} commands[] = {{"stat", cmd_stat, 0, 0, 1}, {"check", cmd_check, 0, 0, 1},
                {"walk", cmd_walk, 0, 0, 0}, {"roots", cmd_roots, 0, 0, 0},
                {"dump", cmd_dump, 1, 2, 0}, {"map", cmd_map, 1, 1, 0},
                {"svg", cmd_svg, 1, 1, 0}};
#define NCOMMANDS (int)(sizeof commands / sizeof commands[0])

int main(int argc, char **argv) {
  const struct command *cmd = commands;
  job j;
  int i = 1, rw = 0, err, rc;
  for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
    json |= strcmp(argv[i], "--json") == 0;
    rw |= strcmp(argv[i], "--rw") == 0;
    if (strcmp(argv[i], "--json") != 0 && strcmp(argv[i], "--rw") != 0) return usage();
  }
  if (argc - i < 2) return usage();
  while (cmd < commands + NCOMMANDS && strcmp(argv[i + 1], cmd->name) != 0) cmd++;
  memset(&j, 0, sizeof j);
  j.path = argv[i];
  j.argv = argv + i + 2;
  j.argc = argc - i - 2;
  if (cmd == commands + NCOMMANDS || j.argc < cmd->min_args || j.argc > cmd->max_args ||
      (json && !cmd->json))
    return usage();
  err = open_store(j.path, rw, &j.s, &j.r);
  if (err == BAD_PATH) return 2;
  if (err == BACKING_ECORRUPT && cmd->run == cmd_check) return cmd_check(&j);
  if (err == BACKING_ERECOVER) {
    fprintf(stderr, "%s: %s: %s (try --rw)\n", prog, j.path, backing_strerror(err));
    return 2;
  }
  if (err) return fail(j.path, err);
  rc = cmd->run(&j);
  if (j.r.p) backing_file_unmap(&j.r.m);
  err = backing_close(j.s);
  if (err && !rc) rc = fail("close", err);
  return rc;
}
