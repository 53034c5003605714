/* t_share.c: one store shared by threads and by processes, and processes killed at random
   instants. Every writer runs the self-checking workload of helpers.h (sh_step): blocks
   carry self-describing contents that are verified before every free and realloc, and the
   table of blocks a writer holds is what the final accounting must find. The crash-point
   sweep (whitebox, needs BACKING_TEST_CRASH_POINTS) is tests/crashpoints.c. */

/* ---- 1. threads on one handle ------------------------------------------------------------ */

struct shthr {
  backing *s;
  struct sh_table t;
  struct sh_opts o;
  uint64_t ops;
  uint64_t check_every;
  uint64_t checks;
  int check_rc;
  char check_detail[200];
};

static void *shthr_main(void *arg) {
  struct shthr *w = (struct shthr *)arg;
  uint64_t op;
  for (op = 1; op <= w->ops; op++) {
    if (sh_step(w->s, &w->t, &w->o) != 0) break;
    if (w->check_every && op % w->check_every == 0) {
      int rc = backing_check(w->s);
      w->checks++;
      if (rc != 0 && w->check_rc == 0) {
        w->check_rc = rc;
        snprintf(w->check_detail, sizeof w->check_detail, "%s", backing_check_detail(w->s));
      }
    }
  }
  return NULL;
}

#define SHTHR_N 4
#define SHTHR_SHARED 8
static void share_threads_run(const backing_config *c, uint64_t ops) {
  static struct shthr w[SHTHR_N];
  pthread_t th[SHTHR_N];
  backing_addr shared[SHTHR_SHARED];
  backing_stats st;
  backing *s = OPEN(c);
  uint64_t held = 0, seed = seed_from_env(0x7e57ab1e);
  int i, started = 0;
  if (!s) return;
  for (i = 0; i < SHTHR_SHARED; i++) {
    shared[i] = backing_gc_alloc(s, 48, 9, 1);
    CHECK(shared[i] != 0);
  }
  for (i = 0; i < SHTHR_N; i++) {
    memset(&w[i], 0, sizeof w[i]);
    w[i].s = s;
    sh_init(&w[i].t, (uint32_t)i, seed);
    w[i].o.sole_cycler = i == 0; /* the only one that cycles, so gc_free never races a reap */
    w[i].o.shared_gc = shared;
    w[i].o.nshared = SHTHR_SHARED;
    w[i].ops = ops;
    w[i].check_every = i == 1 ? 2500 : 0; /* a full check while the others work */
  }
  for (i = 0; i < SHTHR_N; i++) started += pthread_create(&th[i], NULL, shthr_main, &w[i]) == 0;
  CHECK_EQ(started, SHTHR_N);
  for (i = 0; i < started; i++) pthread_join(th[i], NULL);
  for (i = 0; i < SHTHR_N; i++) {
    CHECKF(w[i].t.errors == 0, "thread %d: %u errors, first: %s", i, w[i].t.errors, w[i].t.err);
    CHECKF(w[i].t.ops == ops, "thread %d stopped after %llu of %llu operations", i, ULL(w[i].t.ops),
           ULL(ops));
    CHECKF(w[i].check_rc == 0, "thread %d: backing_check during the run (%llu checks) said %s: %s",
           i, ULL(w[i].checks), err_name(w[i].check_rc), w[i].check_detail);
  }
  /* every block every thread holds is intact (adopt verifies; nothing is in flight) */
  for (i = 0; i < SHTHR_N; i++) {
    CHECKF(sh_adopt(s, &w[i].t) == 0, "thread %d after the run: %s", i, w[i].t.err);
    CHECKF(w[i].t.leaks_possible == 0, "thread %d left an operation in flight", i);
    held += sh_held(&w[i].t);
  }
  for (i = 0; i < SHTHR_SHARED; i++) CHECK_EQ(backing_gc_refcount(s, shared[i]), 1);
  backing_gc_cycle(s); /* lifetime 2: what threads dropped to 0 is reaped by the second */
  backing_gc_cycle(s);
  CHECK_STORE(s);
  st = stat_of(s);
  CHECK_EQ(st.gc_waiting, 0);
  CHECKF(st.used_blocks == held + SHTHR_SHARED,
         "stat.used_blocks %llu, the threads hold %llu (+%d shared GC blocks)", ULL(st.used_blocks),
         ULL(held), SHTHR_SHARED);
  CHECKF(st.arena_count >= 4, "only %llu arenas: growth was not exercised", ULL(st.arena_count));
  test_note("%d threads x %llu ops, %llu arenas, %llu blocks held at the end", SHTHR_N, ULL(ops),
            ULL(st.arena_count), ULL(held));
  /* give everything back: the store is empty again */
  for (i = 0; i < SHTHR_N; i++) CHECK(sh_release_all(s, &w[i].t) == 0);
  for (i = 0; i < SHTHR_SHARED; i++) CHECK_EQ(backing_gc_unref(s, shared[i]), 0);
  backing_gc_cycle(s);
  backing_gc_cycle(s);
  CHECK_STORE(s);
  st = stat_of(s);
  CHECK_EQ(st.used_blocks, 0);
  CLOSE(s);
}

TEST(share_threads_one_memory_handle) {
  backing_config c = mem_cfg(256 * KIB, 0);
  share_threads_run(&c, 30000);
}

