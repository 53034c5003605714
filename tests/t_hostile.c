/* t_hostile.c: open refuses empty, truncated, foreign, corrupted, wrong-version and
   mismatched files with the documented code, leaves them byte-for-byte unchanged and never
   crashes or hangs. The header layout (every arena, offset 0, 64 bytes):
     0 u64 magic "BACKING\0"    8 u32 format version   12 u32 data_start
    16 u64 endian mark 0x0102030405060708               24 u32 ABI mark
    28 u32 log2(arena_size)    32 u8[16] store id      48 u32 arena index
    52 u32 flags               56 u64 FNV-1a 64 of bytes 0..55
   The arena count is a u64 at offset 4096 of arena 0 (arena sizes up to 16 MiB). */

#define H_ARENA (64 * KIB)
#define H_MAGIC 0
#define H_VERSION 8
#define H_DATA_START 12
#define H_ENDIAN 16
#define H_ABI 24
#define H_LOG2 28
#define H_ID 32
#define H_INDEX 48
#define H_FLAGS 52
#define H_SUM 56
#define H_COUNT 4096

static uint64_t fnv1a64(const unsigned char *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  size_t i;
  for (i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}
static uint32_t get32(const unsigned char *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
static uint64_t get64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}
static void put32(unsigned char *p, uint32_t v) {
  memcpy(p, &v, 4);
}
static void put64(unsigned char *p, uint64_t v) {
  memcpy(p, &v, 8);
}
static void reseal(unsigned char *hdr) {
  put64(hdr + H_SUM, fnv1a64(hdr, 56));
}

/* A closed store of exactly 3 arenas of 64 KiB with a few hundred blocks; its image. */
static unsigned char *hostile_make(const char *dir, size_t *len) {
  backing_config c = mmap_cfg(dir, "store", H_ARENA);
  backing *s = OPEN(&c);
  backing_addr a[600];
  char f[600];
  int n = 0, i;
  *len = 0;
  if (!s) return NULL;
  while (n < 600 && stat_of(s).arena_count < 3) {
    a[n] = backing_alloc(s, 16 + (uint64_t)(n * 37 % 1500));
    if (!CHECK(a[n] != 0)) break;
    fill_pattern(backing_ptr(s, a[n]), 16, a[n]);
    n++;
  }
  for (i = 0; i < n; i += 4) backing_free(s, a[i]);
  CHECK_OK(backing_root_set(s, "first", a[1]));
  CHECK_OK(backing_root_set(s, "last", a[n - 1]));
  CHECK_EQ(stat_of(s).arena_count, 3);
  CHECK(n >= 50);
  CLOSE(s);
  snprintf(f, sizeof f, "%s/store.backing", dir);
  return read_whole(f, len);
}

/* Writes img as <dir>/store.backing, opens it, and requires the code `want`, *out == NULL
   and the file unchanged. */
#define EXPECT_REFUSED(dir, img, len, arena, want, what) \
  expect_refused_((dir), (img), (len), (arena), (want), (what), __FILE__, __LINE__)
static int expect_refused_(const char *dir, const unsigned char *img, size_t len, uint64_t arena,
                           int want, const char *what, const char *file, int line) {
  char f[600];
  backing_config c = mmap_cfg(dir, "store", arena);
  backing *s = (backing *)&c;
  unsigned char *after;
  size_t alen = 0;
  int rc, ok = 1;
  snprintf(f, sizeof f, "%s/store.backing", dir);
  unlink(f);
  if (!test__check(write_whole(f, img, len) == 0, file, line, "%s: cannot write the image", what))
    return 0;
  rc = backing_open(&s, &c);
  ok &= test__check(rc == want, file, line, "%s: open returned %s, want %s", what, err_name(rc),
                    err_name(want));
  ok &= test__check(rc == 0 || s == NULL, file, line, "%s: refused open left *out set", what);
  if (rc == 0 && s) backing_close(s);
  after = read_whole(f, &alen);
  /* a refused file is never written; one that opened may be (process slots, dirty flag) */
  if (want != 0)
    ok &= test__check(after != NULL && alen == len && (len == 0 || memcmp(after, img, len) == 0),
                      file, line, "%s: the refused file was changed (%zu bytes before, %zu after)",
                      what, len, alen);
  free(after);
  return ok;
}

TEST(hostile_header_layout_as_documented) {
  size_t len, k;
  unsigned char *img = hostile_make(test_dir(), &len);
  static const unsigned char zero_id[16] = {0};
  if (!CHECK(img != NULL && len == 3 * H_ARENA)) {
    free(img);
    return;
  }
  for (k = 0; k < 3; k++) {
    const unsigned char *h = img + k * H_ARENA;
    CHECKF(memcmp(h + H_MAGIC, "BACKING\0", 8) == 0, "arena %zu: magic", k);
    CHECK_EQ(get32(h + H_VERSION), BACKING_FORMAT_VERSION);
    CHECK(get32(h + H_DATA_START) >= 64 && get32(h + H_DATA_START) < H_ARENA);
    CHECK_EQ(get64(h + H_ENDIAN), 0x0102030405060708ull);
    CHECK_EQ(get32(h + H_LOG2), 16);
    CHECKF(memcmp(h + H_ID, img + H_ID, 16) == 0, "arena %zu: store id differs from arena 0's", k);
    CHECKF(memcmp(h + H_ID, zero_id, 16) != 0, "arena %zu: store id is all zero", k);
    CHECK_EQ(get32(h + H_INDEX), k);
    CHECK_EQ(get64(h + H_SUM), fnv1a64(h, 56));
    /* README: ABI mark sizeof(void *) << 8 | alignof(uint64_t); arena 0's data start is one
       page further (the store state) and its flags bit 0 says so */
    CHECK_EQ(get32(h + H_ABI), (uint32_t)(sizeof(void *) << 8 | _Alignof(uint64_t)));
    CHECK_EQ(get32(h + H_DATA_START), k == 0 ? 4096 + 6144 : 4096);
    CHECK_EQ(get32(h + H_FLAGS) & 1, k == 0 ? 1 : 0);
  }
  CHECK_EQ(get64(img + H_COUNT), 3);
  free(img);
}

TEST(hostile_store_ids_are_unique) {
  char d1[512], d2[512];
  size_t l1, l2;
  unsigned char *i1 = hostile_make(test_path(d1, sizeof d1, "one"), &l1);
  unsigned char *i2 = hostile_make(test_path(d2, sizeof d2, "two"), &l2);
  if (CHECK(i1 && i2 && l1 >= 64 && l2 >= 64))
    CHECKF(memcmp(i1 + H_ID, i2 + H_ID, 16) != 0, "two new stores have the same store id");
  free(i1);
  free(i2);
}

TEST(hostile_pristine_copy_opens) {
  char d[512];
  size_t len;
  unsigned char *img = hostile_make(test_dir(), &len);
  backing_config c = mmap_cfg(test_path(d, sizeof d, "copy"), "store", 0);
  backing *s;
  char f[600];
  if (!CHECK(img != NULL)) return;
  mkdir(d, 0700);
  snprintf(f, sizeof f, "%s/store.backing", d);
  CHECK(write_whole(f, img, len) == 0);
  s = OPEN(&c);
  if (s) {
    CHECK_STORE(s);
    CHECK(backing_root_get(s, "first") != 0);
    CLOSE(s);
  }
  free(img);
}

TEST(hostile_empty_truncated_and_foreign_files) {
  char d[512];
  size_t len, i;
  unsigned char *img = hostile_make(test_dir(), &len);
  unsigned char *junk;
  uint64_t seed = 0xfeedface;
  const char *dir = test_path(d, sizeof d, "t");
  if (!CHECK(img != NULL && len == 3 * H_ARENA)) return;
  mkdir(dir, 0700);
  EXPECT_REFUSED(dir, img, 0, 0, BACKING_ECORRUPT, "empty file");
  EXPECT_REFUSED(dir, img, 0, H_ARENA, BACKING_ECORRUPT, "empty file, arena size given");
  EXPECT_REFUSED(dir, img, len - 1, 0, BACKING_ECORRUPT, "last byte cut off");
  EXPECT_REFUSED(dir, img, len - 1, H_ARENA, BACKING_ECORRUPT,
                 "last byte cut off, arena size given");
  EXPECT_REFUSED(dir, img, 2 * H_ARENA, 0, BACKING_ECORRUPT, "last arena cut off");
  EXPECT_REFUSED(dir, img, H_ARENA - 1, 0, BACKING_ECORRUPT, "less than one arena");
  EXPECT_REFUSED(dir, img, 4096, 0, BACKING_ECORRUPT, "4096 bytes");
  EXPECT_REFUSED(dir, img, 100, 0, BACKING_ECORRUPT, "100 bytes");
  EXPECT_REFUSED(dir, img, 63, 0, BACKING_ECORRUPT, "63 bytes");
  EXPECT_REFUSED(dir, (const unsigned char *)"hello, me\n", 10, 0, BACKING_ECORRUPT,
                 "10 bytes of text");
  junk = (unsigned char *)malloc(1 * MIB);
  for (i = 0; i < 1 * MIB; i++) junk[i] = (unsigned char)rng_next(&seed);
  EXPECT_REFUSED(dir, junk, 1 * MIB, 0, BACKING_ECORRUPT, "1 MiB of random bytes");
  EXPECT_REFUSED(dir, junk, 1 * MIB, H_ARENA, BACKING_ECORRUPT,
                 "1 MiB of random bytes, arena given");
  memset(junk, 0, 1 * MIB);
  EXPECT_REFUSED(dir, junk, 1 * MIB, 0, BACKING_ECORRUPT, "1 MiB of zeros");
  /* the magic and nothing else: the version (0) is the first thing that is wrong */
  memcpy(junk, "BACKING\0", 8);
  EXPECT_REFUSED(dir, junk, 3 * H_ARENA, 0, BACKING_EVERSION, "only the magic");
  free(junk);
  free(img);
}

/* One header field of arena 0 changed; `seal` recomputes the checksum afterwards. */
static void hostile_field(const unsigned char *img, size_t len, const char *dir, const char *what,
                          size_t off, size_t width, uint64_t value, int seal, uint64_t arena,
                          int want) {
  unsigned char *m = (unsigned char *)malloc(len);
  memcpy(m, img, len);
  if (width == 4)
    put32(m + off, (uint32_t)value);
  else if (width == 8)
    put64(m + off, value);
  else
    m[off] ^= (unsigned char)value;
  if (seal) reseal(m);
  EXPECT_REFUSED(dir, m, len, arena, want, what);
  free(m);
}

TEST(hostile_each_header_field) {
  char d[512];
  size_t len;
  unsigned char *img = hostile_make(test_dir(), &len);
  const char *dir = test_path(d, sizeof d, "f");
  uint32_t ver, abi, ds;
  if (!CHECK(img != NULL && len == 3 * H_ARENA)) return;
  mkdir(dir, 0700);
  ver = get32(img + H_VERSION);
  abi = get32(img + H_ABI);
  ds = get32(img + H_DATA_START);
  /* magic: checked before anything else */
  hostile_field(img, len, dir, "magic byte 0", H_MAGIC, 1, 0x20, 0, 0, BACKING_ECORRUPT);
  hostile_field(img, len, dir, "magic byte 7", H_MAGIC + 7, 1, 0x01, 1, 0, BACKING_ECORRUPT);
  /* version: EVERSION before the checksum is looked at, and with a valid checksum */
  hostile_field(img, len, dir, "version + 1, stale checksum", H_VERSION, 4, ver + 1, 0, 0,
                BACKING_EVERSION);
  hostile_field(img, len, dir, "version + 1, resealed", H_VERSION, 4, ver + 1, 1, 0,
                BACKING_EVERSION);
  hostile_field(img, len, dir, "version 0, resealed", H_VERSION, 4, 0, 1, 0, BACKING_EVERSION);
  hostile_field(img, len, dir, "version 0xffffffff", H_VERSION, 4, 0xffffffffu, 0, H_ARENA,
                BACKING_EVERSION);
  /* endian and ABI marks: EMISMATCH, with or without a valid checksum */
  hostile_field(img, len, dir, "endian mark swapped", H_ENDIAN, 8, 0x0807060504030201ull, 0, 0,
                BACKING_EMISMATCH);
  hostile_field(img, len, dir, "endian mark swapped, resealed", H_ENDIAN, 8, 0x0807060504030201ull,
                1, 0, BACKING_EMISMATCH);
  hostile_field(img, len, dir, "ABI mark + 1", H_ABI, 4, abi + 1, 0, 0, BACKING_EMISMATCH);
  hostile_field(img, len, dir, "ABI mark + 1, resealed", H_ABI, 4, abi + 1, 1, 0,
                BACKING_EMISMATCH);
  /* fields behind the checksum: a change without resealing is ECORRUPT */
  hostile_field(img, len, dir, "data_start, stale checksum", H_DATA_START, 4, ds + 16, 0, 0,
                BACKING_ECORRUPT);
  hostile_field(img, len, dir, "log2 arena size, stale checksum", H_LOG2, 4, 17, 0, 0,
                BACKING_ECORRUPT);
  hostile_field(img, len, dir, "store id, stale checksum", H_ID + 5, 1, 0x40, 0, 0,
                BACKING_ECORRUPT);
  hostile_field(img, len, dir, "arena index, stale checksum", H_INDEX, 4, 1, 0, 0,
                BACKING_ECORRUPT);
  hostile_field(img, len, dir, "flags, stale checksum", H_FLAGS, 4, 0x80000000u, 0, 0,
                BACKING_ECORRUPT);
  hostile_field(img, len, dir, "checksum byte", H_SUM + 3, 1, 0x10, 0, 0, BACKING_ECORRUPT);
  /* resealed but inconsistent */
  hostile_field(img, len, dir, "log2 17 vs configured 64 KiB", H_LOG2, 4, 17, 1, H_ARENA,
                BACKING_EMISMATCH);
  hostile_field(img, len, dir, "log2 17: 3 arenas of 128 KiB do not fit", H_LOG2, 4, 17, 1, 0,
                BACKING_ECORRUPT);
  hostile_field(img, len, dir, "log2 15: below the smallest arena", H_LOG2, 4, 15, 1, 0,
                BACKING_ECORRUPT);
  hostile_field(img, len, dir, "log2 63", H_LOG2, 4, 63, 1, 0, BACKING_ECORRUPT);
  hostile_field(img, len, dir, "log2 0xffffffff", H_LOG2, 4, 0xffffffffu, 1, 0, BACKING_ECORRUPT);
  hostile_field(img, len, dir, "data_start past the arena", H_DATA_START, 4, 2 * H_ARENA, 1, 0,
                BACKING_ECORRUPT);
  hostile_field(img, len, dir, "data_start 0xffffffff", H_DATA_START, 4, 0xffffffffu, 1, 0,
                BACKING_ECORRUPT);
  hostile_field(img, len, dir, "data_start 0", H_DATA_START, 4, 0, 1, 0, BACKING_ECORRUPT);
  hostile_field(img, len, dir, "arena index 1 in arena 0", H_INDEX, 4, 1, 1, 0, BACKING_ECORRUPT);
  hostile_field(img, len, dir, "arena index 0xffffffff", H_INDEX, 4, 0xffffffffu, 1, 0,
                BACKING_ECORRUPT);
  /* and after all that the original still opens */
  EXPECT_REFUSED(dir, img, len, 0, 0, "the pristine image");
  free(img);
}

TEST(hostile_wrong_arena_size_in_config) {
  char d[512];
  size_t len;
  unsigned char *img = hostile_make(test_dir(), &len);
  const char *dir = test_path(d, sizeof d, "w");
  if (!CHECK(img != NULL)) return;
  mkdir(dir, 0700);
  EXPECT_REFUSED(dir, img, len, 2 * H_ARENA, BACKING_EMISMATCH, "128 KiB configured");
  EXPECT_REFUSED(dir, img, len, 16 * MIB, BACKING_EMISMATCH, "16 MiB configured");
  EXPECT_REFUSED(dir, img, len, 4 * GIB, BACKING_EMISMATCH, "4 GiB configured");
  free(img);
}

TEST(hostile_arena_count_larger_than_file) {
  char d[512];
  size_t len;
  unsigned char *img = hostile_make(test_dir(), &len), *m;
  const char *dir = test_path(d, sizeof d, "n");
  static const uint64_t counts[] = {4, 1000, 1ull << 48, 1ull << 63, UINT64_MAX};
  size_t i;
  if (!CHECK(img != NULL && len == 3 * H_ARENA)) return;
  mkdir(dir, 0700);
  m = (unsigned char *)malloc(len);
  for (i = 0; i < sizeof counts / sizeof counts[0]; i++) {
    char what[64];
    memcpy(m, img, len);
    put64(m + H_COUNT, counts[i]);
    snprintf(what, sizeof what, "arena count %llu", ULL(counts[i]));
    EXPECT_REFUSED(dir, m, len, 0, BACKING_ECORRUPT, what);
  }
  free(m);
  free(img);
}

/* README: a file longer than arena_count arenas (a crash while it grew) opens; the tail is
   ignored and reused by the next growth. */
TEST(hostile_longer_file_opens_and_reuses_the_tail) {
  char d[512], f[600];
  size_t len, i;
  unsigned char *img = hostile_make(test_dir(), &len), *m;
  const char *dir = test_path(d, sizeof d, "long");
  backing_config c = mmap_cfg(dir, "store", 0);
  backing *s;
  backing_addr a;
  if (!CHECK(img != NULL && len == 3 * H_ARENA)) return;
  mkdir(dir, 0700);
  m = (unsigned char *)malloc(len + H_ARENA);
  memcpy(m, img, len);
  for (i = len; i < len + H_ARENA; i++) m[i] = (unsigned char)(i * 31);
  snprintf(f, sizeof f, "%s/store.backing", dir);
  CHECK(write_whole(f, m, len + H_ARENA) == 0);
  s = OPEN(&c);
  if (s) {
    CHECK_EQ(stat_of(s).arena_count, 3);
    CHECK_STORE(s);
    a = backing_alloc(s, max_block(H_ARENA));
    CHECK(a != 0 && a / H_ARENA == 3);
    CHECK_EQ(stat_of(s).arena_count, 4);
    CHECK_CLOSE(s);
    CHECK_EQ(file_size(f), 4 * H_ARENA);
    s = OPEN(&c);
    if (s) {
      CHECK_CLOSE(s);
    }
  }
  free(m);
  free(img);
}

TEST(hostile_directory_in_place_of_the_file) {
  char f[600];
  backing_config c = mmap_cfg(test_dir(), "store", 0);
  backing *s = (backing *)&c;
  struct stat st;
  int rc;
  snprintf(f, sizeof f, "%s/store.backing", test_dir());
  CHECK(mkdir(f, 0700) == 0);
  rc = backing_open(&s, &c);
  CHECKF(rc != 0, "open of a directory succeeded");
  CHECK(s == NULL);
  if (rc == 0 && s) backing_close(s);
  CHECK(stat(f, &st) == 0 && S_ISDIR(st.st_mode));
}

/* A damaged header in a later arena: open need not look (it is O(1)), check must. */
TEST(hostile_check_sees_later_arena_headers) {
  char d[512];
  size_t len, k;
  unsigned char *img = hostile_make(test_dir(), &len), *m;
  const char *dir = test_path(d, sizeof d, "h");
  if (!CHECK(img != NULL && len == 3 * H_ARENA)) return;
  mkdir(dir, 0700);
  m = (unsigned char *)malloc(len);
  for (k = 0; k < 4; k++) {
    char f[600];
    backing_config c = mmap_cfg(dir, "store", 0);
    backing *s = NULL;
    int rc;
    memcpy(m, img, len);
    if (k == 0) m[H_ARENA + H_MAGIC] ^= 1;           /* arena 1 magic */
    if (k == 1) put32(m + 2 * H_ARENA + H_INDEX, 1); /* arena 2 claims index 1, resealed */
    if (k == 1) reseal(m + 2 * H_ARENA);
    if (k == 2) m[H_ARENA + H_ID] ^= 0x80; /* arena 1 from another store */
    if (k == 2) reseal(m + H_ARENA);
    if (k == 3) m[2 * H_ARENA + H_SUM] ^= 4; /* arena 2 checksum */
    snprintf(f, sizeof f, "%s/store.backing", dir);
    CHECK(write_whole(f, m, len) == 0);
    rc = backing_open(&s, &c);
    if (rc == 0) {
      rc = backing_check(s);
      CHECKF(rc == BACKING_ECORRUPT, "case %zu: damaged arena header: check returned %s", k,
             err_name(rc));
      backing_close(s);
    } else {
      CHECKF(rc == BACKING_ECORRUPT, "case %zu: open returned %s", k, err_name(rc));
    }
  }
  free(m);
  free(img);
}

/* Child for one bit-flipped image: 10 = open refused, 11 = opened and checked clean,
   12 = opened and check found damage. Anything else is a crash or a hang. */
static int hostile_probe(const char *dir) {
  backing_config c = mmap_cfg(dir, "store", 0);
  backing *s = NULL;
  backing_stats st;
  struct walk_list w;
  int rc, r;
  alarm(10);
  rc = backing_open(&s, &c);
  if (rc != 0) return 10;
  r = backing_check(s) == 0 ? 11 : 12;
  (void)backing_check_detail(s);
  (void)backing_stat(s, &st);
  memset(&w, 0, sizeof w);
  (void)backing_walk(s, walk_collect_cb, &w);
  free(w.items);
  backing_close(s);
  return r;
}

TEST(hostile_random_bit_flips) {
  char d[512], f[600];
  size_t len, i;
  unsigned char *img = hostile_make(test_dir(), &len), *m;
  const char *dir = test_path(d, sizeof d, "flip");
  uint64_t seed = seed_from_env(0x5eedf11b5ull), rng;
  int iter, refused = 0, caught = 0, clean = 0, bad = 0;
  if (!CHECK(img != NULL && len == 3 * H_ARENA)) return;
  mkdir(dir, 0700);
  snprintf(f, sizeof f, "%s/store.backing", dir);
  m = (unsigned char *)malloc(len);
  rng = seed;
  test_note("seed %llu", ULL(seed));
  for (iter = 0; iter < 300; iter++) {
    int flips = 1 + (int)rng_below(&rng, 8), k, status = 0;
    char where[200] = "";
    pid_t pid;
    memcpy(m, img, len);
    for (k = 0; k < flips; k++) {
      size_t pos;
      /* half anywhere, half in the metadata-heavy first 8 KiB of an arena */
      if (rng_below(&rng, 2))
        pos = (size_t)rng_below(&rng, len);
      else
        pos = (size_t)(rng_below(&rng, 3) * H_ARENA + rng_below(&rng, 8192));
      m[pos] ^= (unsigned char)(1u << rng_below(&rng, 8));
      i = strlen(where);
      if (i < sizeof where - 16) snprintf(where + i, sizeof where - i, " %zu", pos);
    }
    unlink(f);
    if (!CHECK(write_whole(f, m, len) == 0)) break;
    fflush(stdout);
    pid = fork();
    if (pid == 0) _exit(hostile_probe(dir));
    if (!CHECK(pid > 0)) break;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 10)
      refused++;
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 11)
      clean++;
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 12)
      caught++;
    else {
      bad++;
      CHECKF(0, "iteration %d (flips at%s): child %s %d", iter, where,
             WIFSIGNALED(status) ? "killed by signal" : "exited with",
             WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    }
  }
  test_note(
      "300 damaged copies: %d refused at open, %d caught by check, %d not detected, %d crashed",
      refused, caught, clean, bad);
  CHECK(refused + caught > 0);
  free(m);
  free(img);
}

