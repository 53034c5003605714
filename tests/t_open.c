/* t_open.c: open, close, destroy and the four arena sources. */

static int dir_is_empty(const char *dir) {
  char cmd[600];
  int n = 0;
  FILE *p;
  snprintf(cmd, sizeof cmd, "ls -A '%s'", dir);
  p = popen(cmd, "r");
  if (!p) return -1;
  while (fgetc(p) != EOF) n++;
  pclose(p);
  return n == 0;
}

TEST(open_all_zero_config_is_memory_16mib) {
  backing_config c;
  backing *s;
  backing_stats st;
  backing_addr a;
  const char *dir = test_dir();
  if (!CHECK(chdir(dir) == 0)) return;
  memset(&c, 0, sizeof c);
  s = OPEN(&c);
  if (!s) return;
  st = stat_of(s);
  CHECK_EQ(st.arena_size, 16 * MIB);
  CHECK(st.arena_count >= 1);
  CHECK_EQ(st.capacity, st.arena_size * st.arena_count);
  a = backing_alloc(s, 1000);
  CHECK(a != 0);
  CHECK_CLOSE(s);
  CHECKF(dir_is_empty(dir) == 1,
         "a MEMORY store (the default) created files in the current directory");
  CHECK_OK(backing_destroy(&c)); /* other sources: 0 */
}

TEST(open_bad_configs_are_einval) {
  backing_config c;
  backing *s;
  static unsigned char small_buf[8192];
  backing_source nocb;
  const char *dir = test_dir();
  struct {
    uint64_t arena;
    const char *why;
  } sizes[] = {{3 * 64 * KIB, "not a power of two"},
               {64 * KIB + 1, "not a power of two"},
               {32 * KIB, "below 64 KiB"},
               {4096, "below 64 KiB"},
               {1, "below 64 KiB"},
               {8 * GIB, "above 4 GiB"},
               {1ull << 63, "above 4 GiB"},
               {UINT64_MAX, "not a power of two"}};
  size_t i;

  for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    int src;
    for (src = BACKING_SOURCE_MEMORY; src <= BACKING_SOURCE_MMAP; src++) {
      c = src == BACKING_SOURCE_MEMORY ? mem_cfg(sizes[i].arena, 0)
                                       : mmap_cfg(dir, "bad", sizes[i].arena);
      s = (backing *)&c; /* junk: open must set NULL */
      EXPECT_RC(backing_open(&s, &c), BACKING_EINVAL);
      CHECKF(s == NULL, "arena_size %llu (%s): *out not set to NULL", ULL(sizes[i].arena),
             sizes[i].why);
      if (s) backing_close(s);
    }
  }
  c = mem_cfg(0, 0);
  EXPECT_RC(backing_open(NULL, &c), BACKING_EINVAL);
  s = (backing *)&c;
  EXPECT_RC(backing_open(&s, NULL), BACKING_EINVAL);
  CHECK(s == NULL);

  /* BUFFER without a buffer, or too small for one arena */
  c = mem_cfg(64 * KIB, 0);
  c.source = BACKING_SOURCE_BUFFER;
  c.buffer = NULL;
  c.buffer_size = 1 * MIB;
  s = (backing *)&c;
  EXPECT_RC(backing_open(&s, &c), BACKING_EINVAL);
  CHECK(s == NULL);
  c.buffer = small_buf;
  c.buffer_size = sizeof small_buf;
  s = (backing *)&c;
  EXPECT_RC(backing_open(&s, &c), BACKING_EINVAL);
  CHECK(s == NULL);
  c.buffer_size = 0;
  EXPECT_RC(backing_open(&s, &c), BACKING_EINVAL);

  /* CUSTOM without callbacks */
  c = mem_cfg(64 * KIB, 1 * MIB);
  c.source = BACKING_SOURCE_CUSTOM;
  c.custom = NULL;
  s = (backing *)&c;
  EXPECT_RC(backing_open(&s, &c), BACKING_EINVAL);
  CHECK(s == NULL);
  memset(&nocb, 0, sizeof nocb);
  c.custom = &nocb;
  s = (backing *)&c;
  EXPECT_RC(backing_open(&s, &c), BACKING_EINVAL);
  CHECK(s == NULL);

  /* unknown source kinds and the reserved RDONLY flag */
  c = mem_cfg(64 * KIB, 0);
  c.source = 99;
  EXPECT_RC(backing_open(&s, &c), BACKING_EINVAL);
  CHECK(s == NULL);
  c.source = -1;
  EXPECT_RC(backing_open(&s, &c), BACKING_EINVAL);
  CHECK(s == NULL);
  c = mem_cfg(64 * KIB, 0);
  c.flags = BACKING_RDONLY;
  EXPECT_RC(backing_open(&s, &c), BACKING_EINVAL);
  CHECK(s == NULL);
  /* nothing was created by the refused MMAP configs */
  CHECK(dir_is_empty(dir) == 1);
}

