/* t_huge.c: blocks larger than an arena (BACKING_HUGE): spans of whole arenas. */

static backing_config huge_cfg(const backing_config *base) {
  backing_config c = *base;
  c.flags |= BACKING_HUGE;
  return c;
}

/* A pattern a huge block's bytes are checked against, position by position. */
static unsigned char huge_byte(uint64_t i, unsigned seed) {
  return (unsigned char)(mix64(i / 8 + seed) >> (8 * (i % 8)));
}
static void huge_fill(backing *s, backing_addr a, uint64_t n, unsigned seed) {
  unsigned char *p = (unsigned char *)backing_ptr(s, a);
  uint64_t i;
  for (i = 0; i < n; i++) p[i] = huge_byte(i, seed);
}
static int huge_same(backing *s, backing_addr a, uint64_t n, unsigned seed) {
  const unsigned char *p = (const unsigned char *)backing_ptr(s, a);
  uint64_t i;
  if (!p) return 0;
  for (i = 0; i < n; i++)
    if (p[i] != huge_byte(i, seed)) return 0;
  return 1;
}

struct huge_walk {
  backing_addr a;
  uint64_t size;
  int state;
  long blocks;
};
static int huge_walk_cb(backing *s, backing_addr a, uint64_t size, int state, void *ctx) {
  struct huge_walk *w = (struct huge_walk *)ctx;
  (void)s;
  w->blocks++;
  if (a == w->a) w->size = size, w->state = state;
  return 0;
}

/* The contract's default stays: without the flag, larger than an arena is ETOOBIG. */
TEST(huge_needs_the_flag) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  if (!s) return;
  EXPECT_FAIL0(backing_alloc(s, 200 * KIB), BACKING_ETOOBIG);
  EXPECT_FAIL0(backing_gc_alloc(s, 200 * KIB, 1, 1), BACKING_ETOOBIG);
  CHECK_CLOSE(s);
}

TEST(huge_alloc_use_free_reuse) {
  backing_config base = mem_cfg(64 * KIB, 0), c = huge_cfg(&base);
  backing *s = OPEN(&c);
  backing_addr a, b, small[40];
  backing_stats st;
  struct huge_walk w;
  uint64_t n = 200 * KIB, got, arenas;
  unsigned i;
  if (!s) return;
  a = backing_alloc(s, n);
  if (!CHECKF(a != 0, "alloc(200 KiB) with 64 KiB arenas: %s", err_name(backing_last_error())))
    goto out;
  got = backing_sizeof(s, a);
  CHECKF(got >= n && got < n + 64 * KIB, "sizeof %llu for a request of %llu", ULL(got), ULL(n));
  huge_fill(s, a, got, 1); /* every byte, through the arenas it spans */
  CHECK(huge_same(s, a, got, 1));
  CHECK_STORE(s);
  memset(&w, 0, sizeof w);
  w.a = a;
  CHECK_OK(backing_walk(s, huge_walk_cb, &w));
  CHECKF(w.size == got && w.state == BACKING_BLOCK_USED, "walk: size %llu state %d", ULL(w.size),
         w.state);
  st = stat_of(s);
  CHECKF(st.used_bytes >= got, "stat: used bytes %llu below the huge block", ULL(st.used_bytes));
  arenas = st.arena_count;
  /* small blocks never land inside the span; addresses inside it are not blocks */
  for (i = 0; i < 40; i++) {
    small[i] = backing_alloc(s, 16 + 100 * (uint64_t)i);
    CHECK(small[i] != 0 && (small[i] + 16 <= a || small[i] >= a + got));
  }
  EXPECT_FAIL0(backing_free(s, a + 64 * KIB), BACKING_EBADADDR);
  EXPECT_FAIL0(backing_free(s, a + got - 16), BACKING_EBADADDR);
  EXPECT_FAIL0(backing_sizeof(s, a + 128 * KIB), BACKING_EBADADDR);
  EXPECT_FAIL0(backing_gc_ref(s, a + 128 * KIB), BACKING_EBADADDR);
  CHECK(huge_same(s, a, got, 1)); /* none of that changed a byte */
  /* realloc: smaller stays, larger moves with its bytes */
  CHECK_EQ(backing_realloc(s, a, n - 1000), a);
  b = backing_realloc(s, a, 300 * KIB);
  if (!CHECK(b != 0)) goto out;
  CHECK(huge_same(s, b, got, 1));
  a = b;
  CHECK_STORE(s);
  /* free, and the spans are taken again by the next huge blocks (no growth) */
  got = backing_sizeof(s, a);
  CHECK_EQ(backing_free(s, a), got);
  EXPECT_FAIL0(backing_free(s, a), BACKING_EFREED);
  CHECK_STORE(s);
  arenas = stat_of(s).arena_count;
  b = backing_alloc(s, 250 * KIB);
  CHECK(b != 0);
  CHECK_EQ(stat_of(s).arena_count, arenas);
  a = backing_calloc(s, 180 * KIB); /* the other free span, old bytes and all: zeroed */
  if (CHECK(a != 0)) {
    const unsigned char *p = (const unsigned char *)backing_ptr(s, a);
    uint64_t k, nz = 0;
    for (k = 0; k < backing_sizeof(s, a); k++) nz += p[k] != 0;
    CHECKF(nz == 0, "calloc: %llu nonzero bytes", ULL(nz));
  }
  CHECK_EQ(stat_of(s).arena_count, arenas);
  CHECK_STORE(s);
  for (i = 0; i < 40; i++) CHECK(backing_free(s, small[i]) > 0);
  CHECK(backing_free(s, a) > 0);
  CHECK(backing_free(s, b) > 0);
  CHECK_STORE(s);
out:
  CHECK_CLOSE(s);
}

