/* t_huge_hostile.c: spans against damaged files and racing handles, from a review of the
   span code (the first five failed before their fixes, the bitmap one under TSan; the map
   directory one shows a use the README had denied). The store files are edited in place
   with pwrite to play a damaged or hostile file. */

#include <fcntl.h>

static long long file_size_of(const char *dir, const char *name) {
  char path[1024];
  struct stat sb;
  snprintf(path, sizeof path, "%s/%s.backing", dir, name);
  return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}
static void huge_poke32(const char *dir, const char *name, uint64_t off, uint32_t v) {
  char path[1024];
  int fd;
  snprintf(path, sizeof path, "%s/%s.backing", dir, name);
  fd = open(path, O_RDWR);
  if (!CHECKF(fd >= 0, "open %s: %s", path, strerror(errno))) return;
  CHECK(pwrite(fd, &v, 4, (off_t)off) == 4);
  close(fd);
}

/* Another process adds a span at the end of the store; this handle's growth
   picks it up (backing__grow: shared > count) and backing__alloc makes count - 1, an
   inner arena, the thread's and the handle's current arena (backing__set_cur). When the
   next growth fails (max_size here; ENOSPC, or a race in which the pass loop finds room
   is enough to show it transiently) the inner arena stays current, and the allocation
   fast path locks and reads a "header" that is the huge block's user bytes. Here those
   bytes happen to look like a partial slab: backing_alloc hands out an address inside the
   live huge block. */
static void huge_cur_case(int gc) {
  char dir[512];
  backing_config c =
      mmap_cfg(test_path(dir, sizeof dir, gc ? "rv2gcur" : "rv2cur"), "rc", 64 * KIB);
  backing_config hc = huge_cfg(&c);
  backing *s;
  backing_addr big, y;
  uint64_t got;
  pid_t pid;
  int st, i;
  uint32_t cur;
  c.max_size = hc.max_size = 3 * 64 * KIB;
  s = OPEN(&c); /* this handle knows one arena */
  if (!s) return;
  pid = fork();
  if (pid == 0) { /* another process: a huge block, a span of arenas 1 and 2 */
    backing *u = NULL;
    backing_addr a;
    backing__arena *fake;
    backing__slab *sl;
    unsigned li = backing__class_of(64) + (gc ? BACKING__NCLASS : 0u);
    if (backing_open(&u, &hc) != 0) _exit(2);
    a = backing_alloc(u, 100 * KIB);
    if (!a || (a >> 16) != 1 || backing_sizeof(u, a) < 100 * KIB) _exit(3);
    memset(backing_ptr(u, a), 0, (size_t)backing_sizeof(u, a));
    /* user data that, read as arena 2's header, names a slab with a free slot */
    fake = (backing__arena *)backing_ptr(u, 2ull << 16);
    fake->partial[li] = 32768;
    sl = backing__slab_at(fake, 32768);
    sl->cls = (uint16_t)li;
    sl->kind = gc ? BACKING__GC : 0;
    sl->nslots = 100;
    if (backing_root_set(u, "big", a) != 0) _exit(4);
    _exit(backing_close(u) == 0 ? 0 : 5);
  }
  st = wait_pid(pid);
  if (!CHECKF(exited_ok(st), "the other process: %s", status_str(st))) goto out;
  big = backing_root_get(s, "big");
  /* fill: arena 0, then growth picks up the span, then growth fails (max_size) */
  for (i = 0; i < 100000; i++)
    if (!(gc ? backing_gc_alloc(s, 64, 1, 1) : backing_alloc(s, 64))) break;
  CHECKF(backing_last_error() == BACKING_ENOSPACE, "filling ended with %s",
         err_name(backing_last_error()));
  got = backing_sizeof(s, big);
  cur = backing__cur(s);
  CHECKF(!backing__inner(s, cur), "the current arena %u is inside the huge block at arena %llu",
         cur, ULL(big >> 16));
  y = gc ? backing_gc_alloc(s, 64, 1, 1) : backing_alloc(s, 64);
  CHECKF(y == 0 || y + 64 <= big || y >= big + got,
         "%s returned %#llx, inside the live huge block [%#llx, %#llx)",
         gc ? "backing_gc_alloc" : "backing_alloc", ULL(y), ULL(big), ULL(big + got));
out:
  CLOSE(s);
}
TEST(huge_cur_after_growth_names_no_inner_arena) {
  huge_cur_case(0);
}
/* The GC fast path: the same current arena, the same bytes. */
TEST(huge_gc_alloc_after_growth_names_no_inner_arena) {
  huge_cur_case(1);
}

