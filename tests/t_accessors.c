/* t_accessors.c: typed get/set, read/write/copy and the atomics. */

/* Two addresses, the second in arena 1 (seed B3: two allocations of arena_size / 2). */
static backing *acc_open(backing_addr *a1, backing_addr *a2) {
  backing *s = OPEN_MEMORY(1 * MIB, 0);
  if (!s) return NULL;
  *a1 = backing_alloc(s, 512 * KIB);
  *a2 = backing_alloc(s, 512 * KIB);
  CHECK(*a1 != 0 && *a2 != 0);
  CHECK_EQ(*a1 / MIB, 0);
  CHECK_EQ(*a2 / MIB, 1);
  return s;
}

/* Bitwise equality of two floats, each first rounded to its type by the store into a
   variable (so x87 excess precision cannot make equal bits compare unequal, and -0.0 is
   told from 0.0). */
static int same_f32(float got, float want) {
  volatile float g = got, w = want;
  float gv = g, wv = w;
  uint32_t gb, wb;
  memcpy(&gb, &gv, sizeof gb);
  memcpy(&wb, &wv, sizeof wb);
  return gb == wb;
}
static int same_f64(double got, double want) {
  volatile double g = got, w = want;
  double gv = g, wv = w;
  uint64_t gb, wb;
  memcpy(&gb, &gv, sizeof gb);
  memcpy(&wb, &wv, sizeof wb);
  return gb == wb;
}

TEST(accessors_typed_round_trips_in_two_arenas) {
  backing_addr a1, a2, at[2];
  backing *s = acc_open(&a1, &a2);
  int k;
  if (!s) return;
  at[0] = a1;
  at[1] = a2;
  for (k = 0; k < 2; k++) {
    backing_addr a = at[k] + 40; /* any offset, even unaligned ones, below */
    backing_set_i8(s, a, 127);
    CHECK_EQ(backing_get_i8(s, a), 127);
    backing_set_i8(s, a, -127);
    CHECK_EQ(backing_get_i8(s, a), -127);
    backing_set_u8(s, a + 1, 255);
    CHECK_EQ(backing_get_u8(s, a + 1), 255);
    backing_set_i16(s, a + 3, 32767);
    CHECK_EQ(backing_get_i16(s, a + 3), 32767);
    backing_set_i16(s, a + 3, -32767);
    CHECK_EQ(backing_get_i16(s, a + 3), -32767);
    backing_set_u16(s, a + 8, 65535);
    CHECK_EQ(backing_get_u16(s, a + 8), 65535);
    backing_set_i32(s, a + 13, 2147483647);
    CHECK_EQ(backing_get_i32(s, a + 13), 2147483647);
    backing_set_i32(s, a + 13, -2147483647);
    CHECK_EQ(backing_get_i32(s, a + 13), -2147483647);
    backing_set_u32(s, a + 20, 4294967295u);
    CHECK_EQ(backing_get_u32(s, a + 20), 4294967295u);
    backing_set_i64(s, a + 24, INT64_MAX);
    CHECK_EQ(backing_get_i64(s, a + 24), INT64_MAX);
    backing_set_i64(s, a + 24, INT64_MIN);
    CHECK(backing_get_i64(s, a + 24) == INT64_MIN);
    backing_set_u64(s, a + 33, UINT64_MAX);
    CHECK(backing_get_u64(s, a + 33) == UINT64_MAX);
    /* floats compare by bit pattern: with x87 (gcc -m32) a float or double constant may
       be evaluated in long double precision, so == against the constant can fail on an
       exact round trip; the bits cannot */
    backing_set_f32(s, a + 41, 123.456f);
    CHECK(same_f32(backing_get_f32(s, a + 41), 123.456f));
    backing_set_f64(s, a + 48, 123.456);
    CHECK(same_f64(backing_get_f64(s, a + 48), 123.456));
    backing_set_f64(s, a + 48, -0.0);
    CHECK(same_f64(backing_get_f64(s, a + 48), -0.0));
    backing_set_f32(s, a + 41, -0.0f);
    CHECK(same_f32(backing_get_f32(s, a + 41), -0.0f));
    /* neighbours are untouched: the u8 at a + 1 is still there */
    CHECK_EQ(backing_get_u8(s, a + 1), 255);
    CHECK_EQ(backing_get_u16(s, a + 8), 65535);
    CHECK_EQ(backing_get_u32(s, a + 20), 4294967295u);
    /* the same bytes through the pointer, host order */
    {
      uint32_t v;
      memcpy(&v, (unsigned char *)backing_ptr(s, a) + 20, 4);
      CHECK_EQ(v, 4294967295u);
    }
  }
  CHECK_CLOSE(s);
}

