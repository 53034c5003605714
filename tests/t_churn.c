/* t_churn.c: randomised churn against a shadow model, with backing_check after every
   operation. The seed is printed; BACKING_SEED=<n> replays a run. */

struct churn_block {
  backing_addr a;
  uint64_t usable;
  uint64_t key;
};
struct churn {
  backing *s;
  struct churn_block *b;
  size_t n, cap;
  uint64_t rng, gen, sum, op, enospace;
  int broken;
};

static uint64_t churn_key(backing_addr a, uint64_t gen) {
  return mix64(a) ^ (gen << 20);
}

static uint64_t churn_size(struct churn *c) {
  uint64_t r = rng_below(&c->rng, 100);
  if (r < 80) return 1 + rng_below(&c->rng, 256);
  if (r < 97) return 1 + rng_below(&c->rng, 4096);
  return 1 + rng_below(&c->rng, 20000);
}

static int churn_fail(struct churn *c, const char *what) {
  c->broken = 1;
  test_note("churn broke at op %llu (%s)", ULL(c->op), what);
  return 0;
}

/* The new block [a, a + usable) must not overlap any live one except `skip`. */
static int churn_no_overlap(struct churn *c, backing_addr a, uint64_t usable, size_t skip) {
  size_t i;
  for (i = 0; i < c->n; i++) {
    const struct churn_block *o = &c->b[i];
    if (i == skip) continue;
    if (a < o->a + o->usable && o->a < a + usable)
      return CHECKF(0, "op %llu: block %llu+%llu overlaps live %llu+%llu", ULL(c->op), ULL(a),
                    ULL(usable), ULL(o->a), ULL(o->usable));
  }
  return 1;
}

static int churn_verify(struct churn *c, size_t i) {
  const struct churn_block *b = &c->b[i];
  long long at = find_pattern_mismatch(backing_ptr(c->s, b->a), b->usable, b->key);
  return CHECKF(at < 0, "op %llu: block %llu (%llu bytes) changed at byte %lld", ULL(c->op),
                ULL(b->a), ULL(b->usable), at);
}

static void churn_fill(struct churn *c, size_t i) {
  struct churn_block *b = &c->b[i];
  b->key = churn_key(b->a, ++c->gen);
  fill_pattern(backing_ptr(c->s, b->a), b->usable, b->key);
}

static int churn_free_at(struct churn *c, size_t i) {
  uint64_t got;
  if (!churn_verify(c, i)) return churn_fail(c, "contents before free");
  got = backing_free(c->s, c->b[i].a);
  if (!CHECKF(got == c->b[i].usable, "op %llu: free(%llu) = %llu, want %llu", ULL(c->op),
              ULL(c->b[i].a), ULL(got), ULL(c->b[i].usable)))
    return churn_fail(c, "free");
  c->sum -= c->b[i].usable;
  c->b[i] = c->b[--c->n];
  return 1;
}

/* A new block from alloc, calloc or alloc_aligned. */
static int churn_new(struct churn *c, int kind) {
  uint64_t size = churn_size(c), align = 16, usable;
  backing_addr a;
  const char *name = kind == 0 ? "alloc" : kind == 1 ? "calloc" : "alloc_aligned";
  void *p;
  if (kind == 0)
    a = backing_alloc(c->s, size);
  else if (kind == 1)
    a = backing_calloc(c->s, size);
  else {
    align = 1ull << (4 + rng_below(&c->rng, 9));
    a = backing_alloc_aligned(c->s, size, align);
  }
  if (!a) {
    int e = backing_last_error();
    if (!CHECKF(e == BACKING_ENOSPACE, "op %llu: %s(%llu) failed with %s", ULL(c->op), name,
                ULL(size), err_name(e)))
      return churn_fail(c, name);
    c->enospace++;
    /* full: free about a quarter of the blocks */
    while (c->n > 0 && rng_below(&c->rng, 4) != 0) {
      if (!churn_free_at(c, (size_t)rng_below(&c->rng, c->n))) return 0;
      if (rng_below(&c->rng, 8) == 0) break;
    }
    return 1;
  }
  usable = backing_sizeof(c->s, a);
  p = backing_ptr(c->s, a);
  if (!CHECKF(a % align == 0 && (uintptr_t)p % align == 0 && usable >= size,
              "op %llu: %s(%llu, align %llu) = %llu, usable %llu", ULL(c->op), name, ULL(size),
              ULL(align), ULL(a), ULL(usable)))
    return churn_fail(c, name);
  if (kind == 1 && !CHECKF(all_bytes_are(p, usable, 0), "op %llu: calloc(%llu) not zeroed",
                           ULL(c->op), ULL(size)))
    return churn_fail(c, "calloc zero");
  if (!churn_no_overlap(c, a, usable, (size_t)-1)) return churn_fail(c, "overlap");
  if (c->n == c->cap) {
    c->cap = c->cap ? c->cap * 2 : 1024;
    c->b = (struct churn_block *)realloc(c->b, c->cap * sizeof *c->b);
  }
  c->b[c->n].a = a;
  c->b[c->n].usable = usable;
  churn_fill(c, c->n);
  c->n++;
  c->sum += usable;
  return 1;
}

