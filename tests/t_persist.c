/* t_persist.c: an MMAP store is resumed exactly: blocks, contents, roots, free lists, in
   this process, in a fresh process, and from a byte copy of the closed file. */

#define PERSIST_ROOTS 5
static uint64_t persist_key(backing_addr a) {
  return mix64(a ^ 0x9e57);
}

/* Builds the store: blocks of many sizes across a few 64 KiB arenas, roots, some frees.
   Returns the number of live blocks left in live[] (their addresses). */
static size_t persist_build(backing *s, backing_addr *live, size_t cap, backing_addr *freed_big,
                            backing_addr *freed_small) {
  /* 8 sizes and every third block freed: each size keeps live blocks and gets holes */
  static const uint64_t sizes[] = {16, 48, 100, 256, 1000, 4096, 9000, 30000};
  backing_addr all[200];
  size_t n = 0, i, k = 0;
  char name[16];
  for (i = 0; i < 150; i++) {
    uint64_t sz = sizes[i % (sizeof sizes / sizeof sizes[0])];
    backing_addr a = backing_alloc(s, sz);
    if (!CHECK(a != 0)) break;
    fill_pattern(backing_ptr(s, a), backing_sizeof(s, a), persist_key(a));
    all[n++] = a;
  }
  /* free every third block: holes of every size, some in slabs, some large */
  *freed_big = *freed_small = 0;
  for (i = 0; i < n; i++) {
    if (i % 3 == 1) {
      uint64_t sz = backing_sizeof(s, all[i]);
      if (sz == 4096 && !*freed_big) *freed_big = all[i];
      if (sz == 48 && !*freed_small) *freed_small = all[i];
      CHECK(backing_free(s, all[i]) == sz);
    } else if (k < cap) {
      live[k++] = all[i];
    }
  }
  for (i = 0; i < PERSIST_ROOTS && i < k; i++) {
    snprintf(name, sizeof name, "r%zu", i);
    CHECK_OK(backing_root_set(s, name, live[i * 7 % k]));
  }
  return k;
}

/* Contents and roots as built; used by the parent and by the child process. */
static int persist_verify(backing *s, const backing_addr *live, size_t n) {
  size_t i;
  int ok = 1;
  char name[16];
  for (i = 0; i < n; i++) {
    uint64_t sz = backing_sizeof(s, live[i]);
    ok &= CHECKF(sz != 0, "block %llu no longer live", ULL(live[i]));
    if (sz) ok &= CHECK_PATTERN(backing_ptr(s, live[i]), sz, persist_key(live[i]));
  }
  for (i = 0; i < PERSIST_ROOTS && i < n; i++) {
    snprintf(name, sizeof name, "r%zu", i);
    ok &= CHECK_EQ(backing_root_get(s, name), live[i * 7 % n]);
  }
  return ok;
}

static int persist_same_walk(const struct walk_list *x, const struct walk_list *y) {
  size_t i;
  if (!CHECKF(x->n == y->n, "walk listed %zu blocks before close, %zu after", x->n, y->n)) return 0;
  for (i = 0; i < x->n; i++) {
    if (!CHECKF(x->items[i].a == y->items[i].a && x->items[i].size == y->items[i].size &&
                    x->items[i].state == y->items[i].state,
                "walk item %zu: %llu/%llu/%d before, %llu/%llu/%d after", i, ULL(x->items[i].a),
                ULL(x->items[i].size), x->items[i].state, ULL(y->items[i].a), ULL(y->items[i].size),
                y->items[i].state))
      return 0;
  }
  return 1;
}

/* The same sequence of allocations on two handles must give the same addresses. */
static void persist_alloc_sequence(backing *s, backing_addr *out, size_t n) {
  static const uint64_t sizes[] = {48, 4096, 16, 100, 1500, 256, 9000, 48, 4096, 1000};
  size_t i;
  for (i = 0; i < n; i++) out[i] = backing_alloc(s, sizes[i % (sizeof sizes / sizeof sizes[0])]);
}