TEST(open_nocreate_missing_is_enoent) {
  char d[512];
  backing_config c = mmap_cfg(test_path(d, sizeof d, "missing"), "nope", 64 * KIB);
  backing *s = (backing *)&c;
  char f[600];
  c.flags = BACKING_NOCREATE;
  EXPECT_RC(backing_open(&s, &c), ENOENT);
  CHECK(s == NULL);
  snprintf(f, sizeof f, "%s/nope.backing", d);
  CHECK(!path_exists(f));
  /* an existing store opens fine with NOCREATE */
  c.flags = 0;
  s = OPEN(&c);
  if (!s) return;
  CLOSE(s);
  c.flags = BACKING_NOCREATE;
  s = OPEN(&c);
  if (s) CLOSE(s);
}

TEST(open_excl_existing_is_eexist) {
  backing_config c = mmap_cfg(test_dir(), "x", 64 * KIB);
  backing *s;
  char f[600];
  unsigned char *before, *after;
  size_t lb, la;
  c.flags = BACKING_EXCL;
  s = OPEN(&c); /* missing: created */
  if (!s) return;
  CHECK(backing_alloc(s, 100) != 0);
  CLOSE(s);
  snprintf(f, sizeof f, "%s/x.backing", test_dir());
  before = read_whole(f, &lb);
  s = (backing *)&c;
  EXPECT_RC(backing_open(&s, &c), EEXIST);
  CHECK(s == NULL);
  after = read_whole(f, &la);
  CHECK(before && after && la == lb && memcmp(before, after, lb) == 0);
  free(before);
  free(after);
}

TEST(open_close_null_is_einval) {
  EXPECT_RC(backing_close(NULL), BACKING_EINVAL);
}

TEST(open_destroy_removes_the_file) {
  backing_config c = mmap_cfg(test_dir(), "gone", 64 * KIB);
  backing *s = OPEN(&c);
  char f[600];
  if (!s) return;
  CLOSE(s);
  snprintf(f, sizeof f, "%s/gone.backing", test_dir());
  CHECK(path_exists(f));
  CHECK_OK(backing_destroy(&c));
  CHECK(!path_exists(f));
  EXPECT_RC(backing_destroy(&c), ENOENT);
  c.flags = BACKING_NOCREATE;
  s = (backing *)&c;
  EXPECT_RC(backing_open(&s, &c), ENOENT);
  CHECK(s == NULL);
}

TEST(open_creates_directory_and_names_the_file) {
  char d[512], f[600];
  backing_config c = mmap_cfg(test_path(d, sizeof d, "newdir"), "demo", 64 * KIB);
  backing *s;
  struct stat st;
  CHECK(!path_exists(d));
  s = OPEN(&c);
  if (!s) return;
  CLOSE(s);
  CHECK(stat(d, &st) == 0 && S_ISDIR(st.st_mode));
  snprintf(f, sizeof f, "%s/demo.backing", d);
  CHECK(stat(f, &st) == 0 && S_ISREG(st.st_mode));
  /* default name: store */
  c.name = NULL;
  s = OPEN(&c);
  if (!s) return;
  CLOSE(s);
  snprintf(f, sizeof f, "%s/store.backing", d);
  CHECKF(path_exists(f), "default name: %s missing", f);
  /* dirname set and source DEFAULT: MMAP */
  c.source = BACKING_SOURCE_DEFAULT;
  c.name = "dflt";
  s = OPEN(&c);
  if (!s) return;
  CLOSE(s);
  snprintf(f, sizeof f, "%s/dflt.backing", d);
  CHECKF(path_exists(f), "source DEFAULT with dirname did not create %s", f);
}

