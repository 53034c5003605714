/* quickstart.c: opens (or creates) the store ./data/demo.backing, allocates a block, sets
   and gets a value, frees it, and keeps a visit counter under a named root, so a second
   run finds what the first one left. `make demo` builds it and runs it twice. */
#define BACKING_IMPLEMENTATION /* in exactly one .c file of a program */
#include "backing.h"

#include <stdio.h>

int main(void) {
  backing *store;
  backing_config cfg = {0};
  backing_addr a, counter;
  int err;

  cfg.name = "demo";
  cfg.dirname = "./data"; /* the MMAP source: ./data/demo.backing */
  cfg.arena_size = 1 << 20;
  err = backing_open(&store, &cfg);
  if (err) {
    fprintf(stderr, "open: %s\n", backing_strerror(err));
    return 1;
  }

  a = backing_alloc(store, 64);
  backing_set_i32(store, a, 123);
  printf("get_i32: %d\n", backing_get_i32(store, a));
  printf("free: %llu bytes\n", (unsigned long long)backing_free(store, a));

  counter = backing_root_get(store, "visits");
  if (!counter) { /* first run: make the counter and name it */
    counter = backing_calloc(store, sizeof(uint64_t));
    backing_root_set(store, "visits", counter);
  }
  backing_set_u64(store, counter, backing_get_u64(store, counter) + 1);
  printf("this store has been opened %llu time(s)\n",
         (unsigned long long)backing_get_u64(store, counter));

  err = backing_close(store);
  if (err) fprintf(stderr, "close: %s\n", backing_strerror(err));
  return err != 0;
}