/* A GC block larger than an arena waits and is freed by a cycle like any other. */
TEST(huge_gc_block) {
  backing_config base = mem_cfg(64 * KIB, 0), c = huge_cfg(&base);
  backing *s = OPEN(&c);
  backing_addr g, h;
  uint64_t n = 150 * KIB, freed = 0;
  int i;
  if (!s) return;
  g = backing_gc_calloc(s, n, 7, 1);
  if (!CHECKF(g != 0, "gc_calloc(150 KiB): %s", err_name(backing_last_error()))) goto out;
  CHECK(backing_gc_sizeof(s, g) >= n);
  CHECK_EQ(backing_gc_type(s, g), 7);
  huge_fill(s, g, n, 3);
  CHECK_EQ(backing_gc_ref(s, g), 2);
  CHECK_EQ(backing_gc_unref(s, g), 1);
  CHECK_STORE(s);
  CHECK_EQ(backing_gc_unref(s, g), 0);
  CHECK_OK(backing_last_error());
  for (i = 0; i < 3; i++) freed += backing_gc_cycle(s);
  CHECKF(freed >= n + 16, "cycles freed %llu bytes", ULL(freed));
  EXPECT_FAIL0(backing_gc_refcount(s, g), BACKING_EFREED);
  CHECK_STORE(s);
  h = backing_gc_alloc(s, n, 8, 0); /* waits from birth; gc_free frees it now */
  if (CHECK(h != 0)) CHECK(backing_gc_free(s, h) >= n);
  CHECK_STORE(s);
out:
  CHECK_CLOSE(s);
}

/* A span stays a span: reopened without the flag, in another process, its block is whole
   and other processes' allocations keep out of it. */
TEST(huge_persists_and_is_shared) {
  char dir[512];
  backing_config base = mmap_cfg(test_path(dir, sizeof dir, "hp"), "hp", 64 * KIB);
  backing_config c = huge_cfg(&base);
  backing *s = OPEN(&c), *t;
  backing_addr a, x;
  uint64_t n = 300 * KIB, got;
  int i, st;
  pid_t pid;
  if (!s) return;
  a = backing_alloc(s, n);
  if (!CHECK(a != 0)) {
    CLOSE(s);
    return;
  }
  got = backing_sizeof(s, a);
  huge_fill(s, a, got, 5);
  CHECK_OK(backing_root_set(s, "big", a));
  CLOSE(s);
  t = OPEN(&base); /* no flag: reads and frees spans, makes none */
  if (!t) return;
  CHECK_STORE(t);
  CHECK_EQ(backing_root_get(t, "big"), a);
  CHECK_EQ(backing_sizeof(t, a), got);
  CHECK(huge_same(t, a, got, 5));
  pid = fork();
  if (pid == 0) { /* another process: small blocks, none inside the span */
    backing *u = NULL;
    int bad = 0;
    if (backing_open(&u, &base) != 0) _exit(2);
    for (i = 0; i < 3000; i++) {
      backing_addr y = backing_alloc(u, 16 + (uint64_t)(i % 700));
      if (!y) _exit(3);
      if (y + 16 > a && y < a + got) bad = 1;
    }
    if (!huge_same(u, a, got, 5)) bad = 1;
    _exit(backing_close(u) == 0 && !bad ? 0 : 4);
  }
  st = wait_pid(pid);
  CHECKF(exited_ok(st), "the other process: %s", status_str(st));
  CHECK(huge_same(t, a, got, 5));
  x = backing_alloc(t, 100 * KIB); /* without the flag: the contract's error */
  CHECK(x == 0 && backing_last_error() == BACKING_ETOOBIG);
  CHECK(backing_free(t, a) == got);
  CHECK_STORE(t);
  CLOSE(t);
}