TEST(open_file_grows_by_whole_arenas) {
  backing *s = OPEN_MMAP("grow", 64 * KIB);
  backing_stats st;
  char f[600];
  int i;
  long long sz;
  if (!s) return;
  snprintf(f, sizeof f, "%s/grow.backing", test_dir());
  st = stat_of(s);
  sz = file_size(f);
  CHECKF(sz > 0 && sz % (long long)(64 * KIB) == 0, "file size %lld", sz);
  CHECK_EQ(sz, st.capacity);
  for (i = 0; i < 3; i++) CHECK(backing_alloc(s, 40000) != 0);
  st = stat_of(s);
  CHECK(st.arena_count >= 3);
  sz = file_size(f);
  CHECKF(sz % (long long)(64 * KIB) == 0, "file size %lld", sz);
  CHECK_EQ(sz, st.capacity);
  CHECK_EQ(st.capacity, st.arena_count * 64 * KIB);
  CLOSE(s);
  sz = file_size(f);
  CHECK_EQ(sz, st.capacity);
}

TEST(open_reopen_arena_size_mismatch) {
  backing_config c = mmap_cfg(test_dir(), "m", 64 * KIB);
  backing *s = OPEN(&c);
  backing_stats st;
  if (!s) return;
  CLOSE(s);
  c.arena_size = 128 * KIB;
  s = (backing *)&c;
  EXPECT_RC(backing_open(&s, &c), BACKING_EMISMATCH);
  CHECK(s == NULL);
  c.arena_size = 16 * MIB;
  EXPECT_RC(backing_open(&s, &c), BACKING_EMISMATCH);
  CHECK(s == NULL);
  c.arena_size = 0;
  s = OPEN(&c);
  if (!s) return;
  st = stat_of(s);
  CHECK_EQ(st.arena_size, 64 * KIB);
  CLOSE(s);
  c.arena_size = 64 * KIB;
  s = OPEN(&c);
  if (s) CLOSE(s);
}

/* 4 arenas of 64 KiB plus slack for the rounding of the start to 4096 */
static unsigned char open_static_buffer[4 * 64 * 1024 + 4096 + 123];

TEST(open_buffer_formats_junk_and_fills_exactly) {
  backing_config c = mem_cfg(64 * KIB, 0);
  backing *s;
  backing_stats st;
  uintptr_t start, end = (uintptr_t)open_static_buffer + sizeof open_static_buffer;
  uint64_t arenas, blocks = 0;
  backing_addr a, *addrs;
  memset(open_static_buffer, 123, sizeof open_static_buffer);
  c.source = BACKING_SOURCE_BUFFER;
  c.buffer = open_static_buffer;
  c.buffer_size = sizeof open_static_buffer;
  start = ((uintptr_t)open_static_buffer + 4095) & ~(uintptr_t)4095;
  arenas = (uint64_t)(end - start) / (64 * KIB);
  s = OPEN(&c);
  if (!s) return;
  CHECK_STORE(s);
  st = stat_of(s);
  CHECK(st.arena_count >= 1 && st.arena_count <= arenas);
  CHECK_EQ(st.used_blocks, 0);
  addrs = (backing_addr *)calloc(4096, sizeof *addrs);
  /* fill the buffer: the store takes floor(rest / arena_size) arenas, then ENOSPACE */
  while (blocks < 4096 && (a = backing_alloc(s, 2000)) != 0) {
    unsigned char *p = (unsigned char *)backing_ptr(s, a);
    CHECKF((uintptr_t)p >= start && (uintptr_t)p + 2000 <= end, "block %llu outside the buffer",
           ULL(a));
    fill_pattern(p, 2000, a);
    addrs[blocks++] = a;
  }
  CHECK_EQ(backing_last_error(), BACKING_ENOSPACE);
  st = stat_of(s);
  CHECK_EQ(st.arena_count, arenas);
  CHECK_EQ(st.capacity, arenas * 64 * KIB);
  CHECK_STORE(s);
  while (blocks > 0) {
    blocks--;
    CHECK_PATTERN(backing_ptr(s, addrs[blocks]), 2000, addrs[blocks]);
    CHECK(backing_free(s, addrs[blocks]) >= 2000);
  }
  CHECK_ONE_FREE_REGION_PER_ARENA(s);
  CLOSE(s);
  free(addrs);
}