TEST(share_threads_one_mmap_handle) {
  char dir[512];
  backing_config c = mmap_cfg(test_path(dir, sizeof dir, "st"), "st", 64 * KIB);
  share_threads_run(&c, 30000);
}

/* ---- 2. processes on one store ----------------------------------------------------------- */

#define SHP_N 4
#define SHP_BIG 40000u
struct shp_ctl {
  int ready, go;
  backing_addr handoff; /* published by writer 1 under the root "handoff" */
  uint64_t count_at_open[SHP_N];
  int handoff_seen; /* writer 2 found it, in an arena added after it opened */
  char handoff_err[200];
  struct sh_table t[SHP_N];
};

static int shp_child(const char *dir, int id, struct shp_ctl *ctl, uint64_t ops) {
  backing_config c = mmap_cfg(dir, "sp", 0);
  backing *s = NULL;
  struct sh_table *t = &ctl->t[id];
  struct sh_opts o;
  backing_stats st;
  uint64_t op, t0;
  int rc = backing_open(&s, &c);
  memset(&o, 0, sizeof o);
  o.sole_cycler = id == 0;
  if (rc != 0) {
    sh_fail(t, "open: %s", err_name(rc));
    return 1;
  }
  memset(&st, 0, sizeof st);
  backing_stat(s, &st);
  ctl->count_at_open[id] = st.arena_count;
  __atomic_add_fetch(&ctl->ready, 1, __ATOMIC_SEQ_CST);
  while (!__atomic_load_n(&ctl->go, __ATOMIC_SEQ_CST)) sleep_ns(100000);
  for (op = 0; op < ops && t->errors == 0; op++) {
    sh_step(s, t, &o);
    if (id == 1 && op == ops / 2) { /* a block big enough to need an arena of its own */
      backing_addr a = backing_alloc(s, SHP_BIG);
      if (!a) {
        sh_fail(t, "alloc(%u): %s", SHP_BIG, err_name(backing_last_error()));
        break;
      }
      sh_fill(backing_ptr(s, a), 99, 1, SHP_BIG);
      if (backing_root_set(s, "handoff", a) != 0) sh_fail(t, "root_set handoff");
      __atomic_store_n(&ctl->handoff, a, __ATOMIC_SEQ_CST);
    }
  }
  if (id == 2) { /* read what writer 1 published, in an arena this process never mapped */
    backing_addr a = 0;
    t0 = now_ns();
    while (!(a = backing_root_get(s, "handoff")) && now_ns() - t0 < 30000000000ull)
      sleep_ns(1000000);
    if (!a)
      snprintf(ctl->handoff_err, sizeof ctl->handoff_err, "root handoff never appeared");
    else if ((a >> 16) < ctl->count_at_open[2])
      snprintf(ctl->handoff_err, sizeof ctl->handoff_err,
               "handoff %llu is in arena %llu, which existed when writer 2 opened (%llu)", ULL(a),
               ULL(a >> 16), ULL(ctl->count_at_open[2]));
    else if (backing_sizeof(s, a) < SHP_BIG)
      snprintf(ctl->handoff_err, sizeof ctl->handoff_err, "handoff: sizeof %llu (%s)",
               ULL(backing_sizeof(s, a)), err_name(backing_last_error()));
    else if (sh_mismatch(backing_ptr(s, a), 99, 1, SHP_BIG, SHP_BIG) >= 0)
      snprintf(ctl->handoff_err, sizeof ctl->handoff_err, "handoff contents differ at %ld",
               sh_mismatch(backing_ptr(s, a), 99, 1, SHP_BIG, SHP_BIG));
    else
      ctl->handoff_seen = 1;
  }
  for (op = 0; op < SH_CAP; op++) /* everything this writer holds, once more */
    if (t->e[op].state == SH_LIVE || t->e[op].state == SH_GC_LIVE)
      sh_verify(s, t, &t->e[op], "at the end");
  rc = backing_close(s);
  if (rc != 0) sh_fail(t, "close: %s", err_name(rc));
  return t->errors ? 1 : 0;
}

