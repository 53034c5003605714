/* t_alloc.c: the allocator's contracts (alloc, calloc, alloc_aligned, realloc, free, sizeof,
   ptr, addr_of) and store growth. */

/* The documented usable size for a request (backing.h, "Vital statistics"): 28 classes,
   16-byte steps to 128 then four per power of two up to 4096; above that the request
   rounded up to 16. */
static uint64_t expected_usable(uint64_t req) {
  uint64_t p, k;
  if (req <= 128) return req == 0 ? 16 : (req + 15) & ~(uint64_t)15;
  for (p = 128; p < 4096; p *= 2)
    for (k = 1; k <= 4; k++)
      if (req <= p + p / 4 * k) return p + p / 4 * k;
  return (req + 15) & ~(uint64_t)15;
}

TEST(alloc_size_classes_as_documented) {
  /* the table the header describes: 28 classes, at most 25% over the request */
  uint64_t n, classes = 0, prev = 0;
  for (n = 1; n <= 4096; n++) {
    uint64_t u = expected_usable(n);
    if (u != prev) classes++;
    prev = u;
  }
  CHECK_EQ(classes, 28);
  CHECK_EQ(expected_usable(1024), 1024);
  CHECK_EQ(expected_usable(1025), 1280);
  CHECK_EQ(expected_usable(4096), 4096);
  CHECK_EQ(expected_usable(4097), 4112);
}

TEST(alloc_max_block_matches_the_formula) {
  static const uint64_t arenas[] = {64 * KIB, 1 * MIB, 16 * MIB};
  size_t i;
  CHECK_EQ(max_block(64 * KIB), 61424);
  CHECK_EQ(max_block(16 * MIB), 16609264);
  for (i = 0; i < sizeof arenas / sizeof arenas[0]; i++) {
    backing *s = OPEN_MEMORY(arenas[i], 0);
    if (!s) continue;
    CHECK_EQ(stat_of(s).max_block, max_block(arenas[i]));
    CLOSE(s);
  }
}

TEST(alloc_every_size_to_4200_gets_its_class) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  uint64_t n;
  if (!s) return;
  for (n = 0; n <= 4200; n++) {
    backing_addr a = backing_alloc(s, n);
    uint64_t usable;
    unsigned char *p;
    if (!CHECKF(a != 0, "alloc(%llu) failed: %s", ULL(n), err_name(backing_last_error()))) break;
    usable = backing_sizeof(s, a);
    CHECKF(a % 16 == 0, "alloc(%llu) = %llu is not 16-aligned", ULL(n), ULL(a));
    CHECKF(usable == expected_usable(n), "sizeof(alloc(%llu)) = %llu, want %llu", ULL(n),
           ULL(usable), ULL(expected_usable(n)));
    p = (unsigned char *)backing_ptr(s, a);
    CHECK(p != NULL && (uintptr_t)p % 16 == 0);
    if (p) memset(p, 0xEE, (size_t)usable);
    CHECKF(backing_free(s, a) == usable, "free(alloc(%llu)) did not return %llu", ULL(n),
           ULL(usable));
    if (n % 100 == 0) CHECK_STORE(s);
  }
  CHECK_STORE(s);
  CHECK_ONE_FREE_REGION_PER_ARENA(s);
  CLOSE(s);
}

/* The documented bound for a small request: its class size when a slab serves it; when
   the arena has no room for another slab (64 KiB arenas hold one 32 KiB slab) it is a large
   block, whose usable size is the request rounded up to 16, plus at most 16 bytes of a
   remainder too small to split off. Either way: request <= usable <= max(class, round16 + 16). */
static uint64_t small_bound(uint64_t req) {
  uint64_t r16 = ((req ? req : 1) + 15) / 16 * 16 + 16;
  return expected_usable(req) > r16 ? expected_usable(req) : r16;
}