TEST(accessors_read_write_copy) {
  backing_addr a1, a2;
  backing *s = acc_open(&a1, &a2);
  unsigned char buf[1000], ref[1000], out[1000];
  size_t i;
  if (!s) return;
  for (i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)(i * 13 + 1);
  CHECK_OK(backing_write(s, a1, buf, sizeof buf));
  memset(out, 0, sizeof out);
  CHECK_OK(backing_read(s, a1, out, sizeof out));
  CHECK(memcmp(out, buf, sizeof buf) == 0);
  CHECK_OK(backing_read(s, a1, out, 0));
  CHECK_OK(backing_write(s, a1, buf, 0));
  /* overlapping copies, forwards and backwards: memmove semantics */
  memcpy(ref, buf, sizeof ref);
  memmove(ref + 10, ref, 500);
  CHECK_OK(backing_copy(s, a1 + 10, a1, 500));
  CHECK_OK(backing_read(s, a1, out, sizeof out));
  CHECK(memcmp(out, ref, sizeof ref) == 0);
  memmove(ref, ref + 37, 600);
  CHECK_OK(backing_copy(s, a1, a1 + 37, 600));
  CHECK_OK(backing_read(s, a1, out, sizeof out));
  CHECK(memcmp(out, ref, sizeof ref) == 0);
  CHECK_OK(backing_copy(s, a1, a1, 100)); /* onto itself */
  /* across arenas */
  CHECK_OK(backing_copy(s, a2 + 5, a1, 1000));
  CHECK_OK(backing_read(s, a2 + 5, out, sizeof out));
  CHECK(memcmp(out, ref, sizeof ref) == 0);
  CHECK_OK(backing_copy(s, a1 + 1, a2 + 5, 999));
  CHECK_OK(backing_read(s, a1 + 1, out, 999));
  CHECK(memcmp(out, ref, 999) == 0);
  CHECK_CLOSE(s);
}

TEST(accessors_out_of_store_ranges_are_ebadaddr) {
  backing_addr a1, a2;
  backing *s = acc_open(&a1, &a2);
  backing_stats st;
  unsigned char buf[64];
  volatile uint64_t huge = UINT64_MAX; /* not a constant: gcc would warn about the memcpy */
  if (!s) return;
  memset(buf, 0, sizeof buf);
  st = stat_of(s);
  CHECK_EQ(backing_read(s, 0, buf, 8), BACKING_EBADADDR);
  CHECK_EQ(backing_write(s, 0, buf, 8), BACKING_EBADADDR);
  CHECK_EQ(backing_read(s, 0, buf, 0), BACKING_EBADADDR);
  CHECK_EQ(backing_read(s, st.capacity - 8, buf, 16), BACKING_EBADADDR);
  CHECK_EQ(backing_write(s, st.capacity - 8, buf, 16), BACKING_EBADADDR);
  CHECK_EQ(backing_read(s, st.capacity, buf, 1), BACKING_EBADADDR);
  CHECK_EQ(backing_write(s, st.capacity + 4096, buf, 1), BACKING_EBADADDR);
  CHECK_EQ(backing_read(s, a1, buf, huge), BACKING_EBADADDR);
  CHECK_EQ(backing_read(s, UINT64_MAX, buf, 2), BACKING_EBADADDR);
  CHECK_EQ(backing_copy(s, 0, a1, 8), BACKING_EBADADDR);
  CHECK_EQ(backing_copy(s, a1, 0, 8), BACKING_EBADADDR);
  CHECK_EQ(backing_copy(s, a1, st.capacity - 8, 16), BACKING_EBADADDR);
  CHECK_EQ(backing_copy(s, st.capacity - 8, a1, 16), BACKING_EBADADDR);
  CHECK_EQ(backing_copy(s, a1, a2, huge), BACKING_EBADADDR);
  CHECK_EQ(backing_read(NULL, a1, buf, 8), BACKING_EINVAL);
  /* the last bytes of the store are fine */
  CHECK_OK(backing_read(s, st.capacity - 8, buf, 8));
  CHECK_CLOSE(s);
}

