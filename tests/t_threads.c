/* t_threads.c: separate handles in separate threads do not disturb each other (no hidden
   global state in the allocator, the roots or the error slot). */

struct thr_job {
  int id;
  int mmap;
  char dir[512];
  int errors;
  char first[200];
  uint64_t ops, allocs, checks;
};

static void thr_err(struct thr_job *j, const char *what, uint64_t op) {
  if (j->errors++ == 0)
    snprintf(j->first, sizeof j->first, "thread %d, op %llu: %.120s", j->id, ULL(op), what);
}

static void *thr_main(void *arg) {
  struct thr_job *j = (struct thr_job *)arg;
  backing_config c = j->mmap ? mmap_cfg(j->dir, "t", 64 * KIB) : mem_cfg(64 * KIB, 512 * KIB);
  backing *s = NULL;
  backing_addr live[512];
  uint64_t keys[512], rng = 0x1234567ull + (uint64_t)j->id * 0x9e3779b97f4a7c15ull, op;
  size_t n = 0, i;
  char name[32];
  if (j->mmap) c.max_size = 512 * KIB;
  if (backing_open(&s, &c) != 0) {
    thr_err(j, "open", 0);
    return NULL;
  }
  for (op = 0; op < j->ops; op++) {
    uint64_t r = rng_below(&rng, 10);
    if (r < 6 && n < 512) {
      uint64_t sz = 1 + rng_below(&rng, rng_below(&rng, 8) == 0 ? 9000 : 300);
      backing_addr a = backing_alloc(s, sz);
      if (!a) {
        if (backing_last_error() != BACKING_ENOSPACE) thr_err(j, "alloc error", op);
        r = 9; /* free one instead */
      } else {
        j->allocs++;
        keys[n] = mix64(a ^ (uint64_t)j->id << 56 ^ op);
        fill_pattern(backing_ptr(s, a), sz < 16 ? sz : 16, keys[n]);
        live[n++] = a;
      }
    }
    if (r >= 6 && n > 0) {
      i = (size_t)rng_below(&rng, n);
      if (find_pattern_mismatch(backing_ptr(s, live[i]), 1, keys[i]) >= 0)
        thr_err(j, "a block changed under us", op);
      if (backing_free(s, live[i]) == 0) thr_err(j, "free failed", op);
      live[i] = live[--n];
      keys[i] = keys[n];
    }
    if (op % 50 == 0) {
      snprintf(name, sizeof name, "t%d-%llu", j->id, ULL(op % 7));
      if (n > 0 && backing_root_set(s, name, live[0]) != 0) thr_err(j, "root_set", op);
      if (n > 0 && backing_root_get(s, name) != live[0]) thr_err(j, "root_get", op);
      /* an error here must land in this thread's slot */
      if (backing_free(s, 0) != 0 || backing_last_error() != BACKING_EBADADDR)
        thr_err(j, "last error not this thread's", op);
      if (backing_root_get(s, "missing") != 0 || backing_last_error() != BACKING_ENOTFOUND)
        thr_err(j, "last error not this thread's", op);
    }
    if (op % 200 == 0) {
      j->checks++;
      if (backing_check(s) != 0) thr_err(j, backing_check_detail(s), op);
    }
  }
  for (i = 0; i < n; i++) {
    if (find_pattern_mismatch(backing_ptr(s, live[i]), 1, keys[i]) >= 0)
      thr_err(j, "a block changed under us", op);
    if (backing_free(s, live[i]) == 0) thr_err(j, "final free", op);
  }
  if (backing_check(s) != 0) thr_err(j, backing_check_detail(s), op);
  if (backing_close(s) != 0) thr_err(j, "close", op);
  return NULL;
}

static void thr_run(int mmap_too) {
  struct thr_job jobs[4];
  pthread_t t[4];
  int i;
  for (i = 0; i < 4; i++) {
    memset(&jobs[i], 0, sizeof jobs[i]);
    jobs[i].id = i;
    jobs[i].ops = 20000;
    jobs[i].mmap = mmap_too && (i % 2 == 1);
    snprintf(jobs[i].dir, sizeof jobs[i].dir, "%s/thread%d", test_dir(), i);
  }
  for (i = 0; i < 4; i++) CHECK(pthread_create(&t[i], NULL, thr_main, &jobs[i]) == 0);
  for (i = 0; i < 4; i++) pthread_join(t[i], NULL);
  for (i = 0; i < 4; i++) {
    CHECKF(jobs[i].errors == 0, "%d errors, first: %s", jobs[i].errors, jobs[i].first);
    CHECKF(jobs[i].allocs > jobs[i].ops / 4 && jobs[i].checks == jobs[i].ops / 200,
           "thread %d did only %llu allocations and %llu checks", i, ULL(jobs[i].allocs),
           ULL(jobs[i].checks));
  }
}

TEST(threads_own_memory_stores) {
  thr_run(0);
}
TEST(threads_own_memory_and_mmap_stores) {
  thr_run(1);
}

/* A new thread that finds the arena it starts in busy takes another, also when the store
   has arenas enough already. It used to wait there for good once the store had
   BACKING__SPREAD arenas, so every later pair of threads on one handle shared one arena's
   lock, at half the speed of two. Here the arena is held by this (live) thread while a
   new one allocates: it must not wait for it. */
struct thr_newcomer {
  backing *s;
  backing_addr a;
  int done;
};
static void *thr_newcomer_main(void *p) {
  struct thr_newcomer *t = (struct thr_newcomer *)p;
  t->a = backing_alloc(t->s, 100);
  __atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
  return NULL;
}
TEST(threads_newcomer_takes_a_free_arena) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_addr big[12];
  struct thr_newcomer t;
  pthread_t th;
  uint32_t cur;
  uint64_t *lock, waited = 0;
  int i;
  if (!s) return;
  for (i = 0; i < 12; i++) big[i] = backing_alloc(s, 50 * KIB); /* an arena each */
  for (i = 0; i < 12; i++) CHECK(backing_free(s, big[i]) > 0);
  if (!CHECK(stat_of(s).arena_count > BACKING__SPREAD)) goto out;
  cur = BACKING__ALOAD(&s->cur, BACKING__ACQUIRE); /* where a new thread starts */
  lock = &backing__ar(s, cur)->lock;
  CHECK(__atomic_load_n(lock, __ATOMIC_ACQUIRE) == 0);
  __atomic_store_n(lock, s->lock_id | backing__tid(), __ATOMIC_RELEASE); /* held, by us */
  memset(&t, 0, sizeof t);
  t.s = s;
  CHECK(pthread_create(&th, NULL, thr_newcomer_main, &t) == 0);
  while (!__atomic_load_n(&t.done, __ATOMIC_ACQUIRE) && waited < 2000) {
    sleep_ns(1000000);
    waited++;
  }
  CHECKF(__atomic_load_n(&t.done, __ATOMIC_ACQUIRE),
         "the new thread waited for the busy arena %u (2 s) instead of taking another", cur);
  __atomic_store_n(lock, 0, __ATOMIC_RELEASE);
  pthread_join(th, NULL);
  CHECK(t.a != 0 && (uint32_t)(t.a >> s->shift) != cur);
  CHECK(backing_free(s, t.a) > 0);
  CHECK_STORE(s);
out:
  CHECK_CLOSE(s);
}