TEST(alloc_small_usable_within_documented_bound) {
  backing *s = OPEN_MEMORY(64 * KIB, 64 * KIB);
  static const uint64_t sizes[] = {128, 72, 16, 100, 1, 256, 48, 200, 64, 500};
  backing_addr a;
  uint64_t n, i, bad = 0, count = 0;
  backing_addr k, x, g, y;
  if (!s) return;
  /* a small block that reuses the hole of a freed small block */
  k = backing_alloc(s, 128); /* takes the arena's one slab */
  x = backing_alloc(s, 96);
  g = backing_alloc(s, 16);
  CHECK(k && x && g);
  CHECK_EQ(backing_free(s, x), 96);
  y = backing_alloc(s, 72);
  CHECKF(y != 0 && backing_sizeof(s, y) >= 72 && backing_sizeof(s, y) <= small_bound(72),
         "alloc(72) in a freed 96-byte hole: %llu usable", ULL(backing_sizeof(s, y)));
  for (i = 0; count < 5000; i++, count++) {
    uint64_t req = sizes[i % (sizeof sizes / sizeof sizes[0])];
    a = backing_alloc(s, req);
    if (!a) break;
    n = backing_sizeof(s, a);
    if (n < req || n > small_bound(req)) {
      if (bad++ < 5)
        CHECKF(0, "allocation #%llu: alloc(%llu) has %llu usable bytes, bound %llu", ULL(count),
               ULL(req), ULL(n), ULL(small_bound(req)));
    }
  }
  CHECK_EQ(backing_last_error(), BACKING_ENOSPACE);
  CHECKF(bad == 0, "%llu of %llu small blocks are over the bound", ULL(bad), ULL(count));
  CHECK_CLOSE(s);
}

TEST(alloc_large_sizes_round_up_to_16) {
  static const uint64_t sizes[] = {4097, 4100, 4111, 4113, 5000, 8191, 10000, 30001, 61000};
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_addr a[sizeof sizes / sizeof sizes[0]];
  size_t i;
  if (!s) return;
  for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    a[i] = backing_alloc(s, sizes[i]);
    if (!CHECKF(a[i] != 0, "alloc(%llu): %s", ULL(sizes[i]), err_name(backing_last_error())))
      continue;
    CHECK(a[i] % 16 == 0);
    CHECKF(backing_sizeof(s, a[i]) == expected_usable(sizes[i]), "sizeof(alloc(%llu)) = %llu",
           ULL(sizes[i]), ULL(backing_sizeof(s, a[i])));
    fill_pattern(backing_ptr(s, a[i]), sizes[i], a[i]);
  }
  CHECK_STORE(s);
  for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    if (!a[i]) continue;
    CHECK_PATTERN(backing_ptr(s, a[i]), sizes[i], a[i]);
    CHECK_EQ(backing_free(s, a[i]), expected_usable(sizes[i]));
  }
  CHECK_ONE_FREE_REGION_PER_ARENA(s);
  CLOSE(s);
}

TEST(alloc_small_contracts_0_1_64) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_addr a, b;
  if (!s) return;
  a = backing_alloc(s, 64);
  CHECK(a != 0);
  CHECK_EQ(backing_sizeof(s, a), 64);
  CHECK_EQ(backing_free(s, a), 64);
  a = backing_alloc(s, 1);
  CHECK_EQ(backing_sizeof(s, a), 16);
  b = backing_alloc(s, 0);
  CHECK(b != 0 && b != a);
  CHECK_EQ(backing_sizeof(s, b), 16);
  memset(backing_ptr(s, b), 0x11, 16);
  memset(backing_ptr(s, a), 0x22, 16);
  CHECK(all_bytes_are(backing_ptr(s, b), 16, 0x11));
  CHECK_EQ(backing_free(s, b), 16);
  CHECK_EQ(backing_free(s, a), 16);
  CHECK_CLOSE(s);
}

