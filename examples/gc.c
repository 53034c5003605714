/* gc.c: a cache of decoded assets whose entries live while referenced and are collected
   two cycles after their last unref.

   Each decoded asset is a GC block of type ASSET. A fake frame loop refs the assets a frame
   uses when the frame starts and unrefs them when it ends, then runs one GC cycle. An asset
   nobody used for two cycles is evicted; its destructor prints "evicting <name>" and clears
   its slot in the index, so the next frame that wants it decodes it again. The index (one
   address per asset) is a plain block kept under the root "asset-index". */
#define BACKING_IMPLEMENTATION
#include "backing.h"

#include <stdio.h>
#include <string.h>

enum { ASSET = 1 }; /* the GC type tag of decoded assets */
enum { NASSETS = 3, NFRAMES = 9 };

static const char *const names[NASSETS] = {"hero.png", "sky.png", "tree.png"};

/* What every asset block starts with; the decoded pixels follow. */
struct asset {
  char name[16];
  uint32_t width, height;
};

struct cache {
  backing_addr index; /* NASSETS addresses, 0 = not loaded */
  unsigned frame;
};

/* Runs before an asset is freed: its contents are still there to read. */
static void evict(backing *s, backing_addr a, void *ctx) {
  struct cache *c = (struct cache *)ctx;
  struct asset hdr;
  int i;
  backing_read(s, a, &hdr, sizeof hdr);
  printf("  frame %u: evicting %s\n", c->frame, hdr.name);
  for (i = 0; i < NASSETS; i++)
    if (backing_get_u64(s, c->index + 8 * (uint64_t)i) == a)
      backing_set_u64(s, c->index + 8 * (uint64_t)i, 0);
}

/* The asset, decoded now if the cache does not hold it, with one more reference. */
static backing_addr acquire(backing *s, struct cache *c, int i) {
  backing_addr slot = c->index + 8 * (uint64_t)i;
  backing_addr a = backing_get_u64(s, slot);
  struct asset hdr;
  uint64_t pixels;
  if (a) {
    backing_gc_ref(s, a); /* from 0 this also takes it off the waiting list */
    return a;
  }
  memset(&hdr, 0, sizeof hdr);
  strncpy(hdr.name, names[i], sizeof hdr.name - 1);
  hdr.width = 32u << i;
  hdr.height = 32u << i;
  pixels = 4ull * hdr.width * hdr.height;
  a = backing_gc_calloc(s, sizeof hdr + pixels, ASSET, 1); /* born with our reference */
  if (!a) return 0;
  backing_write(s, a, &hdr, sizeof hdr);
  memset((char *)backing_ptr(s, a) + sizeof hdr, 0x80 + i, (size_t)pixels); /* "decode" */
  backing_set_u64(s, slot, a);
  printf("  frame %u: decoded %s (%llu bytes)\n", c->frame, names[i],
         (unsigned long long)backing_gc_sizeof(s, a));
  return a;
}

int main(void) {
  /* which assets each frame draws: 1 = used */
  static const int uses[NFRAMES][NASSETS] = {{1, 1, 0}, {1, 1, 1}, {1, 0, 0}, {1, 0, 0}, {1, 1, 0},
                                             {0, 0, 0}, {0, 0, 0}, {1, 0, 0}, {0, 1, 0}};
  backing *s;
  backing_config cfg = {0};
  backing_stats st;
  struct cache c;
  backing_addr held[NASSETS];
  int err, i;
  uint64_t freed;

  cfg.source = BACKING_SOURCE_MEMORY; /* a cache need not outlive the process */
  cfg.arena_size = 1 << 20;
  cfg.lifetime = 2; /* collected on the second cycle after the last unref (also the default) */
  err = backing_open(&s, &cfg);
  if (err) {
    fprintf(stderr, "open: %s\n", backing_strerror(err));
    return 1;
  }
  c.frame = 0;
  c.index = backing_calloc(s, 8 * NASSETS);
  backing_root_set(s, "asset-index", c.index);
  backing_gc_on_free(s, ASSET, evict, &c);

  for (c.frame = 0; c.frame < NFRAMES; c.frame++) {
    printf("frame %u:", c.frame);
    for (i = 0; i < NASSETS; i++)
      if (uses[c.frame][i]) printf(" %s", names[i]);
    printf("\n");
    for (i = 0; i < NASSETS; i++) /* frame start: take what we draw */
      held[i] = uses[c.frame][i] ? acquire(s, &c, i) : 0;
    /* ... draw with backing_ptr(s, held[i]) ... */
    for (i = 0; i < NASSETS; i++) /* frame end: let go */
      if (held[i]) backing_gc_unref(s, held[i]);
    freed = backing_gc_cycle(s); /* ages what nobody holds; evicts what reached 2 */
    if (freed)
      printf("  frame %u: the cycle freed %llu bytes\n", c.frame, (unsigned long long)freed);
  }

  /* shutting down: two more cycles collect whatever is left */
  printf("shutdown:\n");
  freed = backing_gc_cycle(s);
  freed += backing_gc_cycle(s);
  backing_stat(s, &st);
  printf("  freed %llu bytes; %llu assets waiting; store check: %s\n", (unsigned long long)freed,
         (unsigned long long)st.gc_waiting, backing_check(s) == 0 ? "ok" : backing_check_detail(s));
  err = backing_close(s);
  if (err) fprintf(stderr, "close: %s\n", backing_strerror(err));
  return err != 0;
}
