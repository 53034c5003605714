/* t_roots.c: named roots. */

TEST(roots_set_get_del_overwrite) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_addr a, b;
  if (!s) return;
  a = backing_alloc(s, 10);
  b = backing_alloc(s, 20);
  EXPECT_FAIL0(backing_root_get(s, "x"), BACKING_ENOTFOUND);
  CHECK_OK(backing_root_set(s, "x", a));
  CHECK_EQ(backing_root_get(s, "x"), a);
  CHECK_OK(backing_root_set(s, "y", b));
  CHECK_EQ(backing_root_get(s, "x"), a);
  CHECK_EQ(backing_root_get(s, "y"), b);
  CHECK_OK(backing_root_set(s, "x", b)); /* overwrite */
  CHECK_EQ(backing_root_get(s, "x"), b);
  CHECK_OK(backing_root_del(s, "x"));
  EXPECT_FAIL0(backing_root_get(s, "x"), BACKING_ENOTFOUND);
  EXPECT_RC(backing_root_del(s, "x"), BACKING_ENOTFOUND);
  EXPECT_RC(backing_root_del(s, "never"), BACKING_ENOTFOUND);
  CHECK_EQ(backing_root_get(s, "y"), b);
  /* similar names are different roots */
  CHECK_OK(backing_root_set(s, "yy", a));
  CHECK_EQ(backing_root_get(s, "y"), b);
  CHECK_EQ(backing_root_get(s, "yy"), a);
  EXPECT_FAIL0(backing_root_get(s, "Y"), BACKING_ENOTFOUND);
  CHECK_CLOSE(s);
}

TEST(roots_name_lengths_and_bad_arguments) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_addr a;
  char n55[BACKING_ROOT_NAME_MAX + 1], n56[BACKING_ROOT_NAME_MAX + 2];
  if (!s) return;
  CHECK_EQ(BACKING_ROOT_NAME_MAX, 55);
  memset(n55, 'k', sizeof n55 - 1);
  n55[sizeof n55 - 1] = 0;
  memset(n56, 'k', sizeof n56 - 1);
  n56[sizeof n56 - 1] = 0;
  a = backing_alloc(s, 10);
  CHECK_OK(backing_root_set(s, "z", a));
  CHECK_EQ(backing_root_get(s, "z"), a);
  CHECK_OK(backing_root_set(s, n55, a));
  CHECK_EQ(backing_root_get(s, n55), a);
  EXPECT_RC(backing_root_set(s, n56, a), BACKING_EINVAL);
  EXPECT_FAIL0(backing_root_get(s, n56), BACKING_EINVAL);
  EXPECT_RC(backing_root_del(s, n56), BACKING_EINVAL);
  EXPECT_RC(backing_root_set(s, "", a), BACKING_EINVAL);
  EXPECT_FAIL0(backing_root_get(s, ""), BACKING_EINVAL);
  EXPECT_RC(backing_root_del(s, ""), BACKING_EINVAL);
  EXPECT_RC(backing_root_set(s, NULL, a), BACKING_EINVAL);
  EXPECT_FAIL0(backing_root_get(s, NULL), BACKING_EINVAL);
  EXPECT_RC(backing_root_del(s, NULL), BACKING_EINVAL);
  EXPECT_RC(backing_root_set(s, "zero", 0), BACKING_EINVAL);
  /* README: a root takes any nonzero address inside the store */
  CHECK(backing_root_set(s, "outside", stat_of(s).capacity + 4096) != 0);
  CHECK(backing_root_set(s, "outside", UINT64_MAX) != 0);
  EXPECT_FAIL0(backing_root_get(s, "outside"), BACKING_ENOTFOUND);
  /* names are bytes: UTF-8 and punctuation are fine */
  CHECK_OK(backing_root_set(s, "r\xc3\xa9sum\xc3\xa9/\xe2\x9c\x93 1", a));
  CHECK_EQ(backing_root_get(s, "r\xc3\xa9sum\xc3\xa9/\xe2\x9c\x93 1"), a);
  EXPECT_FAIL0(backing_root_get(s, "zero"), BACKING_ENOTFOUND);
  /* the refused 56-byte name (its first 55 bytes name a root) changed nothing */
  CHECK_EQ(backing_root_get(s, n55), a);
  CHECK_CLOSE(s);
}

