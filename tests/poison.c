/* tests/poison.c: memory checkers see inside a store (README "Finding memory errors").
   Built with -fsanitize=address -DBACKING_POISON, or with -DBACKING_VALGRIND and run under
   valgrind; tests/run.sh runs each mode and expects the checker's report for every mode
   but "clean":
     clean         allocate, use and free correctly (no report; exit 0)
     uaf-slot      read a small block after freeing it
     uaf-block     read a large block after freeing it
     overrun       read past the end of a small block, into the free slot after it
     write-freed   write through a freed large block's address
   Each mode uses a MEMORY store, and an MMAP store in DIR when one is given. */
#define BACKING_IMPLEMENTATION
#include "../backing.h"

#include <stdio.h>
#include <string.h>

static backing *open_store(const char *dir) {
  backing *s = NULL;
  backing_config c;
  memset(&c, 0, sizeof c);
  c.arena_size = 1u << 20;
  c.max_size = 64u << 20; /* small enough for valgrind to reserve */
  c.dirname = dir;
  c.name = "poison";
  if (backing_open(&s, &c) != 0) {
    fprintf(stderr, "open: %s\n", backing_strerror(backing_last_error()));
    return NULL;
  }
  return s;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "clean";
  backing *s = open_store(argc > 2 ? argv[2] : NULL);
  backing_addr small, big, next;
  volatile uint64_t sink = 0;
  if (!s) return 2;
  small = backing_alloc(s, 32); /* a 32-byte slot in a fresh slab: the next slot is free */
  big = backing_alloc(s, 10000);
  if (!small || !big) return 2;
  backing_set_u64(s, small + 8, 1);
  backing_set_u64(s, big + 100, 2);
  sink += backing_get_u64(s, small + 8) + backing_get_u64(s, big + 100);
  if (!strcmp(mode, "overrun")) sink += backing_get_u64(s, small + 40); /* the next slot */
  backing_free(s, small);
  backing_free(s, big);
  if (!strcmp(mode, "uaf-slot")) sink += backing_get_u64(s, small + 8);
  if (!strcmp(mode, "uaf-block")) sink += backing_get_u64(s, big + 100);
  if (!strcmp(mode, "write-freed")) backing_set_u64(s, big + 200, 3);
  /* the allocator itself works in poisoned space without a report */
  next = backing_alloc(s, 32);
  if (!next || backing_free(s, big) != 0 || backing_last_error() != BACKING_EFREED) {
    fprintf(stderr, "double free not refused\n");
    return 3;
  }
  backing_free(s, next);
  if (backing_check(s) != 0) {
    fprintf(stderr, "check: %s\n", backing_check_detail(s));
    return 3;
  }
  backing_close(s);
  printf("%s: done (%llu)\n", mode, (unsigned long long)sink);
  return 0;
}