/* Kills the child, then opens the store (the open repairs) and checks it: the handle, or
   NULL when the child had ended by itself or the store fails (the rounds stop there). */
static backing *huge_after_kill(pid_t pid, int round, const backing_config *c) {
  backing *s;
  int st;
  kill(pid, SIGKILL);
  st = wait_pid(pid);
  if (!CHECKF(WIFSIGNALED(st), "round %d: the child ended by itself: %s", round, status_str(st)))
    return NULL;
  s = OPEN(c);
  if (s && !CHECK_STORE(s)) {
    CLOSE(s);
    return NULL;
  }
  return s;
}

/* Killed at random while making and freeing huge blocks (growth of a whole span, the
   head's carve, the free): the next open repairs, and the store checks. */
TEST(huge_random_kills) {
  char dir[512];
  backing_config base = mmap_cfg(test_path(dir, sizeof dir, "hk"), "hk", 64 * KIB);
  backing_config c = huge_cfg(&base);
  uint64_t rng = seed_from_env(0x4b16) | 1;
  backing *s;
  int k;
  pid_t pid;
  c.max_size = 256 * 64 * KIB;
  s = OPEN(&c);
  if (!s) return;
  CLOSE(s);
  for (k = 0; k < 40; k++) {
    pid = fork();
    if (pid == 0) {
      backing *u = NULL;
      backing_addr held[4] = {0, 0, 0, 0};
      unsigned j = 0;
      char name[8];
      if (backing_open(&u, &c) != 0) _exit(2);
      for (j = 0; j < 4; j++) { /* what the last one held (under roots) goes back first */
        snprintf(name, sizeof name, "h%u", j);
        held[j] = backing_root_get(u, name);
      }
      for (j = 0;;) {
        unsigned slot = j++ % 4;
        snprintf(name, sizeof name, "h%u", slot);
        if (held[slot]) backing_free(u, held[slot]);
        held[slot] = backing_alloc(u, 70 * KIB + (uint64_t)(j % 5) * 50 * KIB);
        if (held[slot])
          backing_root_set(u, name, held[slot]);
        else
          backing_root_del(u, name);
        if (j % 3 == 0) backing_free(u, backing_alloc(u, 16 + j % 300));
      }
    }
    sleep_ns(1000000 + rng_below(&rng, 6000000));
    if ((s = huge_after_kill(pid, k, &c)) == NULL) break;
    CLOSE(s);
  }
  s = OPEN(&base);
  if (s) {
    backing_stats st = stat_of(s);
    /* each kill leaks at most the huge block being made (its span stays for reuse) */
    CHECKF(st.arena_count < 128, "%llu arenas after %d kills: spans are not reused",
           ULL(st.arena_count), k);
    test_note("%d kills, %llu arenas at the end", k, ULL(st.arena_count));
    CLOSE(s);
  }
}

/* Killed at random while one rooted huge block grows in place, 64 KiB at a time (its span
   is always the store's last), up to 8 arenas; the next process starts a new block after
   it when it is that big. The old blocks are kept: a free span that fits would take the
   growth instead (it moves there rather than grow the store). After every kill the store
   checks and the block has its first bytes and at least the size it had. */