/* Child for a damaged image that check passed: use it. 20 = refused or check caught it,
   21 = used and still checks clean, 22 = check passed, then use made it fail. */
static int hostile_use(const char *dir, uint64_t seed) {
  backing_config c = mmap_cfg(dir, "store", 0);
  backing *s = NULL;
  backing_addr a[64];
  int i, n = 0;
  alarm(10);
  if (backing_open(&s, &c) != 0) return 20;
  if (backing_check(s) != 0) {
    backing_close(s);
    return 20;
  }
  for (i = 0; i < 200; i++) {
    if (n < 64 && rng_below(&seed, 3) != 0) {
      backing_addr x = backing_alloc(s, 1 + rng_below(&seed, 3000));
      if (x) a[n++] = x;
    } else if (n > 0) {
      size_t k = (size_t)rng_below(&seed, (uint64_t)n);
      backing_free(s, a[k]);
      a[k] = a[--n];
    }
  }
  i = backing_check(s) == 0 ? 21 : 22;
  backing_close(s);
  return i;
}

/* Metadata damage that backing_check accepts must not make the allocator crash or break the
   store: what check passes is usable. */
TEST(hostile_bit_flips_in_metadata_then_use) {
  char d[512], f[600];
  size_t len;
  unsigned char *img = hostile_make(test_dir(), &len), *m;
  const char *dir = test_path(d, sizeof d, "use");
  uint64_t seed = seed_from_env(0xbadc0ffeeull), rng;
  int iter, caught = 0, fine = 0, broke = 0, crashed = 0;
  if (!CHECK(img != NULL && len == 3 * H_ARENA)) return;
  mkdir(dir, 0700);
  snprintf(f, sizeof f, "%s/store.backing", dir);
  m = (unsigned char *)malloc(len);
  rng = seed;
  test_note("seed %llu", ULL(seed));
  for (iter = 0; iter < 200; iter++) {
    int flips = 1 + (int)rng_below(&rng, 4), k, status = 0;
    char where[120] = "";
    pid_t pid;
    memcpy(m, img, len);
    for (k = 0; k < flips; k++) {
      /* past the identity header, in the allocator state, slab table and root table */
      size_t pos = (size_t)(rng_below(&rng, 3) * H_ARENA + 64 + rng_below(&rng, 8192 - 64));
      size_t at = strlen(where);
      m[pos] ^= (unsigned char)(1u << rng_below(&rng, 8));
      if (at < sizeof where - 16) snprintf(where + at, sizeof where - at, " %zu", pos);
    }
    unlink(f);
    if (!CHECK(write_whole(f, m, len) == 0)) break;
    fflush(stdout);
    pid = fork();
    if (pid == 0) _exit(hostile_use(dir, rng));
    if (!CHECK(pid > 0)) break;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 20)
      caught++;
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 21)
      fine++;
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 22) {
      broke++;
      CHECKF(0, "iteration %d (flips at%s): checked clean, then use broke it", iter, where);
    } else {
      crashed++;
      CHECKF(0, "iteration %d (flips at%s): child %s %d", iter, where,
             WIFSIGNALED(status) ? "killed by signal" : "exited with",
             WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    }
  }
  test_note("200 copies with damaged metadata: %d caught, %d harmless, %d broke on use, %d crashed",
            caught, fine, broke, crashed);
  free(m);
  free(img);
}