TEST(roots_table_full_is_efull) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_addr a;
  char name[32];
  int i;
  if (!s) return;
  a = backing_alloc(s, 10);
  for (i = 0; i < BACKING_ROOT_MAX; i++) {
    snprintf(name, sizeof name, "root-%d", i);
    if (!CHECKF(backing_root_set(s, name, a) == 0, "root %d of %d refused", i, BACKING_ROOT_MAX))
      break;
  }
  EXPECT_RC(backing_root_set(s, "one-too-many", a), BACKING_EFULL);
  EXPECT_FAIL0(backing_root_get(s, "one-too-many"), BACKING_ENOTFOUND);
  /* a full table still takes overwrites, and a deletion makes room */
  CHECK_OK(backing_root_set(s, "root-7", a));
  CHECK_OK(backing_root_del(s, "root-3"));
  CHECK_OK(backing_root_set(s, "one-too-many", a));
  EXPECT_RC(backing_root_set(s, "another", a), BACKING_EFULL);
  for (i = 0; i < BACKING_ROOT_MAX; i++) {
    snprintf(name, sizeof name, "root-%d", i);
    if (i == 3)
      EXPECT_FAIL0(backing_root_get(s, name), BACKING_ENOTFOUND);
    else
      CHECK_EQ(backing_root_get(s, name), a);
  }
  CHECK_CLOSE(s);
}

TEST(roots_survive_reopen) {
  backing_config c = mmap_cfg(test_dir(), "roots", 64 * KIB);
  backing *s = OPEN(&c);
  backing_addr a[10];
  char name[32];
  int i;
  if (!s) return;
  for (i = 0; i < 10; i++) {
    a[i] = backing_alloc(s, 16 + 100 * (uint64_t)i);
    snprintf(name, sizeof name, "r%d", i);
    CHECK_OK(backing_root_set(s, name, a[i]));
  }
  CHECK_OK(backing_root_del(s, "r4"));
  CHECK_OK(backing_root_set(s, "r5", a[9]));
  CLOSE(s);
  s = OPEN(&c);
  if (!s) return;
  for (i = 0; i < 10; i++) {
    snprintf(name, sizeof name, "r%d", i);
    if (i == 4)
      EXPECT_FAIL0(backing_root_get(s, name), BACKING_ENOTFOUND);
    else
      CHECK_EQ(backing_root_get(s, name), i == 5 ? a[9] : a[i]);
  }
  CHECK_CLOSE(s);
}

/* A read-write handle that only looks things up never joins the store's session: it marks
   nothing dirty, so its death leaves no recovery to the next opener (open to the first
   read is then an open, two mappings and a read). root_get used to take the store lock,
   and with it the session. */
TEST(roots_get_does_not_join_the_session) {
  backing_config c = mmap_cfg(test_dir(), "rj", 64 * KIB);
  backing *s = OPEN(&c);
  backing_addr a;
  if (!s) return;
  a = backing_alloc(s, 8);
  backing_set_u64(s, a, 77);
  CHECK_OK(backing_root_set(s, "v", a));
  CLOSE(s);
  s = OPEN(&c);
  if (!s) return;
  CHECK_EQ(backing_root_get(s, "v"), a);
  CHECK_EQ(backing_get_u64(s, a), 77);
  EXPECT_FAIL0(backing_root_get(s, "missing"), BACKING_ENOTFOUND);
  CHECKF(BACKING__ALOAD(&backing__st(s)->dirty, BACKING__ACQUIRE) == 0,
         "a handle that only read marked the store dirty (it joined the session)");
  CHECK_EQ(s->slot, -1);
  CHECK_OK(backing_root_set(s, "w", a)); /* the first change joins */
  CHECK_EQ(BACKING__ALOAD(&backing__st(s)->dirty, BACKING__ACQUIRE), 1);
  CHECK_CLOSE(s);
}

/* A handle that only reads writes nothing, not even to a damaged arena. A reader opened
   before the store grew reads a block in the new arena 2, whose partial-slab list heads
   (which the allocation fast path follows without a check) are damaged: taking up the
   arena validates it, and arena 2 must not be marked by it. The heads are judged when a
   handle that has joined first uses the arena: then it is quarantined. (Before, the
   reader's validation wrote the mark.) */