/* Arena 0 is validated by backing__attach, never by backing__arena_ready, so
   backing__arena_ready's "I13 span out of the store" never looks at arena 0's span; but
   backing__span_tail trusts it. A store file whose arena 0 says span = 2 opens (even with
   BACKING_VERIFY), and the block of arena 0 that runs to its end reports an arena more
   than the store has: realloc keeps it "in place" and the caller writes past the file. */
TEST(huge_span_on_arena_0_is_refused) {
  char dir[512];
  backing_config c = mmap_cfg(test_path(dir, sizeof dir, "rv2a0"), "a0", 64 * KIB);
  backing *s = OPEN(&c);
  backing_addr a;
  uint64_t first = 64 * KIB - 4096 - 6144 - 16, n; /* arena 0's largest block */
  unsigned char *p;
  int rc, st;
  pid_t pid;
  if (!s) return;
  a = backing_alloc(s, first);
  if (!CHECKF(a && a + first == 64 * KIB, "a %#llx", ULL(a))) {
    CLOSE(s);
    return;
  }
  CHECK_OK(backing_root_set(s, "a", a));
  CLOSE(s);
  huge_poke32(dir, "a0", 2252, 2); /* arena 0: span 2, in a store of one arena */
  c.flags = BACKING_VERIFY;
  s = NULL;
  rc = backing_open(&s, &c);
  CHECKF(rc == BACKING_ECORRUPT, "open with BACKING_VERIFY: %s (a span on arena 0, past the end)",
         err_name(rc));
  if (rc != 0) return;
  CHECKF(backing_sizeof(s, a) <= first, "sizeof %llu in a store of %llu bytes",
         ULL(backing_sizeof(s, a)), ULL(stat_of(s).capacity));
  n = backing_sizeof(s, a);
  p = (unsigned char *)backing_ptr(s, a);
  fflush(stdout);
  pid = fork();
  if (pid == 0) { /* the contract: every byte sizeof reports is the caller's to write */
    memset(p, 0x5a, (size_t)n); /* (the handle refuses calls in a child: done before) */
    _exit(0);
  }
  st = wait_pid(pid);
  CHECKF(exited_ok(st), "writing the block's usable bytes: %s", status_str(st));
  test_note("file size %lld, capacity %llu", (long long)file_size_of(dir, "a0"),
            ULL(stat_of(s).capacity));
  backing_close(s);
}

/* A damaged span field on an arena that holds two blocks (a huge block's head holds
   one, running to its end, or none). */
TEST(huge_span_head_with_two_blocks_is_refused) {
  char dir[512];
  backing_config c = mmap_cfg(test_path(dir, sizeof dir, "rv2h2"), "h2", 64 * KIB);
  backing *s = OPEN(&c);
  backing_addr x, w, y;
  uint64_t hx;
  int rc;
  if (!s) return;
  CHECK(backing_alloc(s, 64 * KIB - 4096 - 6144 - 16) >> 16 == 0); /* arena 0, full */
  x = backing_alloc(s, 30000);
  w = backing_alloc(s, 25000);
  y = backing_alloc(s, 30000);
  hx = x >> 16;
  if (!CHECKF(x && w >> 16 == hx && y >> 16 == hx + 1, "%#llx %#llx %#llx", ULL(x), ULL(w),
              ULL(y))) {
    CLOSE(s);
    return;
  }
  CHECK_OK(backing_root_set(s, "y", y));
  CLOSE(s);
  huge_poke32(dir, "h2", hx * 64 * KIB + 2252, 2);
  c.flags = BACKING_VERIFY;
  s = NULL;
  rc = backing_open(&s, &c);
  CHECKF(rc == BACKING_ECORRUPT, "open with BACKING_VERIFY: %s (a span's head with two blocks)",
         err_name(rc));
  if (rc == 0) backing_close(s);
}

