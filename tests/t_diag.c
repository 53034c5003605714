/* t_diag.c: backing_stat, backing_check, backing_walk, bad handles, and pointers that stay
   valid while the store grows. */

TEST(diag_stat_fresh_store) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_stats st;
  if (!s) return;
  st = stat_of(s);
  CHECK_EQ(st.arena_size, 64 * KIB);
  CHECK_EQ(st.arena_count, 1);
  CHECK_EQ(st.capacity, 64 * KIB);
  CHECK_EQ(st.used_bytes, 0);
  CHECK_EQ(st.used_blocks, 0);
  CHECK(st.free_blocks >= 1);
  CHECK(st.free_bytes > 32 * KIB && st.free_bytes <= st.capacity);
  CHECK(st.largest_free > 0 && st.largest_free <= st.free_bytes);
  CHECK_EQ(st.gc_waiting, 0);
  CHECK_EQ(st.alloc_failures, 0);
  CHECK_EQ(st.max_block, max_block(64 * KIB));
  CLOSE(s);
}

struct diag_block {
  backing_addr a;
  uint64_t n;
  int live;
};

TEST(diag_stat_and_walk_agree_with_the_blocks) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  struct diag_block b[120];
  struct walk_list w;
  backing_stats st;
  uint64_t used = 0, count = 0, i, walk_used = 0, walk_bytes = 0;
  size_t k;
  backing_addr end = 0;
  if (!s) return;
  for (i = 0; i < 120; i++) {
    uint64_t req = i % 5 == 4 ? 3000 + i * 50 : 1 + i * 7 % 700;
    b[i].a = backing_alloc(s, req);
    b[i].n = backing_sizeof(s, b[i].a);
    b[i].live = b[i].a != 0;
    CHECK(b[i].a != 0);
  }
  for (i = 0; i < 120; i += 3) {
    CHECK_EQ(backing_free(s, b[i].a), b[i].n);
    b[i].live = 0;
  }
  for (i = 0; i < 120; i++)
    if (b[i].live) {
      used += b[i].n;
      count++;
    }
  st = stat_of(s);
  CHECK_EQ(st.used_blocks, count);
  CHECK_EQ(st.used_bytes, used);
  CHECK(st.used_bytes + st.free_bytes <= st.capacity);
  CHECK(st.largest_free <= st.free_bytes);
  w = walk_collect(s);
  for (k = 0; k < w.n; k++) {
    CHECKF(w.items[k].a >= end, "walk item %zu at %llu: not in address order", k,
           ULL(w.items[k].a));
    end = w.items[k].a + w.items[k].size;
    CHECKF(end <= st.capacity, "walk item %zu ends past the store", k);
    CHECKF(w.items[k].state == BACKING_BLOCK_USED || w.items[k].state == BACKING_BLOCK_FREE,
           "walk item %zu has state %d", k, w.items[k].state);
    if (w.items[k].state == BACKING_BLOCK_USED) {
      walk_used++;
      walk_bytes += w.items[k].size;
    }
  }
  CHECK_EQ(walk_used, count);
  CHECK_EQ(walk_bytes, used);
  /* every live block is listed, as used, with its usable size; no freed one is */
  for (i = 0; i < 120; i++) {
    int found = 0;
    for (k = 0; k < w.n; k++)
      if (w.items[k].a == b[i].a && w.items[k].state == BACKING_BLOCK_USED) {
        found = 1;
        CHECK_EQ(w.items[k].size, b[i].n);
      }
    CHECKF(found == b[i].live, "block %llu (%s) %s listed as used", ULL(b[i].a),
           b[i].live ? "live" : "freed", found ? "is" : "is not");
  }
  free(w.items);
  CLOSE(s);
}

struct diag_stop {
  int calls;
};
static int diag_stop_cb(backing *s, backing_addr a, uint64_t size, int state, void *ctx) {
  struct diag_stop *d = (struct diag_stop *)ctx;
  (void)s;
  (void)a;
  (void)size;
  (void)state;
  return ++d->calls == 3 ? 7 : 0;
}

TEST(diag_walk_stops_on_nonzero) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  struct diag_stop d;
  int i;
  if (!s) return;
  for (i = 0; i < 10; i++) backing_alloc(s, 5000 + (uint64_t)i);
  d.calls = 0;
  CHECK_EQ(backing_walk(s, diag_stop_cb, &d), 7);
  CHECK_EQ(d.calls, 3);
  CLOSE(s);
}

