/* t_seeds.c: the upstream acceptance cases (notes/seeds.md 1.9: M3-M8, B1, B2, B4, B9),
   adapted to backing.h's sizes (64 KiB arenas stand in for the seed's small buffers). */

TEST(seed_m3_out_of_memory) {
  backing *s = OPEN_MEMORY(64 * KIB, 64 * KIB);
  backing_addr a;
  if (!s) return;
  a = backing_alloc(s, 32768);
  CHECK(a > 0);
  EXPECT_FAIL0(backing_alloc(s, 32768), BACKING_ENOSPACE);
  CHECK_EQ(stat_of(s).arena_count, 1);
  CHECK_STORE(s);
  CHECK_EQ(backing_free(s, a), 32768);
  CHECK(backing_alloc(s, 32768) > 0);
  CLOSE(s);
}

TEST(seed_m4_sizes_and_bad_frees) {
  backing *s = OPEN_MEMORY(64 * KIB, 64 * KIB);
  backing_addr a;
  if (!s) return;
  a = backing_alloc(s, 1);
  CHECK_EQ(backing_sizeof(s, a), 16);
  EXPECT_FAIL0(backing_alloc(s, 128 * KIB), BACKING_ETOOBIG);
  EXPECT_FAIL0(backing_free(s, UINT64_MAX), BACKING_EBADADDR);      /* the seed's free(-1) */
  EXPECT_FAIL0(backing_free(s, 16), BACKING_EBADADDR);              /* inside the header */
  EXPECT_FAIL0(backing_free(s, 777), BACKING_EBADADDR);             /* misaligned */
  EXPECT_FAIL0(backing_free(s, 64 * KIB + 8192), BACKING_EBADADDR); /* past the end */
  EXPECT_FAIL0(backing_sizeof(s, 20), BACKING_EBADADDR);
  EXPECT_FAIL0(backing_sizeof(s, 1ull << 32), BACKING_EBADADDR);
  EXPECT_FAIL0(backing_sizeof(s, 777), BACKING_EBADADDR);
  CHECK_STORE(s);
  CHECK_EQ(backing_free(s, a), 16);
  CLOSE(s);
}

TEST(seed_m5_calloc) {
  backing *s = OPEN_MEMORY(64 * KIB, 64 * KIB);
  backing_addr a, b;
  if (!s) return;
  a = backing_calloc(s, 128);
  CHECK(a != 0 && all_bytes_are(backing_ptr(s, a), 128, 0));
  b = backing_calloc(s, 8);
  CHECK(b != 0);
  CHECK_EQ(backing_sizeof(s, b), 16);
  CHECK(all_bytes_are(backing_ptr(s, b), 16, 0));
  /* the seed's calloc(3820): the whole free space, but rounded up it no longer fits */
  EXPECT_FAIL0(backing_calloc(s, max_block(64 * KIB) + 1), BACKING_ETOOBIG);
  CHECK_CLOSE(s);
}

TEST(seed_m6_exhaust_with_16_byte_blocks) {
  backing *s = OPEN_MEMORY(64 * KIB, 64 * KIB);
  backing_addr *a;
  uint64_t n = 0, cap = 8192, i, n2 = 0;
  int round;
  if (!s) return;
  a = (backing_addr *)malloc(cap * sizeof *a);
  for (round = 0; round < 2; round++) {
    uint64_t *count = round == 0 ? &n : &n2;
    backing_addr x;
    *count = 0;
    uint64_t bytes = 0;
    *count = 0;
    while (*count < cap && (x = backing_alloc(s, 16)) != 0) {
      uint64_t u = backing_sizeof(s, x);
      CHECKF(u == 16 || u == 32, "sizeof(alloc(16)) = %llu, the seed allows 16..32", ULL(u));
      bytes += u;
      a[(*count)++] = x;
    }
    CHECK_EQ(backing_last_error(), BACKING_ENOSPACE);
    CHECK(*count < cap);
    CHECK_EQ(stat_of(s).used_blocks, *count);
    CHECK_EQ(stat_of(s).used_bytes, bytes);
    CHECK_STORE(s);
    for (i = *count; i > 0; i--) {
      uint64_t u = backing_sizeof(s, a[i - 1]), f = backing_free(s, a[i - 1]);
      CHECKF(f == u && (f == 16 || f == 32), "free #%llu returned %llu (sizeof %llu)", ULL(i - 1),
             ULL(f), ULL(u));
    }
    CHECK_STORE(s);
    CHECK_EQ(stat_of(s).used_blocks, 0);
    CHECK_ONE_FREE_REGION_PER_ARENA(s);
  }
  test_note("%llu blocks of 16 bytes in one 64 KiB arena", ULL(n));
  CHECK(n * 16 > 32 * KIB); /* most of the arena is usable */
  CHECK_EQ(n2, n);          /* and nothing was lost */
  free(a);
  CLOSE(s);
}