TEST(huge_grow_in_place_random_kills) {
  char dir[512];
  backing_config base = mmap_cfg(test_path(dir, sizeof dir, "hgk"), "hgk", 64 * KIB);
  backing_config c = huge_cfg(&base);
  uint64_t rng = seed_from_env(0x9a0e) | 1;
  backing *s;
  int k, grew = 0, midway = 0, p[2];
  char b;
  pid_t pid;
  s = OPEN(&c);
  if (!s || !CHECK(pipe(p) == 0)) return;
  CLOSE(s);
  for (k = 0; k < 24; k++) {
    backing_addr a;
    pid = fork();
    if (pid == 0) {
      backing *u = NULL;
      uint64_t n;
      if (backing_open(&u, &c) != 0) _exit(2);
      a = backing_root_get(u, "g");
      if (!a || backing_sizeof(u, a) > 7 * 64 * KIB) { /* a new block, after the old one */
        backing_addr b = backing_alloc(u, 100 * KIB);
        if (!b) _exit(3);
        fill_pattern(backing_ptr(u, b), 4096, 99);
        backing_root_set(u, "g", b); /* (a kill before this leaks b) */
        a = b;
      }
      if (write(p[1], "g", 1) != 1) _exit(5); /* growing from here */
      while ((n = backing_sizeof(u, a)) <= 7 * 64 * KIB) {
        if (backing_realloc(u, a, n + 64 * KIB) != a) _exit(4); /* the last span: in place */
        memset((char *)backing_ptr(u, a) + n, 0xab, 64 * KIB);  /* (the new bytes are its) */
      }
      for (;;) (void)backing_sizeof(u, a); /* then wait for the kill */
    }
    if (!CHECK(read(p[0], &b, 1) == 1)) break;
    sleep_ns(rng_below(&rng, 120000));
    if ((s = huge_after_kill(pid, k, &c)) == NULL) break;
    a = backing_root_get(s, "g");
    if (a) {
      grew += backing_sizeof(s, a) > 100 * KIB + 64 * KIB;
      midway += backing_sizeof(s, a) <= 7 * 64 * KIB;
      CHECK_PATTERN(backing_ptr(s, a), 4096, 99);
      CHECK(backing_sizeof(s, a) >= 100 * KIB);
    }
    CLOSE(s);
  }
  close(p[0]), close(p[1]);
  CHECKF(grew > 0, "in %d rounds the block never grew in place", k);
  test_note("%d kills; the block had grown in place at %d of them, and was still growing at %d", k,
            grew, midway);
}

/* gc_step takes the arenas in turn: a span's inner arenas pass theirs on (they have no GC
   list; their head has), so a huge store of few arenas with spans is stepped through as
   fast as its arenas with a header (they used to take a turn each and do nothing). */
TEST(huge_gc_step_skips_inner_arenas) {
  backing_config base = mem_cfg(64 * KIB, 0), c = huge_cfg(&base);
  backing *s = OPEN(&c);
  backing_addr g;
  uint64_t freed = 0, arenas;
  int steps = 0;
  if (!s) return;
  g = backing_gc_alloc(s, 250 * KIB, 5, 1); /* arena 0, then a span of 4 */
  if (!CHECK(g != 0)) goto out;
  arenas = stat_of(s).arena_count;
  CHECKF(arenas >= 4, "%llu arenas", ULL(arenas));
  CHECK_EQ(backing_gc_unref(s, g), 0); /* waits; freed at its second aging (lifetime 2) */
  while (!freed && steps < 12) {
    freed = backing_gc_step(s);
    steps++;
  }
  CHECKF(freed > 250 * KIB && steps <= 4,
         "the huge block was freed after %d steps (2 arenas with a GC list, lifetime 2)", steps);
  CHECK_STORE(s);
out:
  CHECK_CLOSE(s);
}

/* realloc grows a huge block in place when its span is the store's last: the store grows
   by the arenas it lacks, the address and bytes stay. A span with arenas after it moves. */