TEST(share_processes_grow_and_account) {
  char dir[512];
  backing_config c = mmap_cfg(test_path(dir, sizeof dir, "sp"), "sp", 64 * KIB);
  struct shp_ctl *ctl = (struct shp_ctl *)sh_shared_mem(sizeof *ctl);
  backing *s;
  backing_stats st;
  pid_t pid[SHP_N], self = getpid();
  uint64_t held = 0, count0, seed = seed_from_env(0x9a11e7);
  const uint64_t ops = 12000;
  int i, st_;
  if (!CHECK(ctl != NULL)) return;
  s = OPEN(&c); /* create it, empty */
  if (!s) return;
  CLOSE(s);
  c.arena_size = 0;
  for (i = 0; i < SHP_N; i++) sh_init(&ctl->t[i], (uint32_t)i, seed);
  for (i = 0; i < SHP_N; i++) {
    fflush(stdout);
    pid[i] = fork();
    if (pid[i] == 0) {
      die_with_parent(self);
      _exit(shp_child(dir, i, ctl, ops));
    }
    CHECK(pid[i] > 0);
  }
  while (__atomic_load_n(&ctl->ready, __ATOMIC_SEQ_CST) < SHP_N) sleep_ns(1000000);
  s = OPEN(&c); /* this process opens before any arena is added and only reads at the end */
  if (!s) return;
  st = stat_of(s);
  count0 = st.arena_count;
  __atomic_store_n(&ctl->go, 1, __ATOMIC_SEQ_CST);
  for (i = 0; i < SHP_N; i++) {
    st_ = wait_pid(pid[i]);
    CHECKF(exited_ok(st_), "writer %d: %s; first error: %s", i, status_str(st_), ctl->t[i].err);
  }
  CHECKF(ctl->handoff_seen, "writer 2 did not read writer 1's block: %s", ctl->handoff_err);
  /* this handle reads every block of every writer, most in arenas added after it opened */
  for (i = 0; i < SHP_N; i++) {
    CHECKF(sh_adopt(s, &ctl->t[i]) == 0, "writer %d's blocks, read by another process: %s", i,
           ctl->t[i].err);
    held += sh_held(&ctl->t[i]);
  }
  CHECK(ctl->handoff != 0 && backing_root_get(s, "handoff") == ctl->handoff);
  CHECK(ctl->handoff && sh_mismatch(backing_ptr(s, ctl->handoff), 99, 1, SHP_BIG, SHP_BIG) < 0);
  backing_gc_cycle(s);
  backing_gc_cycle(s);
  CHECK_STORE(s);
  st = stat_of(s);
  CHECKF(st.arena_count > count0 + 4, "%llu arenas at the end, %llu when the reader opened",
         ULL(st.arena_count), ULL(count0));
  CHECK_EQ(st.gc_waiting, 0);
  CHECKF(st.used_blocks == held + 1, "stat.used_blocks %llu, the writers hold %llu (+1 handoff)",
         ULL(st.used_blocks), ULL(held));
  test_note("%d processes x %llu ops: %llu arenas (reader opened at %llu), %llu blocks held", SHP_N,
            ULL(ops), ULL(st.arena_count), ULL(count0), ULL(held));
  CLOSE(s);
  /* everyone left cleanly: a read-only open needs no repair, a reopen finds the same */
  CHECK_EQ(rdonly_open_rc(dir, "sp"), 0);
  s = OPEN(&c);
  if (!s) return;
  CHECK_STORE(s);
  CHECK_EQ(stat_of(s).used_blocks, held + 1);
  CLOSE(s);
  munmap(ctl, sizeof *ctl);
}

/* ---- 4. random SIGKILL under load -------------------------------------------------------- */

#define SHK_W 4
struct shk_ctl {
  int stop;       /* 1: survivor, wind down (the workers are all dead) */
  uint64_t kills; /* so far (the survivor checks every 100) */
  uint64_t checks, check_fail, survivor_ops, leaked, expected, used;
  int survivor_ready, survivor_done;
  int ready[SHK_W];
  char check_detail[200];
  struct sh_table t[SHK_W + 1]; /* the survivor's is t[SHK_W] */
};

static int shk_worker(const char *dir, int w, struct shk_ctl *ctl) {
  backing_config c = mmap_cfg(dir, "sk", 0);
  backing *s = NULL;
  struct sh_table *t = &ctl->t[w];
  struct sh_opts o;
  int rc = backing_open(&s, &c);
  memset(&o, 0, sizeof o);
  if (rc != 0) {
    sh_fail(t, "worker open: %s", err_name(rc));
    return 1;
  }
  if (sh_adopt(s, t) != 0) return 1; /* what the killed predecessor left must be intact */
  __atomic_store_n(&ctl->ready[w], 1, __ATOMIC_SEQ_CST);
  for (;;)
    if (sh_step(s, t, &o) != 0) return 1;
}

static int shk_survivor(const char *dir, struct shk_ctl *ctl) {
  backing_config c = mmap_cfg(dir, "sk", 0);
  backing *s = NULL;
  struct sh_table *t = &ctl->t[SHK_W];
  struct sh_opts o;
  backing_stats st;
  uint64_t held = 0;
  int rc = backing_open(&s, &c), w;
  memset(&o, 0, sizeof o);
  o.sole_cycler = 1;
  if (rc != 0) {
    sh_fail(t, "survivor open: %s", err_name(rc));
    return 1;
  }
  __atomic_store_n(&ctl->survivor_ready, 1, __ATOMIC_SEQ_CST);
  while (!__atomic_load_n(&ctl->stop, __ATOMIC_SEQ_CST)) {
    if (sh_step(s, t, &o) != 0) break;
    ctl->survivor_ops++;
    if (__atomic_load_n(&ctl->kills, __ATOMIC_SEQ_CST) / 100 > ctl->checks) {
      rc = backing_check(s);
      ctl->checks++;
      if (rc != 0 && ctl->check_fail++ == 0)
        snprintf(ctl->check_detail, sizeof ctl->check_detail, "after %llu kills: %s: %.150s",
                 ULL(ctl->kills), err_name(rc), backing_check_detail(s));
    }
  }
  /* every worker is dead: their blocks must be intact, the store consistent */
  for (w = 0; w <= SHK_W; w++) {
    sh_adopt(s, &ctl->t[w]);
    held += sh_held(&ctl->t[w]);
  }
  backing_gc_cycle(s);
  backing_gc_cycle(s);
  rc = backing_check(s);
  ctl->checks++;
  if (rc != 0 && ctl->check_fail++ == 0)
    snprintf(ctl->check_detail, sizeof ctl->check_detail, "at the end: %s: %.150s", err_name(rc),
             backing_check_detail(s));
  memset(&st, 0, sizeof st);
  if (backing_stat(s, &st) != 0) sh_fail(t, "stat: %s", err_name(backing_last_error()));
  ctl->expected = held;
  ctl->used = st.used_blocks;
  ctl->leaked = st.used_blocks - held;
  rc = backing_close(s);
  if (rc != 0) sh_fail(t, "survivor close: %s", err_name(rc));
  ctl->survivor_done = 1;
  return t->errors ? 1 : 0;
}