static void alloc_edges_for(uint64_t arena) {
  backing *s = OPEN_MEMORY(arena, 0);
  uint64_t max = max_block(arena);
  backing_addr a, b, small;
  backing_stats st0, st1;
  unsigned char *p;
  if (!s) return;
  small = backing_alloc(s, 100);
  CHECK(small != 0);
  st0 = stat_of(s);
  a = backing_alloc(s, max);
  if (CHECKF(a != 0, "arena %llu: alloc(max = %llu) failed: %s", ULL(arena), ULL(max),
             err_name(backing_last_error()))) {
    CHECK(a % 16 == 0);
    CHECK_EQ(backing_sizeof(s, a), max);
    p = (unsigned char *)backing_ptr(s, a);
    p[0] = 1;
    p[max - 1] = 2;
    st1 = stat_of(s);
    CHECK_EQ(st1.arena_count, st0.arena_count + 1); /* it takes a fresh arena */
  }
  b = backing_alloc(s, max - 1);
  if (CHECKF(b != 0, "alloc(max - 1) failed: %s", err_name(backing_last_error())))
    CHECK_EQ(backing_sizeof(s, b), max);
  EXPECT_FAIL0(backing_alloc(s, max + 1), BACKING_ETOOBIG);
  EXPECT_FAIL0(backing_alloc(s, max + 16), BACKING_ETOOBIG);
  EXPECT_FAIL0(backing_alloc(s, arena), BACKING_ETOOBIG);
  EXPECT_FAIL0(backing_alloc(s, arena + 10), BACKING_ETOOBIG);
  EXPECT_FAIL0(backing_alloc(s, UINT64_MAX), BACKING_ETOOBIG);
  EXPECT_FAIL0(backing_alloc(s, UINT64_MAX - 15), BACKING_ETOOBIG);
  EXPECT_FAIL0(backing_alloc(s, 1ull << 63), BACKING_ETOOBIG);
  EXPECT_FAIL0(backing_calloc(s, max + 1), BACKING_ETOOBIG);
  EXPECT_FAIL0(backing_calloc(s, UINT64_MAX), BACKING_ETOOBIG);
  EXPECT_FAIL0(backing_calloc(s, UINT64_MAX - 7), BACKING_ETOOBIG);
  EXPECT_FAIL0(backing_alloc_aligned(s, UINT64_MAX, 64), BACKING_ETOOBIG);
  EXPECT_FAIL0(backing_alloc_aligned(s, UINT64_MAX - 4000, 4096), BACKING_ETOOBIG);
  EXPECT_FAIL0(backing_alloc_aligned(s, UINT64_MAX - 15, 32), BACKING_ETOOBIG);
  EXPECT_FAIL0(backing_alloc_aligned(s, max + 1, 32), BACKING_ETOOBIG);
  EXPECT_FAIL0(backing_realloc(s, small, UINT64_MAX), BACKING_ETOOBIG);
  EXPECT_FAIL0(backing_realloc(s, small, max + 1), BACKING_ETOOBIG);
  EXPECT_FAIL0(backing_realloc(s, 0, UINT64_MAX), BACKING_ETOOBIG);
  CHECK_EQ(backing_sizeof(s, small), 112);
  CHECK_STORE(s);
  if (a) CHECK_EQ(backing_free(s, a), max);
  if (b) CHECK_EQ(backing_free(s, b), max);
  CHECK_EQ(backing_free(s, small), 112);
  CHECK_ONE_FREE_REGION_PER_ARENA(s);
  CLOSE(s);
}
TEST(alloc_size_edges_64k_arena) {
  alloc_edges_for(64 * KIB);
}
TEST(alloc_size_edges_1m_arena) {
  alloc_edges_for(1 * MIB);
}
TEST(alloc_size_edges_16m_arena) {
  alloc_edges_for(16 * MIB);
}

/* A few live blocks with patterns, to prove bad calls do not touch them. */
struct live_set {
  backing_addr a[6];
  uint64_t n[6];
  uint64_t usable[6]; /* what sizeof said right after the allocation */
};
static void live_fill(backing *s, struct live_set *l) {
  static const uint64_t sizes[6] = {16, 256, 4096, 100, 3000, 8000};
  int i;
  for (i = 0; i < 6; i++) {
    l->n[i] = sizes[i];
    l->a[i] = backing_alloc(s, sizes[i]);
    CHECK(l->a[i] != 0);
    l->usable[i] = l->a[i] ? backing_sizeof(s, l->a[i]) : 0;
    if (l->a[i]) fill_pattern(backing_ptr(s, l->a[i]), sizes[i], l->a[i] ^ 0x5555);
  }
}
#define LIVE_INTACT(s, l) live_intact_((s), (l), __FILE__, __LINE__)
static void live_intact_(backing *s, const struct live_set *l, const char *file, int line) {
  int i;
  check_store_(s, file, line);
  for (i = 0; i < 6; i++) {
    if (!l->a[i]) continue;
    test__check(backing_sizeof(s, l->a[i]) == l->usable[i] && l->usable[i] >= l->n[i], file, line,
                "live block %d lost its size", i);
    check_pattern_(backing_ptr(s, l->a[i]), l->n[i], l->a[i] ^ 0x5555, file, line);
  }
}