TEST(huge_realloc_grows_in_place) {
  backing_config base = mem_cfg(64 * KIB, 0), c = huge_cfg(&base);
  backing *s = OPEN(&c);
  backing_addr a, b, m;
  struct huge_walk w;
  uint64_t got, grown, arenas;
  if (!s) return;
  a = backing_alloc(s, 150 * KIB);
  if (!CHECK(a != 0)) goto out;
  got = backing_sizeof(s, a);
  huge_fill(s, a, got, 11);
  arenas = stat_of(s).arena_count;
  CHECK_EQ(backing_realloc(s, a, 400 * KIB), a);
  grown = backing_sizeof(s, a);
  CHECKF(grown >= 400 * KIB && grown < 400 * KIB + 64 * KIB,
         "sizeof %llu after growing in place to 400 KiB", ULL(grown));
  CHECKF(stat_of(s).arena_count == arenas + (grown - got) / (64 * KIB),
         "%llu arenas, %llu before: the store grew by more than the block",
         ULL(stat_of(s).arena_count), ULL(arenas));
  CHECK(huge_same(s, a, got, 11)); /* its old bytes, where they were */
  huge_fill(s, a, grown, 12);      /* and every new byte is the block's */
  CHECK(huge_same(s, a, grown, 12));
  EXPECT_FAIL0(backing_free(s, a + got + 64), BACKING_EBADADDR); /* inside, grown part */
  EXPECT_FAIL0(backing_sizeof(s, a + grown - 64 * KIB), BACKING_EBADADDR);
  memset(&w, 0, sizeof w);
  w.a = a;
  CHECK_OK(backing_walk(s, huge_walk_cb, &w));
  CHECKF(w.size == grown && w.state == BACKING_BLOCK_USED, "walk: size %llu", ULL(w.size));
  CHECK_STORE(s);
  CHECK_EQ(backing_realloc(s, a, 300 * KIB), a); /* smaller: stays */
  CHECK_EQ(backing_sizeof(s, a), grown);
  /* another span after it: a is no longer the last, so it moves, bytes and all */
  m = backing_alloc(s, 100 * KIB);
  if (!CHECK(m != 0 && m > a)) goto out;
  b = backing_realloc(s, a, grown + 100 * KIB);
  if (!CHECK(b != 0 && b != a)) goto out;
  CHECK(huge_same(s, b, grown, 12));
  CHECK_EQ(backing_realloc(s, b, grown + 200 * KIB), b); /* b's span is the last now */
  CHECK(huge_same(s, b, grown, 12));
  grown = backing_sizeof(s, b);
  CHECK_STORE(s);
  CHECK(backing_free(s, b) > 0 && backing_free(s, m) > 0);
  /* the grown span is a span like any other: a block of its size takes it again */
  arenas = stat_of(s).arena_count;
  a = backing_alloc(s, grown - 16 * KIB);
  CHECK(a != 0);
  CHECK_EQ(stat_of(s).arena_count, arenas);
  CHECK_STORE(s);
out:
  CHECK_CLOSE(s);
}

/* A process that knew the span before it grew in place elsewhere: it sees the new size,
   reads the new bytes, finds no block inside them, and grows the store after them. */
TEST(huge_grown_in_place_seen_by_another_process) {
  char dir[512];
  backing_config base = mmap_cfg(test_path(dir, sizeof dir, "hg"), "hg", 64 * KIB);
  backing_config c = huge_cfg(&base);
  backing *s = OPEN(&c);
  backing_addr a;
  uint64_t got, grown;
  int to_child[2], to_parent[2], st;
  char x = 0;
  pid_t pid;
  if (!s) return;
  a = backing_alloc(s, 150 * KIB);
  if (!CHECK(a != 0) || !CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0)) goto out;
  got = backing_sizeof(s, a);
  huge_fill(s, a, got, 21);
  pid = fork();
  if (pid == 0) {
    backing *u = NULL;
    backing_addr y, z;
    uint64_t n;
    int i;
    if (backing_open(&u, &c) != 0 || backing_sizeof(u, a) != got || !huge_same(u, a, got, 21))
      _exit(2);
    if (write(to_parent[1], "k", 1) != 1 || read(to_child[0], &x, 1) != 1) _exit(3);
    n = backing_sizeof(u, a); /* grown meanwhile, in the parent */
    if (n < 600 * KIB || !huge_same(u, a, n, 22)) _exit(4);
    if (backing_free(u, a + n - 100) != 0 || backing_last_error() != BACKING_EBADADDR) _exit(5);
    for (i = 0; i < 200; i++) { /* none inside the span; the store grows past it */
      y = backing_alloc(u, 1000 + (uint64_t)i * 200);
      if (!y || (y + 16 > a && y < a + n)) _exit(6);
    }
    z = backing_alloc(u, 120 * KIB);
    if (!z || z < a + n) _exit(7);
    _exit(backing_check(u) == 0 && backing_close(u) == 0 ? 0 : 8);
  }
  if (CHECK(read(to_parent[0], &x, 1) == 1)) {
    CHECK_EQ(backing_realloc(s, a, 600 * KIB), a);
    grown = backing_sizeof(s, a);
    huge_fill(s, a, grown, 22);
  }
  CHECK(write(to_child[1], "g", 1) == 1);
  st = wait_pid(pid);
  CHECKF(exited_ok(st), "the process that knew the span before: %s", status_str(st));
  CHECK(huge_same(s, a, backing_sizeof(s, a), 22));
  CHECK_STORE(s);
  close(to_child[0]), close(to_child[1]), close(to_parent[0]), close(to_parent[1]);