TEST(seed_m7_workflow) {
  backing *s = OPEN_MEMORY(64 * KIB, 64 * KIB);
  backing_addr a[4], b[10], d[10];
  static const uint64_t first[4] = {64, 64, 64, 128};
  int i;
  if (!s) return;
  for (i = 0; i < 4; i++) {
    a[i] = backing_alloc(s, first[i]);
    CHECK(a[i] != 0);
    fill_pattern(backing_ptr(s, a[i]), first[i], a[i]);
  }
  CHECK_EQ(backing_free(s, a[1]), 64);
  CHECK_EQ(backing_free(s, a[3]), 128);
  CHECK_STORE(s);
  for (i = 0; i < 10; i++) {
    b[i] = backing_alloc(s, i % 2 ? 64 : 128);
    CHECK(b[i] != 0);
    fill_pattern(backing_ptr(s, b[i]), i % 2 ? 64 : 128, b[i]);
    CHECK_STORE(s);
  }
  for (i = 0; i < 10; i++)
    if (i % 3 == 1) CHECK_EQ(backing_free(s, b[i]), i % 2 ? 64 : 128);
  CHECK_STORE(s);
  for (i = 0; i < 10; i++) {
    d[i] = backing_alloc(s, i % 2 ? 64 : 128);
    CHECK(d[i] != 0);
  }
  for (i = 0; i < 10; i++) CHECK_EQ(backing_free(s, d[i]), i % 2 ? 64 : 128);
  CHECK_STORE(s);
  CHECK_PATTERN(backing_ptr(s, a[0]), 64, a[0]);
  CHECK_PATTERN(backing_ptr(s, a[2]), 64, a[2]);
  CHECK_EQ(backing_free(s, a[0]), 64);
  CHECK_EQ(backing_free(s, a[2]), 64);
  for (i = 0; i < 10; i++) {
    if (i % 3 == 1) continue;
    CHECK_PATTERN(backing_ptr(s, b[i]), i % 2 ? 64 : 128, b[i]);
    CHECK_EQ(backing_free(s, b[i]), i % 2 ? 64 : 128);
  }
  CHECK_STORE(s);
  CHECK_ONE_FREE_REGION_PER_ARENA(s);
  CLOSE(s);
}

/* M8: every order of the seed's sizes. */
static const uint64_t m8_sizes[7] = {128, 64, 96, 256, 128, 72, 256};