/* Lock words held by processes that are gone (read from the file, as a dead process left
   them): how many locks the next user has to take over. Counted once per word value. */
struct shk_scan {
  int fd;
  uint64_t seen[64];
  unsigned nseen;
};
static int shk_owner_alive(int fd, uint64_t word) {
  struct flock fl;
  uint64_t slot = (word >> 48) - 1;
  memset(&fl, 0, sizeof fl);
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = (off_t)BACKING__LK_SLOT(slot);
  fl.l_len = 1;
  if (fcntl(fd, F_OFD_GETLK, &fl) != 0) return 1;
  return fl.l_type != F_UNLCK;
}
static uint64_t shk_dead_locks(struct shk_scan *sc, int count_new) {
  struct stat fs;
  unsigned char *m;
  uint64_t n, i, found = 0, shift = 16, hdr = 4096;
  if (fstat(sc->fd, &fs) != 0 || fs.st_size < (off_t)(1 << 16)) return 0;
  m = (unsigned char *)mmap(NULL, (size_t)fs.st_size, PROT_READ, MAP_SHARED, sc->fd, 0);
  if (m == MAP_FAILED) return 0;
  n = __atomic_load_n((uint64_t *)(void *)(m + hdr + offsetof(backing__store, arena_count)),
                      __ATOMIC_ACQUIRE);
  if (n > (uint64_t)fs.st_size >> shift) n = (uint64_t)fs.st_size >> shift;
  for (i = 0; i <= n; i++) {
    uint64_t off = i < n ? (i << shift) + offsetof(backing__arena, lock)
                         : hdr + offsetof(backing__store, lock);
    uint64_t word = __atomic_load_n((uint64_t *)(void *)(m + off), __ATOMIC_ACQUIRE);
    unsigned k;
    int dup = 0;
    if (!word || shk_owner_alive(sc->fd, word)) continue;
    for (k = 0; k < sc->nseen && k < 64; k++) dup |= sc->seen[k] == (word ^ off);
    if (dup && count_new) continue;
    found++;
    if (count_new) sc->seen[sc->nseen++ % 64] = word ^ off;
  }
  munmap(m, (size_t)fs.st_size);
  return found;
}

static pid_t shk_spawn(const char *dir, int w, struct shk_ctl *ctl) {
  pid_t p, self = getpid();
  ctl->ready[w] = 0;
  fflush(stdout);
  p = fork();
  if (p == 0) {
    die_with_parent(self);
    _exit(shk_worker(dir, w, ctl));
  }
  return p;
}