TEST(open_buffer_two_handles_share_one_heap) {
  size_t size = 4 * 64 * KIB + 4096;
  unsigned char *buf = (unsigned char *)malloc(size);
  backing_config c = mem_cfg(64 * KIB, 0);
  backing *s1, *s2;
  backing_addr a, b;
  uint64_t seed = 42;
  size_t i;
  if (!CHECK(buf != NULL)) return;
  for (i = 0; i < size; i++) buf[i] = (unsigned char)rng_next(&seed);
  c.source = BACKING_SOURCE_BUFFER;
  c.buffer = buf;
  c.buffer_size = size;
  s1 = OPEN(&c);
  s2 = OPEN(&c);
  if (s1 && s2) {
    a = backing_alloc(s1, 300);
    CHECK(a != 0);
    fill_pattern(backing_ptr(s1, a), 300, 7);
    CHECK_OK(backing_root_set(s1, "shared", a));
    CHECK_EQ(backing_root_get(s2, "shared"), a);
    CHECK_PATTERN(backing_ptr(s2, a), 300, 7);
    CHECK(backing_sizeof(s2, a) >= 300);
    b = backing_alloc(s2, 300);
    CHECK(b != 0 && (b >= a + 300 || b + 300 <= a));
    fill_pattern(backing_ptr(s2, b), 300, 8);
    CHECK_PATTERN(backing_ptr(s1, a), 300, 7);
    CHECK_PATTERN(backing_ptr(s1, b), 300, 8);
    CHECK_STORE(s1);
    CHECK_STORE(s2);
  }
  if (s1) CLOSE(s1);
  if (s2) CLOSE(s2);
  /* and a later handle resumes it */
  s1 = OPEN(&c);
  if (s1) {
    a = backing_root_get(s1, "shared");
    CHECK(a != 0);
    if (a) CHECK_PATTERN(backing_ptr(s1, a), 300, 7);
    CHECK_CLOSE(s1);
  }
  free(buf);
}

TEST(open_buffer_nocreate_leaves_junk_alone) {
  size_t size = 2 * 64 * KIB + 4096, i;
  unsigned char *buf = (unsigned char *)malloc(size), *copy = (unsigned char *)malloc(size);
  backing_config c = mem_cfg(64 * KIB, 0);
  backing *s = (backing *)&c;
  uint64_t seed = 99;
  if (!CHECK(buf && copy)) return;
  for (i = 0; i < size; i++) buf[i] = (unsigned char)rng_next(&seed);
  memcpy(copy, buf, size);
  c.source = BACKING_SOURCE_BUFFER;
  c.buffer = buf;
  c.buffer_size = size;
  c.flags = BACKING_NOCREATE;
  EXPECT_RC(backing_open(&s, &c), ENOENT);
  CHECK(s == NULL);
  CHECKF(memcmp(buf, copy, size) == 0, "a refused BUFFER open wrote to the buffer");
  free(buf);
  free(copy);
}

/* Two live handles on one BUFFER: arenas that one adds are used, not re-formatted, by the
   other, and its accessors reach them. */
TEST(open_buffer_handles_share_growth) {
  size_t size = 8 * 64 * KIB + 4096;
  unsigned char *buf = (unsigned char *)malloc(size);
  backing_config c = mem_cfg(64 * KIB, 0);
  backing *s1, *s2;
  backing_addr a[3], b[3];
  unsigned char out[16];
  int i;
  if (!CHECK(buf != NULL)) return;
  memset(buf, 0xEE, size);
  c.source = BACKING_SOURCE_BUFFER;
  c.buffer = buf;
  c.buffer_size = size;
  s1 = OPEN(&c);
  s2 = OPEN(&c);
  if (s1 && s2) {
    for (i = 0; i < 3; i++) {
      a[i] = backing_alloc(s1, max_block(64 * KIB));
      CHECK(a[i] != 0);
      if (a[i]) fill_pattern(backing_ptr(s1, a[i]), max_block(64 * KIB), a[i]);
    }
    CHECK(stat_of(s1).arena_count >= 4);
    /* s2 sees s1's blocks in the arenas s1 added */
    for (i = 0; i < 3; i++) {
      if (!a[i]) continue;
      CHECK_EQ(backing_sizeof(s2, a[i]), max_block(64 * KIB));
      CHECK_OK(backing_read(s2, a[i], out, sizeof out));
      CHECK(find_pattern_mismatch(out, sizeof out, a[i]) < 0);
    }
    /* and growing from s2 does not format over them */
    for (i = 0; i < 3; i++) {
      b[i] = backing_alloc(s2, max_block(64 * KIB));
      CHECK(b[i] != 0 && b[i] != a[0] && b[i] != a[1] && b[i] != a[2]);
    }
    for (i = 0; i < 3; i++)
      if (a[i]) CHECK_PATTERN(backing_ptr(s1, a[i]), max_block(64 * KIB), a[i]);
    CHECK_EQ(stat_of(s2).used_blocks, 6);
    CHECK_EQ(stat_of(s1).used_blocks, 6);
    CHECK_STORE(s1);
    CHECK_STORE(s2);
  }
  if (s1) CLOSE(s1);
  if (s2) CLOSE(s2);
  free(buf);
}