/* The live blocks are saved to a file so the child process can verify them. */
static void persist_save_list(const char *path, const backing_addr *live, size_t n) {
  CHECK(write_whole(path, live, n * sizeof *live) == 0);
}

TEST(persist_reopen_resumes_everything) {
  char dir_a[512], dir_b[512], dir_c[512], fa[600], fb[600], fc[600];
  backing_config ca = mmap_cfg(test_path(dir_a, sizeof dir_a, "a"), "p", 64 * KIB);
  backing_config cb = mmap_cfg(test_path(dir_b, sizeof dir_b, "b"), "p", 0);
  backing_config cc = mmap_cfg(test_path(dir_c, sizeof dir_c, "c"), "p", 0);
  backing *s;
  backing_addr live[200], seq_a[30], seq_b[30], freed_big, freed_small;
  struct walk_list before, after;
  backing_stats st_before, st_after;
  size_t n, i;

  s = OPEN(&ca);
  if (!s) return;
  n = persist_build(s, live, 200, &freed_big, &freed_small);
  CHECK(freed_big != 0 && freed_small != 0);
  CHECK_STORE(s);
  CHECK(stat_of(s).arena_count >= 3);
  before = walk_collect(s);
  st_before = stat_of(s);
  CLOSE(s);

  mkdir(dir_b, 0700);
  mkdir(dir_c, 0700);
  snprintf(fa, sizeof fa, "%s/p.backing", dir_a);
  snprintf(fb, sizeof fb, "%s/p.backing", dir_b);
  snprintf(fc, sizeof fc, "%s/p.backing", dir_c);
  CHECK(copy_file(fa, fb) == 0);
  CHECK(copy_file(fa, fc) == 0);

  /* reopen in this process: the same blocks, contents, roots and counters */
  ca.arena_size = 0;
  s = OPEN(&ca);
  if (!s) return;
  after = walk_collect(s);
  persist_same_walk(&before, &after);
  persist_verify(s, live, n);
  st_after = stat_of(s);
  CHECK_EQ(st_after.arena_count, st_before.arena_count);
  CHECK_EQ(st_after.used_blocks, st_before.used_blocks);
  CHECK_EQ(st_after.used_bytes, st_before.used_bytes);
  CHECK_EQ(st_after.free_bytes, st_before.free_bytes);
  CHECK_EQ(st_after.largest_free, st_before.largest_free);
  CHECK_STORE(s);
  persist_alloc_sequence(s, seq_a, 30);
  for (i = 0; i < 30; i++) {
    CHECK(seq_a[i] != 0);
    /* a new block never lands on a block that was live at close */
    if (seq_a[i]) {
      size_t j;
      uint64_t sz = backing_sizeof(s, seq_a[i]);
      for (j = 0; j < before.n; j++)
        if (before.items[j].state == BACKING_BLOCK_USED)
          CHECKF(!(seq_a[i] < before.items[j].a + before.items[j].size &&
                   before.items[j].a < seq_a[i] + sz),
                 "new block %llu overlaps a block live at close", ULL(seq_a[i]));
    }
  }
  persist_verify(s, live, n);
  CHECK_CLOSE(s);
  free(before.items);
  free(after.items);

  /* a byte copy opened on its own makes the same decisions */
  s = OPEN(&cb);
  if (!s) return;
  CHECK_STORE(s);
  persist_verify(s, live, n);
  persist_alloc_sequence(s, seq_b, 30);
  for (i = 0; i < 30; i++)
    CHECKF(seq_a[i] == seq_b[i], "allocation %zu: %llu on the reopened store, %llu on the copy", i,
           ULL(seq_a[i]), ULL(seq_b[i]));
  CHECK_CLOSE(s);

  /* the free lists came back: with no room to grow, filling the store uses every hole */
  cc.max_size = st_before.capacity;
  s = OPEN(&cc);
  if (!s) return;
  while (backing_alloc(s, 9000) != 0) {
  }
  CHECK_EQ(backing_last_error(), BACKING_ENOSPACE);
  while (backing_alloc(s, 48) != 0) {
  }
  CHECK_EQ(backing_last_error(), BACKING_ENOSPACE);
  CHECK_EQ(stat_of(s).capacity, st_before.capacity);
  after = walk_collect(s);
  for (i = 0; i < after.n; i++)
    /* a good-fit allocator may pass over a free block a little larger than the request */
    CHECKF(after.items[i].state != BACKING_BLOCK_FREE || after.items[i].size < 2 * 9000 + 64,
           "a free region of %llu bytes at %llu was never handed out again",
           ULL(after.items[i].size), ULL(after.items[i].a));
  free(after.items);
  /* the freed 48-byte slot (its slab still holds live blocks) is in use again */
  CHECKF(backing_sizeof(s, freed_small) == 48, "the freed 48-byte block at %llu is still free: %s",
         ULL(freed_small), err_name(backing_last_error()));
  (void)freed_big;
  persist_verify(s, live, n);
  CHECK_CLOSE(s);
}

