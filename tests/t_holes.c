/* t_holes.c: regression tests for the crash-protocol holes 2-4 of issue 13 (hole 1, a kill
   inside realloc's grow-at-top, belongs to the instruction-level kill sweep). */

/* Waits for a child up to `secs` seconds; kills it (SIGKILL) if it is still running then.
   Returns its wait status, or -1 when it had to be killed. */
static int hole_wait(pid_t pid, int secs) {
  int status = 0, i;
  for (i = 0; i < secs * 100; i++) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return status;
    usleep(10000);
  }
  kill(pid, SIGKILL);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return -1;
}

/* _exit for a forked child, after flushing what it printed. */
static void hole_exit(int code) {
  fflush(stdout);
  _exit(code);
}

/* ---- hole 2: a copy of a store taken while it is being written ------------------------- */

struct hole_live {
  int ready, stop, failed;
  uint64_t ops;
  char err[200];
};

/* The writer: allocs, frees, reallocs and GC work on an MMAP store until told to stop. */
static int hole_live_writer(const char *dir, struct hole_live *sh) {
  backing_config cfg = mmap_cfg(dir, "s", 64 * KIB);
  backing *s = NULL;
  backing_addr held[200];
  int rc;
  uint64_t rng = 0x5eed1234ull, ops = 0;
  cfg.max_size = 32 * 64 * KIB;
  rc = backing_open(&s, &cfg);
  if (rc != 0) {
    snprintf(sh->err, sizeof sh->err, "writer: open: %s", err_name(rc));
    return 1;
  }
  (void)backing_gc_set_lifetime(s, 2);
  memset(held, 0, sizeof held);
  while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
    uint64_t op = rng_below(&rng, 10), i = rng_below(&rng, 200);
    uint64_t size = 16 + rng_below(&rng, rng_below(&rng, 4) == 0 ? 20000 : 600);
    if (op < 4) { /* alloc (or replace) */
      if (held[i]) (void)backing_free(s, held[i]);
      held[i] = backing_alloc(s, size);
      if (held[i]) memset(backing_ptr(s, held[i]), (int)(i & 0xff), (size_t)size);
    } else if (op < 6) { /* free */
      if (held[i]) (void)backing_free(s, held[i]);
      held[i] = 0;
    } else if (op < 8) { /* realloc, shrink or grow */
      if (held[i]) {
        backing_addr b = backing_realloc(s, held[i], size);
        if (b) held[i] = b;
      }
    } else if (op < 9) { /* a GC block that waits at count 0, or one taken to 1 and back */
      backing_addr g = backing_gc_alloc(s, size % 3000, 1 + (uint32_t)(i % 4), 1);
      if (g) (void)backing_gc_unref(s, g);
    } else {
      (void)backing_gc_cycle(s);
    }
    if (++ops == 2000) __atomic_store_n(&sh->ready, 1, __ATOMIC_RELEASE);
  }
  __atomic_store_n(&sh->ops, ops, __ATOMIC_RELEASE);
  rc = backing_check(s);
  if (rc != 0) {
    snprintf(sh->err, sizeof sh->err, "writer: check: %s (%.120s)", err_name(rc),
             backing_check_detail(s));
    (void)backing_close(s);
    return 1;
  }
  return backing_close(s) == 0 ? 0 : 1;
}

/* Opens one copy: exit 0 opened, checked clean and used; 10 refused with a code; 11 opened
   with backing_check failing (it is used all the same, to see whether that crashes); 12
   check failed after the use. A crash is a signal. */
static int hole_open_copy(const char *dir) {
  backing_config cfg = mmap_cfg(dir, "s", 0);
  backing *s = NULL;
  backing_addr a[100];
  int rc, i, bad = 0;
  alarm(30);
  rc = backing_open(&s, &cfg);
  if (rc != 0) return 10;
  if (backing_check(s) != 0) {
    printf("  [hole_02_live_copy] %s: opened, check: %s\n", dir, backing_check_detail(s));
    bad = 11;
  }
  for (i = 0; i < 100; i++) {
    a[i] = backing_alloc(s, (uint64_t)(16 + (i * 977) % 9000));
    if (a[i]) memset(backing_ptr(s, a[i]), 0x5a, (size_t)(16 + (i * 977) % 9000));
    if (i % 3 == 2 && a[i - 1]) {
      (void)backing_free(s, a[i - 1]);
      a[i - 1] = 0;
    }
  }
  for (i = 0; i < 100; i++)
    if (a[i]) (void)backing_free(s, a[i]);
  rc = backing_check(s);
  if (rc != 0 && !bad) {
    printf("  [hole_02_live_copy] %s: after use, check: %s\n", dir, backing_check_detail(s));
    bad = 12;
  }
  (void)backing_close(s);
  return bad;
}

/* Copies a file 4 KiB at a time (a copy tool's pace, so the writer runs between reads). */
static int hole_copy_slowly(const char *from, const char *to) {
  char buf[4096];
  int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600), rc = 0;
  ssize_t n;
  if (in < 0 || out < 0) rc = -1;
  while (rc == 0 && (n = read(in, buf, sizeof buf)) > 0)
    if (write(out, buf, (size_t)n) != n) rc = -1;
  if (in >= 0) close(in);
  if (out >= 0 && close(out) != 0) rc = -1;
  return rc;
}