/* A bad call: 0 with EBADADDR, and then the store checks clean and the live blocks are intact. */
#define BAD_CALL(expr)                    \
  do {                                    \
    EXPECT_FAIL0(expr, BACKING_EBADADDR); \
    LIVE_INTACT(s, &l);                   \
  } while (0)

TEST(alloc_free_bad_addresses_are_ebadaddr) {
  backing *s = OPEN_MEMORY(1 * MIB, 0);
  struct live_set l;
  backing_stats st;
  backing_addr b256, b4096, b8000;
  int i;
  if (!s) return;
  live_fill(s, &l);
  b256 = l.a[1];
  b4096 = l.a[2];
  b8000 = l.a[5];
  st = stat_of(s);
  BAD_CALL(backing_free(s, 0));
  BAD_CALL(backing_free(s, st.capacity));
  BAD_CALL(backing_free(s, st.capacity + 4096));
  BAD_CALL(backing_free(s, 1ull << 40));
  BAD_CALL(backing_free(s, UINT64_MAX));
  BAD_CALL(backing_free(s, UINT64_MAX - 15));
  BAD_CALL(backing_free(s, 16)); /* inside the arena header */
  BAD_CALL(backing_free(s, 64));
  BAD_CALL(backing_free(s, 4096));
  BAD_CALL(backing_free(s, b256 + 8)); /* misaligned */
  BAD_CALL(backing_free(s, b256 + 1));
  BAD_CALL(backing_free(s, b4096 + 8));
  BAD_CALL(backing_free(s, b256 + 16)); /* interior */
  BAD_CALL(backing_free(s, b256 + 128));
  BAD_CALL(backing_free(s, b256 + 240));
  BAD_CALL(backing_free(s, b4096 + 16));
  BAD_CALL(backing_free(s, b4096 + 2048));
  BAD_CALL(backing_free(s, b4096 + 4080));
  BAD_CALL(backing_free(s, b4096 - 16));
  BAD_CALL(backing_free(s, b8000 + 16)); /* inside a large block */
  BAD_CALL(backing_free(s, b8000 + 4096));
  BAD_CALL(backing_free(s, b8000 + 7984));
  BAD_CALL(backing_free(s, b8000 - 16)); /* its header */
  BAD_CALL(backing_free(s, b8000 + 8));
  /* sizeof rejects the same addresses */
  BAD_CALL(backing_sizeof(s, 0));
  BAD_CALL(backing_sizeof(s, UINT64_MAX));
  BAD_CALL(backing_sizeof(s, st.capacity + 64));
  BAD_CALL(backing_sizeof(s, b256 + 16));
  BAD_CALL(backing_sizeof(s, b4096 + 16));
  BAD_CALL(backing_sizeof(s, b4096 + 8));
  BAD_CALL(backing_sizeof(s, b8000 + 16));
  /* a never-allocated, well-aligned address in the untouched part of arena 0: README
     ("Choices where the contract is silent") reports space never handed out as EFREED */
  {
    struct walk_list w = walk_collect(s);
    backing_addr untouched = 0;
    size_t k;
    for (k = 0; k < w.n; k++)
      if (w.items[k].state == BACKING_BLOCK_FREE && w.items[k].size >= 4096 &&
          w.items[k].a < 1 * MIB)
        untouched = w.items[k].a + 1024;
    free(w.items);
    if (CHECK(untouched != 0)) {
      EXPECT_FAIL0(backing_free(s, untouched), BACKING_EFREED);
      LIVE_INTACT(s, &l);
    }
  }
  for (i = 5; i >= 0; i--)
    if (l.a[i]) CHECK_EQ(backing_free(s, l.a[i]), expected_usable(l.n[i]));
  CHECK_ONE_FREE_REGION_PER_ARENA(s);
  CLOSE(s);
}