TEST(share_random_kill) {
  char dir[512], file[600];
  backing_config c = mmap_cfg(test_path(dir, sizeof dir, "sk"), "sk", 64 * KIB);
  struct shk_ctl *ctl = (struct shk_ctl *)sh_shared_mem(sizeof *ctl);
  const char *soak_env = getenv("BACKING_SOAK");
  int soak = soak_env && *soak_env && strcmp(soak_env, "0") != 0;
  uint64_t target = soak ? 100000 : 2000, limit_ns = (soak ? 6 * 3600ull : 100ull) * 1000000000ull;
  uint64_t seed = seed_from_env(0xc0ffee), rng = seed | 1, t0, recoveries = 0, at_start = 0;
  uint64_t deadline[SHK_W], ready_at[SHK_W], delay[SHK_W], early_kills = 0, bad_exits = 0;
  struct shk_scan sc;
  pid_t pid[SHK_W], surv, self = getpid();
  backing *s;
  int w, st_, errors = 0;
  if (!CHECK(ctl != NULL)) return;
  if (soak && !getenv("TEST_TIMEOUT")) alarm(7 * 3600);
  s = OPEN(&c);
  if (!s) return;
  CLOSE(s);
  snprintf(file, sizeof file, "%s/sk.backing", dir);
  memset(&sc, 0, sizeof sc);
  sc.fd = open(file, O_RDONLY | O_CLOEXEC);
  if (!CHECK(sc.fd >= 0)) return;
  for (w = 0; w <= SHK_W; w++) sh_init(&ctl->t[w], (uint32_t)w, seed);
  fflush(stdout);
  surv = fork();
  if (surv == 0) {
    die_with_parent(self);
    _exit(shk_survivor(dir, ctl));
  }
  while (!__atomic_load_n(&ctl->survivor_ready, __ATOMIC_SEQ_CST) && !ctl->t[SHK_W].errors)
    sleep_ns(1000000);
  t0 = now_ns();
  for (w = 0; w < SHK_W; w++) {
    pid[w] = shk_spawn(dir, w, ctl);
    ready_at[w] = 0;
    delay[w] = rng_below(&rng, 3000001);
    deadline[w] = rng_below(&rng, 10) == 0 ? now_ns() + delay[w] : 0; /* 1 in 10: not waiting */
  }
  while (ctl->kills < target && now_ns() - t0 < limit_ns && !errors) {
    uint64_t now = now_ns();
    for (w = 0; w < SHK_W; w++) {
      if (!deadline[w] && __atomic_load_n(&ctl->ready[w], __ATOMIC_SEQ_CST)) {
        ready_at[w] = now;
        deadline[w] = now + delay[w];
      }
      if (deadline[w] && now >= deadline[w]) {
        early_kills += ready_at[w] == 0 && !ctl->ready[w];
        kill(pid[w], SIGKILL);
        st_ = wait_pid(pid[w]);
        if (!(WIFSIGNALED(st_) && WTERMSIG(st_) == SIGKILL)) {
          bad_exits++;
          CHECKF(0, "worker %d ended by itself (%s): %s", w, status_str(st_), ctl->t[w].err);
        }
        __atomic_add_fetch(&ctl->kills, 1, __ATOMIC_SEQ_CST);
        recoveries += shk_dead_locks(&sc, 1);
        pid[w] = shk_spawn(dir, w, ctl);
        ready_at[w] = 0;
        delay[w] = rng_below(&rng, 3000001);
        deadline[w] = rng_below(&rng, 10) == 0 ? now_ns() + delay[w] : 0;
      }
    }
    for (w = 0; w <= SHK_W; w++) errors += ctl->t[w].errors != 0; /* a check failure goes on */
    sleep_ns(50000);
  }
  for (w = 0; w < SHK_W; w++) { /* the last ones die too */
    kill(pid[w], SIGKILL);
    wait_pid(pid[w]);
    ctl->kills++;
    recoveries += shk_dead_locks(&sc, 1);
  }
  __atomic_store_n(&ctl->stop, 1, __ATOMIC_SEQ_CST);
  st_ = wait_pid(surv);
  CHECKF(exited_ok(st_), "survivor: %s; %s", status_str(st_), ctl->t[SHK_W].err);
  for (w = 0; w <= SHK_W; w++)
    CHECKF(ctl->t[w].errors == 0, "%s %d: %u errors, first: %s", w < SHK_W ? "worker" : "survivor",
           w, ctl->t[w].errors, ctl->t[w].err);
  CHECKF(ctl->check_fail == 0, "backing_check in the survivor failed %llu of %llu times; first %s",
         ULL(ctl->check_fail), ULL(ctl->checks), ctl->check_detail);
  CHECKF(ctl->kills >= target || errors, "only %llu kills in %llu s (target %llu)", ULL(ctl->kills),
         ULL((now_ns() - t0) / 1000000000ull), ULL(target));
  CHECKF(ctl->survivor_done && ctl->used >= ctl->expected,
         "stat.used_blocks %llu below the %llu blocks the tables hold", ULL(ctl->used),
         ULL(ctl->expected));
  {
    uint64_t possible = 0;
    for (w = 0; w <= SHK_W; w++) possible += ctl->t[w].leaks_possible;
    CHECKF(ctl->leaked <= possible,
           "%llu blocks leaked, more than the %llu operations that were in flight at a kill",
           ULL(ctl->leaked), ULL(possible));
  }
  /* the survivor left last and repaired: no lock is held, nothing needs recovery */
  CHECK_EQ(shk_dead_locks(&sc, 0), 0);
  CHECK_EQ(rdonly_open_rc(dir, "sk"), 0);
  c.arena_size = 0;
  s = OPEN(&c);
  if (s) {
    CHECK_STORE(s);
    at_start = stat_of(s).arena_count;
    CLOSE(s);
  }
  close(sc.fd);
  {
    uint64_t corruptions = ctl->check_fail, adopted = 0;
    for (w = 0; w <= SHK_W; w++) corruptions += ctl->t[w].errors, adopted += ctl->t[w].adopted;
    printf("kills %llu, lock recoveries %llu, corruptions %llu\n", ULL(ctl->kills), ULL(recoveries),
           ULL(corruptions));
    test_note("in %.1f s; %llu killed before ready; lock recoveries = lock words found held by a "
              "dead process right after each kill; %llu checks in the survivor; %llu tables "
              "adopted and verified; %llu blocks leaked (in-flight ops at kills: bound); %llu "
              "arenas; survivor ops %llu; seed 0x%llx",
              (double)(now_ns() - t0) / 1e9, ULL(early_kills), ULL(ctl->checks), ULL(adopted),
              ULL(ctl->leaked), ULL(at_start), ULL(ctl->survivor_ops), ULL(seed));
  }
  (void)bad_exits;
  munmap(ctl, sizeof *ctl);
}

/* ---- 6. read-only handles ---------------------------------------------------------------- */

struct shr_ctl {
  int phase; /* parent -> writer: 1 grow, 2 churn */
  int ready; /* writer -> parent: phase done */
  backing_addr a, g, big;
};