TEST(hole_02_live_copy) {
  char dir[512], f[600], cdir[40][560], cf[700];
  struct hole_live *sh = (struct hole_live *)sh_shared_mem(sizeof *sh);
  pid_t w;
  int i, st, copied = 0, clean = 0, refused = 0, badcheck = 0, badlater = 0, crashed = 0;
  if (!CHECK(sh != NULL)) return;
  test_path(dir, sizeof dir, "live");
  snprintf(f, sizeof f, "%s/s.backing", dir);
  fflush(stdout);
  w = fork();
  if (w == 0) hole_exit(hole_live_writer(dir, sh));
  if (!CHECK(w > 0)) return;
  for (i = 0; i < 1000 && !__atomic_load_n(&sh->ready, __ATOMIC_ACQUIRE); i++) usleep(10000);
  if (!CHECKF(__atomic_load_n(&sh->ready, __ATOMIC_ACQUIRE), "the writer never got going: %s",
              sh->err)) {
    kill(w, SIGKILL);
    waitpid(w, &st, 0);
    return;
  }
  for (i = 0; i < 40; i++) { /* like cp: read the live file, write a new one */
    snprintf(cdir[i], sizeof cdir[i], "%s/copy%02d", test_dir(), i);
    mkdir(cdir[i], 0700);
    snprintf(cf, sizeof cf, "%s/copy%02d/s.backing", test_dir(), i);
    copied += hole_copy_slowly(f, cf) == 0;
    usleep(5000 + 1000 * (useconds_t)(i % 7));
  }
  __atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
  st = hole_wait(w, 60);
  CHECKF(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer: status %d: %s", st, sh->err);
  CHECK_EQ(copied, 40);
  for (i = 0; i < 40; i++) {
    pid_t p;
    fflush(stdout);
    p = fork();
    if (p == 0) hole_exit(hole_open_copy(cdir[i]));
    if (!CHECK(p > 0)) break;
    st = hole_wait(p, 60);
    if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
      clean++;
    else if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 10)
      refused++;
    else if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 11)
      badcheck++;
    else if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 12)
      badlater++;
    else {
      crashed++;
      if (st >= 0 && WIFSIGNALED(st))
        test_note("copy %d: killed by signal %d (%s)", i, WTERMSIG(st), strsignal(WTERMSIG(st)));
      else
        test_note("copy %d: status %d (hung or exited oddly)", i, st);
    }
  }
  test_note("writer ran %llu ops; 40 live copies: %d opened clean, %d refused, %d opened with "
            "check failing (then used), %d failed check after use, %d crashed or hung",
            ULL(sh->ops), clean, refused, badcheck, badlater, crashed);
  CHECK_EQ(crashed, 0);
  CHECK_EQ(badcheck, 0);
  CHECK_EQ(badlater, 0);
}

/* ---- hole 3: a slot reused before what its last owner left was repaired ---------------- */

static int hole_kill_in_walk(backing *s, backing_addr a, uint64_t size, int state, void *ctx) {
  (void)s, (void)a, (void)size, (void)state, (void)ctx;
  kill(getpid(), SIGKILL); /* dies holding the arena's lock */
  return 1;
}

/* argv[0]: the store's directory. Opens it read-write and dies inside a walk of arena 0. */
CHILD(hole03_die_in_walk) {
  backing_config cfg;
  backing *s = NULL;
  if (argc < 1) return 2;
  cfg = mmap_cfg(argv[0], "s", 0);
  if (backing_open(&s, &cfg) != 0) return 3;
  if (backing_alloc(s, 100) == 0) return 4;
  (void)backing_walk(s, hole_kill_in_walk, NULL);
  return 5; /* not reached */
}

/* argv[0]: the store's directory. Opens it read-write (taking the first free slot: the
   dead process's) and closes it. */
CHILD(hole03_open_close) {
  backing_config cfg;
  backing *s = NULL;
  int rc;
  if (argc < 1) return 2;
  cfg = mmap_cfg(argv[0], "s", 0);
  rc = backing_open(&s, &cfg);
  if (rc != 0) {
    printf("  [hole_03_slot_reuse] second process: open: %s\n", err_name(rc));
    return 3;
  }
  return backing_close(s) == 0 ? 0 : 4;
}