out:
  CHECK_CLOSE(s);
}

/* calloc and gc_calloc of a huge block in a span the store just grew by write nothing to
   it: new memory reads as zeros already, and writing them would commit every page (and
   on a file, make every page dirty). A reused span is zeroed like any block. */
TEST(huge_calloc_of_a_new_span_touches_no_page) {
  backing_config base = mem_cfg(1024 * KIB, 0), c = huge_cfg(&base);
  backing *s = OPEN(&c);
  backing_addr a, g;
  uint64_t res = 0, total = 0, n = 16 * 1024 * KIB, k, nz = 0;
  const unsigned char *p;
  if (!s) return;
  a = backing_calloc(s, n);
  g = backing_gc_calloc(s, n, 9, 1);
  if (!CHECK(a != 0 && g != 0)) goto out;
  CHECK_OK(backing_incore(s, a, n, &res, &total));
  CHECKF(res * 8 < total, "calloc: %llu of %llu pages resident", ULL(res), ULL(total));
  CHECK_OK(backing_incore(s, g, n, &res, &total));
  CHECKF(res * 8 < total, "gc_calloc: %llu of %llu pages resident", ULL(res), ULL(total));
  p = (const unsigned char *)backing_ptr(s, a);
  for (k = 0; k < n; k += 4093) nz += p[k] != 0;
  p = (const unsigned char *)backing_ptr(s, g);
  for (k = 0; k < n; k += 4093) nz += p[k] != 0;
  CHECK_EQ(nz, 0);
  huge_fill(s, a, n, 31); /* then freed and taken again: zeroed */
  CHECK(backing_free(s, a) > 0);
  a = backing_calloc(s, n);
  if (CHECK(a != 0)) {
    p = (const unsigned char *)backing_ptr(s, a);
    for (k = 0, nz = 0; k < n; k++) nz += p[k] != 0;
    CHECKF(nz == 0, "calloc of a reused span: %llu nonzero bytes", ULL(nz));
  }
  CHECK_STORE(s);
out:
  CHECK_CLOSE(s);
}

/* A free span another process added is taken again by this handle's next huge block of
   its size, though this handle never saw that span: the search looks at the store's count,
   not at the arenas this handle knows (it grew the store by a new span before). */
TEST(huge_takes_a_free_span_another_process_added) {
  char dir[512];
  backing_config base = mmap_cfg(test_path(dir, sizeof dir, "hf"), "hf", 64 * KIB);
  backing_config c = huge_cfg(&base);
  backing *s = OPEN(&c);
  backing_addr a;
  uint64_t arenas;
  int st;
  pid_t pid;
  if (!s) return;
  CHECK(backing_alloc(s, 100) != 0); /* (joined, on arena 0) */
  pid = fork();
  if (pid == 0) { /* another process: a span of its own, freed */
    backing *u = NULL;
    backing_addr h;
    if (backing_open(&u, &c) != 0) _exit(2);
    h = backing_alloc(u, 150 * KIB);
    if (!h || backing_free(u, h) == 0) _exit(3);
    _exit(backing_close(u) == 0 ? 0 : 4);
  }
  st = wait_pid(pid);
  CHECKF(exited_ok(st), "the other process: %s", status_str(st));
  arenas = BACKING__ALOAD(&backing__st(s)->arena_count, BACKING__ACQUIRE);
  a = backing_alloc(s, 150 * KIB);
  CHECK(a != 0 && a >> 16 == 1);
  CHECKF(BACKING__ALOAD(&backing__st(s)->arena_count, BACKING__ACQUIRE) == arenas,
         "the store grew from %llu to %llu arenas for a block the free span fits", ULL(arenas),
         ULL(BACKING__ALOAD(&backing__st(s)->arena_count, BACKING__ACQUIRE)));
  CHECK_STORE(s);
  CHECK_CLOSE(s);
}

