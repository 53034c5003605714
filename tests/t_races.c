/* t_races.c: regression tests for the data races of issue 7, item 7. Each one is a
   functional test in a plain build and reproduces a ThreadSanitizer report in the TSan
   stage of tests/run.sh (which runs every test whose name starts with gc_). */

#define RACE_GC_TYPES 8

struct race_dtor_ctx {
  backing *s;
  int stop;                /* set by the registering thread when it is done */
  uint64_t allocated;      /* GC blocks the cycling thread made */
  uint64_t dtor_calls;     /* destructors run for types 1..RACE_GC_TYPES */
  uint64_t wrong_calls;    /* destructors run for a type with no block */
  uint64_t cycles, errors; /* cycles run, failed calls */
  uint32_t registered;     /* extra types registered */
};

static void race_dtor_count(backing *s, backing_addr a, void *ctx) {
  struct race_dtor_ctx *c = (struct race_dtor_ctx *)ctx;
  uint32_t t = backing_gc_type(s, a);
  if (t >= 1 && t <= RACE_GC_TYPES)
    __atomic_add_fetch(&c->dtor_calls, 1, __ATOMIC_RELAXED);
  else
    __atomic_add_fetch(&c->wrong_calls, 1, __ATOMIC_RELAXED);
}
static void race_dtor_other(backing *s, backing_addr a, void *ctx) {
  struct race_dtor_ctx *c = (struct race_dtor_ctx *)ctx;
  (void)s;
  (void)a;
  __atomic_add_fetch(&c->wrong_calls, 1, __ATOMIC_RELAXED);
}

/* Registers destructors for thousands of types no block has, so the table grows (and
   moves) many times while the other thread's cycles look destructors up in it. */
static void *race_register_main(void *arg) {
  struct race_dtor_ctx *c = (struct race_dtor_ctx *)arg;
  uint32_t t;
  for (t = 1000; t < 1000 + 8192; t++) {
    if (backing_gc_on_free(c->s, t, race_dtor_other, c) != 0)
      __atomic_add_fetch(&c->errors, 1, __ATOMIC_RELAXED);
    else
      __atomic_add_fetch(&c->registered, 1, __ATOMIC_RELAXED);
  }
  __atomic_store_n(&c->stop, 1, __ATOMIC_RELEASE);
  return NULL;
}

/* Makes GC blocks at count 0 of types 1..8 and collects them, until told to stop. */
static void *race_cycle_main(void *arg) {
  struct race_dtor_ctx *c = (struct race_dtor_ctx *)arg;
  uint32_t i;
  while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE) || c->cycles < 50) {
    for (i = 0; i < 16; i++) {
      if (backing_gc_alloc(c->s, 48, 1 + i % RACE_GC_TYPES, 0) != 0)
        c->allocated++;
      else
        __atomic_add_fetch(&c->errors, 1, __ATOMIC_RELAXED);
    }
    (void)backing_gc_cycle(c->s);
    c->cycles++;
  }
  return NULL;
}

TEST(gc_race_dtor_table) {
  backing_config cfg = mem_cfg(1 * MIB, 0);
  struct race_dtor_ctx c;
  pthread_t reg, cyc;
  uint32_t t;
  memset(&c, 0, sizeof c);
  c.s = OPEN(&cfg);
  if (!c.s) return;
  CHECK_OK(backing_gc_set_lifetime(c.s, 1));
  for (t = 1; t <= RACE_GC_TYPES; t++) CHECK_OK(backing_gc_on_free(c.s, t, race_dtor_count, &c));
  if (!CHECK(pthread_create(&cyc, NULL, race_cycle_main, &c) == 0)) return;
  if (!CHECK(pthread_create(&reg, NULL, race_register_main, &c) == 0)) {
    __atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
    pthread_join(cyc, NULL);
    return;
  }
  pthread_join(reg, NULL);
  pthread_join(cyc, NULL);
  (void)backing_gc_cycle(c.s); /* nothing allocated after the last cycle, but be sure */
  CHECK_EQ(c.errors, 0);
  CHECK_EQ(c.registered, 8192);
  CHECK_EQ(c.wrong_calls, 0);
  /* every block reached count 0 with lifetime 1: each was freed by a cycle, through the
     destructor of its own type, exactly once */
  CHECKF(c.dtor_calls == c.allocated, "%llu destructor calls for %llu blocks (%llu cycles)",
         ULL(c.dtor_calls), ULL(c.allocated), ULL(c.cycles));
  CHECK_EQ(stat_of(c.s).used_blocks, 0);
  CHECK_CLOSE(c.s);
}

