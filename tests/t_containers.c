/* t_containers.c: strings, vectors and the map (issue 8), from a user's side: what goes in
   comes out, limits are the documented ones, a wrong kind of address is refused without a
   crash, and the map keeps its contents across reopen, processes, read-only readers and
   SIGKILLs. Every random test prints its seed (BACKING_SEED overrides it). */

#include <math.h>
#include <stdarg.h>

/* ---- helpers ------------------------------------------------------------------------------ */

static int ct_kind_err(int e) {
  return e == BACKING_ETYPE || e == BACKING_EBADADDR || e == BACKING_EFREED;
}
static int ct_refused_(const char *file, int line, const char *expr, int is_rc, uint64_t got,
                       int last) {
  if (is_rc) {
    int r = (int)(int64_t)got;
    if (!ct_kind_err(r) || last != r)
      return test__check(0, file, line,
                         "%s returned %s (last error %s), want ETYPE, EBADADDR or EFREED", expr,
                         err_name(r), err_name(last));
    return 1;
  }
  if (got != 0 || !ct_kind_err(last))
    return test__check(0, file, line,
                       "%s returned %llu / last error %s, want 0 / NULL with ETYPE, EBADADDR or "
                       "EFREED",
                       expr, ULL(got), err_name(last));
  return 1;
}
/* An int-returning call refused as the wrong kind of address. */
#define EXPECT_KIND_RC(expr)                                              \
  do {                                                                    \
    int r_, e_;                                                           \
    prime_error(0);                                                       \
    r_ = (expr);                                                          \
    e_ = backing_last_error();                                            \
    ct_refused_(__FILE__, __LINE__, #expr, 1, (uint64_t)(int64_t)r_, e_); \
  } while (0)
/* A call returning an address, a size or a pointer: 0 / NULL, refused as the wrong kind. */
#define EXPECT_KIND_0(expr)                            \
  do {                                                 \
    uint64_t r_;                                       \
    int e_;                                            \
    prime_error(0);                                    \
    r_ = (uint64_t)(uintptr_t)(expr);                  \
    e_ = backing_last_error();                         \
    ct_refused_(__FILE__, __LINE__, #expr, 0, r_, e_); \
  } while (0)

static backing_value ct_bytes(const void *p, uint64_t n) {
  backing_value v;
  memset(&v, 0, sizeof v);
  v.kind = BACKING_VALUE_BYTES;
  v.data = p;
  v.len = n;
  return v;
}
static backing_value ct_i64(int64_t x) {
  backing_value v;
  memset(&v, 0, sizeof v);
  v.kind = BACKING_VALUE_I64;
  v.i64 = x;
  return v;
}
static backing_value ct_f64(double x) {
  backing_value v;
  memset(&v, 0, sizeof v);
  v.kind = BACKING_VALUE_F64;
  v.f64 = x;
  return v;
}
static backing_value ct_addrv(backing_addr a) {
  backing_value v;
  memset(&v, 0, sizeof v);
  v.kind = BACKING_VALUE_ADDR;
  v.addr = a;
  return v;
}

/* 1 if got is want (BYTES: same bytes and a NUL after them; F64: the same bits); else 0
   with a description in why. */
static int ct_value_eq(const backing_value *got, const backing_value *want, char *why, size_t n) {
  if (got->kind != want->kind) {
    snprintf(why, n, "kind %u, want %u", got->kind, want->kind);
    return 0;
  }
  switch (want->kind) {
  case BACKING_VALUE_BYTES:
    if (got->len != want->len) {
      snprintf(why, n, "%llu bytes, want %llu", ULL(got->len), ULL(want->len));
      return 0;
    }
    if (!got->data) {
      snprintf(why, n, "BYTES value with a NULL data pointer");
      return 0;
    }
    if (want->len && memcmp(got->data, want->data, (size_t)want->len) != 0) {
      uint64_t k = 0;
      while (((const unsigned char *)got->data)[k] == ((const unsigned char *)want->data)[k]) k++;
      snprintf(why, n, "bytes differ at %llu of %llu", ULL(k), ULL(want->len));
      return 0;
    }
    if (((const unsigned char *)got->data)[want->len] != 0) {
      snprintf(why, n, "no NUL after the %llu bytes", ULL(want->len));
      return 0;
    }
    return 1;
  case BACKING_VALUE_I64:
    if (got->i64 != want->i64) {
      snprintf(why, n, "i64 %lld, want %lld", (long long)got->i64, (long long)want->i64);
      return 0;
    }
    return 1;
  case BACKING_VALUE_F64:
    if (memcmp(&got->f64, &want->f64, sizeof(double)) != 0) {
      snprintf(why, n, "f64 %g, want %g (bits differ)", got->f64, want->f64);
      return 0;
    }
    return 1;
  default:
    if (got->addr != want->addr) {
      snprintf(why, n, "addr %llu, want %llu", ULL(got->addr), ULL(want->addr));
      return 0;
    }
    return 1;
  }
}

/* Self-describing values: a 16-byte header {tag u64, ver u32, len u32}, then a pattern of
   (tag, ver). A torn value, another key's value or a half-written one does not pass. */
static uint32_t ct_vlen(uint64_t tag, uint32_t ver) {
  return 16u + (uint32_t)(mix64(tag * 31u + ver) % 240u);
}
static void ct_vfill(unsigned char *p, uint64_t tag, uint32_t ver, uint32_t len) {
  memcpy(p, &tag, 8);
  memcpy(p + 8, &ver, 4);
  memcpy(p + 12, &len, 4);
  fill_pattern(p + 16, len - 16, tag ^ (uint64_t)ver << 40);
}
/* 0 if the bytes are a whole value of `tag` (*ver set), else a description. */
static const char *ct_vcheck(const void *data, uint64_t len, uint64_t tag, uint32_t *ver) {
  const unsigned char *p = (const unsigned char *)data;
  uint64_t t;
  uint32_t v, l;
  if (!p) return "NULL data";
  if (len < 16) return "shorter than its header";
  memcpy(&t, p, 8);
  memcpy(&v, p + 8, 4);
  memcpy(&l, p + 12, 4);
  if (t != tag) return "the value of another key";
  if (l != len) return "length differs from the header (torn)";
  if (find_pattern_mismatch(p + 16, len - 16, tag ^ (uint64_t)v << 40) >= 0)
    return "contents differ from the pattern (torn or overwritten)";
  if (p[len] != 0) return "no NUL after the value";
  if (ver) *ver = v;
  return NULL;
}

static backing_addr ct_root_map(backing *s, const char *root, uint64_t expected) {
  backing_addr m = backing_map_new(s, expected);
  CHECKF(m != 0, "backing_map_new: %s", err_name(backing_last_error()));
  if (m && root) CHECK_OK(backing_root_set(s, root, m));
  return m;
}

#define CHECK_MAP(s, m) ct_check_map_((s), (m), __FILE__, __LINE__)
static int ct_check_map_(backing *s, backing_addr m, const char *file, int line) {
  int rc = backing_map_check(s, m);
  return test__check(rc == 0, file, line, "backing_map_check: %s (%s)", err_name(rc),
                     rc ? backing_check_detail(s) : "");
}

/* Iterates the whole map; returns the entries seen (or -1 after an error). */
static long ct_count_entries(backing *s, backing_addr m) {
  backing_map_cursor cur;
  const void *k;
  uint64_t kl;
  backing_value v;
  long n = 0;
  int rc;
  memset(&cur, 0, sizeof cur);
  while ((rc = backing_map_next(s, m, &cur, &k, &kl, &v)) == 1 && n < 100000000) n++;
  if (rc != 0) {
    CHECKF(0, "backing_map_next: %s after %ld entries", err_name(rc), n);
    return -1;
  }
  return n;
}

/* ---- strings ------------------------------------------------------------------------------ */

TEST(cont_str_edges) {
  backing *s = OPEN_MEMORY(1 * MIB, 0);
  static const char nul[] = "a\0b\0\0c";
  backing_stats st;
  backing_addr e, z, big, p, g, v, m, sm[301];
  const char *d;
  unsigned char *buf;
  uint64_t maxs, len;
  if (!s) return;
  st = stat_of(s);
  maxs = st.max_block - 25;
  /* the empty string */
  e = backing_str_new(s, "", 0);
  if (!CHECKF(e != 0, "str_new of 0 bytes: %s", err_name(backing_last_error()))) goto out;
  prime_error(0);
  CHECK_EQ(backing_str_len(s, e), 0);
  CHECK_EQ(backing_last_error(), 0);
  d = backing_str_data(s, e);
  CHECK(d != NULL && d[0] == 0);
  /* embedded NULs are kept, and a NUL follows */
  z = backing_str_new(s, nul, 6);
  CHECK(z != 0);
  CHECK_EQ(backing_str_len(s, z), 6);
  d = backing_str_data(s, z);
  CHECK(d != NULL && memcmp(d, nul, 6) == 0 && d[6] == 0);
  /* every length up to 300 (the small size classes) */
  for (len = 0; len <= 300; len++) {
    unsigned char tmp[301];
    fill_pattern(tmp, len, len);
    sm[len] = backing_str_new(s, tmp, len);
    if (!CHECKF(sm[len] != 0, "str_new(%llu): %s", ULL(len), err_name(backing_last_error()))) break;
  }
  for (len = 0; len <= 300 && sm[len]; len++) {
    d = backing_str_data(s, sm[len]);
    CHECKF(backing_str_len(s, sm[len]) == len && d && find_pattern_mismatch(d, len, len) < 0 &&
               d[len] == 0,
           "string of %llu bytes did not read back", ULL(len));
  }
  /* the longest string: max_block - 25 bytes; one more is ETOOBIG */
  buf = (unsigned char *)malloc((size_t)maxs + 2);
  if (!CHECK(buf != NULL)) goto out;
  fill_pattern(buf, maxs + 1, 42);
  big = backing_str_new(s, buf, maxs);
  if (CHECKF(big != 0, "str_new of max_block - 25 = %llu bytes: %s", ULL(maxs),
             err_name(backing_last_error()))) {
    CHECK_EQ(backing_str_len(s, big), maxs);
    d = backing_str_data(s, big);
    CHECK(d != NULL && memcmp(d, buf, (size_t)maxs) == 0 && d[maxs] == 0);
  }
  EXPECT_FAIL0(backing_str_new(s, buf, maxs + 1), BACKING_ETOOBIG);
  EXPECT_FAIL0(backing_str_new(s, buf, (uint64_t)1 << 40), BACKING_ETOOBIG);
  EXPECT_FAIL0(backing_str_new(s, buf, UINT64_MAX), BACKING_ETOOBIG);
  free(buf);
  CHECK_STORE(s);
  /* not a string: NULL / 0 with an error, and nothing changes */
  p = backing_alloc(s, 64);
  g = backing_gc_alloc(s, 64, 5, 1);
  v = backing_vec_new(s, 8, 0);
  m = backing_map_new(s, 0);
  CHECK(p && g && v && m);
  EXPECT_KIND_0(backing_str_data(s, p));
  EXPECT_KIND_0(backing_str_data(s, g));
  EXPECT_KIND_0(backing_str_data(s, v));
  EXPECT_KIND_0(backing_str_data(s, m));
  EXPECT_KIND_0(backing_str_data(s, 0));
  EXPECT_KIND_0(backing_str_data(s, 8));
  EXPECT_KIND_0(backing_str_data(s, z + 16));
  EXPECT_KIND_0(backing_str_data(s, (backing_addr)1 << 50));
  EXPECT_KIND_0(backing_str_len(s, p));
  EXPECT_KIND_0(backing_str_len(s, v));
  EXPECT_KIND_0(backing_str_len(s, m));
  EXPECT_KIND_0(backing_str_len(s, 0));
  EXPECT_KIND_RC(backing_str_free(s, p));
  EXPECT_KIND_RC(backing_str_free(s, g));
  EXPECT_KIND_RC(backing_str_free(s, v));
  EXPECT_KIND_RC(backing_str_free(s, m));
  EXPECT_KIND_RC(backing_str_free(s, 0));
  CHECK(backing_sizeof(s, p) >= 64);
  CHECK_EQ(backing_gc_refcount(s, g), 1);
  CHECK_EQ(backing_vec_len(s, v), 0);
  CHECK_EQ(backing_map_len(s, m), 0);
  /* a user cannot make a GC block of a container type */
  prime_error(0);
  CHECK(backing_gc_alloc(s, 64, BACKING_TYPE_RESERVED, 1) == 0 && backing_last_error() != 0);
  prime_error(0);
  CHECK(backing_gc_alloc(s, 64, BACKING_TYPE_RESERVED + 1, 1) == 0 && backing_last_error() != 0);
  /* double free is refused, before and after the collector reaps it */
  CHECK_OK(backing_str_free(s, z));
  EXPECT_KIND_RC(backing_str_free(s, z));
  EXPECT_KIND_0(backing_str_data(s, z));
  EXPECT_KIND_0(backing_str_len(s, z));
  backing_gc_cycle(s);
  backing_gc_cycle(s);
  EXPECT_KIND_RC(backing_str_free(s, z));
  EXPECT_KIND_0(backing_str_data(s, z));
  CHECK_STORE(s);
  /* the others are untouched */
  d = backing_str_data(s, e);
  CHECK(d != NULL && d[0] == 0 && backing_str_len(s, e) == 0);
  for (len = 0; len <= 300 && sm[len]; len++) CHECK_OK(backing_str_free(s, sm[len]));
  CHECK_OK(backing_str_free(s, e));
  if (big) CHECK_OK(backing_str_free(s, big));
  backing_gc_cycle(s);
  backing_gc_cycle(s);
  CHECK_STORE(s);
out:
  CLOSE(s);
}

/* Through a read-only handle: every read of a string, a vector and a map works; every change
   is ERDONLY and changes nothing. */
TEST(cont_rdonly_reads_and_refuses_changes) {
  char dir[512];
  backing_config c = mmap_cfg(test_path(dir, sizeof dir, "ro"), "ro", 1 * MIB);
  backing *s = OPEN(&c), *r = NULL;
  backing_addr str, v, m;
  backing_value val, got;
  backing_map_cursor cur;
  const void *k;
  uint64_t kl, i, x;
  const char *d;
  char why[160];
  int rc, n;
  if (!s) return;
  str = backing_str_new(s, "hello\0world", 11);
  v = backing_vec_new(s, 8, 0);
  m = backing_map_new(s, 0);
  if (!CHECK(str && v && m)) goto out;
  for (i = 0; i < 1000; i++) {
    x = i * 3;
    CHECK_OK(backing_vec_push(s, v, &x));
  }
  val = ct_bytes("value", 5);
  CHECK_OK(backing_map_put(s, m, "key", 3, &val));
  val = ct_i64(-5);
  CHECK_OK(backing_map_put(s, m, "", 0, &val));
  CHECK_OK(backing_root_set(s, "str", str));
  CHECK_OK(backing_root_set(s, "vec", v));
  CHECK_OK(backing_root_set(s, "map", m));
  CLOSE(s);
  c.arena_size = 0;
  c.flags = BACKING_RDONLY;
  rc = backing_open(&r, &c);
  if (!CHECKF(rc == 0, "read-only open: %s", err_name(rc))) return;
  CHECK_EQ(backing_root_get(r, "str"), str);
  d = backing_str_data(r, str);
  CHECK(d && memcmp(d, "hello\0world", 12) == 0);
  CHECK_EQ(backing_str_len(r, str), 11);
  CHECK_EQ(backing_vec_len(r, v), 1000);
  for (i = 0; i < 1000; i++) {
    const uint64_t *p = (const uint64_t *)backing_vec_at(r, v, i);
    if (!CHECKF(p && *p == i * 3, "vec_at(%llu) through a read-only handle", ULL(i))) break;
  }
  CHECK_EQ(backing_map_len(r, m), 2);
  memset(&got, 0, sizeof got);
  CHECK_OK(backing_map_get(r, m, "key", 3, &got));
  val = ct_bytes("value", 5);
  CHECKF(ct_value_eq(&got, &val, why, sizeof why), "get through a read-only handle: %s", why);
  CHECK_OK(backing_map_get(r, m, "", 0, &got));
  val = ct_i64(-5);
  CHECKF(ct_value_eq(&got, &val, why, sizeof why), "get of the empty key: %s", why);
  memset(&cur, 0, sizeof cur);
  n = 0;
  while ((rc = backing_map_next(r, m, &cur, &k, &kl, &got)) == 1 && n < 10) n++;
  CHECK_EQ(rc, 0);
  CHECK_EQ(n, 2);
  CHECK_MAP(r, m);
  CHECK_STORE(r);
  /* every change */
  x = 1;
  EXPECT_FAIL0(backing_str_new(r, "x", 1), BACKING_ERDONLY);
  EXPECT_RC(backing_str_free(r, str), BACKING_ERDONLY);
  EXPECT_FAIL0(backing_vec_new(r, 8, 0), BACKING_ERDONLY);
  EXPECT_RC(backing_vec_push(r, v, &x), BACKING_ERDONLY);
  EXPECT_RC(backing_vec_pop(r, v, &x), BACKING_ERDONLY);
  EXPECT_RC(backing_vec_resize(r, v, 5), BACKING_ERDONLY);
  EXPECT_RC(backing_vec_resize(r, v, 5000), BACKING_ERDONLY);
  EXPECT_RC(backing_vec_free(r, v), BACKING_ERDONLY);
  EXPECT_FAIL0(backing_map_new(r, 0), BACKING_ERDONLY);
  val = ct_i64(1);
  EXPECT_RC(backing_map_put(r, m, "key", 3, &val), BACKING_ERDONLY);
  EXPECT_RC(backing_map_put(r, m, "new", 3, &val), BACKING_ERDONLY);
  EXPECT_RC(backing_map_del(r, m, "key", 3), BACKING_ERDONLY);
  EXPECT_RC(backing_map_free(r, m), BACKING_ERDONLY);
  CHECK_EQ(backing_vec_len(r, v), 1000);
  CHECK_EQ(backing_map_len(r, m), 2);
  CHECK_OK(backing_map_get(r, m, "key", 3, &got));
  CHECK(got.kind == BACKING_VALUE_BYTES && got.len == 5);
  CLOSE(r);
  c.flags = 0;
  s = OPEN(&c);
  if (!s) return;
  CHECK_EQ(backing_vec_len(s, v), 1000);
  CHECK_EQ(backing_map_len(s, m), 2);
  CHECK_EQ(backing_str_len(s, str), 11);
  CHECK_STORE(s);
out:
  CLOSE(s);
}

/* ---- vectors ------------------------------------------------------------------------------ */

static uint64_t ct_ekey(uint64_t es, uint64_t i) {
  return i * 7919u + es * 1000003u + 1;
}
static int ct_elem_ok(const void *p, uint64_t es, uint64_t i) {
  return p && find_pattern_mismatch(p, es, ct_ekey(es, i)) < 0;
}

static void ct_vec_run(backing *s, uint64_t es, uint64_t n) {
  backing_addr v = backing_vec_new(s, es, 0);
  unsigned char *e = (unsigned char *)malloc((size_t)es),
                *out = (unsigned char *)malloc((size_t)es);
  void **ptrs = (void **)calloc((size_t)n, sizeof *ptrs);
  uint64_t i, bad = 0;
  if (!CHECKF(v != 0, "vec_new(%llu): %s", ULL(es), err_name(backing_last_error())) || !e || !out ||
      !ptrs)
    goto done;
  CHECK_EQ(backing_vec_len(s, v), 0);
  EXPECT_FAIL0((uintptr_t)backing_vec_at(s, v, 0), BACKING_EINVAL);
  EXPECT_RC(backing_vec_pop(s, v, out), BACKING_ENOTFOUND);
  for (i = 0; i < n; i++) {
    fill_pattern(e, es, ct_ekey(es, i));
    if (!CHECKF(backing_vec_push(s, v, e) == 0, "elem %llu: push %llu: %s", ULL(es), ULL(i),
                err_name(backing_last_error())))
      goto done;
    ptrs[i] = backing_vec_at(s, v, i);
    if (!CHECKF(ct_elem_ok(ptrs[i], es, i), "elem %llu: element %llu reads wrong right after push",
                ULL(es), ULL(i)))
      goto done;
  }
  CHECK_EQ(backing_vec_len(s, v), n);
  EXPECT_FAIL0((uintptr_t)backing_vec_at(s, v, n), BACKING_EINVAL);
  EXPECT_FAIL0((uintptr_t)backing_vec_at(s, v, UINT64_MAX), BACKING_EINVAL);
  for (i = 0; i < n; i++) {
    void *p = backing_vec_at(s, v, i);
    if (p != ptrs[i] || !ct_elem_ok(p, es, i)) bad++;
  }
  CHECKF(bad == 0, "elem %llu: %llu of %llu elements moved or changed while the vector grew",
         ULL(es), ULL(bad), ULL(n));
  /* writes through an element pointer are what at() reads */
  memset(ptrs[0], 0x5a, (size_t)es);
  CHECK(all_bytes_are(backing_vec_at(s, v, 0), es, 0x5a));
  fill_pattern(ptrs[0], es, ct_ekey(es, 0));
  CHECK_STORE(s);
  /* pop: the last element, with or without a copy */
  memset(out, 0, (size_t)es);
  CHECK_OK(backing_vec_pop(s, v, out));
  CHECK(ct_elem_ok(out, es, n - 1));
  CHECK_OK(backing_vec_pop(s, v, NULL));
  CHECK_EQ(backing_vec_len(s, v), n - 2);
  EXPECT_FAIL0((uintptr_t)backing_vec_at(s, v, n - 2), BACKING_EINVAL);
  /* growth zeroes, including the slots the popped elements used */
  CHECK_OK(backing_vec_resize(s, v, n + 100));
  CHECK_EQ(backing_vec_len(s, v), n + 100);
  for (i = n - 2, bad = 0; i < n + 100; i++) bad += !all_bytes_are(backing_vec_at(s, v, i), es, 0);
  CHECKF(bad == 0, "elem %llu: %llu new elements after resize are not zero", ULL(es), ULL(bad));
  CHECK(ct_elem_ok(backing_vec_at(s, v, n - 3), es, n - 3));
  /* shrink, then grow again: what was there before reads as zeros */
  for (i = 0; i < n + 100; i++) memset(backing_vec_at(s, v, i), 0xff, (size_t)es);
  CHECK_OK(backing_vec_resize(s, v, 10));
  CHECK_EQ(backing_vec_len(s, v), 10);
  EXPECT_FAIL0((uintptr_t)backing_vec_at(s, v, 10), BACKING_EINVAL);
  CHECK_OK(backing_vec_resize(s, v, n));
  for (i = 10, bad = 0; i < n; i++) bad += !all_bytes_are(backing_vec_at(s, v, i), es, 0);
  CHECKF(bad == 0, "elem %llu: %llu elements not zero after shrinking to 10 and growing back",
         ULL(es), ULL(bad));
  CHECK(all_bytes_are(backing_vec_at(s, v, 9), es, 0xff));
  /* pushes after a shrink land after the last element */
  CHECK_OK(backing_vec_resize(s, v, 0));
  EXPECT_RC(backing_vec_pop(s, v, out), BACKING_ENOTFOUND);
  fill_pattern(e, es, 99);
  CHECK_OK(backing_vec_push(s, v, e));
  CHECK_EQ(backing_vec_len(s, v), 1);
  CHECK(find_pattern_mismatch(backing_vec_at(s, v, 0), es, 99) < 0);
  CHECK_STORE(s);
  CHECK_OK(backing_vec_free(s, v));
  EXPECT_KIND_RC(backing_vec_free(s, v));
done:
  free(e);
  free(out);
  free(ptrs);
}

TEST(cont_vec_elem_sizes) {
  backing *s = OPEN_MEMORY(1 * MIB, 0);
  backing_stats st;
  if (!s) return;
  ct_vec_run(s, 1, 5000);
  ct_vec_run(s, 8, 5000);
  ct_vec_run(s, 24, 3000);
  ct_vec_run(s, 4096, 400); /* 1.6 MB: more than one arena */
  backing_gc_cycle(s);
  backing_gc_cycle(s);
  CHECK_STORE(s);
  st = stat_of(s);
  CHECKF(st.used_blocks == 0, "%llu blocks left after every vector was freed and 2 cycles",
         ULL(st.used_blocks));
  CLOSE(s);
}

TEST(cont_vec_limits) {
  backing *s = OPEN_MEMORY(64 * KIB, 8 * MIB);
  backing_addr v;
  uint64_t x = 7, mb;
  int rc;
  if (!s) return;
  mb = stat_of(s).max_block;
  prime_error(0);
  CHECK(backing_vec_new(s, 0, 0) == 0 && backing_last_error() != 0); /* elements of 0 bytes */
  prime_error(0);
  v = backing_vec_new(s, mb + 1, 0);
  CHECKF(v == 0 &&
             (backing_last_error() == BACKING_ETOOBIG || backing_last_error() == BACKING_EINVAL),
         "vec_new with elements over one block: %llu, %s", ULL(v), err_name(backing_last_error()));
  v = backing_vec_new(s, 8, 0);
  if (!CHECK(v != 0)) goto out;
  CHECK_OK(backing_vec_push(s, v, &x));
  /* a length the store cannot hold: refused, and the vector is as it was */
  prime_error(0);
  rc = backing_vec_resize(s, v, (uint64_t)1 << 40);
  CHECKF(rc == BACKING_ETOOBIG || rc == BACKING_ENOSPACE, "resize to 2^40 elements: %s",
         err_name(rc));
  prime_error(0);
  rc = backing_vec_resize(s, v, UINT64_MAX);
  CHECKF(rc == BACKING_ETOOBIG || rc == BACKING_ENOSPACE || rc == BACKING_EINVAL,
         "resize to UINT64_MAX elements: %s", err_name(rc));
  CHECK_EQ(backing_vec_len(s, v), 1);
  CHECK(backing_vec_at(s, v, 0) && *(uint64_t *)backing_vec_at(s, v, 0) == 7);
  /* 8 MiB cap: pushing until full ends in ENOSPACE (or ETOOBIG), never a crash */
  for (;;) {
    rc = backing_vec_push(s, v, &x);
    if (rc) break;
  }
  CHECKF(rc == BACKING_ENOSPACE || rc == BACKING_ETOOBIG, "push into a full store: %s",
         err_name(rc));
  CHECK(backing_vec_len(s, v) > 100000);
  CHECK_STORE(s);
  CHECK_OK(backing_vec_free(s, v));
out:
  CLOSE(s);
}

/* A vector holds more than three arenas' worth of elements, and element addresses never
   move while it grows. */
TEST(cont_vec_grows_past_arenas) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_addr v, w;
  backing_stats st;
  uint64_t i, n = 60000, bad = 0, *p0 = NULL, *p1 = NULL, *pmid = NULL;
  unsigned char e[4096];
  if (!s) return;
  v = backing_vec_new(s, 8, 0);
  if (!CHECK(v != 0)) goto out;
  for (i = 0; i < n; i++) {
    uint64_t x = mix64(i);
    if (!CHECKF(backing_vec_push(s, v, &x) == 0, "push %llu: %s", ULL(i),
                err_name(backing_last_error())))
      goto out;
    if (i == 0) p0 = (uint64_t *)backing_vec_at(s, v, 0);
    if (i == 1) p1 = (uint64_t *)backing_vec_at(s, v, 1);
    if (i == 5000) pmid = (uint64_t *)backing_vec_at(s, v, 5000);
  }
  CHECK_EQ(backing_vec_len(s, v), n);
  for (i = 0; i < n; i++) {
    const uint64_t *p = (const uint64_t *)backing_vec_at(s, v, i);
    bad += !p || *p != mix64(i);
  }
  CHECKF(bad == 0, "%llu of %llu elements wrong", ULL(bad), ULL(n));
  CHECK(backing_vec_at(s, v, 0) == (void *)p0 && backing_vec_at(s, v, 1) == (void *)p1 &&
        backing_vec_at(s, v, 5000) == (void *)pmid);
  st = stat_of(s);
  CHECKF(st.arena_count > 3 && n * 8 > 3 * st.max_block,
         "the vector (%llu bytes) should span more than 3 arenas (%llu arenas)", ULL(n * 8),
         ULL(st.arena_count));
  /* resize far past: zeros (150,000 elements: 1.2 MB, some 20 arenas' worth) */
  if (!CHECK_OK(backing_vec_resize(s, v, 150000))) goto out;
  for (i = n, bad = 0; i < 150000; i++) {
    const uint64_t *p = (const uint64_t *)backing_vec_at(s, v, i);
    bad += !p || *p != 0;
  }
  CHECKF(bad == 0, "%llu grown elements not zero", ULL(bad));
  CHECK(*p0 == mix64(0) && *pmid == mix64(5000));
  /* 4096-byte elements: 100 of them, 400 KiB */
  w = backing_vec_new(s, 4096, 0);
  if (!CHECK(w != 0)) goto out;
  for (i = 0; i < 100; i++) {
    fill_pattern(e, 4096, ct_ekey(4096, i));
    if (!CHECKF(backing_vec_push(s, w, e) == 0, "push of 4096-byte element %llu: %s", ULL(i),
                err_name(backing_last_error())))
      break;
  }
  for (i = 0, bad = 0; i < backing_vec_len(s, w); i++)
    bad += !ct_elem_ok(backing_vec_at(s, w, i), 4096, i);
  CHECK_EQ(bad, 0);
  CHECK_STORE(s);
  /* popping everything, then freeing, gives the memory back */
  for (i = 0; i < 100; i++) CHECK_OK(backing_vec_pop(s, w, e));
  EXPECT_RC(backing_vec_pop(s, w, e), BACKING_ENOTFOUND);
  CHECK_OK(backing_vec_free(s, w));
  CHECK_OK(backing_vec_free(s, v));
  backing_gc_cycle(s);
  backing_gc_cycle(s);
  CHECK_STORE(s);
  st = stat_of(s);
  CHECKF(st.used_blocks == 0, "%llu blocks (%llu bytes) left after freeing both vectors",
         ULL(st.used_blocks), ULL(st.used_bytes));
out:
  CLOSE(s);
}

/* Each container call on the wrong kind of address is refused and changes nothing. */
TEST(cont_wrong_kinds) {
  backing *s = OPEN_MEMORY(1 * MIB, 0);
  backing_addr v, m, str, p, g, fv, fm, bad[8];
  backing_value val, got;
  backing_map_cursor cur;
  backing_map_stats ms;
  const void *k;
  uint64_t kl, x = 5;
  int i;
  if (!s) return;
  v = backing_vec_new(s, 8, 0);
  m = backing_map_new(s, 0);
  str = backing_str_new(s, "abc", 3);
  p = backing_alloc(s, 100);
  g = backing_gc_alloc(s, 100, 3, 1);
  fv = backing_vec_new(s, 8, 0);
  fm = backing_map_new(s, 0);
  if (!CHECK(v && m && str && p && g && fv && fm)) goto out;
  CHECK_OK(backing_vec_push(s, v, &x));
  val = ct_i64(11);
  CHECK_OK(backing_map_put(s, m, "k", 1, &val));
  CHECK_OK(backing_map_put(s, fm, "k", 1, &val));
  CHECK_OK(backing_vec_free(s, fv));
  CHECK_OK(backing_map_free(s, fm));
  bad[0] = m;
  bad[1] = str;
  bad[2] = p;
  bad[3] = g;
  bad[4] = 0;
  bad[5] = fv;
  bad[6] = v + 16;
  bad[7] = 8;
  for (i = 0; i < 8; i++) { /* as a vector */
    backing_addr a = bad[i] == m ? m : bad[i];
    EXPECT_KIND_RC(backing_vec_push(s, a, &x));
    EXPECT_KIND_RC(backing_vec_pop(s, a, &x));
    EXPECT_KIND_RC(backing_vec_resize(s, a, 10));
    EXPECT_KIND_0(backing_vec_at(s, a, 0));
    EXPECT_KIND_0(backing_vec_len(s, a));
    EXPECT_KIND_RC(backing_vec_free(s, a));
  }
  bad[0] = v;
  bad[5] = fm;
  bad[6] = m + 16;
  for (i = 0; i < 8; i++) { /* as a map */
    backing_addr a = bad[i];
    memset(&cur, 0, sizeof cur);
    EXPECT_KIND_RC(backing_map_put(s, a, "k", 1, &val));
    EXPECT_KIND_RC(backing_map_get(s, a, "k", 1, &got));
    EXPECT_KIND_RC(backing_map_del(s, a, "k", 1));
    EXPECT_KIND_0(backing_map_len(s, a));
    EXPECT_KIND_RC(backing_map_next(s, a, &cur, &k, &kl, &got));
    EXPECT_KIND_RC(backing_map_stat(s, a, &ms));
    EXPECT_KIND_RC(backing_map_check(s, a));
    EXPECT_KIND_RC(backing_map_free(s, a));
  }
  /* far outside the store, and the page below arena 0's data: refused, not a fault */
  EXPECT_KIND_RC(backing_map_put(s, (backing_addr)1 << 45, "k", 1, &val));
  EXPECT_KIND_RC(backing_map_get(s, 4096, "k", 1, &got));
  EXPECT_KIND_RC(backing_vec_push(s, (backing_addr)UINT64_MAX - 15, &x));
  /* after the freed ones are reaped and their memory reused by plain blocks */
  backing_gc_cycle(s);
  backing_gc_cycle(s);
  for (i = 0; i < 200; i++) memset(backing_ptr(s, backing_alloc(s, 64)), 0xa5, 64);
  EXPECT_KIND_RC(backing_map_put(s, fm, "k", 1, &val));
  EXPECT_KIND_RC(backing_vec_push(s, fv, &x));
  /* bad values */
  memset(&val, 0, sizeof val);
  EXPECT_RC(backing_map_put(s, m, "k", 1, &val), BACKING_EINVAL);
  val.kind = 99;
  EXPECT_RC(backing_map_put(s, m, "k", 1, &val), BACKING_EINVAL);
  EXPECT_RC(backing_map_put(s, m, "k", 1, NULL), BACKING_EINVAL);
  /* nothing changed */
  CHECK_EQ(backing_vec_len(s, v), 1);
  CHECK_EQ(*(uint64_t *)backing_vec_at(s, v, 0), 5);
  CHECK_EQ(backing_map_len(s, m), 1);
  CHECK_OK(backing_map_get(s, m, "k", 1, &got));
  CHECK(got.kind == BACKING_VALUE_I64 && got.i64 == 11);
  CHECK_EQ(backing_str_len(s, str), 3);
  CHECK(backing_sizeof(s, p) >= 100);
  CHECK_EQ(backing_gc_refcount(s, g), 1);
  CHECK_MAP(s, m);
  CHECK_STORE(s);
  /* gc calls on a container: refused (ETYPE), or at least never free it under the user */
  {
    uint32_t cnt;
    uint64_t len;
    int e1, e2;
    prime_error(0);
    cnt = backing_gc_unref(s, m);
    e1 = backing_last_error();
    backing_gc_cycle(s);
    backing_gc_cycle(s);
    len = backing_map_len(s, m);
    e2 = backing_last_error();
    CHECKF(len == 1 && e2 == 0,
           "backing_gc_unref(map) returned %u (%s), and after 2 cycles map_len is %llu (%s): a "
           "user's gc_unref freed the map",
           cnt, err_name(e1), ULL(len), err_name(e2));
  }
  CHECK_STORE(s);
out:
  CLOSE(s);
}

/* ---- map: a shadow model ------------------------------------------------------------------ */

#define CTM_KEYS 1500u
#define CTM_ADDRS 8u
struct ctm_ent {
  const unsigned char *key;
  uint32_t klen;
  int present;
  backing_value v;
  unsigned char *bytes;
};
struct ctm_index { /* key bytes -> pool index, open addressing */
  uint32_t *slot;  /* index + 1 */
  uint32_t mask;
};
static uint64_t ct_fnv(const void *p, uint64_t n) {
  const unsigned char *b = (const unsigned char *)p;
  uint64_t h = 0xcbf29ce484222325ull, i;
  for (i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
  return h;
}
/* The pool index of the key, or -1; with add, adds it (as index `add_idx`) when missing. */
static long ctm_find(struct ctm_index *ix, const struct ctm_ent *pool, const void *k, uint64_t kl,
                     long add_idx) {
  uint32_t h = (uint32_t)ct_fnv(k, kl) & ix->mask;
  while (ix->slot[h]) {
    const struct ctm_ent *e = &pool[ix->slot[h] - 1];
    if (e->klen == kl && (kl == 0 || memcmp(e->key, k, (size_t)kl) == 0))
      return (long)ix->slot[h] - 1;
    h = (h + 1) & ix->mask;
  }
  if (add_idx >= 0) ix->slot[h] = (uint32_t)add_idx + 1;
  return -1;
}

TEST(cont_map_model) {
  backing *s = OPEN_MEMORY(1 * MIB, 0);
  static struct ctm_ent pool[CTM_KEYS];
  static const char *fixed[] = {"", "a", "a\0", "\0", "\0\0", "ab", "ba"};
  static const uint32_t fixed_len[] = {0, 1, 2, 1, 2, 2, 2};
  struct ctm_index ix;
  backing_addr m, addrs[CTM_ADDRS];
  backing_map_cursor cur;
  backing_map_stats ms;
  backing_value got;
  uint64_t seed = seed_from_env(0x5eed0c0a7), rng = seed | 1, step, count = 0;
  uint64_t puts = 0, overwrites = 0, dels = 0, gets = 0, misses = 0, cycles = 0;
  unsigned char *seen = NULL, *vbuf = (unsigned char *)malloc(20001);
  char why[200];
  uint32_t i;
  long n;
  int rc;
  if (!s || !vbuf) return;
  test_note("seed 0x%llx", ULL(seed));
  ix.mask = 4095;
  ix.slot = (uint32_t *)calloc(ix.mask + 1, sizeof *ix.slot);
  if (!CHECK(ix.slot != NULL)) goto out;
  /* the key pool: the empty key, prefixes of each other, embedded NULs, 0..300 bytes */
  for (i = 0; i < CTM_KEYS; i++) {
    unsigned char *k = NULL;
    uint32_t kl;
    for (;;) {
      if (i < 7) {
        kl = fixed_len[i];
        k = (unsigned char *)malloc(kl + 1);
        memcpy(k, fixed[i], kl);
      } else {
        uint64_t r = rng_below(&rng, 100);
        kl = (uint32_t)(r < 60   ? 1 + rng_below(&rng, 16)
                        : r < 90 ? 17 + rng_below(&rng, 48)
                                 : 65 + rng_below(&rng, 236));
        k = (unsigned char *)malloc(kl + 1);
        if (rng_below(&rng, 4) == 0) { /* binary, NULs likely */
          uint32_t j;
          for (j = 0; j < kl; j++)
            k[j] = (unsigned char)(rng_below(&rng, 3) == 0 ? 0 : rng_next(&rng));
        } else {
          fill_pattern(k, kl, rng_next(&rng));
        }
        if (i % 50 == 0 && i > 7) kl = 300; /* the longest */
        if (i % 50 == 0 && i > 7) {
          free(k);
          k = (unsigned char *)malloc(301);
          fill_pattern(k, 300, i);
        }
      }
      if (ctm_find(&ix, pool, k, kl, -1) < 0) break;
      free(k);
    }
    pool[i].key = k;
    pool[i].klen = kl;
    ctm_find(&ix, pool, k, kl, (long)i);
  }
  for (i = 0; i < CTM_ADDRS; i++) addrs[i] = backing_str_new(s, "referenced", 10);
  m = ct_root_map(s, "model", 0);
  if (!m) goto out;
  for (step = 1; step <= 20000 && test__failures == 0; step++) {
    uint64_t r = rng_below(&rng, 100);
    struct ctm_ent *e = &pool[rng_below(&rng, CTM_KEYS)];
    if (r < 45) { /* put or overwrite */
      backing_value v;
      uint64_t kind = rng_below(&rng, 10), vl;
      unsigned char *b = NULL;
      if (kind < 4) {
        uint64_t q = rng_below(&rng, 100);
        vl = q < 70   ? rng_below(&rng, 65)
             : q < 97 ? 65 + rng_below(&rng, 1000)
                      : rng_below(&rng, 20001);
        b = (unsigned char *)malloc((size_t)vl + 1);
        fill_pattern(b, vl, rng_next(&rng));
        v = ct_bytes(b, vl);
      } else if (kind < 6) {
        v = ct_i64((int64_t)rng_next(&rng));
      } else if (kind < 8) {
        uint64_t q = rng_below(&rng, 8);
        double d = q == 0   ? -0.0
                   : q == 1 ? (double)NAN
                   : q == 2 ? (double)INFINITY
                            : (double)(int64_t)rng_next(&rng) / 1e6;
        v = ct_f64(d);
      } else {
        v = ct_addrv(addrs[rng_below(&rng, CTM_ADDRS)]);
      }
      rc = backing_map_put(s, m, e->key, e->klen, &v);
      if (!CHECKF(rc == 0, "step %llu: put of a %u-byte key: %s", ULL(step), e->klen,
                  err_name(rc))) {
        free(b);
        break;
      }
      puts++;
      overwrites += e->present;
      count += !e->present;
      free(e->bytes);
      e->bytes = b;
      e->v = v;
      e->present = 1;
    } else if (r < 75) { /* get */
      gets++;
      memset(&got, 0, sizeof got);
      prime_error(0);
      rc = backing_map_get(s, m, e->key, e->klen, &got);
      if (e->present) {
        if (!CHECKF(rc == 0, "step %llu: get of a present %u-byte key: %s", ULL(step), e->klen,
                    err_name(rc)))
          break;
        CHECKF(ct_value_eq(&got, &e->v, why, sizeof why), "step %llu: get of a %u-byte key: %s",
               ULL(step), e->klen, why);
      } else {
        misses++;
        CHECKF(rc == BACKING_ENOTFOUND && backing_last_error() == BACKING_ENOTFOUND,
               "step %llu: get of an absent %u-byte key: %s", ULL(step), e->klen, err_name(rc));
      }
    } else if (r < 93) { /* delete */
      rc = backing_map_del(s, m, e->key, e->klen);
      if (!CHECKF(rc == (e->present ? 0 : BACKING_ENOTFOUND),
                  "step %llu: del of a%s %u-byte key: %s", ULL(step),
                  e->present ? " present" : "n absent", e->klen, err_name(rc)))
        break;
      if (e->present) {
        dels++;
        count--;
        e->present = 0;
        free(e->bytes);
        e->bytes = NULL;
      }
    } else if (r < 98) { /* the length */
      CHECK_EQ(backing_map_len(s, m), count);
    } else {
      backing_gc_cycle(s);
      cycles++;
    }
    if (step % 500 == 0) {
      CHECK_STORE(s);
      CHECK_MAP(s, m);
      CHECKF(backing_map_len(s, m) == count, "step %llu: map_len %llu, model %llu", ULL(step),
             ULL(backing_map_len(s, m)), ULL(count));
      memset(&ms, 0, sizeof ms);
      if (CHECK_OK(backing_map_stat(s, m, &ms))) {
        CHECKF(ms.entries == count && ms.segments >= 1 && ms.slots >= ms.entries && ms.depth < 40 &&
                   ms.bytes > 0,
               "step %llu: stat entries %llu segments %llu slots %llu depth %u bytes %llu (model "
               "%llu keys)",
               ULL(step), ULL(ms.entries), ULL(ms.segments), ULL(ms.slots), ms.depth, ULL(ms.bytes),
               ULL(count));
      }
    }
  }
  test_note("%llu steps: %llu puts (%llu overwrites), %llu gets (%llu misses), %llu deletes, %llu "
            "cycles, %llu keys at the end",
            ULL(step) - 1, ULL(puts), ULL(overwrites), ULL(gets), ULL(misses), ULL(dels),
            ULL(cycles), ULL(count));
  /* the whole map, exactly: every model key once with its value, nothing else */
  seen = (unsigned char *)calloc(CTM_KEYS, 1);
  memset(&cur, 0, sizeof cur);
  n = 0;
  for (;;) {
    const void *k;
    uint64_t kl;
    long idx;
    rc = backing_map_next(s, m, &cur, &k, &kl, &got);
    if (rc != 1) break;
    n++;
    idx = ctm_find(&ix, pool, k, kl, -1);
    if (!CHECKF(idx >= 0, "iteration returned a %llu-byte key the model never had", ULL(kl)))
      continue;
    CHECKF(pool[idx].present, "iteration returned deleted key %ld", idx);
    CHECKF(seen[idx] == 0, "iteration returned key %ld twice", idx);
    seen[idx] = 1;
    if (pool[idx].present)
      CHECKF(ct_value_eq(&got, &pool[idx].v, why, sizeof why), "iteration: key %ld: %s", idx, why);
    if (n > (long)CTM_KEYS * 2) break;
  }
  CHECKF(rc == 0, "map_next ended with %s", err_name(rc));
  CHECKF((uint64_t)n == count, "iteration returned %ld entries, the model has %llu", n, ULL(count));
  for (i = 0; i < CTM_KEYS; i++)
    if (pool[i].present && !seen[i]) {
      CHECKF(0, "iteration missed key %u (%u bytes)", i, pool[i].klen);
      break;
    }
  CHECK_OK(backing_root_del(s, "model"));
  CHECK_OK(backing_map_free(s, m));
  for (i = 0; i < CTM_ADDRS; i++) CHECK_EQ(backing_str_len(s, addrs[i]), 10); /* not owned */
  backing_gc_cycle(s);
  backing_gc_cycle(s);
  CHECK_STORE(s);
out:
  for (i = 0; i < CTM_KEYS; i++) {
    free((void *)pool[i].key);
    free(pool[i].bytes);
  }
  free(ix.slot);
  free(seen);
  free(vbuf);
  CLOSE(s);
}

/* ---- map: key limits ---------------------------------------------------------------------- */

TEST(cont_map_key_limits) {
  backing *s = OPEN_MEMORY(16 * MIB, 0);
  unsigned char *key = (unsigned char *)malloc(65538), *big = NULL;
  backing_value v, got;
  backing_map_cursor cur;
  backing_addr m;
  const void *k;
  uint64_t kl, mb;
  int rc, n = 0, seen_long = 0;
  if (!s || !key) return;
  mb = stat_of(s).max_block;
  fill_pattern(key, 65537, 65536);
  m = ct_root_map(s, "limits", 0);
  if (!m) goto out;
  v = ct_i64(65536);
  rc = backing_map_put(s, m, key, 65536, &v);
  CHECKF(rc == 0, "put with a key of exactly BACKING_MAP_KEY_MAX (65536) bytes: %s", err_name(rc));
  v = ct_i64(65535);
  CHECK_OK(backing_map_put(s, m, key, 65535, &v)); /* a prefix: another key */
  big = (unsigned char *)malloc(100001);
  if (!CHECK(big != NULL)) goto out;
  fill_pattern(big, 100000, 5);
  v = ct_bytes(big, 100000);
  CHECK_OK(backing_map_put(s, m, key + 1, 65536, &v)); /* long key and a long value */
  EXPECT_RC(backing_map_put(s, m, key, 65537, &v), BACKING_ETOOBIG);
  EXPECT_RC(backing_map_put(s, m, key, (uint64_t)1 << 33, &v), BACKING_ETOOBIG);
  prime_error(0);
  rc = backing_map_get(s, m, key, 65537, &got);
  CHECKF(rc == BACKING_ENOTFOUND || rc == BACKING_ETOOBIG, "get with a 65537-byte key: %s",
         err_name(rc));
  CHECK_EQ(backing_map_len(s, m), 3);
  memset(&got, 0, sizeof got);
  CHECK_OK(backing_map_get(s, m, key, 65536, &got));
  CHECK(got.kind == BACKING_VALUE_I64 && got.i64 == 65536);
  CHECK_OK(backing_map_get(s, m, key, 65535, &got));
  CHECK(got.kind == BACKING_VALUE_I64 && got.i64 == 65535);
  CHECK_OK(backing_map_get(s, m, key + 1, 65536, &got));
  CHECK(got.kind == BACKING_VALUE_BYTES && got.len == 100000 &&
        find_pattern_mismatch(got.data, 100000, 5) < 0);
  memset(&cur, 0, sizeof cur);
  while ((rc = backing_map_next(s, m, &cur, &k, &kl, &got)) == 1 && n < 10) {
    n++;
    if (kl == 65536 && memcmp(k, key, 65536) == 0) seen_long++;
  }
  CHECK_EQ(rc, 0);
  CHECK_EQ(n, 3);
  CHECK_EQ(seen_long, 1);
  /* key and value that cannot fit one block: ETOOBIG, nothing changes */
  free(big);
  big = (unsigned char *)malloc((size_t)mb + 1);
  if (!CHECK(big != NULL)) goto out;
  memset(big, 7, (size_t)mb);
  v = ct_bytes(big, mb);
  EXPECT_RC(backing_map_put(s, m, "x", 1, &v), BACKING_ETOOBIG);
  v = ct_bytes(big, mb - 100);
  EXPECT_RC(backing_map_put(s, m, key, 65536, &v), BACKING_ETOOBIG);
  CHECK_OK(backing_map_get(s, m, key, 65536, &got));
  CHECK(got.kind == BACKING_VALUE_I64 && got.i64 == 65536);
  CHECK_EQ(backing_map_len(s, m), 3);
  CHECK_OK(backing_map_del(s, m, key, 65536));
  EXPECT_RC(backing_map_get(s, m, key, 65536, &got), BACKING_ENOTFOUND);
  EXPECT_RC(backing_map_del(s, m, key, 65536), BACKING_ENOTFOUND);
  CHECK_EQ(backing_map_len(s, m), 2);
  CHECK_MAP(s, m);
  CHECK_STORE(s);
out:
  free(big);
  free(key);
  CLOSE(s);
}

/* ---- map: iteration while the table grows -------------------------------------------------- */

static int ct_parse_key(const void *k, uint64_t kl, const char *prefix, uint32_t *idx) {
  char tmp[64];
  size_t pl = strlen(prefix);
  unsigned long v;
  char *end;
  if (kl >= sizeof tmp || kl <= pl || memcmp(k, prefix, pl) != 0) return 0;
  memcpy(tmp, k, (size_t)kl);
  tmp[kl] = 0;
  v = strtoul(tmp + pl, &end, 10);
  if (*end) return 0;
  *idx = (uint32_t)v;
  return 1;
}

TEST(cont_map_iterate_while_growing) {
  backing *s = OPEN_MEMORY(1 * MIB, 0);
  enum { N0 = 3000 };
  static unsigned char seen[N0];
  unsigned char *nseen = NULL;
  backing_addr m;
  backing_map_cursor cur;
  backing_map_stats st0, st1;
  backing_value v, got;
  const void *k;
  uint64_t kl, steps = 0, added = 0, deleted = 0, n;
  uint32_t i, idx, missing = 0, twice = 0, first_bad = 0;
  char key[64];
  int rc;
  if (!s) return;
  m = ct_root_map(s, "iter", 0);
  if (!m) goto out;
  for (i = 0; i < N0; i++) {
    v = ct_i64((int64_t)i);
    snprintf(key, sizeof key, "orig-%u", i);
    if (!CHECK_OK(backing_map_put(s, m, key, strlen(key), &v))) goto out;
  }
  memset(&st0, 0, sizeof st0);
  CHECK_OK(backing_map_stat(s, m, &st0));
  memset(&cur, 0, sizeof cur);
  while ((rc = backing_map_next(s, m, &cur, &k, &kl, &got)) == 1 && steps < 200000) {
    int j;
    steps++;
    if (ct_parse_key(k, kl, "orig-", &idx) && idx < N0) {
      CHECKF(got.kind == BACKING_VALUE_I64 && got.i64 == (int64_t)idx,
             "iteration: orig-%u has the wrong value", idx);
      seen[idx]++;
    } else if (!ct_parse_key(k, kl, "new-", &idx)) {
      CHECKF(0, "iteration returned a key never put (%llu bytes)", ULL(kl));
    }
    for (j = 0; j < 3; j++) { /* three new keys per entry: the table grows several times */
      v = ct_i64(-(int64_t)added);
      snprintf(key, sizeof key, "new-%llu", ULL(added++));
      if (!CHECK_OK(backing_map_put(s, m, key, strlen(key), &v))) goto out;
    }
    if (steps % 2 == 0) { /* and an older new key goes */
      snprintf(key, sizeof key, "new-%llu", ULL(deleted));
      deleted += 3;
      CHECK_OK(backing_map_del(s, m, key, strlen(key)));
    }
  }
  CHECKF(rc == 0, "map_next: %s after %llu entries", err_name(rc), ULL(steps));
  for (i = 0; i < N0; i++) {
    if (seen[i] != 1 && !first_bad) first_bad = i + 1;
    missing += seen[i] == 0;
    twice += seen[i] > 1;
  }
  CHECKF(missing == 0 && twice == 0,
         "of %d keys present for the whole iteration, %u were not returned and %u were returned "
         "more than once (first: orig-%u, seen %u times)",
         N0, missing, twice, first_bad ? first_bad - 1 : 0, first_bad ? seen[first_bad - 1] : 0);
  memset(&st1, 0, sizeof st1);
  CHECK_OK(backing_map_stat(s, m, &st1));
  CHECKF(st1.segments > st0.segments,
         "the table did not grow during the iteration (%llu -> %llu segments)", ULL(st0.segments),
         ULL(st1.segments));
  test_note("%llu entries returned while %llu keys were added and %llu deleted; segments %llu -> "
            "%llu, depth %u -> %u",
            ULL(steps), ULL(added), ULL(deleted / 3), ULL(st0.segments), ULL(st1.segments),
            st0.depth, st1.depth);
  CHECK_MAP(s, m);
  CHECK_STORE(s);
  /* a quiet iteration returns exactly map_len keys, each once */
  n = backing_map_len(s, m);
  nseen = (unsigned char *)calloc((size_t)added + 1, 1);
  memset(seen, 0, sizeof seen);
  memset(&cur, 0, sizeof cur);
  steps = 0;
  while ((rc = backing_map_next(s, m, &cur, &k, &kl, &got)) == 1 && steps < 10 * n + 10) {
    steps++;
    if (ct_parse_key(k, kl, "orig-", &idx) && idx < N0)
      seen[idx]++;
    else if (ct_parse_key(k, kl, "new-", &idx) && idx < added && nseen)
      nseen[idx]++;
  }
  CHECK_EQ(rc, 0);
  CHECK_EQ(steps, n);
  for (i = 0, twice = 0; i < N0; i++) twice += seen[i] != 1;
  for (i = 0; nseen && i < added; i++) twice += nseen[i] > 1;
  CHECKF(twice == 0, "a quiet iteration returned %u keys a wrong number of times", twice);
out:
  free(nseen);
  CLOSE(s);
}

/* ---- map: persistence ---------------------------------------------------------------------- */

#define CTP_N 5000u
/* The value of key i: stage 0 as first written; stage 1 after the reopen's changes
   (i % 10 == 0 deleted, i % 10 == 1 now I64 -i). Returns 0 when the key is absent. */
static int ctp_expect(uint32_t i, int stage, backing_addr str, backing_value *v,
                      unsigned char *buf) {
  if (stage >= 1 && i % 10 == 0) return 0;
  if (stage >= 1 && i % 10 == 1) {
    *v = ct_i64(-(int64_t)i);
    return 1;
  }
  switch (i % 4) {
  case 0: {
    uint32_t len = ct_vlen(i, 0);
    ct_vfill(buf, i, 0, len);
    *v = ct_bytes(buf, len);
    break;
  }
  case 1:
    *v = ct_i64((int64_t)i * 1000003);
    break;
  case 2:
    *v = ct_f64((double)i / 7.0);
    break;
  default:
    *v = ct_addrv(str);
    break;
  }
  return 1;
}
static void ctp_key(char *buf, size_t n, uint32_t i, uint64_t *kl) {
  snprintf(buf, n, "persist/%u/%.*s", i, (int)(i % 37), "abcdefghijklmnopqrstuvwxyz0123456789!");
  *kl = strlen(buf);
}
/* Every key against the stage; returns the number of wrong ones (first one described). */
static uint32_t ctp_verify(backing *s, backing_addr m, int stage, backing_addr str, char *why,
                           size_t wn) {
  uint32_t i, bad = 0;
  unsigned char buf[300];
  for (i = 0; i < CTP_N; i++) {
    char key[80], w2[160];
    uint64_t kl;
    backing_value want, got;
    int present = ctp_expect(i, stage, str, &want, buf), rc;
    ctp_key(key, sizeof key, i, &kl);
    memset(&got, 0, sizeof got);
    rc = backing_map_get(s, m, key, kl, &got);
    if (!present ? rc != BACKING_ENOTFOUND : rc != 0 || !ct_value_eq(&got, &want, w2, sizeof w2)) {
      if (!bad++)
        snprintf(why, wn, "key %u (stage %d): get %s%s%s", i, stage, err_name(rc), rc ? "" : ", ",
                 rc ? "" : w2);
    }
  }
  return bad;
}

CHILD(cont_map_child) {
  backing_config c;
  backing *s = NULL;
  backing_addr m, str;
  char why[240] = "";
  uint32_t bad, i;
  int rc;
  if (argc < 1) return 2;
  c = mmap_cfg(argv[0], "pm", 0);
  rc = backing_open(&s, &c);
  if (rc) {
    printf("child: open: %s\n", err_name(rc));
    return 3;
  }
  m = backing_root_get(s, "map");
  str = backing_root_get(s, "str");
  bad = ctp_verify(s, m, 1, str, why, sizeof why);
  if (bad) printf("child: %u keys wrong; first: %s\n", bad, why);
  if (backing_map_len(s, m) != CTP_N - CTP_N / 10) {
    printf("child: map_len %llu\n", ULL(backing_map_len(s, m)));
    bad++;
  }
  if (backing_check(s) != 0) {
    printf("child: backing_check: %s\n", backing_check_detail(s));
    bad++;
  }
  for (i = 0; i < 100; i++) {
    char key[32];
    backing_value v = ct_i64(i + 1);
    snprintf(key, sizeof key, "child-%u", i);
    if (backing_map_put(s, m, key, strlen(key), &v) != 0) bad++;
  }
  fflush(stdout);
  if (backing_close(s) != 0) bad++;
  return bad ? 1 : 0;
}

TEST(cont_map_persist_reopen_and_fresh_process) {
  char dir[512], why[240] = "";
  backing_config c = mmap_cfg(test_path(dir, sizeof dir, "pm"), "pm", 1 * MIB);
  backing *s = OPEN(&c);
  backing_addr m, str, vec;
  unsigned char buf[300];
  uint32_t i, bad;
  int st;
  if (!s) return;
  str = backing_str_new(s, "shared string", 13);
  vec = backing_vec_new(s, 4, 0);
  m = ct_root_map(s, "map", 100);
  if (!CHECK(str && vec && m)) goto out;
  CHECK_OK(backing_root_set(s, "str", str));
  CHECK_OK(backing_root_set(s, "vec", vec));
  for (i = 0; i < 1000; i++) CHECK_OK(backing_vec_push(s, vec, &i));
  for (i = 0; i < CTP_N; i++) {
    char key[80];
    uint64_t kl;
    backing_value v;
    ctp_key(key, sizeof key, i, &kl);
    ctp_expect(i, 0, str, &v, buf);
    if (!CHECK_OK(backing_map_put(s, m, key, kl, &v))) goto out;
  }
  CLOSE(s);
  /* reopen: everything is there */
  c.arena_size = 0;
  s = OPEN(&c);
  if (!s) return;
  CHECK_EQ(backing_root_get(s, "map"), m);
  bad = ctp_verify(s, m, 0, str, why, sizeof why);
  CHECKF(bad == 0, "after reopen, %u keys wrong; first: %s", bad, why);
  CHECK_EQ(backing_map_len(s, m), CTP_N);
  CHECK_EQ(ct_count_entries(s, m), (long)CTP_N);
  CHECK_EQ(backing_vec_len(s, vec), 1000);
  CHECK(backing_vec_at(s, vec, 999) && *(uint32_t *)backing_vec_at(s, vec, 999) == 999);
  CHECK(backing_str_data(s, str) && memcmp(backing_str_data(s, str), "shared string", 14) == 0);
  CHECK_STORE(s);
  /* change it, close, and let a fresh process read it all and add to it */
  for (i = 0; i < CTP_N; i++) {
    char key[80];
    uint64_t kl;
    backing_value v;
    ctp_key(key, sizeof key, i, &kl);
    if (i % 10 == 0) CHECK_OK(backing_map_del(s, m, key, kl));
    if (i % 10 == 1) {
      v = ct_i64(-(int64_t)i);
      CHECK_OK(backing_map_put(s, m, key, kl, &v));
    }
  }
  CLOSE(s);
  st = test_spawn_child("cont_map_child", dir, NULL);
  CHECKF(exited_ok(st), "the fresh process: %s", status_str(st));
  s = OPEN(&c);
  if (!s) return;
  m = backing_root_get(s, "map");
  bad = ctp_verify(s, m, 1, str, why, sizeof why);
  CHECKF(bad == 0, "after the child, %u keys wrong; first: %s", bad, why);
  CHECK_EQ(backing_map_len(s, m), CTP_N - CTP_N / 10 + 100);
  for (i = 0; i < 100; i++) {
    char key[32];
    backing_value got;
    snprintf(key, sizeof key, "child-%u", i);
    memset(&got, 0, sizeof got);
    if (!CHECKF(backing_map_get(s, m, key, strlen(key), &got) == 0 &&
                    got.kind == BACKING_VALUE_I64 && got.i64 == (int64_t)i + 1,
                "the child's key %s", key))
      break;
  }
  CHECK_MAP(s, m);
  CHECK_STORE(s);
out:
  CLOSE(s);
}

/* ---- map: four processes at once ----------------------------------------------------------- */

#define CTW_N 4
#define CTW_D 1500u /* disjoint keys per writer */
#define CTW_O 400u  /* keys every writer writes */
#define CTW_ROUNDS 6u
#define CTW_FINAL 1000u
struct ctw_ctl {
  int ready, go;
  uint32_t checks, check_fail;
  char check_detail[200];
  uint32_t errors[CTW_N];
  char err[CTW_N][200];
};
static uint64_t ctw_tag(uint32_t kind, uint32_t w, uint32_t i) {
  return (uint64_t)kind << 48 | (uint64_t)w << 32 | i;
}
static void ctw_key(char *buf, size_t n, uint32_t kind, uint32_t w, uint32_t i, uint64_t *kl) {
  if (kind == 1)
    snprintf(buf, n, "d%u-%u", w, i);
  else
    snprintf(buf, n, "o-%u", i);
  *kl = strlen(buf);
}
static int ctw_put(backing *s, backing_addr m, uint32_t kind, uint32_t w, uint32_t i,
                   uint32_t ver) {
  unsigned char buf[300];
  char key[32];
  uint64_t kl, tag = ctw_tag(kind, w, i);
  uint32_t len = ct_vlen(tag, ver);
  backing_value v;
  ctw_key(key, sizeof key, kind, w, i, &kl);
  ct_vfill(buf, tag, ver, len);
  v = ct_bytes(buf, len);
  return backing_map_put(s, m, key, kl, &v);
}

static int ctw_writer(const char *dir, uint32_t w, struct ctw_ctl *ctl) {
  backing_config c = mmap_cfg(dir, "mw", 0);
  backing *s = NULL;
  backing_addr m;
  uint32_t r, i, ops = 0;
  char *err = ctl->err[w];
  int rc = backing_open(&s, &c);
  if (rc) {
    snprintf(err, 200, "open: %s", err_name(rc));
    return 2;
  }
  m = backing_root_get(s, "m");
  __atomic_add_fetch(&ctl->ready, 1, __ATOMIC_SEQ_CST);
  while (!__atomic_load_n(&ctl->go, __ATOMIC_SEQ_CST)) sleep_ns(100000);
  for (r = 0; r < CTW_ROUNDS; r++) {
    for (i = 0; i < CTW_D; i++) {
      uint32_t o = (i * 7 + w * 101) % CTW_O;
      rc = ctw_put(s, m, 1, w, i, r);
      if (rc) {
        snprintf(err, 200, "put d%u-%u round %u: %s", w, i, r, err_name(rc));
        return 1;
      }
      if (i % 4 == 0) { /* the shared keys, interleaved; their last write is CTW_FINAL */
        rc = ctw_put(s, m, 2, w, o, r);
        if (rc) {
          snprintf(err, 200, "put o-%u round %u: %s", o, r, err_name(rc));
          return 1;
        }
      }
      if (i % 13 == 0 && r == 1) { /* deletes of shared keys race with the others' puts */
        rc = backing_map_del(s, m, "o-0", 3);
        if (rc != 0 && rc != BACKING_ENOTFOUND) {
          snprintf(err, 200, "del o-0: %s", err_name(rc));
          return 1;
        }
      }
      if (w == 0 && ++ops % 500 == 0) backing_gc_cycle(s);
      if (w == 1 && i % 700 == 0) { /* a full check while the others write */
        rc = backing_check(s);
        if (rc && !ctl->check_fail++)
          snprintf(ctl->check_detail, sizeof ctl->check_detail, "%s", backing_check_detail(s));
        ctl->checks++;
      }
    }
    for (i = 0; i < CTW_D; i++) { /* my keys are mine: they read back exactly */
      char key[32];
      uint64_t kl;
      uint32_t ver = 99;
      backing_value got;
      const char *why;
      ctw_key(key, sizeof key, 1, w, i, &kl);
      memset(&got, 0, sizeof got);
      rc = backing_map_get(s, m, key, kl, &got);
      why = rc ? err_name(rc)
            : got.kind != BACKING_VALUE_BYTES
                ? "not BYTES"
                : ct_vcheck(got.data, got.len, ctw_tag(1, w, i), &ver);
      if (why || ver != r) {
        snprintf(err, 200, "round %u: own key %s: %s (version %u)", r, key, why ? why : "old", ver);
        return 1;
      }
    }
  }
  for (i = 0; i < CTW_D; i += 5) { /* every fifth of mine goes */
    char key[32];
    uint64_t kl;
    ctw_key(key, sizeof key, 1, w, i, &kl);
    rc = backing_map_del(s, m, key, kl);
    if (rc) {
      snprintf(err, 200, "del %s: %s", key, err_name(rc));
      return 1;
    }
  }
  for (i = 0; i < CTW_O; i++) {
    rc = ctw_put(s, m, 2, w, i, CTW_FINAL);
    if (rc) {
      snprintf(err, 200, "final put o-%u: %s", i, err_name(rc));
      return 1;
    }
  }
  rc = backing_close(s);
  if (rc) snprintf(err, 200, "close: %s", err_name(rc));
  return rc ? 1 : 0;
}

TEST(cont_map_four_processes) {
  char dir[512];
  backing_config c = mmap_cfg(test_path(dir, sizeof dir, "mw"), "mw", 1 * MIB);
  struct ctw_ctl *ctl = (struct ctw_ctl *)sh_shared_mem(sizeof *ctl);
  backing *s;
  backing_addr m;
  pid_t pid[CTW_N], self = getpid();
  uint32_t w, i, bad = 0, started = 0;
  uint64_t t0, want_len = CTW_N * (CTW_D - CTW_D / 5) + CTW_O;
  char why[200] = "";
  long n;
  if (!CHECK(ctl != NULL)) return;
  s = OPEN(&c);
  if (!s) return;
  m = ct_root_map(s, "m", 0);
  CLOSE(s);
  if (!m) return;
  fflush(stdout);
  for (w = 0; w < CTW_N; w++) {
    pid[w] = fork();
    if (pid[w] == 0) {
      die_with_parent(self);
      _exit(ctw_writer(dir, w, ctl));
    }
    started += pid[w] > 0;
  }
  t0 = now_ns();
  while (__atomic_load_n(&ctl->ready, __ATOMIC_SEQ_CST) < (int)started &&
         now_ns() - t0 < 10000000000ull)
    sleep_ns(1000000);
  __atomic_store_n(&ctl->go, 1, __ATOMIC_SEQ_CST);
  for (w = 0; w < CTW_N; w++) {
    int st = pid[w] > 0 ? wait_pid(pid[w]) : -1;
    CHECKF(exited_ok(st), "writer %u: %s; %s", w, status_str(st), ctl->err[w]);
  }
  test_note("4 writers done in %.2f s", (double)(now_ns() - t0) / 1e9);
  CHECKF(ctl->check_fail == 0,
         "backing_check while the other 3 writers worked failed %u of %u times: %s",
         ctl->check_fail, ctl->checks, ctl->check_detail);
  c.arena_size = 0;
  s = OPEN(&c);
  if (!s) goto done;
  CHECK_STORE(s);
  CHECK_MAP(s, m);
  CHECKF(backing_map_len(s, m) == want_len, "map_len %llu, want %llu", ULL(backing_map_len(s, m)),
         ULL(want_len));
  for (w = 0; w < CTW_N; w++) {
    for (i = 0; i < CTW_D; i++) {
      char key[32];
      uint64_t kl;
      uint32_t ver = 99;
      backing_value got;
      const char *e;
      int rc;
      ctw_key(key, sizeof key, 1, w, i, &kl);
      memset(&got, 0, sizeof got);
      rc = backing_map_get(s, m, key, kl, &got);
      if (i % 5 == 0)
        e = rc == BACKING_ENOTFOUND ? NULL : "a deleted key is present";
      else
        e = rc ? err_name(rc)
            : got.kind != BACKING_VALUE_BYTES
                ? "not BYTES"
                : ct_vcheck(got.data, got.len, ctw_tag(1, w, i), &ver);
      if (!e && i % 5 && ver != CTW_ROUNDS - 1) e = "not the last round's value";
      if (e && !bad++) snprintf(why, sizeof why, "%s: %s", key, e);
    }
  }
  for (i = 0; i < CTW_O; i++) {
    char key[32];
    uint64_t kl;
    uint32_t ver = 99, ww;
    backing_value got;
    const char *e = "no writer's final value";
    ctw_key(key, sizeof key, 2, 0, i, &kl);
    memset(&got, 0, sizeof got);
    if (backing_map_get(s, m, key, kl, &got) == 0 && got.kind == BACKING_VALUE_BYTES)
      for (ww = 0; ww < CTW_N && e; ww++)
        if (!ct_vcheck(got.data, got.len, ctw_tag(2, ww, i), &ver) && ver == CTW_FINAL) e = NULL;
    if (e && !bad++) snprintf(why, sizeof why, "%s: %s", key, e);
  }
  CHECKF(bad == 0, "%u keys wrong after 4 writers; first: %s", bad, why);
  n = ct_count_entries(s, m);
  CHECKF(n == (long)want_len, "iteration returned %ld entries, want %llu", n, ULL(want_len));
  CLOSE(s);
done:
  munmap(ctl, sizeof *ctl);
}

/* ---- map: a read-only reader while another process writes ---------------------------------- */

#define CTR_KEYS 4000u
struct ctr_ctl {
  int ready, stop;
  uint64_t cycles; /* gc cycles the writer has started */
  uint64_t ops;
  uint32_t limit; /* keys in use so far (grows: splits happen under the reader) */
  char err[200];
};
static void ctr_key(char *buf, size_t n, uint32_t i, uint64_t *kl) {
  snprintf(buf, n, "r/%u/%.*s", i, (int)(i % 23), "....................................");
  *kl = strlen(buf);
}
static int ctr_writer(const char *dir, struct ctr_ctl *ctl) {
  backing_config c = mmap_cfg(dir, "rd", 0);
  backing *s = NULL;
  backing_addr m;
  uint64_t rng = 0x77aa;
  static uint32_t ver[CTR_KEYS];
  unsigned char buf[300];
  int rc = backing_open(&s, &c);
  if (rc) {
    snprintf(ctl->err, 200, "open: %s", err_name(rc));
    return 2;
  }
  backing_gc_set_lifetime(s, 3);
  m = backing_root_get(s, "m");
  ctl->limit = 500;
  for (;;) {
    uint32_t i = (uint32_t)rng_below(&rng, ctl->limit), r = (uint32_t)rng_below(&rng, 100);
    char key[64];
    uint64_t kl;
    backing_value v;
    if (__atomic_load_n(&ctl->stop, __ATOMIC_SEQ_CST)) break;
    ctr_key(key, sizeof key, i, &kl);
    if (r < 60) {
      uint32_t len;
      ver[i]++;
      len = ct_vlen(i, ver[i]);
      ct_vfill(buf, i, ver[i], len);
      v = ct_bytes(buf, len);
    } else if (r < 80) {
      v = ct_i64((int64_t)((uint64_t)i << 32 | ++ver[i]));
    } else {
      v = ct_i64(0);
    }
    rc = r < 80 ? backing_map_put(s, m, key, kl, &v) : backing_map_del(s, m, key, kl);
    if (rc && !(r >= 80 && rc == BACKING_ENOTFOUND)) {
      snprintf(ctl->err, 200, "writer: %s of key %u: %s", r < 80 ? "put" : "del", i, err_name(rc));
      return 1;
    }
    if (++ctl->ops % 128 == 0) {
      __atomic_add_fetch(&ctl->cycles, 1, __ATOMIC_SEQ_CST);
      backing_gc_cycle(s);
    }
    if (ctl->ops == 3000) __atomic_store_n(&ctl->ready, 1, __ATOMIC_SEQ_CST);
    if (ctl->ops % 20 == 0 && ctl->limit < CTR_KEYS) ctl->limit++;
  }
  rc = backing_close(s);
  return rc ? 3 : 0;
}

/* The index of a key ctr_key made, or -1. */
static long ctr_parse(const void *k, uint64_t kl) {
  char tmp[64], want[64];
  uint64_t wl;
  long i;
  if (kl >= sizeof tmp || kl < 3 || memcmp(k, "r/", 2) != 0) return -1;
  memcpy(tmp, k, (size_t)kl);
  tmp[kl] = 0;
  i = strtol(tmp + 2, NULL, 10);
  if (i < 0 || i >= (long)CTR_KEYS) return -1;
  ctr_key(want, sizeof want, (uint32_t)i, &wl);
  return wl == kl && memcmp(want, tmp, (size_t)kl) == 0 ? i : -1;
}

/* Is a value the reader got a whole value of key i? NULL if so. */
static const char *ctr_judge(const backing_value *v, uint32_t i) {
  if (v->kind == BACKING_VALUE_BYTES) return ct_vcheck(v->data, v->len, i, NULL);
  if (v->kind == BACKING_VALUE_I64)
    return (uint64_t)v->i64 >> 32 == i ? NULL : "an I64 of another key (or torn)";
  return "a kind the writer never wrote";
}

TEST(cont_map_rdonly_reader_during_writes) {
  char dir[512];
  backing_config c = mmap_cfg(test_path(dir, sizeof dir, "rd"), "rd", 256 * KIB);
  struct ctr_ctl *ctl = (struct ctr_ctl *)sh_shared_mem(sizeof *ctl);
  backing *s, *r = NULL;
  backing_addr m;
  pid_t pid, self = getpid();
  uint64_t rng = seed_from_env(0x4ead) | 1, t0, gets = 0, found = 0, skipped = 0, iters = 0;
  uint64_t wrong = 0, it_entries = 0, checks = 0, check_fail = 0;
  char why[240] = "", check_why[240] = "";
  int rc, st;
  if (!CHECK(ctl != NULL)) return;
  s = OPEN(&c);
  if (!s) return;
  m = ct_root_map(s, "m", 0);
  CLOSE(s);
  if (!m) return;
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    die_with_parent(self);
    _exit(ctr_writer(dir, ctl));
  }
  t0 = now_ns();
  while (!__atomic_load_n(&ctl->ready, __ATOMIC_SEQ_CST) && now_ns() - t0 < 10000000000ull)
    sleep_ns(1000000);
  c.arena_size = 0;
  c.flags = BACKING_RDONLY;
  rc = backing_open(&r, &c);
  if (!CHECKF(rc == 0, "read-only open beside a writer: %s", err_name(rc))) goto stop;
  t0 = now_ns();
  while (now_ns() - t0 < 2500000000ull && !wrong) {
    uint32_t i = (uint32_t)rng_below(&rng, CTR_KEYS);
    char key[64];
    uint64_t kl, c0, c1;
    backing_value got;
    const char *e = NULL;
    if (rng_below(&rng, 2000) == 0) { /* now and then the whole map, through a cursor */
      backing_map_cursor cur;
      const void *k;
      memset(&cur, 0, sizeof cur);
      iters++;
      for (;;) {
        long idx;
        c0 = __atomic_load_n(&ctl->cycles, __ATOMIC_SEQ_CST);
        rc = backing_map_next(r, m, &cur, &k, &kl, &got);
        if (rc != 1) break;
        it_entries++;
        idx = ctr_parse(k, kl);
        e = idx < 0 ? "a key the writer never wrote" : ctr_judge(&got, (uint32_t)idx);
        c1 = __atomic_load_n(&ctl->cycles, __ATOMIC_SEQ_CST);
        if (e && c1 - c0 >= 2) {
          skipped++;
          e = NULL;
        }
        if (e) break;
      }
      if (!e && rc != 0) e = err_name(rc);
      if (e) {
        wrong++;
        snprintf(why, sizeof why, "iteration: %s", e);
      }
      continue;
    }
    if (gets % 5000 == 4999) { /* map_check through the read-only handle, during writes */
      int crc = backing_map_check(r, m);
      checks++;
      if (crc && !check_fail++)
        snprintf(check_why, sizeof check_why, "%s: %s", err_name(crc), backing_check_detail(r));
    }
    ctr_key(key, sizeof key, i, &kl);
    memset(&got, 0, sizeof got);
    c0 = __atomic_load_n(&ctl->cycles, __ATOMIC_SEQ_CST);
    rc = backing_map_get(r, m, key, kl, &got);
    gets++;
    if (rc == 0) {
      found++;
      e = ctr_judge(&got, i);
    } else if (rc != BACKING_ENOTFOUND) {
      e = err_name(rc);
    }
    c1 = __atomic_load_n(&ctl->cycles, __ATOMIC_SEQ_CST);
    if (e && rc == 0 && c1 - c0 >= 2) { /* the view may have been reaped meanwhile */
      skipped++;
      continue;
    }
    if (e) {
      wrong++;
      snprintf(why, sizeof why, "get of key %u: %s", i, e);
    }
  }
  CHECKF(wrong == 0, "the read-only reader saw a wrong value: %s", why);
  CHECKF(check_fail == 0,
         "backing_map_check through the read-only handle failed %llu of %llu times while the "
         "writer worked: %s",
         ULL(check_fail), ULL(checks), check_why);
  CHECKF(gets > 1000 && found > 100, "only %llu gets (%llu found)", ULL(gets), ULL(found));
  CHECKF(ctl->ops > 3000, "the writer made only %llu operations", ULL(ctl->ops));
  test_note("%llu gets (%llu found), %llu iterations (%llu entries), %llu judged unsafe to check "
            "(>= 2 gc cycles meanwhile); writer %llu ops, %llu cycles, %u keys",
            ULL(gets), ULL(found), ULL(iters), ULL(it_entries), ULL(skipped), ULL(ctl->ops),
            ULL(ctl->cycles), ctl->limit);
  {
    backing_value v = ct_i64(1);
    EXPECT_RC(backing_map_put(r, m, "r/1/.", 5, &v), BACKING_ERDONLY);
    EXPECT_RC(backing_map_del(r, m, "r/1/.", 5), BACKING_ERDONLY);
  }
stop:
  __atomic_store_n(&ctl->stop, 1, __ATOMIC_SEQ_CST);
  st = wait_pid(pid);
  CHECKF(exited_ok(st), "writer: %s; %s", status_str(st), ctl->err);
  if (r) {
    CHECK_MAP(r, m);
    CHECK_CLOSE(r);
  }
  munmap(ctl, sizeof *ctl);
}

/* ---- map: views, and memory coming back ---------------------------------------------------- */

TEST(cont_map_views_survive_until_gc) {
  backing *s = OPEN_MEMORY(1 * MIB, 0);
  backing_addr m, junk[200];
  unsigned char a[1000], b[1000], d[1000];
  backing_value v, g1, g2, g3;
  backing_map_cursor cur;
  const void *k, *kview = NULL;
  uint64_t kl, waiting0;
  int i, rc;
  if (!s) return;
  memset(a, 'A', sizeof a);
  memset(b, 'B', sizeof b);
  memset(d, 'D', sizeof d);
  m = ct_root_map(s, "views", 0);
  if (!m) goto out;
  v = ct_bytes(a, sizeof a);
  CHECK_OK(backing_map_put(s, m, "k", 1, &v));
  v = ct_bytes(d, sizeof d);
  CHECK_OK(backing_map_put(s, m, "gone-key", 8, &v));
  backing_gc_cycle(s);
  backing_gc_cycle(s);
  waiting0 = stat_of(s).gc_waiting;
  memset(&g1, 0, sizeof g1);
  memset(&g2, 0, sizeof g2);
  CHECK_OK(backing_map_get(s, m, "k", 1, &g1));
  CHECK_OK(backing_map_get(s, m, "gone-key", 8, &g2));
  memset(&cur, 0, sizeof cur);
  while ((rc = backing_map_next(s, m, &cur, &k, &kl, &g3)) == 1)
    if (kl == 8) kview = k;
  CHECK(kview != NULL);
  /* overwrite one, delete the other; the views keep their bytes */
  v = ct_bytes(b, sizeof b);
  CHECK_OK(backing_map_put(s, m, "k", 1, &v));
  CHECK_OK(backing_map_del(s, m, "gone-key", 8));
  for (i = 0; i < 200; i++) {
    junk[i] = backing_alloc(s, 1000);
    if (junk[i]) memset(backing_ptr(s, junk[i]), 0xee, 1000);
  }
  CHECK(g1.data && g1.len == 1000 && all_bytes_are(g1.data, 1000, 'A'));
  CHECK(g2.data && g2.len == 1000 && all_bytes_are(g2.data, 1000, 'D'));
  CHECK(kview && memcmp(kview, "gone-key", 8) == 0);
  memset(&g3, 0, sizeof g3);
  CHECK_OK(backing_map_get(s, m, "k", 1, &g3));
  CHECK(g3.data && g3.len == 1000 && all_bytes_are(g3.data, 1000, 'B'));
  EXPECT_RC(backing_map_get(s, m, "gone-key", 8, &g3), BACKING_ENOTFOUND);
  /* lifetime 2: one cycle later still there */
  backing_gc_cycle(s);
  CHECK(all_bytes_are(g1.data, 1000, 'A'));
  CHECK(all_bytes_are(g2.data, 1000, 'D'));
  CHECKF(stat_of(s).gc_waiting >= waiting0 + 2,
         "the overwritten and the deleted entry should wait for the collector (%llu waiting)",
         ULL(stat_of(s).gc_waiting));
  /* the second cycle gives them back */
  backing_gc_cycle(s);
  CHECKF(stat_of(s).gc_waiting <= waiting0, "%llu blocks still waiting after 2 cycles",
         ULL(stat_of(s).gc_waiting));
  /* a longer lifetime keeps views longer */
  CHECK_OK(backing_gc_set_lifetime(s, 5));
  memset(&g1, 0, sizeof g1);
  CHECK_OK(backing_map_get(s, m, "k", 1, &g1));
  v = ct_bytes(a, sizeof a);
  CHECK_OK(backing_map_put(s, m, "k", 1, &v));
  for (i = 0; i < 4; i++) backing_gc_cycle(s);
  CHECK(g1.data && all_bytes_are(g1.data, 1000, 'B'));
  CHECK(stat_of(s).gc_waiting > waiting0);
  backing_gc_cycle(s);
  CHECKF(stat_of(s).gc_waiting <= waiting0, "%llu blocks waiting after lifetime 5 and 5 cycles",
         ULL(stat_of(s).gc_waiting));
  CHECK_MAP(s, m);
  CHECK_STORE(s);
out:
  CLOSE(s);
}

TEST(cont_map_free_returns_memory) {
  backing *s = OPEN_MEMORY(1 * MIB, 0);
  backing_addr m, keep;
  backing_stats st0, st1;
  unsigned char buf[300];
  uint32_t i, extra = 0;
  backing_value v;
  if (!s) return;
  keep = backing_str_new(s, "kept by an ADDR value", 21);
  st0 = stat_of(s);
  m = backing_map_new(s, 0);
  if (!CHECK(m != 0 && keep != 0)) goto out;
  for (i = 0; i < 20000; i++) {
    char key[32];
    snprintf(key, sizeof key, "free-%u", i);
    if (i % 3 == 0) {
      ct_vfill(buf, i, 0, ct_vlen(i, 0));
      v = ct_bytes(buf, ct_vlen(i, 0));
    } else {
      v = i % 3 == 1 ? ct_i64(i) : ct_addrv(keep);
    }
    if (!CHECK_OK(backing_map_put(s, m, key, strlen(key), &v))) goto out;
  }
  for (i = 0; i < 20000; i += 2) { /* overwrite half, delete a quarter */
    char key[32];
    snprintf(key, sizeof key, "free-%u", i);
    if (i % 4 == 0) {
      CHECK_OK(backing_map_del(s, m, key, strlen(key)));
    } else {
      v = ct_bytes(buf, 200);
      CHECK_OK(backing_map_put(s, m, key, strlen(key), &v));
    }
  }
  CHECK_STORE(s);
  CHECK_OK(backing_map_free(s, m));
  EXPECT_KIND_RC(backing_map_free(s, m));
  EXPECT_KIND_0(backing_map_len(s, m));
  backing_gc_cycle(s); /* lifetime (2) cycles */
  backing_gc_cycle(s);
  st1 = stat_of(s);
  while ((st1.used_blocks > st0.used_blocks || st1.gc_waiting) && extra < 10) {
    backing_gc_cycle(s);
    extra++;
    st1 = stat_of(s);
  }
  CHECKF(extra == 0,
         "map_free then lifetime (2) gc cycles left memory; %u more cycles were needed to give "
         "it back",
         extra);
  CHECKF(st1.used_blocks == st0.used_blocks && st1.used_bytes <= st0.used_bytes + 1024,
         "after map_free and %u cycles: %llu blocks, %llu bytes used; before the map: %llu, %llu",
         2 + extra, ULL(st1.used_blocks), ULL(st1.used_bytes), ULL(st0.used_blocks),
         ULL(st0.used_bytes));
  CHECK_EQ(st1.gc_waiting, 0);
  /* what ADDR values named is not the map's */
  CHECK(backing_str_data(s, keep) &&
        memcmp(backing_str_data(s, keep), "kept by an ADDR value", 21) == 0);
  CHECK_STORE(s);
out:
  CLOSE(s);
}

/* ---- map: writers SIGKILLed at random -------------------------------------------------------- */

#define CTK_W 2    /* writers killed at random */
#define CTK_K 700u /* keys per writer (and for the survivor) */
struct ctk_key {
  uint32_t ver, present;   /* settled state */
  uint32_t nver, npresent; /* the change in flight */
  uint32_t inflight;
};
struct ctk_tab {
  uint32_t errors, ready;
  uint64_t ops, rng, adopted, inflight_found;
  char err[240];
  struct ctk_key k[CTK_K];
};
struct ctk_ctl {
  int stop, survivor_done;
  uint64_t kills, survivor_ops, checks, check_fail;
  char check_detail[200];
  struct ctk_tab t[CTK_W + 1]; /* the last one is the survivor's */
};

__attribute__((format(printf, 2, 3))) static void ctk_fail(struct ctk_tab *t, const char *fmt,
                                                           ...) {
  va_list ap;
  if (t->errors++ == 0) {
    va_start(ap, fmt);
    vsnprintf(t->err, sizeof t->err, fmt, ap);
    va_end(ap);
  }
}
static void ctk_key(char *buf, size_t n, uint32_t w, uint32_t i, uint64_t *kl) {
  snprintf(buf, n, "kill/%u/%u%.*s", w, i, (int)(i % 29), "#############################");
  *kl = strlen(buf);
}
static uint64_t ctk_tag(uint32_t w, uint32_t i) {
  return (uint64_t)(w + 1) << 32 | i;
}
static backing_value ctk_value(uint32_t w, uint32_t i, uint32_t ver, unsigned char *buf) {
  if (ver % 4 == 3) return ct_i64((int64_t)(ctk_tag(w, i) << 24 | ver));
  ct_vfill(buf, ctk_tag(w, i), ver, ct_vlen(ctk_tag(w, i), ver) + (ver % 8 == 5 ? 3000 : 0));
  return ct_bytes(buf, ct_vlen(ctk_tag(w, i), ver) + (ver % 8 == 5 ? 3000 : 0));
}
/* Does key (w, i) hold (present, ver) now? */
static int ctk_holds(backing *s, backing_addr m, uint32_t w, uint32_t i, uint32_t present,
                     uint32_t ver, char *why, size_t wn) {
  char key[64];
  uint64_t kl;
  backing_value got, want;
  unsigned char buf[4000];
  int rc;
  ctk_key(key, sizeof key, w, i, &kl);
  memset(&got, 0, sizeof got);
  rc = backing_map_get(s, m, key, kl, &got);
  if (!present) {
    if (rc == BACKING_ENOTFOUND) return 1;
    snprintf(why, wn, "%s: get %s, want ENOTFOUND", key, err_name(rc));
    return 0;
  }
  if (rc != 0) {
    snprintf(why, wn, "%s: get %s, want version %u", key, err_name(rc), ver);
    return 0;
  }
  want = ctk_value(w, i, ver, buf);
  if (!ct_value_eq(&got, &want, why, wn)) {
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s", why);
    snprintf(why, wn, "%s (version %u): %s", key, ver, tmp);
    return 0;
  }
  return 1;
}
/* Settles a table whose owner may have died at any instant: every settled key must hold its
   value; the key in flight holds its old or its new one. */
static void ctk_adopt(backing *s, backing_addr m, struct ctk_tab *t, uint32_t w) {
  uint32_t i;
  char why[200];
  for (i = 0; i < CTK_K; i++) {
    struct ctk_key *k = &t->k[i];
    if (k->inflight) {
      t->inflight_found++;
      if (ctk_holds(s, m, w, i, k->npresent, k->nver, why, sizeof why)) {
        k->ver = k->nver;
        k->present = k->npresent;
      } else if (!ctk_holds(s, m, w, i, k->present, k->ver, why, sizeof why)) {
        ctk_fail(t, "adopt: key %u in flight has neither its old nor its new value: %s", i, why);
      }
      __atomic_store_n(&k->inflight, 0, __ATOMIC_SEQ_CST);
    } else if (!ctk_holds(s, m, w, i, k->present, k->ver, why, sizeof why)) {
      ctk_fail(t, "adopt: settled key %u: %s", i, why);
    }
  }
  t->adopted++;
}
static int ctk_op(backing *s, backing_addr m, struct ctk_tab *t, uint32_t w) {
  uint32_t i = (uint32_t)rng_below(&t->rng, CTK_K);
  struct ctk_key *k = &t->k[i];
  unsigned char buf[4000];
  char key[64];
  uint64_t kl;
  int put = !k->present || rng_below(&t->rng, 100) < 70, rc;
  ctk_key(key, sizeof key, w, i, &kl);
  k->nver = put ? k->ver + 1 : k->ver;
  k->npresent = (uint32_t)put;
  SH_BARRIER();
  __atomic_store_n(&k->inflight, 1, __ATOMIC_SEQ_CST);
  SH_BARRIER();
  if (put) {
    backing_value v = ctk_value(w, i, k->nver, buf);
    rc = backing_map_put(s, m, key, kl, &v);
  } else {
    rc = backing_map_del(s, m, key, kl);
  }
  if (rc != 0) {
    ctk_fail(t, "%s of key %u: %s", put ? "put" : "del", i, err_name(rc));
    return -1;
  }
  k->ver = k->nver;
  k->present = k->npresent;
  SH_BARRIER();
  __atomic_store_n(&k->inflight, 0, __ATOMIC_SEQ_CST);
  t->ops++;
  if (rng_below(&t->rng, 20) == 0) { /* read one back */
    char why[200];
    uint32_t j = (uint32_t)rng_below(&t->rng, CTK_K);
    if (!ctk_holds(s, m, w, j, t->k[j].present, t->k[j].ver, why, sizeof why)) {
      ctk_fail(t, "reading back: %s", why);
      return -1;
    }
  }
  if (rng_below(&t->rng, 300) == 0) backing_gc_cycle(s);
  return 0;
}
static int ctk_worker(const char *dir, uint32_t w, struct ctk_ctl *ctl) {
  backing_config c = mmap_cfg(dir, "mk", 0);
  backing *s = NULL;
  backing_addr m;
  struct ctk_tab *t = &ctl->t[w];
  int rc = backing_open(&s, &c);
  if (rc) {
    ctk_fail(t, "open: %s", err_name(rc));
    return 2;
  }
  m = backing_root_get(s, "m");
  ctk_adopt(s, m, t, w);
  if (t->errors) return 1;
  __atomic_store_n(&t->ready, 1, __ATOMIC_SEQ_CST);
  for (;;)
    if (ctk_op(s, m, t, w) != 0) return 1;
}
static int ctk_survivor(const char *dir, struct ctk_ctl *ctl) {
  backing_config c = mmap_cfg(dir, "mk", 0);
  backing *s = NULL;
  backing_addr m;
  struct ctk_tab *t = &ctl->t[CTK_W];
  char why[200];
  uint32_t i;
  int rc = backing_open(&s, &c);
  if (rc) {
    ctk_fail(t, "open: %s", err_name(rc));
    return 2;
  }
  m = backing_root_get(s, "m");
  __atomic_store_n(&t->ready, 1, __ATOMIC_SEQ_CST);
  while (!__atomic_load_n(&ctl->stop, __ATOMIC_SEQ_CST)) {
    if (ctk_op(s, m, t, CTK_W) != 0) return 1;
    __atomic_add_fetch(&ctl->survivor_ops, 1, __ATOMIC_SEQ_CST);
    if (t->ops % 1500 == 0) {
      rc = backing_check(s);
      ctl->checks++;
      if (rc && !ctl->check_fail++)
        snprintf(ctl->check_detail, sizeof ctl->check_detail, "%s", backing_check_detail(s));
    }
  }
  for (i = 0; i < CTK_K; i++) /* every key I wrote has its value */
    if (!ctk_holds(s, m, CTK_W, i, t->k[i].present, t->k[i].ver, why, sizeof why)) {
      ctk_fail(t, "survivor at the end: %s", why);
      break;
    }
  rc = backing_map_check(s, m);
  if (rc) ctk_fail(t, "survivor: map_check: %s (%s)", err_name(rc), backing_check_detail(s));
  ctl->survivor_done = 1;
  return backing_close(s) == 0 && !t->errors ? 0 : 1;
}
static pid_t ctk_spawn(const char *dir, uint32_t w, struct ctk_ctl *ctl) {
  pid_t p, self = getpid();
  __atomic_store_n(&ctl->t[w].ready, 0, __ATOMIC_SEQ_CST);
  fflush(stdout);
  p = fork();
  if (p == 0) {
    die_with_parent(self);
    _exit(w < CTK_W ? ctk_worker(dir, w, ctl) : ctk_survivor(dir, ctl));
  }
  return p;
}

TEST(cont_map_random_kills) {
  char dir[512], why[200];
  backing_config c = mmap_cfg(test_path(dir, sizeof dir, "mk"), "mk", 256 * KIB);
  struct ctk_ctl *ctl = (struct ctk_ctl *)sh_shared_mem(sizeof *ctl);
  uint64_t seed = seed_from_env(0xdead5eed), rng = seed | 1, t0, deadline[CTK_W];
  uint64_t last_sops = 0, last_progress, spawned_at[CTK_W], hung = 0;
  pid_t pid[CTK_W], surv;
  backing *s;
  backing_addr m;
  uint32_t w, i;
  uint64_t present = 0, inflight = 0, adopted = 0, leaked;
  long n;
  int st;
  if (!CHECK(ctl != NULL)) return;
  test_note("seed 0x%llx", ULL(seed));
  s = OPEN(&c);
  if (!s) return;
  m = ct_root_map(s, "m", 0);
  CLOSE(s);
  if (!m) return;
  for (w = 0; w <= CTK_W; w++) ctl->t[w].rng = mix64(seed + w) | 1;
  surv = ctk_spawn(dir, CTK_W, ctl);
  for (w = 0; w < CTK_W; w++) {
    pid[w] = ctk_spawn(dir, w, ctl);
    deadline[w] = 0;
    spawned_at[w] = now_ns();
  }
  t0 = last_progress = now_ns();
  while (now_ns() - t0 < 7000000000ull) {
    uint64_t now = now_ns(), sops = __atomic_load_n(&ctl->survivor_ops, __ATOMIC_SEQ_CST);
    int errs = 0;
    for (w = 0; w <= CTK_W; w++) errs += ctl->t[w].errors != 0;
    if (errs) break;
    if (sops != last_sops) {
      last_sops = sops;
      last_progress = now;
    } else if (now - last_progress > 5000000000ull) {
      hung = 1;
      CHECKF(0,
             "the survivor made no progress for 5 s (a lock a killed writer held?) after %llu "
             "ops and %llu kills",
             ULL(sops), ULL(ctl->kills));
      break;
    }
    for (w = 0; w < CTK_W; w++) {
      if (!deadline[w] && __atomic_load_n(&ctl->t[w].ready, __ATOMIC_SEQ_CST))
        deadline[w] = now + rng_below(&rng, 3000000);
      if (!deadline[w] && now - spawned_at[w] > 5000000000ull) {
        hung = 1;
        CHECKF(0, "writer %u did not open and adopt within 5 s after %llu kills", w,
               ULL(ctl->kills));
        break;
      }
      if (deadline[w] && now >= deadline[w]) {
        kill(pid[w], SIGKILL);
        st = wait_pid(pid[w]);
        if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL))
          CHECKF(0, "writer %u ended by itself (%s): %s", w, status_str(st), ctl->t[w].err);
        ctl->kills++;
        pid[w] = ctk_spawn(dir, w, ctl);
        deadline[w] = 0;
        spawned_at[w] = now_ns();
      }
    }
    if (hung) break;
    sleep_ns(100000);
  }
  for (w = 0; w < CTK_W; w++) {
    kill(pid[w], SIGKILL);
    wait_pid(pid[w]);
    ctl->kills++;
  }
  __atomic_store_n(&ctl->stop, 1, __ATOMIC_SEQ_CST);
  if (hung) {
    kill(surv, SIGKILL);
    wait_pid(surv);
  } else {
    st = wait_pid(surv);
    CHECKF(exited_ok(st), "survivor: %s; %s", status_str(st), ctl->t[CTK_W].err);
  }
  for (w = 0; w <= CTK_W; w++)
    CHECKF(ctl->t[w].errors == 0, "%s %u: %u errors; first: %s", w < CTK_W ? "writer" : "survivor",
           w, ctl->t[w].errors, ctl->t[w].err);
  CHECKF(ctl->check_fail == 0, "backing_check in the survivor failed %llu of %llu times: %s",
         ULL(ctl->check_fail), ULL(ctl->checks), ctl->check_detail);
  CHECKF(ctl->kills >= 50 || hung, "only %llu kills", ULL(ctl->kills));
  if (hung) goto done;
  /* afterwards, in a fresh handle: everything adds up */
  c.arena_size = 0;
  s = OPEN(&c);
  if (!s) goto done;
  CHECK_STORE(s);
  CHECK_MAP(s, m);
  for (w = 0; w <= CTK_W; w++) {
    uint32_t e0 = ctl->t[w].errors;
    ctk_adopt(s, m, &ctl->t[w], w);
    CHECKF(ctl->t[w].errors == e0, "after the run, %s %u: %s", w < CTK_W ? "writer" : "survivor", w,
           ctl->t[w].err);
    for (i = 0; i < CTK_K; i++) present += ctl->t[w].k[i].present;
    inflight += ctl->t[w].inflight_found;
    adopted += ctl->t[w].adopted;
  }
  CHECKF(backing_map_len(s, m) == present, "map_len %llu, the tables hold %llu keys",
         ULL(backing_map_len(s, m)), ULL(present));
  n = ct_count_entries(s, m);
  CHECKF(n == (long)present, "iteration returned %ld entries, the tables hold %llu", n,
         ULL(present));
  /* nothing is reachable twice: delete everything; a second delete finds nothing */
  for (w = 0; w <= CTK_W; w++)
    for (i = 0; i < CTK_K; i++) {
      char key[64];
      uint64_t kl;
      ctk_key(key, sizeof key, w, i, &kl);
      if (ctl->t[w].k[i].present) CHECK_OK(backing_map_del(s, m, key, kl));
      EXPECT_RC(backing_map_del(s, m, key, kl), BACKING_ENOTFOUND);
    }
  CHECK_EQ(backing_map_len(s, m), 0);
  CHECK_OK(backing_root_del(s, "m"));
  CHECK_OK(backing_map_free(s, m));
  for (i = 0; i < 6; i++) backing_gc_cycle(s);
  CHECK_STORE(s);
  leaked = stat_of(s).used_blocks;
  CHECKF(leaked <= ctl->kills,
         "%llu blocks left after freeing the map: more than one per kill (%llu)", ULL(leaked),
         ULL(ctl->kills));
  test_note("%llu kills in %.1f s, %llu tables adopted, %llu keys found in flight, survivor %llu "
            "ops, %llu checks, %llu blocks leaked at the end",
            ULL(ctl->kills), (double)(now_ns() - t0) / 1e9, ULL(adopted), ULL(inflight),
            ULL(ctl->survivor_ops), ULL(ctl->checks), ULL(leaked));
  (void)why;
  CLOSE(s);
done:
  munmap(ctl, sizeof *ctl);
}