static int cmp_addr(const void *x, const void *y) {
  backing_addr a = *(const backing_addr *)x, b = *(const backing_addr *)y;
  return a < b ? -1 : a > b;
}

TEST(alloc_double_free_is_efreed) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  struct live_set l;
  backing_addr x, y, t[3], lo, mid, hi;
  uint64_t n_lo, n_mid, n_hi;
  int i;
  if (!s) return;
  /* three large blocks in a fresh store: carved one after the other */
  t[0] = backing_alloc(s, 5000);
  t[1] = backing_alloc(s, 7000);
  t[2] = backing_alloc(s, 5000);
  if (!CHECK(t[0] && t[1] && t[2])) {
    CLOSE(s);
    return;
  }
  live_fill(s, &l);
  qsort(t, 3, sizeof t[0], cmp_addr);
  lo = t[0];
  mid = t[1];
  hi = t[2];
  /* large: the middle one has live neighbours, so it stays a free block of its own */
  n_lo = backing_sizeof(s, lo);
  n_mid = backing_sizeof(s, mid);
  n_hi = backing_sizeof(s, hi);
  CHECK(n_lo >= 5000 && n_mid >= 5000 && n_hi >= 5000);
  CHECK_EQ(backing_free(s, mid), n_mid);
  EXPECT_FAIL0(backing_free(s, mid), BACKING_EFREED);
  EXPECT_FAIL0(backing_sizeof(s, mid), BACKING_EFREED);
  LIVE_INTACT(s, &l);
  /* lo is freed and merges with mid behind it: lo starts the merged free block */
  CHECK_EQ(backing_free(s, lo), n_lo);
  EXPECT_FAIL0(backing_free(s, lo), BACKING_EFREED);
  LIVE_INTACT(s, &l);
  /* mid is now inside a free block: still refused, whatever the code */
  prime_error(BACKING_EFREED);
  CHECK_EQ(backing_free(s, mid), 0);
  CHECKF(backing_last_error() == BACKING_EFREED || backing_last_error() == BACKING_EBADADDR,
         "free of a merged freed block: %s", err_name(backing_last_error()));
  LIVE_INTACT(s, &l);
  CHECK_EQ(backing_free(s, hi), n_hi);
  LIVE_INTACT(s, &l);

  /* small: a neighbour keeps the slab alive */
  x = backing_alloc(s, 48);
  y = backing_alloc(s, 48);
  CHECK(x && y);
  fill_pattern(backing_ptr(s, y), 48, 99);
  CHECK_EQ(backing_free(s, x), 48);
  EXPECT_FAIL0(backing_free(s, x), BACKING_EFREED);
  EXPECT_FAIL0(backing_sizeof(s, x), BACKING_EFREED);
  LIVE_INTACT(s, &l);
  CHECK_PATTERN(backing_ptr(s, y), 48, 99);
  CHECK_EQ(backing_free(s, y), 48);
  LIVE_INTACT(s, &l);

  for (i = 0; i < 6; i++)
    if (l.a[i]) CHECK_EQ(backing_free(s, l.a[i]), expected_usable(l.n[i]));
  /* everything is free now; freeing any of it again changes nothing */
  for (i = 0; i < 6; i++) {
    if (!l.a[i]) continue;
    CHECK_EQ(backing_free(s, l.a[i]), 0);
    CHECK_STORE(s);
  }
  CHECK_ONE_FREE_REGION_PER_ARENA(s);
  CLOSE(s);
}