static int churn_realloc(struct churn *c) {
  size_t i;
  struct churn_block old;
  uint64_t size = churn_size(c), usable, keep;
  backing_addr a;
  if (c->n == 0) return churn_new(c, 0);
  i = (size_t)rng_below(&c->rng, c->n);
  old = c->b[i];
  if (!churn_verify(c, i)) return churn_fail(c, "contents before realloc");
  a = backing_realloc(c->s, old.a, size);
  if (!a) {
    int e = backing_last_error();
    if (!CHECKF(e == BACKING_ENOSPACE, "op %llu: realloc(%llu, %llu) failed with %s", ULL(c->op),
                ULL(old.a), ULL(size), err_name(e)))
      return churn_fail(c, "realloc");
    c->enospace++;
    if (!CHECKF(backing_sizeof(c->s, old.a) == old.usable, "failed realloc changed the block"))
      return churn_fail(c, "realloc failure");
    if (!churn_verify(c, i)) return churn_fail(c, "contents after failed realloc");
    return churn_free_at(c, i);
  }
  usable = backing_sizeof(c->s, a);
  if (!CHECKF(a % 16 == 0 && usable >= size, "op %llu: realloc to %llu gave %llu usable",
              ULL(c->op), ULL(size), ULL(usable)))
    return churn_fail(c, "realloc size");
  keep = usable < old.usable ? usable : old.usable;
  if (!CHECKF(find_pattern_mismatch(backing_ptr(c->s, a), keep, old.key) < 0,
              "op %llu: realloc %llu -> %llu lost contents", ULL(c->op), ULL(old.usable),
              ULL(usable)))
    return churn_fail(c, "realloc contents");
  if (!churn_no_overlap(c, a, usable, i)) return churn_fail(c, "overlap after realloc");
  c->sum += usable - old.usable;
  c->b[i].a = a;
  c->b[i].usable = usable;
  churn_fill(c, i);
  return 1;
}

static int churn_step(struct churn *c) {
  uint64_t r = rng_below(&c->rng, 100);
  if (r < 35) return churn_new(c, 0);
  if (r < 45) return churn_new(c, 1);
  if (r < 55) return churn_new(c, 2);
  if (r < 70) return churn_realloc(c);
  if (c->n == 0) return churn_new(c, 0);
  return churn_free_at(c, (size_t)rng_below(&c->rng, c->n));
}

static int churn_counters(struct churn *c) {
  backing_stats st = stat_of(c->s);
  int ok = CHECKF(st.used_blocks == c->n, "op %llu: stat.used_blocks %llu, shadow %llu", ULL(c->op),
                  ULL(st.used_blocks), ULL(c->n));
  ok &= CHECKF(st.used_bytes == c->sum, "op %llu: stat.used_bytes %llu, shadow %llu", ULL(c->op),
               ULL(st.used_bytes), ULL(c->sum));
  ok &= CHECKF(st.capacity <= 1 * MIB, "capacity %llu past max_size", ULL(st.capacity));
  return ok;
}

static void churn_run(backing_config *cfg, uint64_t ops, uint64_t reopen_at) {
  struct churn c;
  uint64_t seed = seed_from_env(0x243f6a8885a308d3ull);
  size_t i;
  memset(&c, 0, sizeof c);
  c.rng = seed;
  test_note("seed %llu (BACKING_SEED=%llu replays it), %llu ops", ULL(seed), ULL(seed), ULL(ops));
  c.s = OPEN(cfg);
  if (!c.s) return;
  for (c.op = 1; c.op <= ops && !c.broken; c.op++) {
    if (!churn_step(&c)) break;
    if (!check_store_(c.s, __FILE__, __LINE__)) {
      churn_fail(&c, "backing_check");
      break;
    }
    if (c.op % 100 == 0 && !churn_counters(&c)) {
      churn_fail(&c, "counters");
      break;
    }
    if (c.op % 1000 == 0) {
      for (i = 0; i < c.n; i++)
        if (!churn_verify(&c, i)) break;
      if (i < c.n) {
        churn_fail(&c, "live contents");
        break;
      }
    }
    if (c.op == reopen_at) {
      CLOSE(c.s);
      cfg->arena_size = 0; /* what the store has */
      c.s = OPEN(cfg);
      if (!c.s) return;
      for (i = 0; i < c.n; i++)
        if (!churn_verify(&c, i)) break;
      if (i < c.n || !churn_counters(&c)) {
        churn_fail(&c, "after reopen");
        break;
      }
    }
  }
  test_note("%llu ops, %llu ENOSPACE, %zu live at the end, %llu arenas", ULL(c.op) - 1,
            ULL(c.enospace), c.n, ULL(stat_of(c.s).arena_count));
  CHECKF(c.enospace > 0, "the churn never filled the store");
  if (!c.broken) {
    while (c.n > 0)
      if (!churn_free_at(&c, c.n - 1)) break;
    CHECK_STORE(c.s);
    CHECK_EQ(stat_of(c.s).used_blocks, 0);
    CHECK_EQ(stat_of(c.s).used_bytes, 0);
    CHECK_ONE_FREE_REGION_PER_ARENA(c.s);
  }
  CLOSE(c.s);
  free(c.b);
}

TEST(churn_memory_20000_ops) {
  backing_config c = mem_cfg(64 * KIB, 1 * MIB);
  churn_run(&c, 20000, 0);
}

TEST(churn_mmap_with_reopen) {
  backing_config c = mmap_cfg(test_dir(), "churn", 64 * KIB);
  c.max_size = 1 * MIB;
  churn_run(&c, 8000, 4000);
}