static int shr_writer(const char *dir, struct shr_ctl *ctl) {
  backing_config c = mmap_cfg(dir, "ro", 0);
  backing *s = NULL;
  uint64_t rng = 77;
  backing_addr live[64];
  int n = 0;
  if (backing_open(&s, &c) != 0) return 2;
  ctl->a = backing_alloc(s, 100);
  ctl->g = backing_gc_alloc(s, 200, 5, 1);
  if (!ctl->a || !ctl->g) return 3;
  sh_fill(backing_ptr(s, ctl->a), 1, 1, 100);
  sh_fill(backing_ptr(s, ctl->g), 1, 2, 200);
  if (backing_root_set(s, "ro-a", ctl->a) || backing_root_set(s, "ro-g", ctl->g)) return 4;
  __atomic_store_n(&ctl->ready, 1, __ATOMIC_SEQ_CST);
  while (__atomic_load_n(&ctl->phase, __ATOMIC_SEQ_CST) < 1) sleep_ns(200000);
  ctl->big = backing_alloc(s, SHP_BIG); /* a new arena, after the reader opened */
  if (!ctl->big) return 5;
  sh_fill(backing_ptr(s, ctl->big), 1, 3, SHP_BIG);
  if (backing_root_set(s, "ro-big", ctl->big)) return 6;
  __atomic_store_n(&ctl->ready, 2, __ATOMIC_SEQ_CST);
  while (__atomic_load_n(&ctl->phase, __ATOMIC_SEQ_CST) < 2) sleep_ns(200000);
  __atomic_store_n(&ctl->ready, 3, __ATOMIC_SEQ_CST);
  for (;;) { /* churn until killed, mid-operation */
    if (n < 64 && (rng_next(&rng) & 1)) {
      backing_addr x = backing_alloc(s, 1 + rng_below(&rng, 3000));
      if (x) live[n++] = x;
    } else if (n > 0) {
      backing_free(s, live[--n]);
    }
  }
}

static void shr_check_values(backing *r, const struct shr_ctl *ctl, int with_big) {
  CHECK_EQ(backing_root_get(r, "ro-a"), ctl->a);
  CHECK_EQ(backing_root_get(r, "ro-g"), ctl->g);
  CHECK(backing_sizeof(r, ctl->a) >= 100);
  CHECK(sh_mismatch(backing_ptr(r, ctl->a), 1, 1, 100, 100) < 0);
  CHECK_EQ(backing_gc_refcount(r, ctl->g), 1);
  CHECK_EQ(backing_gc_type(r, ctl->g), 5);
  CHECK(sh_mismatch(backing_ptr(r, ctl->g), 1, 2, 200, 200) < 0);
  if (with_big) {
    CHECK_EQ(backing_root_get(r, "ro-big"), ctl->big);
    CHECK(backing_sizeof(r, ctl->big) >= SHP_BIG);
    CHECK(sh_mismatch(backing_ptr(r, ctl->big), 1, 3, SHP_BIG, SHP_BIG) < 0);
  }
}

