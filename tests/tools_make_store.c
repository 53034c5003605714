/* tools_make_store.c: makes the store tests/tools.sh inspects, DIR/tools.backing with
   64 KiB arenas: plain blocks large and small (some freed, leaving holes), GC blocks, and
   four roots: a map "fruits" (text, binary, integer and float values), a string
   "greeting", a vector "numbers" and a plain block "counter". Prints the address of one
   large plain block (the one the test damages). It includes <backing.h> as an installed
   copy would be included: the install test builds it with pkg-config's flags. */
#define BACKING_IMPLEMENTATION
#include <backing.h>

#include <stdio.h>

static int put(backing *s, backing_addr m, const char *key, uint64_t klen, backing_value *v) {
  int err = backing_map_put(s, m, key, klen, v);
  if (err) fprintf(stderr, "map_put %s: %s\n", key, backing_strerror(err));
  return err;
}

int main(int argc, char **argv) {
  backing *s;
  backing_config cfg = {0};
  backing_value v = {0};
  backing_addr m, vec, big = 0, keep[64];
  uint64_t i;
  int err = 0;

  if (argc != 2) {
    fprintf(stderr, "usage: tools_make_store DIR\n");
    return 2;
  }
  cfg.dirname = argv[1];
  cfg.name = "tools";
  cfg.arena_size = 1 << 16;
  cfg.flags = BACKING_EXCL;
  if ((err = backing_open(&s, &cfg)) != 0) {
    fprintf(stderr, "open: %s\n", backing_strerror(err));
    return 1;
  }
  for (i = 0; i < 64; i++) keep[i] = backing_alloc(s, i % 4 ? 24 + i : 6000 + i * 16);
  for (i = 0; i < 64; i += 3) backing_free(s, keep[i]); /* holes, large and small */
  big = keep[4];
  for (i = 0; i < 40; i++) backing_gc_alloc(s, 32 + i * 50, 7, 1);

  m = backing_map_new(s, 0);
  v.kind = BACKING_VALUE_BYTES;
  v.data = "red";
  v.len = 3;
  err |= put(s, m, "apple", 5, &v);
  v.data = "yellow \"ripe\"";
  v.len = 13;
  err |= put(s, m, "banana", 6, &v);
  v.data = "\001\002\000\377";
  v.len = 4;
  err |= put(s, m, "\000bin", 4, &v);
  v.kind = BACKING_VALUE_I64;
  v.i64 = -42;
  err |= put(s, m, "answer", 6, &v);
  v.kind = BACKING_VALUE_F64;
  v.f64 = 2.5;
  err |= put(s, m, "ratio", 5, &v);
  vec = backing_vec_new(s, sizeof(uint64_t), 0);
  for (i = 0; i < 100; i++) err |= backing_vec_push(s, vec, &i);
  err |= backing_root_set(s, "fruits", m);
  err |= backing_root_set(s, "greeting", backing_str_new(s, "hello, inspector", 16));
  err |= backing_root_set(s, "numbers", vec);
  err |= backing_root_set(s, "counter", backing_calloc(s, 8));
  if (err || !big || backing_check(s) != 0) {
    fprintf(stderr, "building the store failed: %s %s\n", backing_strerror(backing_last_error()),
            backing_check_detail(s));
    backing_close(s);
    return 1;
  }
  printf("%llu\n", (unsigned long long)big);
  return backing_close(s) != 0;
}