TEST(hole_03_slot_reuse) {
  char dir[512];
  backing_config cfg;
  backing *s, *r = NULL;
  int st, rc;
  test_path(dir, sizeof dir, "store");
  cfg = mmap_cfg(dir, "s", 64 * KIB);
  s = OPEN(&cfg); /* the survivor: attached across the death, so nobody recovers at open */
  if (!s) return;
  CHECK(backing_alloc(s, 200) != 0);
  st = test_spawn_child("hole03_die_in_walk", dir, NULL);
  CHECKF(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "first process: status 0x%x, want SIGKILL",
         st);
  /* the premise: the dead process left arena 0 locked */
  CHECK(__atomic_load_n(&backing__ar(s, 0)->lock, __ATOMIC_ACQUIRE) != 0);
  st = test_spawn_child("hole03_open_close", dir, NULL);
  CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "second process: status 0x%x", st);
  CLOSE(s);
  /* everyone has left: the store is either still marked for recovery or repaired */
  cfg.arena_size = 0;
  cfg.flags = BACKING_RDONLY;
  rc = backing_open(&r, &cfg);
  if (rc == BACKING_ERECOVER) return;
  if (!CHECKF(rc == 0, "read-only open: %s, want BACKING_ERECOVER or 0", err_name(rc))) return;
  CHECK_STORE(r);
  /* a store marked clean has been repaired: no lock is left held by the dead process */
  {
    uint32_t i, n = stat_of(r).arena_count;
    for (i = 0; i < n; i++)
      CHECKF(__atomic_load_n(&backing__ar(r, i)->lock, __ATOMIC_ACQUIRE) == 0,
             "arena %u: lock word 0x%llx still held in a store marked clean", i,
             ULL(__atomic_load_n(&backing__ar(r, i)->lock, __ATOMIC_ACQUIRE)));
  }
  CLOSE(r);
}

/* ---- hole 4: a slot generation that wraps makes a dead owner look alive ---------------- */

TEST(hole_04_generation_wrap) {
  char dir[512], f[600];
  backing_config cfg;
  backing *s;
  uint64_t lock_id, word, got = 1;
  uint32_t gen, fgen = 0, hdr, state = 1;
  size_t lock_off, gen_off, state_off;
  int slot, fd, st;
  pid_t p;
  test_path(dir, sizeof dir, "store");
  snprintf(f, sizeof f, "%s/s.backing", dir);
  cfg = mmap_cfg(dir, "s", 64 * KIB);
  s = OPEN(&cfg);
  if (!s) return;
  CHECK(backing_alloc(s, 64) != 0);
  slot = s->slot;
  lock_id = s->lock_id; /* this process's owner id: its slot and generation, no thread */
  hdr = s->hdr_size;
  gen = backing__st(s)->slots[slot].gen;
  CLOSE(s);
  if (!CHECK(slot >= 0)) return;

  /* a thread id nobody has: a process that has exited */
  fflush(stdout);
  p = fork();
  if (p == 0) _exit(0);
  if (!CHECK(p > 0)) return;
  waitpid(p, &st, 0);
  word = lock_id | ((uint64_t)p & 0x3fffffu);

  /* the file as a process in `slot`, generation `gen`, would leave it had it died holding
     arena 0's lock, after 65,535 claims of its slot by processes that came and went: the
     next process to claim the slot (the first free one) gets generation gen + 65536 */
  lock_off = offsetof(backing__arena, lock);
  gen_off = hdr + offsetof(backing__store, slots) + (size_t)slot * sizeof(uint32_t) * 2;
  state_off = gen_off + sizeof(uint32_t);
  fd = open(f, O_RDWR);
  if (!CHECK(fd >= 0)) return;
  /* the offsets are right: arena 0's lock is free and the slot holds the generation */
  CHECK(pread(fd, &got, sizeof got, (off_t)lock_off) == (ssize_t)sizeof got && got == 0);
  CHECK(pread(fd, &fgen, sizeof fgen, (off_t)gen_off) == (ssize_t)sizeof fgen && fgen == gen);
  fgen = gen + 65535u;
  CHECK(pwrite(fd, &word, sizeof word, (off_t)lock_off) == (ssize_t)sizeof word);
  CHECK(pwrite(fd, &fgen, sizeof fgen, (off_t)gen_off) == (ssize_t)sizeof fgen);
  CHECK(pwrite(fd, &state, sizeof state, (off_t)state_off) == (ssize_t)sizeof state);
  close(fd);

  /* a new process opens and allocates: the lock's owner is dead, whatever the low bits
     of the generation say, so it must not wait on it */
  fflush(stdout);
  p = fork();
  if (p == 0) {
    backing *t = NULL;
    int rc;
    cfg.arena_size = 0;
    rc = backing_open(&t, &cfg);
    if (rc != 0) {
      printf("  [hole_04_generation_wrap] open: %s\n", err_name(rc));
      hole_exit(3);
    }
    if (backing_alloc(t, 64) == 0) {
      printf("  [hole_04_generation_wrap] alloc: %s\n", err_name(backing_last_error()));
      hole_exit(4);
    }
    rc = backing_check(t);
    if (rc != 0) {
      printf("  [hole_04_generation_wrap] check: %s\n", backing_check_detail(t));
      hole_exit(5);
    }
    hole_exit(backing_close(t) == 0 ? 0 : 6);
  }
  if (!CHECK(p > 0)) return;
  st = hole_wait(p, 5);
  CHECKF(st >= 0, "open + alloc still waiting after 5 s on a lock whose owner is dead");
  if (st >= 0) CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "open + alloc: status 0x%x", st);
}