TEST(share_rdonly_reader_writer_and_recovery) {
  char dir[512];
  backing_config c = mmap_cfg(test_path(dir, sizeof dir, "ro"), "ro", 64 * KIB);
  struct shr_ctl *ctl = (struct shr_ctl *)sh_shared_mem(sizeof *ctl);
  backing *s, *r = NULL;
  backing_stats st;
  pid_t pid, self = getpid();
  int rc, wst;
  uint64_t t0;
  if (!CHECK(ctl != NULL)) return;
  s = OPEN(&c);
  if (!s) return;
  CLOSE(s);
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    die_with_parent(self);
    _exit(shr_writer(dir, ctl));
  }
  t0 = now_ns();
  while (__atomic_load_n(&ctl->ready, __ATOMIC_SEQ_CST) < 1 && now_ns() - t0 < 10000000000ull)
    sleep_ns(1000000);
  if (!CHECK_EQ(ctl->ready, 1)) goto out;
  c.arena_size = 0;
  c.flags = BACKING_RDONLY;
  rc = backing_open(&r, &c);
  if (!CHECKF(rc == 0, "read-only open with a writer attached: %s", err_name(rc))) goto out;
  shr_check_values(r, ctl, 0);
  CHECK_STORE(r);
  st = stat_of(r);
  CHECK_EQ(st.used_blocks, 2);
  /* every change is refused, and changes nothing */
  EXPECT_FAIL0(backing_alloc(r, 10), BACKING_ERDONLY);
  EXPECT_FAIL0(backing_alloc(r, 20000), BACKING_ERDONLY);
  EXPECT_FAIL0(backing_calloc(r, 10), BACKING_ERDONLY);
  EXPECT_FAIL0(backing_alloc_aligned(r, 10, 256), BACKING_ERDONLY);
  EXPECT_FAIL0(backing_realloc(r, ctl->a, 5000), BACKING_ERDONLY);
  EXPECT_FAIL0(backing_realloc(r, ctl->a, 16), BACKING_ERDONLY);
  EXPECT_FAIL0(backing_free(r, ctl->a), BACKING_ERDONLY);
  EXPECT_RC(backing_root_set(r, "ro-x", ctl->a), BACKING_ERDONLY);
  EXPECT_RC(backing_root_set(r, "ro-a", ctl->g), BACKING_ERDONLY);
  EXPECT_RC(backing_root_del(r, "ro-a"), BACKING_ERDONLY);
  EXPECT_FAIL0(backing_gc_alloc(r, 10, 1, 1), BACKING_ERDONLY);
  EXPECT_FAIL0(backing_gc_calloc(r, 10, 1, 0), BACKING_ERDONLY);
  EXPECT_FAIL0(backing_gc_ref(r, ctl->g), BACKING_ERDONLY);
  EXPECT_FAIL0(backing_gc_unref(r, ctl->g), BACKING_ERDONLY);
  EXPECT_FAIL0(backing_gc_cycle(r), BACKING_ERDONLY);
  EXPECT_FAIL0(backing_gc_step(r), BACKING_ERDONLY);
  EXPECT_FAIL0(backing_gc_free(r, ctl->g), BACKING_ERDONLY);
  shr_check_values(r, ctl, 0);
  st = stat_of(r);
  CHECK_EQ(st.used_blocks, 2);
  /* the writer adds an arena: the reader reads in it without reopening */
  __atomic_store_n(&ctl->phase, 1, __ATOMIC_SEQ_CST);
  t0 = now_ns();
  while (__atomic_load_n(&ctl->ready, __ATOMIC_SEQ_CST) < 2 && now_ns() - t0 < 10000000000ull)
    sleep_ns(1000000);
  if (CHECK_EQ(ctl->ready, 2)) {
    CHECK(ctl->big >> 16 >= 1);
    shr_check_values(r, ctl, 1);
  }
  /* the writer is killed in the middle of its churn; no writer is left */
  __atomic_store_n(&ctl->phase, 2, __ATOMIC_SEQ_CST);
  while (__atomic_load_n(&ctl->ready, __ATOMIC_SEQ_CST) < 3 && now_ns() - t0 < 10000000000ull)
    sleep_ns(1000000);
  sleep_ns(20000000);
  kill(pid, SIGKILL);
  wst = wait_pid(pid);
  pid = 0;
  CHECKF(WIFSIGNALED(wst) && WTERMSIG(wst) == SIGKILL, "writer: %s", status_str(wst));
  shr_check_values(r, ctl, 1); /* the reader still reads */
  CLOSE(r);
  r = NULL;
  CHECK_EQ(rdonly_open_rc(dir, "ro"), BACKING_ERECOVER);
  CHECK_EQ(rdonly_open_rc(dir, "ro"), BACKING_ERECOVER); /* a refusal changes nothing */
  c.flags = 0;
  s = OPEN(&c); /* a writer repairs */
  if (s) {
    CHECK_STORE(s);
    shr_check_values(s, ctl, 1);
    CLOSE(s);
  }
  CHECK_EQ(rdonly_open_rc(dir, "ro"), 0);
  c.flags = BACKING_RDONLY;
  rc = backing_open(&r, &c);
  if (CHECKF(rc == 0, "read-only open after the repair: %s", err_name(rc))) {
    shr_check_values(r, ctl, 1);
    CHECK_CLOSE(r);
  }
out:
  if (pid > 0) {
    kill(pid, SIGKILL);
    wait_pid(pid);
  }
  munmap(ctl, sizeof *ctl);
}

/* ---- 7. close from inside a walk --------------------------------------------------------- */

struct shw_ctx {
  int calls, rc, err;
};
static int shw_close_cb(backing *s, backing_addr a, uint64_t size, int state, void *ctx) {
  struct shw_ctx *x = (struct shw_ctx *)ctx;
  (void)a, (void)size, (void)state;
  x->calls++;
  prime_error(BACKING_EBUSY);
  x->rc = backing_close(s);
  x->err = backing_last_error();
  return 7;
}

static void shw_run(backing *s, int writable) {
  struct shw_ctx x;
  backing_addr a = 0;
  memset(&x, 0, sizeof x);
  CHECK_EQ(backing_walk(s, shw_close_cb, &x), 7);
  CHECK_EQ(x.calls, 1);
  CHECKF(x.rc == BACKING_EBUSY && x.err == BACKING_EBUSY,
         "backing_close inside a walk callback returned %s (last error %s), want BACKING_EBUSY",
         err_name(x.rc), err_name(x.err));
  if (x.rc != BACKING_EBUSY) return; /* the handle is gone: nothing more to try */
  /* the handle is still usable, and its locks were given back */
  if (writable) {
    a = backing_alloc(s, 100);
    CHECK(a != 0);
    CHECK(backing_free(s, a) >= 100);
  }
  CHECK_STORE(s);
  memset(&x, 0, sizeof x);
  CHECK_EQ(backing_walk(s, shw_close_cb, &x), 7);
  CHECK_EQ(x.rc, BACKING_EBUSY);
  CLOSE(s);
}

TEST(share_close_inside_walk_is_busy) {
  char dir[512];
  backing_config m = mem_cfg(64 * KIB, 0);
  backing_config c = mmap_cfg(test_path(dir, sizeof dir, "cw"), "cw", 64 * KIB);
  backing *s = OPEN(&m);
  if (s) {
    CHECK(backing_alloc(s, 50) != 0);
    shw_run(s, 1);
  }
  s = OPEN(&c);
  if (s) {
    CHECK(backing_alloc(s, 5000) != 0);
    shw_run(s, 1);
  }
}

/* A read-only handle takes no lock during a walk; closing it from the callback must not
   free the handle under the walk either. */