/* Blocks freed and made again, as a game engine rebuilds a level's arrays, keep to the
   spans they leave (found by a stress test: the store grew by a whole span per round).
   A: an array made small and grown step by step in place, freed, made again, 30 times:
   growing, it moves into a free span that fits rather than grow the store, so after a few
   rounds every size it passes through has a span. B: one block at sizes around 10 arenas,
   freed and made again. */
TEST(huge_rebuilt_blocks_reuse_their_spans) {
  backing_config base = mem_cfg(64 * KIB, 0), c = huge_cfg(&base);
  backing *s = OPEN(&c);
  uint64_t mb, at5 = 0, before, rng = 0x5eed;
  backing_addr a;
  int round, k;
  if (!s) return;
  mb = stat_of(s).max_block;
  for (round = 0; round < 30; round++) {
    a = backing_alloc(s, mb + 1);
    if (a) huge_fill(s, a, 8192, (unsigned)round); /* (kept through every move) */
    for (k = 2; a && k <= 16; k++) a = backing_realloc(s, a, (uint64_t)k * 64 * KIB - 4096);
    if (!CHECK(a != 0)) goto out;
    CHECK(huge_same(s, a, 8192, (unsigned)round));
    CHECK(backing_free(s, a) > 0);
    if (round == 4) at5 = stat_of(s).arena_count;
  }
  CHECKF(stat_of(s).arena_count == at5, "A: %llu arenas after 30 rounds, %llu after 5",
         ULL(stat_of(s).arena_count), ULL(at5));
  before = stat_of(s).arena_count;
  for (round = 0; round < 100; round++) {
    a = backing_alloc(s, 7 * 64 * KIB + rng_below(&rng, 6 * 64 * KIB));
    if (!CHECK(a != 0)) goto out;
    CHECK(backing_free(s, a) > 0);
  }
  CHECKF(stat_of(s).arena_count <= before + 14, "B: %llu arenas, %llu before",
         ULL(stat_of(s).arena_count), ULL(before));
  test_note("A: %llu arenas after 5 rounds and after 30", ULL(at5));
  CHECK_STORE(s);
out:
  CHECK_CLOSE(s);
}

/* From a review: realloc growing a huge block in place took the store lock and then waited
   for the block's arena, while a walk on another thread held that arena and its callback
   set a root (which takes the store lock): both waited for good. The growth now takes the
   arena's lock first, as every other path does. Run in a child, so that a deadlock is a
   failure, not a hang. */
struct huge_walker {
  backing *s;
  volatile backing_addr big;
  volatile int stop;
};
static int huge_walker_cb(backing *s, backing_addr a, uint64_t size, int state, void *ctx) {
  struct huge_walker *w = (struct huge_walker *)ctx;
  (void)size, (void)state;
  if (a == w->big) (void)backing_root_set(s, "x", a);
  return 0;
}
static void *huge_walker_main(void *p) {
  struct huge_walker *w = (struct huge_walker *)p;
  while (!w->stop) (void)backing_walk(w->s, huge_walker_cb, w);
  return NULL;
}
TEST(huge_grow_in_place_beside_a_walk_that_sets_roots) {
  char dir[512];
  backing_config base = mmap_cfg(test_path(dir, sizeof dir, "hw"), "hw", 64 * KIB);
  backing_config c = huge_cfg(&base);
  int st;
  pid_t pid = fork();
  if (pid == 0) {
    struct huge_walker w;
    pthread_t t;
    int round, k;
    memset(&w, 0, sizeof w);
    if (backing_open(&w.s, &c) != 0) _exit(2);
    if (pthread_create(&t, NULL, huge_walker_main, &w) != 0) _exit(3);
    for (round = 0; round < 60; round++) {
      backing_addr a = backing_alloc(w.s, 2 * 64 * KIB);
      uint64_t n = 2 * 64 * KIB;
      w.big = a;
      for (k = 0; a && k < 12; k++) {
        backing_addr b = backing_realloc(w.s, a, n += 64 * KIB);
        if (!b) _exit(4);
        w.big = a = b;
      }
      w.big = 0;
      (void)backing_root_del(w.s, "x");
      if (a) backing_free(w.s, a);
    }
    w.stop = 1;
    pthread_join(t, NULL);
    _exit(backing_close(w.s) == 0 ? 0 : 5);
  }
  st = wait_pid_for(pid, 60);
  CHECKF(exited_ok(st), "the child (growing while another thread walks and sets roots): %s",
         status_str(st));
}