TEST(open_buffer_misaligned_start_still_aligns) {
  size_t size = 3 * 64 * KIB + 8192;
  unsigned char *raw = (unsigned char *)aligned_alloc(4096, size);
  backing_config c = mem_cfg(64 * KIB, 0);
  backing *s;
  uint64_t align;
  if (!CHECK(raw != NULL)) return;
  memset(raw, 0x33, size);
  c.source = BACKING_SOURCE_BUFFER;
  c.buffer = raw + 123; /* rounded up to raw + 4096 */
  c.buffer_size = size - 123;
  s = OPEN(&c);
  if (s) {
    CHECK((unsigned char *)backing_ptr(s, backing_alloc(s, 16)) >= raw + 4096);
    for (align = 32; align <= 4096; align *= 2) {
      backing_addr a = backing_alloc_aligned(s, 100, align);
      CHECK(a != 0 && a % align == 0);
      CHECKF((uintptr_t)backing_ptr(s, a) % align == 0, "BUFFER at +123: pointer not %llu-aligned",
             ULL(align));
    }
    CHECK(stat_of(s).arena_count <= 3);
    CHECK_CLOSE(s);
  }
  free(raw);
}

TEST(open_dirname_is_a_file) {
  char f[600];
  backing_config c;
  backing *s = NULL;
  int rc;
  test_path(f, sizeof f, "plainfile");
  CHECK(write_whole(f, "x", 1) == 0);
  c = mmap_cfg(f, "store", 64 * KIB);
  rc = backing_open(&s, &c);
  CHECKF(rc != 0, "a store inside a regular file opened");
  CHECK(s == NULL);
  if (rc == 0 && s) backing_close(s);
  CHECK_EQ(file_size(f), 1);
}

struct custom_region {
  unsigned char *mem;
  uint64_t capacity;
  uint64_t stored; /* bytes holding a store */
  int reserves, extends, releases, bad;
  int fail_reserve, fail_extend; /* errors to return */
  uint64_t reserved_max;
};
static int custom_reserve(void *ctx, uint64_t max_bytes, void **base, uint64_t *size) {
  struct custom_region *r = (struct custom_region *)ctx;
  r->reserves++;
  r->reserved_max = max_bytes;
  if (r->fail_reserve) return r->fail_reserve;
  if (max_bytes > r->capacity) return ENOMEM;
  *base = r->mem;
  *size = r->stored;
  return 0;
}
static int custom_extend(void *ctx, void *base, uint64_t old_size, uint64_t new_size) {
  struct custom_region *r = (struct custom_region *)ctx;
  r->extends++;
  if (r->fail_extend) return r->fail_extend;
  if (base != r->mem || new_size > r->capacity || old_size > new_size) {
    r->bad++;
    test_note("extend(base %s, %llu -> %llu)", base == r->mem ? "ok" : "not the reservation",
              ULL(old_size), ULL(new_size));
    return BACKING_EINVAL;
  }
  r->stored = new_size;
  return 0;
}
static void custom_release(void *ctx, void *base, uint64_t max_bytes, uint64_t size) {
  struct custom_region *r = (struct custom_region *)ctx;
  r->releases++;
  if (base != r->mem || max_bytes > r->capacity || size > r->capacity) {
    r->bad++;
    test_note("release(base %s, max %llu, size %llu) after %d reserve(s)",
              base == r->mem ? "ok" : "not the reservation", ULL(max_bytes), ULL(size),
              r->reserves);
  }
  r->stored = size;
}

