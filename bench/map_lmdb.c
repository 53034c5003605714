/* bench/map_lmdb.c: benchmark H (maps) for LMDB, in its own process.
   Usage: bench-map-lmdb DIR (an environment made in DIR, removed after).

   MDB_NOSYNC | MDB_NOMETASYNC (no fsync, as no other subject syncs); each build inserts
   every key in one write transaction (mdb_put, then one commit, inside the timing), and
   each lookup pass runs in one read transaction (mdb_get). Bytes per entry: the size of
   data.mdb / n. */
#define _GNU_SOURCE
#include "map.h"

#include <lmdb.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAP_LMDB_SIZE (2ull << 30)

static char data_path[4096], lock_path[4096];

#define CK(call)                                                      \
  do {                                                                \
    int rc_ = (call);                                                 \
    if (rc_) bench_die("map lmdb: %s: %s", #call, mdb_strerror(rc_)); \
  } while (0)

static MDB_env *env_open(const char *dir, MDB_dbi *dbi) {
  MDB_env *env;
  MDB_txn *txn;
  CK(mdb_env_create(&env));
  CK(mdb_env_set_mapsize(env, MAP_LMDB_SIZE));
  CK(mdb_env_open(env, dir, MDB_NOSYNC | MDB_NOMETASYNC, 0644));
  CK(mdb_txn_begin(env, NULL, 0, &txn));
  CK(mdb_dbi_open(txn, NULL, 0, dbi));
  CK(mdb_txn_commit(txn));
  return env;
}

static void env_remove(void) {
  unlink(data_path);
  unlink(lock_path);
}

static BENCH_NOINLINE uint64_t insert_all(MDB_env *env, MDB_dbi dbi, const map_keys *k) {
  uint64_t t0 = bench_now_ns();
  MDB_txn *txn;
  uint32_t i;
  CK(mdb_txn_begin(env, NULL, 0, &txn));
  for (i = 0; i < k->n; i++) {
    uint64_t v = (uint64_t)i + 1;
    MDB_val key, val;
    key.mv_data = (void *)map_key(k, i);
    key.mv_size = k->len[i];
    val.mv_data = &v;
    val.mv_size = sizeof v;
    CK(mdb_put(txn, dbi, &key, &val, 0));
  }
  CK(mdb_txn_commit(txn));
  return bench_now_ns() - t0;
}

static BENCH_NOINLINE uint64_t lookup_all(MDB_env *env, MDB_dbi dbi, const map_keys *k) {
  uint64_t t0 = bench_now_ns(), sum = 0, t;
  MDB_txn *txn;
  uint32_t j;
  CK(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn));
  for (j = 0; j < k->n; j++) {
    uint32_t i = k->order[j];
    uint64_t v;
    MDB_val key, val;
    key.mv_data = (void *)map_key(k, i);
    key.mv_size = k->len[i];
    if (mdb_get(txn, dbi, &key, &val) != 0 || val.mv_size != 8)
      bench_die("map lmdb: key %u not found", i);
    memcpy(&v, val.mv_data, 8);
    sum += v;
  }
  mdb_txn_abort(txn);
  t = bench_now_ns() - t0;
  if (sum != k->sum) bench_die("map lmdb: wrong values");
  return t;
}

int main(int argc, char **argv) {
  map_keys k;
  uint32_t runs, r;
  double ins[16], look[64], ro[21], file_bytes = 0;
  int ni = 0, nl = 0, p, i;
  const char *dir;
  if (argc < 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  dir = argv[1];
  mkdir(dir, 0755);
  snprintf(data_path, sizeof data_path, "%s/data.mdb", dir);
  snprintf(lock_path, sizeof lock_path, "%s/lock.mdb", dir);
  map_keys_make(&k, map_env_u32("MAP_N", MAP_N_DEFAULT), bench_seed());
  runs = map_runs();
  for (r = 0; r <= runs; r++) {
    MDB_dbi dbi;
    MDB_env *env;
    struct stat st;
    double ti;
    env_remove();
    env = env_open(dir, &dbi);
    ti = (double)insert_all(env, dbi, &k);
    for (p = 0; p < (r ? MAP_PASSES : 1); p++) {
      double tl = (double)lookup_all(env, dbi, &k);
      if (r > 0) look[nl++] = tl / k.n;
    }
    if (r > 0) ins[ni++] = ti / k.n;
    mdb_env_close(env);
    if (stat(data_path, &st) == 0) file_bytes = (double)st.st_size;
  }
  bench_result("map.lmdb.insert_ns", bench_median(ins, ni));
  bench_result("map.lmdb.lookup_ns", bench_median(look, nl));
  bench_result("map.lmdb.file_bytes", file_bytes);
  bench_result("map.lmdb.bytes_per_entry", file_bytes / k.n);

  /* Reopen to first lookup: environment, read transaction, database, one get. */
  for (i = -3; i < 21; i++) {
    uint64_t t0 = bench_now_ns(), t;
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_val key, val;
    CK(mdb_env_create(&env));
    CK(mdb_env_set_mapsize(env, MAP_LMDB_SIZE));
    CK(mdb_env_open(env, dir, MDB_NOSYNC | MDB_NOMETASYNC | MDB_RDONLY, 0644));
    CK(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn));
    CK(mdb_dbi_open(txn, NULL, 0, &dbi));
    key.mv_data = (void *)map_key(&k, 0);
    key.mv_size = k.len[0];
    if (mdb_get(txn, dbi, &key, &val) != 0 || val.mv_size != 8)
      bench_die("map lmdb: key 0 lost after reopen");
    t = bench_now_ns() - t0;
    mdb_txn_abort(txn);
    mdb_env_close(env);
    if (i >= 0) ro[i] = (double)t / 1000.0;
  }
  bench_result("map.lmdb.reopen_us", bench_median(ro, 21));
  env_remove();
  rmdir(dir);
  bench_result("map.lmdb.rss_mib", bench_maxrss_mib());
  return 0;
}