TEST(diag_null_arguments_are_einval) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_stats st;
  uint64_t r, t;
  if (!s) return;
  EXPECT_RC(backing_stat(NULL, &st), BACKING_EINVAL);
  EXPECT_RC(backing_stat(s, NULL), BACKING_EINVAL);
  EXPECT_RC(backing_check(NULL), BACKING_EINVAL);
  EXPECT_RC(backing_walk(NULL, walk_collect_cb, NULL), BACKING_EINVAL);
  EXPECT_RC(backing_walk(s, NULL, NULL), BACKING_EINVAL);
  EXPECT_FAIL0(backing_alloc(NULL, 8), BACKING_EINVAL);
  EXPECT_FAIL0(backing_calloc(NULL, 8), BACKING_EINVAL);
  EXPECT_FAIL0(backing_alloc_aligned(NULL, 8, 64), BACKING_EINVAL);
  EXPECT_FAIL0(backing_realloc(NULL, 0, 8), BACKING_EINVAL);
  EXPECT_FAIL0(backing_free(NULL, 4096), BACKING_EINVAL);
  EXPECT_FAIL0(backing_sizeof(NULL, 4096), BACKING_EINVAL);
  EXPECT_RC(backing_root_set(NULL, "x", 4096), BACKING_EINVAL);
  EXPECT_FAIL0(backing_root_get(NULL, "x"), BACKING_EINVAL);
  EXPECT_RC(backing_root_del(NULL, "x"), BACKING_EINVAL);
  EXPECT_RC(backing_sync(NULL, 0, 0, BACKING_SYNC_BLOCK), BACKING_EINVAL);
  EXPECT_RC(backing_advise(NULL, 0, 0, BACKING_ADVICE_NORMAL), BACKING_EINVAL);
  EXPECT_RC(backing_incore(NULL, 0, 0, &r, &t), BACKING_EINVAL);
  EXPECT_RC(backing_incore(s, 0, 0, NULL, NULL), BACKING_EINVAL);
  CHECK(backing_ptr(NULL, 4096) == NULL);
  CHECK_EQ(backing_addr_of(NULL, &st), 0);
  CHECK(backing_check_detail(s) != NULL);
  CHECK_CLOSE(s);
}

/* check finds damage written over the store's own bytes, names it, and does not crash;
   a clean store afterwards checks clean again and the detail is "" */
TEST(diag_check_detects_damage) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_addr big, small;
  unsigned char *base, saved[64];
  const char *d;
  int rc;
  if (!s) return;
  small = backing_alloc(s, 100);
  big = backing_alloc(s, 5000);
  if (!CHECK(small && big)) {
    CLOSE(s);
    return;
  }
  base = (unsigned char *)backing_ptr(s, big) - big; /* address a lives at base + a */
  CHECK_STORE(s);
  CHECK_EQ(strlen(backing_check_detail(s)), 0);

  /* the arena header's magic (closed to the user's view: damaged from inside) */
  {
    unsigned char *hdr = (unsigned char *)backing__ar(s, 0);
    memcpy(saved, hdr, 64);
    hdr[0] ^= 0xff;
    rc = backing_check(s);
    CHECKF(rc == BACKING_ECORRUPT, "check with a damaged arena magic: %s", err_name(rc));
    d = backing_check_detail(s);
    CHECK(d != NULL && d[0] != 0);
    memcpy(hdr, saved, 64);
  }
  CHECK_STORE(s);
  CHECK_EQ(strlen(backing_check_detail(s)), 0);

  /* a large block's 16-byte header */
  memcpy(saved, base + big - 16, 16);
  memset(base + big - 16, 0xA5, 16);
  rc = backing_check(s);
  CHECKF(rc == BACKING_ECORRUPT, "check with a damaged block header: %s", err_name(rc));
  d = backing_check_detail(s);
  CHECK(d != NULL && d[0] != 0);
  memcpy(base + big - 16, saved, 16);
  CHECK_STORE(s);
  CHECK_EQ(backing_sizeof(s, big), 5008);
  CHECK_EQ(backing_free(s, big), 5008);
  CHECK_EQ(backing_free(s, small), 112);
  CHECK_CLOSE(s);
}

static void diag_pointers_stable(backing_config *c) {
  backing *s = OPEN(c);
  backing_addr a, g;
  unsigned char *p;
  int i;
  if (!s) return;
  a = backing_alloc(s, 1000);
  p = (unsigned char *)backing_ptr(s, a);
  if (!CHECK(a && p)) {
    CLOSE(s);
    return;
  }
  fill_pattern(p, 1000, 5);
  for (i = 0; i < 20; i++) {
    g = backing_alloc(s, max_block(64 * KIB));
    if (!CHECK(g != 0)) break;
    memset(backing_ptr(s, g), i, 100);
  }
  CHECK(stat_of(s).arena_count >= 21);
  CHECK(backing_ptr(s, a) == p); /* the arena did not move */
  CHECK_PATTERN(p, 1000, 5);
  p[0] = 0x77;
  CHECK_EQ(backing_get_u8(s, a), 0x77);
  CHECK_CLOSE(s);
}
TEST(diag_pointers_stay_valid_while_growing_memory) {
  backing_config c = mem_cfg(64 * KIB, 0);
  diag_pointers_stable(&c);
}
TEST(diag_pointers_stay_valid_while_growing_mmap) {
  backing_config c = mmap_cfg(test_dir(), "grow", 64 * KIB);
  diag_pointers_stable(&c);
}