TEST(alloc_calloc_zeroes_dirty_memory) {
  static const uint64_t sizes[] = {1, 16, 100, 1024, 1500, 5000, 40000};
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  size_t i;
  int k;
  if (!s) return;
  for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    backing_addr dirty[8], z[8];
    for (k = 0; k < 8; k++) {
      dirty[k] = backing_alloc(s, sizes[i]);
      if (dirty[k]) memset(backing_ptr(s, dirty[k]), 0xAB, (size_t)backing_sizeof(s, dirty[k]));
    }
    for (k = 0; k < 8; k++)
      if (dirty[k]) backing_free(s, dirty[k]);
    for (k = 0; k < 8; k++) {
      uint64_t n;
      z[k] = backing_calloc(s, sizes[i]);
      if (!CHECKF(z[k] != 0, "calloc(%llu): %s", ULL(sizes[i]), err_name(backing_last_error())))
        continue;
      n = backing_sizeof(s, z[k]);
      CHECK(n >= sizes[i]);
      CHECKF(all_bytes_are(backing_ptr(s, z[k]), n, 0),
             "calloc(%llu): %llu usable bytes not all zero", ULL(sizes[i]), ULL(n));
    }
    for (k = 0; k < 8; k++)
      if (z[k]) backing_free(s, z[k]);
    CHECK_STORE(s);
  }
  CLOSE(s);
}

TEST(alloc_aligned_addresses_and_pointers) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  static const uint64_t sizes[] = {1, 100, 5000};
  backing_addr live[64];
  uint64_t live_n[64];
  int nlive = 0, i;
  uint64_t align;
  size_t k;
  if (!s) return;
  for (align = 1; align <= 4096; align *= 2) {
    for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
      backing_addr a = backing_alloc_aligned(s, sizes[k], align);
      void *p;
      if (!CHECKF(a != 0, "alloc_aligned(%llu, %llu): %s", ULL(sizes[k]), ULL(align),
                  err_name(backing_last_error())))
        continue;
      p = backing_ptr(s, a);
      CHECKF(a % (align < 16 ? 16 : align) == 0, "alloc_aligned(%llu, %llu) = %llu", ULL(sizes[k]),
             ULL(align), ULL(a));
      CHECKF((uintptr_t)p % (align < 16 ? 16 : align) == 0, "pointer %p not %llu-aligned", p,
             ULL(align));
      CHECK(backing_sizeof(s, a) >= sizes[k]);
      fill_pattern(p, sizes[k], a);
      live_n[nlive] = sizes[k];
      live[nlive++] = a;
      /* a small neighbour so that the next aligned block has to skip */
      backing_alloc(s, 16);
    }
  }
  CHECK_STORE(s);
  for (i = 0; i < nlive; i++) {
    uint64_t sz = live_n[i];
    CHECK_PATTERN(backing_ptr(s, live[i]), sz, live[i]);
    CHECK(backing_free(s, live[i]) >= sz);
    CHECK_STORE(s);
  }
  EXPECT_FAIL0(backing_alloc_aligned(s, 64, 0), BACKING_EINVAL);
  EXPECT_FAIL0(backing_alloc_aligned(s, 64, 3), BACKING_EINVAL);
  EXPECT_FAIL0(backing_alloc_aligned(s, 64, 24), BACKING_EINVAL);
  EXPECT_FAIL0(backing_alloc_aligned(s, 64, 8192), BACKING_EINVAL);
  EXPECT_FAIL0(backing_alloc_aligned(s, 64, 1ull << 63), BACKING_EINVAL);
  EXPECT_FAIL0(backing_alloc_aligned(s, 64, UINT64_MAX), BACKING_EINVAL);
  CHECK_CLOSE(s);
}