/* --child persist <dir> <list file>: verify, then add a block and a root. */
CHILD(persist) {
  backing_config c;
  backing *s = NULL;
  backing_addr live[200], a;
  size_t len = 0, n;
  unsigned char *list;
  int rc, ok;
  if (argc < 2) return 2;
  c = mmap_cfg(argv[0], "p", 0);
  c.flags = BACKING_NOCREATE;
  list = read_whole(argv[1], &len);
  if (!list || len > sizeof live) return 3;
  memcpy(live, list, len);
  free(list);
  n = len / sizeof live[0];
  rc = backing_open(&s, &c);
  if (rc != 0) {
    printf("child: open: %s\n", err_name(rc));
    return 4;
  }
  ok = persist_verify(s, live, n);
  ok &= backing_check(s) == 0;
  a = backing_alloc(s, 777);
  ok &= a != 0;
  if (a) {
    fill_pattern(backing_ptr(s, a), 777, a ^ 0xC41D);
    ok &= backing_root_set(s, "child", a) == 0;
  }
  ok &= backing_close(s) == 0;
  return ok ? 0 : 5;
}

TEST(persist_fresh_process_sees_and_writes) {
  char dir[512], listf[600];
  backing_config c = mmap_cfg(test_path(dir, sizeof dir, "store"), "p", 64 * KIB);
  backing *s = OPEN(&c);
  backing_addr live[200], fb, fs, a;
  size_t n;
  int status;
  if (!s) return;
  n = persist_build(s, live, 200, &fb, &fs);
  CLOSE(s);
  persist_save_list(test_path(listf, sizeof listf, "live.bin"), live, n);
  status = test_spawn_child("persist", dir, listf);
  CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: wait status 0x%x", status);
  c.arena_size = 0;
  s = OPEN(&c);
  if (!s) return;
  persist_verify(s, live, n);
  a = backing_root_get(s, "child");
  if (CHECK(a != 0)) {
    CHECK_EQ(backing_sizeof(s, a), 784);
    CHECK_PATTERN(backing_ptr(s, a), 777, a ^ 0xC41D);
  }
  CHECK_CLOSE(s);
}

TEST(persist_copy_of_closed_store_checks_clean) {
  char d1[512], d2[512], f1[600], f2[600];
  backing_config c1 = mmap_cfg(test_path(d1, sizeof d1, "orig"), "p", 64 * KIB);
  backing_config c2 = mmap_cfg(test_path(d2, sizeof d2, "copy"), "p", 0);
  backing *s = OPEN(&c1);
  backing_addr live[200], fb, fs;
  size_t n;
  if (!s) return;
  n = persist_build(s, live, 200, &fb, &fs);
  CLOSE(s);
  mkdir(d2, 0700);
  snprintf(f1, sizeof f1, "%s/p.backing", d1);
  snprintf(f2, sizeof f2, "%s/p.backing", d2);
  CHECK(copy_file(f1, f2) == 0);
  c2.flags = BACKING_NOCREATE;
  s = OPEN(&c2);
  if (!s) return;
  CHECK_STORE(s);
  persist_verify(s, live, n);
  CHECK_EQ(stat_of(s).used_blocks, n);
  CLOSE(s);
}