TEST(open_custom_source_round_trip_and_resume) {
  struct custom_region r;
  backing_source src;
  backing_config c = mem_cfg(64 * KIB, 512 * KIB);
  backing *s;
  backing_addr a[8];
  backing_stats st;
  int i;
  memset(&r, 0, sizeof r);
  r.capacity = 512 * KIB;
  r.mem = (unsigned char *)aligned_alloc(4096, (size_t)r.capacity);
  if (!CHECK(r.mem != NULL)) return;
  memset(r.mem, 0x5A, (size_t)r.capacity);
  memset(&src, 0, sizeof src);
  src.ctx = &r;
  src.reserve = custom_reserve;
  src.extend = custom_extend;
  src.release = custom_release;
  c.source = BACKING_SOURCE_CUSTOM;
  c.custom = &src;
  s = OPEN(&c);
  if (!s) {
    free(r.mem);
    return;
  }
  CHECK_EQ(r.reserves, 1);
  CHECK(r.extends >= 1);
  for (i = 0; i < 8; i++) {
    a[i] = backing_alloc(s, 20000); /* 8 x 20000 needs several arenas */
    if (!CHECK(a[i] != 0)) break;
    fill_pattern(backing_ptr(s, a[i]), 20000, a[i]);
    CHECK((unsigned char *)backing_ptr(s, a[i]) >= r.mem &&
          (unsigned char *)backing_ptr(s, a[i]) + 20000 <= r.mem + r.capacity);
  }
  st = stat_of(s);
  CHECK(st.arena_count >= 3);
  CHECK(r.extends >= 3);
  CHECK_EQ(r.stored, st.capacity);
  CHECK_OK(backing_root_set(s, "first", a[0]));
  CHECK_CLOSE(s);
  CHECK_EQ(r.releases, 1);
  CHECK_EQ(r.bad, 0);
  CHECK_EQ(r.stored, st.capacity);

  /* a second open of the same region resumes the store */
  s = OPEN(&c);
  if (!s) {
    free(r.mem);
    return;
  }
  CHECK_EQ(r.reserves, 2);
  CHECK_EQ(backing_root_get(s, "first"), a[0]);
  for (i = 0; i < 8; i++) {
    CHECK_EQ(backing_sizeof(s, a[i]), 20000);
    CHECK_PATTERN(backing_ptr(s, a[i]), 20000, a[i]);
  }
  CHECK_EQ(stat_of(s).used_blocks, 8);
  CHECK_CLOSE(s);
  CHECK_EQ(r.releases, 2);
  CHECK_EQ(r.bad, 0);
  free(r.mem);
}

TEST(open_custom_source_errors_pass_through) {
  struct custom_region r;
  backing_source src;
  backing_config c = mem_cfg(64 * KIB, 512 * KIB);
  backing *s = (backing *)&c;
  backing_addr a, b;
  int i;
  memset(&r, 0, sizeof r);
  r.capacity = 512 * KIB;
  r.mem = (unsigned char *)aligned_alloc(4096, (size_t)r.capacity);
  if (!CHECK(r.mem != NULL)) return;
  memset(&src, 0, sizeof src);
  src.ctx = &r;
  src.reserve = custom_reserve;
  src.extend = custom_extend;
  src.release = custom_release;
  c.source = BACKING_SOURCE_CUSTOM;
  c.custom = &src;
  /* reserve fails: open returns its code */
  r.fail_reserve = EACCES;
  EXPECT_RC(backing_open(&s, &c), EACCES);
  CHECK(s == NULL);
  CHECKF(r.releases == 0, "release was called though reserve failed (nothing to give back)");
  r.fail_reserve = 0;
  r.releases = r.bad = 0;
  s = OPEN(&c);
  if (!s) {
    free(r.mem);
    return;
  }
  a = backing_alloc(s, 30000);
  CHECK(a != 0);
  fill_pattern(backing_ptr(s, a), 30000, 1);
  /* extend fails: the growing alloc returns 0 with that code; nothing else changes */
  r.fail_extend = ENOSPC;
  for (i = 0; i < 3; i++) {
    b = backing_alloc(s, 40000);
    if (b) continue; /* fitted without growth */
    CHECK_EQ(backing_last_error(), ENOSPC);
    break;
  }
  CHECK(i < 3);
  CHECK_STORE(s);
  CHECK_PATTERN(backing_ptr(s, a), 30000, 1);
  /* and once extend works again, so does growth */
  r.fail_extend = 0;
  b = backing_alloc(s, 40000);
  CHECKF(b != 0, "alloc after extend recovered: %s", err_name(backing_last_error()));
  CHECK_CLOSE(s);
  CHECK_EQ(r.bad, 0);
  free(r.mem);
}