#define RACE_AGE_BLOCKS 64

struct race_age_ctx {
  backing *s;
  backing_addr b[RACE_AGE_BLOCKS];
  int stop;
  uint64_t errors, cycles, rounds;
};

/* Takes each block from 0 to 1 and back, over and over, while cycles age them. */
static void *race_refs_main(void *arg) {
  struct race_age_ctx *c = (struct race_age_ctx *)arg;
  uint64_t r;
  int i;
  for (r = 0; r < 400; r++) {
    for (i = 0; i < RACE_AGE_BLOCKS; i++) {
      if (backing_gc_ref(c->s, c->b[i]) != 1) __atomic_add_fetch(&c->errors, 1, __ATOMIC_RELAXED);
      if (backing_gc_unref(c->s, c->b[i]) != 0 || backing_last_error() != 0)
        __atomic_add_fetch(&c->errors, 1, __ATOMIC_RELAXED);
    }
    c->rounds++;
  }
  __atomic_store_n(&c->stop, 1, __ATOMIC_RELEASE);
  return NULL;
}
static void *race_age_main(void *arg) {
  struct race_age_ctx *c = (struct race_age_ctx *)arg;
  while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE) || c->cycles < 50) {
    if (backing_gc_cycle(c->s) != 0) /* nothing may be freed: the lifetime is long */
      __atomic_add_fetch(&c->errors, 1, __ATOMIC_RELAXED);
    c->cycles++;
  }
  return NULL;
}

TEST(gc_race_age_count) {
  backing_config cfg = mem_cfg(1 * MIB, 0);
  struct race_age_ctx c;
  pthread_t refs, ager;
  int i;
  memset(&c, 0, sizeof c);
  c.s = OPEN(&cfg);
  if (!c.s) return;
  CHECK_OK(backing_gc_set_lifetime(c.s, 1000000));
  for (i = 0; i < RACE_AGE_BLOCKS; i++) {
    c.b[i] = backing_gc_alloc(c.s, 40 + (uint64_t)i * 24, 7, 0);
    if (!CHECK(c.b[i] != 0)) return;
    fill_pattern(backing_ptr(c.s, c.b[i]), 40 + (uint64_t)i * 24, (uint64_t)i);
  }
  if (!CHECK(pthread_create(&ager, NULL, race_age_main, &c) == 0)) return;
  if (!CHECK(pthread_create(&refs, NULL, race_refs_main, &c) == 0)) {
    __atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
    pthread_join(ager, NULL);
    return;
  }
  pthread_join(refs, NULL);
  pthread_join(ager, NULL);
  CHECK_EQ(c.errors, 0);
  CHECK_EQ(c.rounds, 400);
  /* every block is still there, waiting, of its type, with its contents, and no older than
     the cycles that ran */
  for (i = 0; i < RACE_AGE_BLOCKS; i++) {
    uint32_t age = backing_gc_age(c.s, c.b[i]);
    CHECK_EQ(backing_gc_refcount(c.s, c.b[i]), 0);
    CHECK_EQ(backing_last_error(), 0);
    CHECK_EQ(backing_gc_type(c.s, c.b[i]), 7);
    CHECKF(age <= c.cycles, "block %d: age %u after %llu cycles", i, age, ULL(c.cycles));
    CHECK_PATTERN(backing_ptr(c.s, c.b[i]), 40 + (uint64_t)i * 24, (uint64_t)i);
  }
  CHECK_EQ(stat_of(c.s).used_blocks, RACE_AGE_BLOCKS);
  CHECK_CLOSE(c.s);
}