TEST(share_close_inside_walk_rdonly_is_busy) {
  char dir[512];
  backing_config c = mmap_cfg(test_path(dir, sizeof dir, "cr"), "cr", 64 * KIB);
  backing *s = OPEN(&c);
  if (!s) return;
  CHECK(backing_alloc(s, 5000) != 0);
  CLOSE(s);
  c.flags = BACKING_RDONLY;
  s = OPEN(&c);
  if (s) shw_run(s, 0);
}

/* A writer and a reader both close cleanly, the reader last: the store is clean, so a later
   read-only open (first to attach) must not ask for recovery. */
TEST(share_rdonly_after_writer_and_reader_close) {
  char dir[512];
  backing_config c = mmap_cfg(test_path(dir, sizeof dir, "rwro"), "rwro", 64 * KIB);
  backing_config rc = c;
  backing *w, *r, *r2 = NULL;
  int e;
  rc.flags = BACKING_RDONLY;
  w = OPEN(&c);
  if (!w) return;
  CHECK(backing_alloc(w, 100) != 0);
  r = OPEN(&rc);
  if (!r) {
    CLOSE(w);
    return;
  }
  CLOSE(w);
  CLOSE(r);
  e = backing_open(&r2, &rc);
  CHECKF(e == 0, "read-only open of a cleanly closed store: %s", err_name(e));
  if (r2) CLOSE(r2);
}

/* A writer that joins while only readers are attached is still the session's first
   writer: it marks the store dirty (with the boot id and the file), so that its death is
   repaired and a machine crash is noticed. It used to do so only when nobody at all was
   attached, and a writer that joined at its first change, after a reader had opened,
   left the store marked clean for its whole session. */
TEST(share_writer_beside_reader_marks_dirty) {
  char dir[512];
  int order;
  for (order = 0; order < 2; order++) {
    backing_config c = mmap_cfg(test_path(dir, sizeof dir, order ? "rw" : "wr"), "d", 64 * KIB);
    backing_config cr = c;
    backing *w = NULL, *r = NULL;
    cr.flags = BACKING_RDONLY;
    w = OPEN(&c);
    if (!w) return;
    CHECK(backing_alloc(w, 10) != 0);
    CLOSE(w);         /* a clean store */
    if (order == 0) { /* the writer opens first (and joins at its first change) */
      w = OPEN(&c);
      r = OPEN(&cr);
    } else { /* a reader is attached before the writer opens */
      r = OPEN(&cr);
      w = OPEN(&c);
    }
    if (!w || !r) return;
    CHECK_EQ(backing__st(r)->dirty, 0); /* nobody has changed anything yet */
    CHECK(backing_alloc(w, 100) != 0);
    CHECKF(backing__st(w)->dirty == 1, "%s: a writer beside a reader left the store clean",
           order ? "reader first" : "writer first");
    CLOSE(w);
    CHECK_EQ(backing__st(r)->dirty, 0); /* the last writer left: clean again */
    CLOSE(r);
  }
}

/* A read-only handle takes no locks, so it can read a change another process is making
   half made. Its backing_check and backing_stat let a writer holding an arena's lock
   finish and look again before they call anything damage: with a writer churning beside
   it, a read-only check that says ECORRUPT is almost never a false alarm (before: about
   a third of the checks and stats said so; now a few in a thousand at most). */
TEST(share_rdonly_check_beside_a_writer) {
  backing_config c = mmap_cfg(test_dir(), "roc", 64 * KIB), rc;
  backing *s = OPEN(&c), *r;
  volatile int *stop = (volatile int *)sh_shared_mem(sizeof(int));
  backing_stats bs;
  int i, st, bad = 0, rounds = 300;
  pid_t pid;
  if (!s || !CHECK(stop != NULL)) return;
  CLOSE(s);
  pid = fork();
  if (pid == 0) { /* the writer: small and large blocks in and out, until told to stop */
    backing *u = NULL;
    backing_addr b[256] = {0};
    uint64_t rng = 99;
    if (backing_open(&u, &c) != 0) _exit(2);
    while (!__atomic_load_n(stop, __ATOMIC_ACQUIRE)) {
      unsigned k = (unsigned)rng_below(&rng, 256);
      if (b[k]) {
        backing_free(u, b[k]);
        b[k] = 0;
      } else
        b[k] = backing_alloc(u, 16 + rng_below(&rng, 20000));
    }
    _exit(backing_close(u) == 0 ? 0 : 3);
  }
  sleep_ns(50000000);
  rc = c;
  rc.flags = BACKING_RDONLY;
  r = OPEN(&rc);
  for (i = 0; r && i < rounds; i++) {
    bad += backing_check(r) != 0;
    bad += backing_stat(r, &bs) != 0;
  }
  __atomic_store_n(stop, 1, __ATOMIC_RELEASE);
  st = wait_pid(pid);
  CHECKF(exited_ok(st), "the writer: %s", status_str(st));
  CHECKF(bad <= rounds / 100, "%d of %d read-only checks and stats beside a writer said ECORRUPT",
         bad, 2 * rounds);
  test_note("%d of %d read-only checks and stats beside a writer said ECORRUPT", bad, 2 * rounds);
  if (r) {
    CHECK_OK(backing_check(r)); /* the writer closed: all quiet */
    CLOSE(r);
  }
}