/* I13 ("the span ends inside the store") is judged against the handle's count,
   which the allocator itself raises: a span field past the end stops `valid`, so every
   allocation grows the store by an arena it cannot validate (pre-existing shape) until the
   count reaches the span's end; then the span is accepted and the arenas this very handle
   formatted as ordinary arenas are taken as its inner arenas. */
TEST(huge_bad_span_does_not_grow_the_store_forever) {
  char dir[512];
  backing_config c = mmap_cfg(test_path(dir, sizeof dir, "rv2gr"), "gr", 64 * KIB);
  backing *s = OPEN(&c);
  backing_addr a0, x;
  uint64_t n0, n1;
  int i;
  if (!s) return;
  a0 = backing_alloc(s, 64 * KIB - 4096 - 6144 - 16);
  x = backing_alloc(s, 100);
  CHECK(a0 >> 16 == 0 && x >> 16 == 1);
  CLOSE(s);
  huge_poke32(dir, "gr", 64 * KIB + 2252, 7); /* a span of 7 in a store of 2 arenas */
  c.max_size = 64 * 64 * KIB;
  s = OPEN(&c);
  if (!s) return;
  n0 = BACKING__LD(backing__st(s)->arena_count);
  for (i = 0; i < 3; i++) backing_alloc(s, 30000);
  n1 = BACKING__LD(backing__st(s)->arena_count);
  CHECKF(n1 <= n0 + 1, "3 allocations grew the store from %llu to %llu arenas (%s)", ULL(n0),
         ULL(n1), err_name(backing_last_error()));
  CHECKF(!backing__inner(s, 3), "arena 3, formatted by this handle as an arena, is now inside "
                                "arena 1's span");
  backing_close(s);
}

/* A BACKING_HUGE handle's map directory larger than max_block takes a span, and works. */
TEST(huge_map_directory_takes_a_span) {
  backing_config base = mem_cfg(64 * KIB, 0), c = huge_cfg(&base);
  backing *s = OPEN(&c);
  backing_addr m;
  backing_value in, out;
  uint64_t arenas0;
  if (!s) return;
  arenas0 = stat_of(s).arena_count;
  m = backing_map_new(s, 1u << 20); /* a directory of 8 + 8 << depth bytes */
  if (CHECK(m != 0)) {
    memset(&in, 0, sizeof in);
    memset(&out, 0, sizeof out);
    in.kind = BACKING_VALUE_I64;
    in.i64 = 42;
    CHECK_OK(backing_map_put(s, m, "k", 1, &in));
    CHECK_OK(backing_map_get(s, m, "k", 1, &out));
    CHECK_EQ(out.i64, 42);
    test_note("map_new(1<<20) on 64 KiB arenas: %llu arenas (was %llu)",
              ULL(stat_of(s).arena_count), ULL(arenas0));
  }
  CHECK_CLOSE(s);
}

/* (TSan) The first span a handle learns publishes s->inner with an atomic store
   (backing__mark_inner) while other threads' fast paths read it with a plain load
   (backing__inner): a data race in C11 terms. Run under the TSan build. */
struct huge_churn {
  backing *s;
  int stop;
  long n;
};
static void *huge_churn_main(void *p) {
  struct huge_churn *c = (struct huge_churn *)p;
  while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
    backing_addr a = backing_alloc(c->s, 32);
    if (a) backing_free(c->s, a);
    c->n++;
  }
  return NULL;
}
TEST(huge_threads_inner_bitmap_published_under_fast_paths) {
  backing_config base = mem_cfg(64 * KIB, 0), c = huge_cfg(&base);
  backing *s = OPEN(&c);
  struct huge_churn ch;
  pthread_t th;
  backing_addr h;
  if (!s) return;
  memset(&ch, 0, sizeof ch);
  ch.s = s;
  CHECK(backing_alloc(s, 32) != 0);
  CHECK(pthread_create(&th, NULL, huge_churn_main, &ch) == 0);
  sleep_ns(20000000);
  h = backing_alloc(s, 200 * KIB); /* the handle's first span: the bitmap appears */
  CHECK(h != 0);
  sleep_ns(20000000);
  __atomic_store_n(&ch.stop, 1, __ATOMIC_RELEASE);
  pthread_join(th, NULL);
  CHECK(backing_free(s, h) > 0);
  CHECK_CLOSE(s);
}