static int m8_next_permutation(int *p, int n) {
  int i = n - 2, j, t;
  while (i >= 0 && p[i] >= p[i + 1]) i--;
  if (i < 0) return 0;
  j = n - 1;
  while (p[j] <= p[i]) j--;
  t = p[i];
  p[i] = p[j];
  p[j] = t;
  for (i = i + 1, j = n - 1; i < j; i++, j--) {
    t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return 1;
}

static int m8_alloc(backing *s, uint64_t size, backing_addr *out) {
  backing_addr a = backing_alloc(s, size);
  *out = a;
  if (!CHECKF(a != 0, "alloc(%llu): %s", ULL(size), err_name(backing_last_error()))) return 0;
  /* the class bound is alloc_small_usable_never_past_its_class's business */
  return CHECKF(backing_sizeof(s, a) >= size, "sizeof(alloc(%llu)) = %llu", ULL(size),
                ULL(backing_sizeof(s, a)));
}

TEST(seed_m8_permutations) {
  backing_config c = mem_cfg(64 * KIB, 0);
  backing *s = OPEN(&c);
  int p[7] = {0, 1, 2, 3, 4, 5, 6}, i, orders = 0, ok = 1;
  if (!s) return;
  do {
    backing_addr a[7], two[14];
    orders++;
    /* (a) sequential alloc: the walk lists each block as used with its size; free all */
    for (i = 0; i < 7; i++) ok &= m8_alloc(s, m8_sizes[p[i]], &a[i]);
    {
      struct walk_list w = walk_collect(s);
      size_t k;
      int j, seen = 0;
      for (j = 0; j < 7; j++)
        for (k = 0; k < w.n; k++)
          if (w.items[k].a == a[j] && w.items[k].state == BACKING_BLOCK_USED &&
              w.items[k].size == backing_sizeof(s, a[j]))
            seen++;
      ok &= CHECKF(seen == 7, "the walk lists %d of the 7 blocks", seen);
      free(w.items);
    }
    for (i = 0; i < 7; i++) ok &= CHECK(backing_free(s, a[i]) >= m8_sizes[p[i]]);
    ok &= CHECK_STORE(s);
    ok &= CHECK_ONE_FREE_REGION_PER_ARENA(s);
    /* (b) free each and allocate the next size in its place, then free all */
    for (i = 0; i < 7; i++) ok &= m8_alloc(s, m8_sizes[p[i]], &a[i]);
    for (i = 0; i < 7; i++) {
      ok &= CHECK(backing_free(s, a[i]) >= m8_sizes[p[i]]);
      ok &= m8_alloc(s, m8_sizes[p[(i + 1) % 7]], &a[i]);
    }
    for (i = 0; i < 7; i++) ok &= CHECK(backing_free(s, a[i]) >= m8_sizes[p[(i + 1) % 7]]);
    ok &= CHECK_STORE(s);
    ok &= CHECK_ONE_FREE_REGION_PER_ARENA(s);
    /* (c) two per size, free the odd ones, one more per size, free everything */
    for (i = 0; i < 7; i++) {
      ok &= m8_alloc(s, m8_sizes[p[i]], &two[2 * i]);
      ok &= m8_alloc(s, m8_sizes[p[i]], &two[2 * i + 1]);
    }
    for (i = 0; i < 7; i++) ok &= CHECK(backing_free(s, two[2 * i + 1]) != 0);
    ok &= CHECK_STORE(s);
    for (i = 0; i < 7; i++) ok &= m8_alloc(s, m8_sizes[p[i]], &a[i]);
    for (i = 0; i < 7; i++) {
      ok &= CHECK(backing_free(s, two[2 * i]) != 0);
      ok &= CHECK(backing_free(s, a[i]) != 0);
    }
    ok &= CHECK_STORE(s);
    ok &= CHECK_ONE_FREE_REGION_PER_ARENA(s);
    if (!ok) {
      test_note("first failing order: %d %d %d %d %d %d %d", p[0], p[1], p[2], p[3], p[4], p[5],
                p[6]);
      break;
    }
  } while (m8_next_permutation(p, 7));
  if (ok) CHECK_EQ(orders, 5040);
  CHECK_EQ(stat_of(s).used_blocks, 0);
  CLOSE(s);
}

TEST(seed_b1_b2_b4_basics) {
  backing *s = OPEN_MEMORY(1 * MIB, 0);
  backing_stats st;
  backing_addr a, h1, h2;
  if (!s) return;
  st = stat_of(s);
  CHECK_EQ(st.arena_size, 1 * MIB); /* B2 */
  CHECK_EQ(st.capacity, 1 * MIB);
  a = backing_alloc(s, 3); /* B1 */
  CHECK_EQ(backing_sizeof(s, a), 16);
  CHECK_EQ(backing_free(s, a), 16);
  a = backing_alloc(s, 64); /* B4 */
  CHECK_EQ(backing_sizeof(s, a), 64);
  CHECK_EQ(backing_free(s, a), 64);
  EXPECT_FAIL0(backing_alloc(s, 1 * MIB + 10), BACKING_ETOOBIG);
  h1 = backing_alloc(s, 512 * KIB);
  h2 = backing_alloc(s, 512 * KIB);
  CHECK(h1 != 0 && h2 != 0);
  CHECK_EQ(stat_of(s).arena_count, 2);
  CHECK_EQ(h1 / MIB, 0);
  CHECK_EQ(h2 / MIB, 1);
  a = backing_calloc(s, 64);
  CHECK(a != 0 && all_bytes_are(backing_ptr(s, a), 64, 0));
  EXPECT_FAIL0(backing_calloc(s, 1 * MIB + 10), BACKING_ETOOBIG);
  CHECK_CLOSE(s);
}

/* B9: one block per arena, each holding its index, seen again after reopen. */
TEST(seed_b9_persistence_one_block_per_arena) {
  backing_config c = mmap_cfg(test_dir(), "b9", 1 * MIB);
  backing *s = OPEN(&c);
  backing_addr a[10];
  uint32_t i;
  if (!s) return;
  for (i = 0; i < 10; i++) {
    a[i] = backing_alloc(s, max_block(1 * MIB));
    if (!CHECKF(a[i] != 0, "alloc #%u: %s", i, err_name(backing_last_error()))) {
      CLOSE(s);
      return;
    }
    backing_set_u32(s, a[i], i);
    backing_set_u32(s, a[i] + max_block(1 * MIB) - 4, ~i);
  }
  for (i = 1; i < 10; i++) CHECK(a[i] / MIB != a[i - 1] / MIB);
  /* each block takes a whole arena; arena 0 (which holds the roots) may stay apart */
  CHECK(stat_of(s).arena_count >= 10 && stat_of(s).arena_count <= 11);
  CLOSE(s);
  s = OPEN(&c);
  if (!s) return;
  for (i = 0; i < 10; i++) {
    CHECK_EQ(backing_get_u32(s, a[i]), i);
    CHECK_EQ(backing_get_u32(s, a[i] + max_block(1 * MIB) - 4), ~i);
    CHECK_EQ(backing_sizeof(s, a[i]), max_block(1 * MIB));
  }
  CHECK_CLOSE(s);
}

TEST(seed_b9_two_buffer_handles_see_each_other) {
  size_t size = 12 * 64 * KIB + 4096;
  unsigned char *buf = (unsigned char *)malloc(size);
  backing_config c = mem_cfg(64 * KIB, 0);
  backing *s1, *s2;
  backing_addr a[10];
  uint32_t i;
  if (!CHECK(buf != NULL)) return;
  memset(buf, 127, size);
  c.source = BACKING_SOURCE_BUFFER;
  c.buffer = buf;
  c.buffer_size = size;
  s1 = OPEN(&c);
  if (!s1) {
    free(buf);
    return;
  }
  for (i = 0; i < 10; i++) {
    a[i] = backing_alloc(s1, max_block(64 * KIB));
    if (!CHECK(a[i] != 0)) break;
    backing_set_u32(s1, a[i], i);
  }
  s2 = OPEN(&c);
  if (s2 && i == 10) {
    for (i = 0; i < 10; i++) CHECK_EQ(backing_get_u32(s2, a[i]), i);
    for (i = 0; i < 10; i++) backing_set_u32(s2, a[i], 100 + i);
    for (i = 0; i < 10; i++) CHECK_EQ(backing_get_u32(s1, a[i]), 100 + i);
    CHECK_STORE(s2);
  }
  CHECK_STORE(s1);
  if (s2) CLOSE(s2);
  CLOSE(s1);
  free(buf);
}