TEST(lazy_reader_writes_nothing_to_a_damaged_arena) {
  char dir[512], path[700];
  backing_config c = mmap_cfg(test_path(dir, sizeof dir, "lzq"), "lz", 64 * KIB);
  backing *s = OPEN(&c);
  backing_addr y = 0;
  int i, fd, st, damaged = 0, go[2], ready[2];
  uint32_t heads[56], q = 0;
  char b = 0;
  pid_t pid;
  if (!s || !CHECK(pipe(go) == 0 && pipe(ready) == 0)) return;
  CHECK(backing_alloc(s, 64 * KIB - 4096 - 6144 - 16) >> 16 == 0); /* arena 0 is full */
  CLOSE(s);
  pid = fork();
  if (pid == 0) { /* the reader: opened on 1 arena, reads a block of arena 2 */
    backing *u = NULL;
    unsigned char got[8];
    backing_addr a;
    if (backing_open(&u, &c) != 0 || write(ready[1], "r", 1) != 1 || read(go[0], &b, 1) != 1)
      _exit(2);
    a = backing_root_get(u, "y");
    if (!a || backing_read(u, a, got, 8) != 0) _exit(3);
    _exit(u->slot == -1 && backing_close(u) == 0 ? 0 : 4);
  }
  if (!CHECK(read(ready[0], &b, 1) == 1)) return;
  s = OPEN(&c);
  if (!s) return;
  for (i = 0; i < 1000 && (y >> 16) != 2; i++) y = backing_alloc(s, 20000 + (i & 1) * 100);
  if (!CHECK(y >> 16 == 2)) {
    CLOSE(s);
    return;
  }
  for (i = 0; i < 8; i++) CHECK(backing_alloc(s, 100) >> 16 == 2); /* a slab in arena 2 */
  CHECK_OK(backing_root_set(s, "y", y));
  CLOSE(s);
  snprintf(path, sizeof path, "%s/lz.backing", dir);
  fd = open(path, O_RDWR);
  if (!CHECK(fd >= 0)) return;
  CHECK(pread(fd, heads, sizeof heads, 2 * 64 * KIB + 1776) == (ssize_t)sizeof heads);
  for (i = 0; i < 56; i++)
    if (heads[i]) heads[i] = 0xfff0, damaged++; /* not a slab's offset */
  CHECK(damaged > 0);
  CHECK(pwrite(fd, heads, sizeof heads, 2 * 64 * KIB + 1776) == (ssize_t)sizeof heads);
  CHECK(write(go[1], "g", 1) == 1);
  st = wait_pid(pid);
  CHECKF(exited_ok(st), "the reader: %s", status_str(st));
  CHECK(pread(fd, &q, 4, 2 * 64 * KIB + 2248) == 4);
  CHECKF(q == 0, "a handle that only read marked arena 2 quarantined");
  close(fd);
  close(go[0]), close(go[1]), close(ready[0]), close(ready[1]);
  s = OPEN(&c);
  if (s) {
    CHECK(backing_alloc(s, 16) != 0); /* joins; arena 2's heads are judged at its first use */
    EXPECT_FAIL0(backing_sizeof(s, y), BACKING_ECORRUPT);
    CHECK(BACKING__GET(backing__ar(s, 2)->quarantined) != 0);
    CLOSE(s);
  }
}

/* Lookups take no lock while other threads add and remove roots, reusing table entries:
   a lookup never returns another name's address (each root's address is a block whose
   first word names it), and a root that is never removed is always found. */
struct rt_race {
  backing *s;
  backing_addr blk[8];
  int stop, bad;
  long gets;
};
static void *rt_changer(void *p) {
  struct rt_race *r = (struct rt_race *)p;
  char name[16];
  unsigned i = 0;
  while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
    unsigned k = 1 + i++ % 7;
    snprintf(name, sizeof name, "churn%u", k);
    if (backing_root_set(r->s, name, r->blk[k]) != 0)
      __atomic_store_n(&r->bad, 1, __ATOMIC_RELEASE);
    if (i % 3 == 0) (void)backing_root_del(r->s, name);
  }
  return NULL;
}
static void *rt_reader(void *p) {
  struct rt_race *r = (struct rt_race *)p;
  char name[16];
  unsigned i = 0;
  while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
    unsigned k = i++ % 8;
    backing_addr a;
    snprintf(name, sizeof name, k ? "churn%u" : "fixed", k);
    a = backing_root_get(r->s, name);
    if ((a && a != r->blk[k]) || (!k && !a)) __atomic_store_n(&r->bad, 2, __ATOMIC_RELEASE);
    __atomic_add_fetch(&r->gets, 1, __ATOMIC_RELAXED);
  }
  return NULL;
}
TEST(roots_threads_lookups_race_changes) {
  backing *s = OPEN_MEMORY(1 * MIB, 0);
  struct rt_race r;
  pthread_t t[3];
  unsigned k;
  if (!s) return;
  memset(&r, 0, sizeof r);
  r.s = s;
  for (k = 0; k < 8; k++) r.blk[k] = backing_alloc(s, 16);
  CHECK_OK(backing_root_set(s, "fixed", r.blk[0]));
  CHECK(pthread_create(&t[0], NULL, rt_changer, &r) == 0);
  CHECK(pthread_create(&t[1], NULL, rt_reader, &r) == 0);
  CHECK(pthread_create(&t[2], NULL, rt_reader, &r) == 0);
  sleep_ns(300000000);
  __atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
  for (k = 0; k < 3; k++) pthread_join(t[k], NULL);
  CHECKF(r.bad == 0, "%s", r.bad == 1 ? "a root_set failed" : "a lookup returned a wrong address");
  CHECK(r.gets > 1000);
  CHECK_CLOSE(s);
}