TEST(accessors_seed_b5_copy) {
  backing *s = OPEN_MEMORY(1 * MIB, 0);
  backing_addr src, dst;
  uint32_t i;
  if (!s) return;
  src = backing_calloc(s, 64);
  dst = backing_calloc(s, 64);
  if (!CHECK(src && dst)) {
    CLOSE(s);
    return;
  }
  for (i = 0; i < 64; i += 4) backing_set_u32(s, src + i, i);
  CHECK_OK(backing_copy(s, dst, src, 12));
  CHECK_EQ(backing_get_u32(s, dst + 0), 0);
  CHECK_EQ(backing_get_u32(s, dst + 4), 4);
  CHECK_EQ(backing_get_u32(s, dst + 8), 8);
  for (i = 12; i < 64; i += 4) CHECK_EQ(backing_get_u32(s, dst + i), 0);
  CHECK_OK(backing_copy(s, dst, src, 64));
  CHECK(memcmp(backing_ptr(s, dst), backing_ptr(s, src), 64) == 0);
  for (i = 0; i < 64; i += 4) CHECK_EQ(backing_get_u32(s, dst + i), i);
  CLOSE(s);
}

TEST(accessors_atomics) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_addr a;
  uint32_t e32;
  uint64_t e64;
  if (!s) return;
  a = backing_calloc(s, 64);
  if (!CHECK(a != 0)) {
    CLOSE(s);
    return;
  }
  backing_atomic_store_u32(s, a, 5);
  CHECK_EQ(backing_atomic_load_u32(s, a), 5);
  CHECK_EQ(backing_atomic_add_u32(s, a, 3), 5); /* returns the previous value */
  CHECK_EQ(backing_atomic_load_u32(s, a), 8);
  backing_atomic_store_u32(s, a, 0xffffffffu);
  CHECK_EQ(backing_atomic_add_u32(s, a, 1), 0xffffffffu);
  CHECK_EQ(backing_atomic_load_u32(s, a), 0); /* wraps */
  e32 = 0;
  CHECK_EQ(backing_atomic_cas_u32(s, a, &e32, 42), 1);
  CHECK_EQ(backing_atomic_load_u32(s, a), 42);
  e32 = 7;
  CHECK_EQ(backing_atomic_cas_u32(s, a, &e32, 99), 0);
  CHECK_EQ(e32, 42); /* the value seen */
  CHECK_EQ(backing_atomic_load_u32(s, a), 42);
  CHECK_EQ(backing_get_u32(s, a + 4), 0); /* the next word is untouched */

  backing_atomic_store_u64(s, a + 8, 1ull << 40);
  CHECK_EQ(backing_atomic_load_u64(s, a + 8), 1ull << 40);
  CHECK_EQ(backing_atomic_add_u64(s, a + 8, 2), 1ull << 40);
  CHECK_EQ(backing_atomic_load_u64(s, a + 8), (1ull << 40) + 2);
  e64 = (1ull << 40) + 2;
  CHECK_EQ(backing_atomic_cas_u64(s, a + 8, &e64, UINT64_MAX), 1);
  CHECK(backing_atomic_load_u64(s, a + 8) == UINT64_MAX);
  e64 = 0;
  CHECK_EQ(backing_atomic_cas_u64(s, a + 8, &e64, 1), 0);
  CHECK(e64 == UINT64_MAX);
  CHECK(backing_get_u64(s, a + 8) == UINT64_MAX);
  CLOSE(s);
}

struct acc_adder {
  backing *s;
  backing_addr a;
};
static void *acc_add_thread(void *arg) {
  struct acc_adder *x = (struct acc_adder *)arg;
  int i;
  for (i = 0; i < 100000; i++) backing_atomic_add_u64(x->s, x->a, 1);
  return NULL;
}

TEST(accessors_atomic_add_exact_with_4_threads) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  struct acc_adder x;
  pthread_t t[4];
  int i, started = 0;
  if (!s) return;
  x.s = s;
  x.a = backing_calloc(s, 8);
  if (!CHECK(x.a != 0)) {
    CLOSE(s);
    return;
  }
  for (i = 0; i < 4; i++) started += pthread_create(&t[i], NULL, acc_add_thread, &x) == 0;
  CHECK_EQ(started, 4);
  for (i = 0; i < started; i++) pthread_join(t[i], NULL);
  CHECK_EQ(backing_atomic_load_u64(s, x.a), 100000ull * (uint64_t)started);
  CLOSE(s);
}