TEST(alloc_realloc_contracts) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_addr a, b;
  uint64_t old_n, n;
  static const uint64_t steps[] = {40, 100, 1000, 3000, 20000, 20001, 500, 10, 1, 2000};
  size_t i;
  if (!s) return;
  a = backing_realloc(s, 0, 40); /* 0 is alloc */
  if (!CHECK(a != 0)) {
    CLOSE(s);
    return;
  }
  old_n = backing_sizeof(s, a);
  CHECK_EQ(old_n, 48);
  fill_pattern(backing_ptr(s, a), old_n, 1);
  for (i = 1; i < sizeof steps / sizeof steps[0]; i++) {
    b = backing_realloc(s, a, steps[i]);
    if (!CHECKF(b != 0, "realloc(%llu -> %llu): %s", ULL(old_n), ULL(steps[i]),
                err_name(backing_last_error())))
      break;
    n = backing_sizeof(s, b);
    /* in place, a block may keep more than a fresh one would get: only >= the request */
    CHECKF(n >= steps[i] && n % 16 == 0, "realloc to %llu: usable %llu", ULL(steps[i]), ULL(n));
    CHECK(b % 16 == 0);
    CHECKF(find_pattern_mismatch(backing_ptr(s, b), old_n < n ? old_n : n, i) < 0,
           "realloc(%llu -> %llu) lost contents", ULL(old_n), ULL(steps[i]));
    CHECK_STORE(s);
    fill_pattern(backing_ptr(s, b), n, i + 1);
    a = b;
    old_n = n;
  }
  /* README: realloc(a, 0) shrinks to 16 bytes and keeps the block */
  b = backing_realloc(s, a, 0);
  if (CHECKF(b != 0, "realloc(a, 0): %s", err_name(backing_last_error()))) {
    CHECK(backing_sizeof(s, b) >= 16);
    CHECK_PATTERN(backing_ptr(s, b), 16, i);
    b = backing_realloc(s, b, old_n);
    if (CHECK(b != 0)) {
      CHECK_PATTERN(backing_ptr(s, b), 16, i);
      fill_pattern(backing_ptr(s, b), old_n, i);
      a = b;
    }
  }
  CHECK_EQ(backing_sizeof(s, a), old_n);
  /* failure leaves the block intact */
  EXPECT_FAIL0(backing_realloc(s, a, max_block(64 * KIB) + 1), BACKING_ETOOBIG);
  EXPECT_FAIL0(backing_realloc(s, a, UINT64_MAX), BACKING_ETOOBIG);
  CHECK_EQ(backing_sizeof(s, a), old_n);
  CHECK_PATTERN(backing_ptr(s, a), old_n, i);
  /* realloc of something that is not a live block */
  CHECK_EQ(backing_realloc(s, a + 16, 100), 0);
  CHECK_EQ(backing_realloc(s, UINT64_MAX, 100), 0);
  CHECK_STORE(s);
  CHECK_EQ(backing_free(s, a), old_n);
  CHECK_EQ(backing_realloc(s, a, 100), 0);
  CHECKF(backing_last_error() == BACKING_EFREED || backing_last_error() == BACKING_EBADADDR,
         "realloc of a freed block: %s", err_name(backing_last_error()));
  CHECK_STORE(s);
  CHECK_ONE_FREE_REGION_PER_ARENA(s);
  CLOSE(s);
}

TEST(alloc_realloc_enospace_keeps_block) {
  backing *s = OPEN_MEMORY(64 * KIB, 64 * KIB);
  backing_addr a, b, r;
  if (!s) return;
  a = backing_alloc(s, 20000);
  b = backing_alloc(s, 20000);
  if (!CHECK(a && b)) {
    CLOSE(s);
    return;
  }
  fill_pattern(backing_ptr(s, a), 20000, 77);
  fill_pattern(backing_ptr(s, b), 20000, 78);
  r = backing_realloc(s, a, 50000);
  CHECK_EQ(r, 0);
  CHECK_EQ(backing_last_error(), BACKING_ENOSPACE);
  CHECK_EQ(backing_sizeof(s, a), 20000);
  CHECK_PATTERN(backing_ptr(s, a), 20000, 77);
  CHECK_PATTERN(backing_ptr(s, b), 20000, 78);
  CHECK_CLOSE(s);
}