/* From the review of realloc in place: a span field past the store's count is accepted
   only as a growth in place under way or dead, which the store's `growing` record names
   (with the old span, which ends at the count). Any other such field is damage: here a
   head that is not the last claims 1000 arenas. Taken for a dead growth, it swallowed the
   arena after it, whose rooted block became EBADADDR while backing_check passed. */
TEST(huge_span_past_the_end_without_a_growth_is_damage) {
  char dir[512];
  backing_config c = mmap_cfg(test_path(dir, sizeof dir, "pastend"), "pe", 64 * KIB);
  backing *s;
  backing_addr a, x = 0;
  int i, rc;
  c.flags |= BACKING_HUGE;
  s = OPEN(&c);
  if (!s) return;
  a = backing_alloc(s, 150 * KIB);                                       /* arenas 1..3 */
  for (i = 0; i < 100 && (x >> 16) < 4; i++) x = backing_alloc(s, 8000); /* then arena 4 */
  if (!CHECK(a >> 16 == 1 && x >> 16 == 4)) {
    CLOSE(s);
    return;
  }
  CHECK_OK(backing_root_set(s, "x", x));
  CLOSE(s);
  huge_poke32(dir, "pe", 64 * KIB + 2252, 1000); /* arena 1's span: 3 -> 1000 */
  s = OPEN(&c);
  if (!s) return;
  CHECK_EQ(backing_root_get(s, "x"), x);
  EXPECT_FAIL0(backing_sizeof(s, x), BACKING_ECORRUPT);
  rc = backing_check(s);
  CHECKF(rc == BACKING_ECORRUPT && strstr(backing_check_detail(s), "I13"),
         "check: %s (%s), want ECORRUPT for I13", err_name(rc), backing_check_detail(s));
  backing_close(s);
}

/* From a review of the free-span search: a free span that cannot be taken (its head
   quarantined here; or taken by another thread between the look and the lock) must not
   hide the others. It was the best fit every time, so each huge block of its size grew
   the store by a new span; and a realloc that would move into it instead of growing in
   place failed with ENOSPACE at max_size. */
TEST(huge_refused_free_span_hides_no_other) {
  backing_config base = mem_cfg(64 * KIB, 0);
  backing *s;
  backing_addr q, d, y, x;
  uint64_t count;
  int k;
  base.flags |= BACKING_HUGE;
  base.max_size = 12 * 64 * KIB;
  s = OPEN(&base);
  if (!s) return;
  q = backing_alloc(s, 2 * 64 * KIB + 100); /* a span of 3 arenas */
  d = backing_alloc(s, 3 * 64 * KIB + 100); /* and one of 4 */
  if (!CHECK(q != 0 && d != 0)) goto out;
  CHECK(backing_free(s, q) > 0 && backing_free(s, d) > 0);
  BACKING__SET(backing__ar(s, (uint32_t)(q >> s->shift))->quarantined, 1); /* found damaged */
  count = BACKING__LD(backing__st(s)->arena_count);
  for (k = 0; k < 3; k++) { /* each takes the 4-arena span, the store stays */
    y = backing_alloc(s, 2 * 64 * KIB + 300);
    CHECK(y == d);
    if (y) CHECK(backing_free(s, y) > 0);
  }
  CHECKF(BACKING__LD(backing__st(s)->arena_count) == count, "%llu arenas, %llu before",
         ULL(BACKING__LD(backing__st(s)->arena_count)), ULL(count));
  x = backing_alloc(s, 64 * KIB + 100); /* 2 arenas: the 4-arena span (n to 2n) */
  y = backing_alloc(s, 64 * KIB + 100); /* 2 more: a new span at the end, the last */
  if (!CHECK(x == d && y > d)) goto out;
  memset(backing_ptr(s, y), 0x5a, 64 * KIB + 100);
  /* y to 3 arenas: the quarantined span is no free span that would take it, so it grows
     in place (12 arenas of room: 1 + 3 + 4 + 2 + 1); it was ENOSPACE */
  CHECK_EQ(backing_realloc(s, y, 2 * 64 * KIB + 200), y);
  CHECK(((unsigned char *)backing_ptr(s, y))[64 * KIB] == 0x5a);
out:
  backing_close(s);
}
