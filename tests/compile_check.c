/* compile_check.c: compiled (never run) by tests/run.sh as C99, C11, C++11 and C++17 with gcc
   and clang at -Wall -Wextra -Wpedantic -Werror, and with BACKING_NO_MMAP, BACKING_STATIC and
   BACKING_DEBUG. It uses every public function, accessor and macro, so nothing is unused and
   every declaration meets its definition. */
#define BACKING_IMPLEMENTATION
#include "../backing.h"

static int compile_check_walk(backing *s, backing_addr a, uint64_t size, int state, void *ctx) {
  (void)s;
  (void)a;
  (void)size;
  (void)state;
  (void)ctx;
  return 0;
}

static void compile_check_dtor(backing *s, backing_addr a, void *ctx) {
  (void)s;
  (void)a;
  (void)ctx;
}

int backing_compile_check(void);
int backing_compile_check(void) {
  backing *s = NULL;
  backing_config cfg;
  backing_stats st;
  backing_mapping m;
  backing_addr a;
  uint64_t r = 0, t = 0, big = 0;
  uint32_t e32 = 0;
  uint64_t e64 = 0;
  unsigned char buf[16];
  int rc = 0;
  const char *v = BACKING_VERSION_STRING;

  memset(&cfg, 0, sizeof cfg);
  memset(&m, 0, sizeof m);
  memset(buf, 0, sizeof buf);
  cfg.source = BACKING_SOURCE_MEMORY;
  rc |= BACKING_VERSION_MAJOR + BACKING_VERSION_MINOR + BACKING_VERSION_PATCH +
        BACKING_FORMAT_VERSION;
  rc |= v[0];
  rc |= backing_last_error();
  rc |= (int)strlen(backing_strerror(BACKING_ECORRUPT));
  if (backing_open(&s, &cfg) != 0) return 1;

  a = backing_alloc(s, 8);
  a += backing_calloc(s, 8);
  a += backing_alloc_aligned(s, 8, 64);
  a = backing_realloc(s, a, 32);
  big += backing_sizeof(s, a);
  rc |= backing_addr_of(s, backing_ptr(s, a)) != a;

  backing_set_i8(s, a, (int8_t)backing_get_i8(s, a));
  backing_set_u8(s, a, backing_get_u8(s, a));
  backing_set_i16(s, a, backing_get_i16(s, a));
  backing_set_u16(s, a, backing_get_u16(s, a));
  backing_set_i32(s, a, backing_get_i32(s, a));
  backing_set_u32(s, a, backing_get_u32(s, a));
  backing_set_i64(s, a, backing_get_i64(s, a));
  backing_set_u64(s, a, backing_get_u64(s, a));
  backing_set_f32(s, a, backing_get_f32(s, a));
  backing_set_f64(s, a, backing_get_f64(s, a));
  rc |= backing_read(s, a, buf, sizeof buf);
  rc |= backing_write(s, a, buf, sizeof buf);
  rc |= backing_copy(s, a, a + 8, 8);
  backing_atomic_store_u32(s, a, backing_atomic_load_u32(s, a));
  backing_atomic_store_u64(s, a, backing_atomic_load_u64(s, a));
  e32 = backing_atomic_add_u32(s, a, 1);
  e64 = backing_atomic_add_u64(s, a, 1);
  rc |= backing_atomic_cas_u32(s, a, &e32, 2);
  rc |= backing_atomic_cas_u64(s, a, &e64, 2);

  rc |= backing_root_set(s, "r", a);
  rc |= backing_root_get(s, "r") != a;
  rc |= backing_root_del(s, "r");

  a = backing_gc_alloc(s, 64, 1, 0);
  a += 0 * backing_gc_calloc(s, 64, 1, 1);
  rc |= backing_gc_on_free(s, 1, compile_check_dtor, NULL);
  rc |= backing_gc_set_lifetime(s, 2);
  e32 = backing_gc_ref(s, a);
  e32 += backing_gc_unref(s, a);
  e32 += backing_gc_refcount(s, a) + backing_gc_type(s, a) + backing_gc_age(s, a);
  big += backing_gc_sizeof(s, a);
  big += backing_gc_cycle(s);
  big += backing_gc_step(s);
  big += backing_gc_free(s, a);
  rc |= (int)(e32 & 1);

  rc |= backing_stat(s, &st);
  rc |= backing_check(s);
  rc |= (int)strlen(backing_check_detail(s));
  rc |= backing_walk(s, compile_check_walk, NULL);
  rc |= backing_sync(s, 0, 0, BACKING_SYNC_BLOCK);
  rc |= backing_advise(s, 0, 0, BACKING_ADVICE_NORMAL);
  rc |= backing_incore(s, 0, 0, &r, &t);

  rc |= backing_file_map(&m, "/nonexistent", 0, 0, BACKING_MAP_READ);
  rc |= backing_msync(buf, sizeof buf, BACKING_SYNC_ASYNC);
  rc |= backing_madvise(buf, sizeof buf, BACKING_ADVICE_WILLNEED);
  rc |= backing_mincore(buf, sizeof buf, &r, &t);
  rc |= backing_file_unmap(&m);
  big += backing_pagesize();

  big += backing_free(s, a);
  rc |= backing_close(s);
  rc |= backing_destroy(&cfg);
  return rc + (int)(big & 1) + (int)(st.arena_count & 1);
}