TEST(alloc_ptr_and_addr_of) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_addr a;
  backing_stats st;
  unsigned char *p;
  int local = 0;
  if (!s) return;
  a = backing_alloc(s, 100);
  CHECK(a != 0);
  p = (unsigned char *)backing_ptr(s, a);
  CHECK(p != NULL);
  CHECK(backing_ptr(s, 0) == NULL);
  CHECK_EQ(backing_addr_of(s, p), a);
  CHECK_EQ(backing_addr_of(s, p + 5), a + 5);
  EXPECT_FAIL0(backing_addr_of(s, &local), BACKING_EBADADDR);
  EXPECT_FAIL0(backing_addr_of(s, NULL), BACKING_EBADADDR);
  EXPECT_FAIL0(backing_addr_of(s, s), BACKING_EBADADDR);
  st = stat_of(s);
  prime_error(BACKING_EBADADDR);
  CHECK(backing_ptr(s, st.capacity + 4096) == NULL);
  CHECK_EQ(backing_last_error(), BACKING_EBADADDR);
  CHECK(backing_ptr(s, UINT64_MAX) == NULL);
  CHECK_EQ(backing_free(s, a), 112);
  CLOSE(s);
}

TEST(alloc_store_grows_by_arenas) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_stats st;
  int i;
  backing_addr a = 0, last = 0;
  if (!s) return;
  st = stat_of(s);
  CHECK_EQ(st.arena_count, 1);
  CHECK_EQ(st.capacity, 64 * KIB);
  for (i = 0; i < 40 && stat_of(s).arena_count < 2; i++) {
    a = backing_alloc(s, 4096);
    if (!CHECK(a != 0)) break;
    last = a;
  }
  st = stat_of(s);
  CHECK_EQ(st.arena_count, 2);
  CHECK_EQ(st.capacity, 128 * KIB);
  CHECK_EQ(last / (64 * KIB), 1); /* the block that needed it lives in arena 1 */
  CHECK_CLOSE(s);
}

TEST(alloc_max_size_caps_growth) {
  backing *s = OPEN_MEMORY(64 * KIB, 128 * KIB);
  backing_stats st;
  uint64_t fails0, count = 0;
  backing_addr a, keep = 0;
  if (!s) return;
  CHECK_EQ(stat_of(s).alloc_failures, 0);
  while ((a = backing_alloc(s, 4096)) != 0 && count < 100) {
    count++;
    keep = a;
  }
  CHECK_EQ(a, 0);
  CHECK_EQ(backing_last_error(), BACKING_ENOSPACE);
  st = stat_of(s);
  CHECK_EQ(st.arena_count, 2);
  CHECK_EQ(st.capacity, 128 * KIB);
  CHECK_EQ(st.alloc_failures, 1);
  fails0 = st.alloc_failures;
  EXPECT_FAIL0(backing_alloc(s, 4096), BACKING_ENOSPACE);
  EXPECT_FAIL0(backing_calloc(s, 4096), BACKING_ENOSPACE);
  EXPECT_FAIL0(backing_alloc_aligned(s, 4096, 4096), BACKING_ENOSPACE);
  EXPECT_FAIL0(backing_alloc(s, UINT64_MAX), BACKING_ETOOBIG);
  st = stat_of(s);
  CHECK_EQ(st.alloc_failures, fails0 + 4);
  CHECK_EQ(st.arena_count, 2);
  CHECK_STORE(s);
  /* freeing makes room again */
  CHECK_EQ(backing_free(s, keep), 4096);
  CHECK(backing_alloc(s, 4096) != 0);
  CHECK_CLOSE(s);
}

TEST(alloc_max_size_edges) {
  backing_config c = mem_cfg(64 * KIB, 1000);
  backing *s = (backing *)&c;
  backing_addr a;
  uint64_t n = 0;
  /* a cap below one arena leaves no room for a store */
  EXPECT_RC(backing_open(&s, &c), BACKING_EINVAL);
  CHECK(s == NULL);
  /* a cap that is not a whole number of arenas is refused, not rounded down in silence */
  c = mem_cfg(64 * KIB, 2 * 64 * KIB + 1000);
  EXPECT_RC(backing_open(&s, &c), BACKING_EINVAL);
  c = mem_cfg(64 * KIB, 2 * 64 * KIB);
  s = OPEN(&c);
  if (!s) return;
  while ((a = backing_alloc(s, 8192)) != 0 && n < 1000) n++;
  CHECK_EQ(backing_last_error(), BACKING_ENOSPACE);
  CHECK(stat_of(s).capacity <= 2 * 64 * KIB);
  CHECK_EQ(stat_of(s).arena_count, 2);
  CHECK_CLOSE(s);
}
