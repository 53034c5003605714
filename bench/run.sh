#!/bin/sh
# bench/run.sh: `make bench`. Installs the peers, builds the bench programs into build/,
# runs benchmarks A (churn), B (typed get loop), C (open), D (GC cycle), E (GC ref/unref)
# and F (GC churn), G (sharing) and H (string-keyed maps beside Boost.Interprocess, LMDB
# and std::unordered_map) once each, and prints one markdown table (also written to
# build/bench-results.md), and draws it as bench/results.svg (bench/results_svg.awk). Raw
# figures: build/bench-raw.txt. BENCH_ONLY=map runs H alone.
#
# Every timed figure is the median of 5 runs after a warm-up (C: median of 21; D: median of
# 201 cycles), with the fixed seed below (override with BENCH_SEED=...). Each churn
# allocator, and each subject of D, E and F, runs in its own process, so its peak RSS is
# its own.
set -u
cd "$(dirname "$0")/.."

B=build
RAW=$B/bench-raw.txt
OUT=$B/bench-results.md
LOG=$B/bench-build.log
DATA=$B/bench-data
SEED=${BENCH_SEED:-0x2545F4914F6CDD1D}
export BENCH_SEED="$SEED"

say() { printf '%s\n' "$*" >&2; }
die() {
  say "bench: $*"
  exit 1
}

# ---- 1. Peers: mimalloc and Boost (headers only), installed once.
missing=""
for p in libmimalloc-dev libboost-dev liblmdb-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  say "bench: installing$missing"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -qq $missing >/dev/null ||
    { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq $missing >/dev/null; } ||
    die "cannot install$missing"
fi

# ---- 2. Build. (The revision is taken now: backing.h may change while the bench runs.)
rev="$(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- backing.h 2>/dev/null || echo ' (backing.h modified)')"
mkdir -p "$B" "$DATA"
: >"$LOG"
CWARN="-Wall -Wextra"
build() { # output, then the compiler command line
  out=$1
  shift
  say "  build $out"
  printf '$ %s\n' "$*" >>"$LOG"
  "$@" >>"$LOG" 2>&1 || {
    cat "$LOG" >&2
    die "build of $out failed (log: $LOG)"
  }
}
say "bench: building"
build $B/bench-churn gcc -std=c11 -O2 $CWARN -o $B/bench-churn bench/churn.c
build $B/bench-churn-nt gcc -std=c11 -O2 $CWARN -DBACKING_NO_THREADS -o $B/bench-churn-nt bench/churn.c
build $B/bench-churn-mi gcc -std=c11 -O2 $CWARN -DCHURN_WITH_MIMALLOC -o $B/bench-churn-mi \
  bench/churn.c -lmimalloc
build $B/bench-churn-boost g++ -std=c++17 -O2 $CWARN -o $B/bench-churn-boost \
  bench/churn_boost.cpp -pthread
build $B/bench-typed-O2 gcc -std=c11 -O2 $CWARN -o $B/bench-typed-O2 bench/typed.c
build $B/bench-typed-O3native gcc -std=c11 -O3 -march=native $CWARN -o $B/bench-typed-O3native \
  bench/typed.c
build $B/bench-open gcc -std=c11 -O2 $CWARN -o $B/bench-open bench/open.c
build $B/bench-gc gcc -std=c11 -O2 $CWARN -o $B/bench-gc bench/gc.c
build $B/bench-share gcc -std=c11 -O2 $CWARN -o $B/bench-share bench/share.c -pthread
build $B/bench-map gcc -std=c11 -O2 $CWARN -o $B/bench-map bench/map.c
build $B/bench-map-boost g++ -std=c++17 -O2 $CWARN -o $B/bench-map-boost bench/map_boost.cpp -pthread
build $B/bench-map-lmdb gcc -std=c11 -O2 $CWARN -o $B/bench-map-lmdb bench/map_lmdb.c -llmdb
build $B/bench-map-std g++ -std=c++20 -O2 $CWARN -o $B/bench-map-std bench/map_std.cpp
if grep -q 'warning:' "$LOG"; then
  say "bench: compiler warnings (see $LOG):"
  grep 'warning:' "$LOG" | sort -u >&2
fi

# ---- 3. Run. Each program prints "R key value" lines; failures are recorded, not fatal.
: >"$RAW"
failed=""
run() { # label, then the command
  label=$1
  shift
  "$@" >>"$RAW" || {
    say "bench: $label FAILED (exit $?)"
    failed="$failed $label"
  }
}
start=$(date +%s)
load=$(cut -d' ' -f1-3 /proc/loadavg)
if [ "${BENCH_ONLY:-}" != map ]; then
say "bench: A churn (seed $SEED)"
run "churn backing MEMORY" $B/bench-churn memory
run "churn backing MEMORY NO_THREADS" $B/bench-churn-nt memory
dir=$DATA/churn.$$
rm -rf "$dir"
run "churn backing MMAP" $B/bench-churn mmap "$dir"
rm -rf "$dir"
sync
run "churn glibc malloc" $B/bench-churn malloc
run "churn mimalloc" $B/bench-churn-mi mimalloc
bfile=/tmp/bench-churn-boost.$$.bin
run "churn Boost" $B/bench-churn-boost "$bfile"
rm -f "$bfile"
sync
say "bench: B typed get loop"
run "typed -O2" $B/bench-typed-O2 O2
run "typed -O3 -march=native" $B/bench-typed-O3native O3native
say "bench: C open"
dir=$DATA/open.$$
rm -rf "$dir"
run "open" $B/bench-open "$dir"
rm -rf "$dir"
say "bench: D GC cycle, E GC ref/unref, F GC churn"
run "gc cycle N=1000" $B/bench-gc cycle 1000
run "gc cycle N=1000000" $B/bench-gc cycle 1000000
run "gc ref/unref" $B/bench-gc refs
run "gc churn plain" $B/bench-gc plain
run "gc churn gc" $B/bench-gc gc
say "bench: G sharing (threads on one handle, processes on one store)"
run "share threads 1" $B/bench-share threads 1
run "share threads 2" $B/bench-share threads 2
run "share separate 2" $B/bench-share separate 2
dir=$DATA/share.$$
rm -rf "$dir"
run "share procs 1" $B/bench-share procs 1 "$dir"
run "share procs 4" $B/bench-share procs 4 "$dir"
rm -rf "$dir"
fi
say "bench: H maps (1,000,000 keys; backing, Boost.Interprocess, LMDB, std::unordered_map)"
run "map backing MEMORY" $B/bench-map memory
dir=$DATA/map.$$
rm -rf "$dir"
run "map backing MMAP" $B/bench-map mmap "$dir"
rm -rf "$dir"
run "map backing share" $B/bench-map share "$dir"
rm -rf "$dir"
bfile=/tmp/bench-map-boost.$$.bin
run "map Boost" $B/bench-map-boost "$bfile"
rm -f "$bfile"
run "map LMDB" $B/bench-map-lmdb "$dir"
rm -rf "$dir"
run "map std::unordered_map" $B/bench-map-std
sync
rmdir "$DATA" 2>/dev/null
elapsed=$(($(date +%s) - start))

# ---- 4. Report.
cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: *//')
[ -n "$cpu" ] || cpu=$(uname -m)
{
  echo "# backing.h benchmarks"
  echo
  echo "- Machine: $(nproc) CPUs, $cpu, kernel $(uname -sr), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM"
  echo "- Compilers: $(gcc --version | head -1); $(g++ --version | head -1)"
  echo "- Peers: mimalloc $(dpkg-query -W -f='${Version}' libmimalloc-dev 2>/dev/null), Boost $(dpkg-query -W -f='${Version}' libboost-dev 2>/dev/null) (Interprocess managed_mapped_file, default rbtree_best_fit)"
  echo "- backing.h $(sed -n 's/^#define BACKING_VERSION_STRING "\(.*\)"/\1/p' backing.h), commit $rev; run $(date -u '+%Y-%m-%d %H:%M UTC'), ${elapsed}s, load average before: $load"
  echo "- Seed: $SEED (xorshift64). Every timed figure: median of 5 runs after a warm-up run (C: median of 21 after 3 warm-ups; D: median of 201 cycles after 10,001 warm-up cycles)."
  echo "- A churn: 10,000 live blocks, then 1,000,000 calls (500,000 free of a uniformly random live block + 500,000 alloc into its slot); sizes 90% U[16,256], 9% U[257,4096], 1% U[4097,65536]; first 8 bytes of every block written. ns/call = timed loop / 1,000,000 (no per-call timer). Per-call figures: a separate pass with a timer around each call ($(sed -n 's/^R churn.timer //p' "$RAW" | head -1); timer overhead $(awk '$2=="churn.backing_memory.timer_overhead_ns"{printf "%.0f", $3}' "$RAW") ns, included). Peak RSS = ru_maxrss of the allocator's own process, including about $(awk '$2=="churn.backing_memory.rss_harness_mib"{printf "%.0f", $3}' "$RAW") MiB of harness (op arrays, timing buffer, libc) before any allocation. backing MEMORY: all-zero config; backing MEMORY NO_THREADS: the same, built with -DBACKING_NO_THREADS (no locks: one thread, one process); backing MMAP: fresh store in $DATA/; Boost: 1 GiB file in /tmp."
  echo "- B typed get: MEMORY store, arena_size 512 MiB, one 256 MiB block of int32 (67,108,864 values); sum via backing_get_i32 vs a plain int32_t* loop, each in an out-of-line function; ms per pass."
  blk=$(awk '$2=="open.block_bytes"{printf "%.0f", $3}' "$RAW")
  case "$blk" in
  16769024 | "") blknote="blocks of 16 MiB - 8192" ;;
  *) blknote="blocks of $blk bytes (backing_stats.max_block; 16 MiB - 8192 = 16769024 is over it)" ;;
  esac
  echo "- C open: MMAP store of 64 arenas x 16 MiB, $blknote (file $(awk '$2=="open.file_mib"{printf "%.0f", $3}' "$RAW") MiB); backing_open + root_get + get_u64 + close vs open + mmap(1 GiB, PROT_READ, MAP_SHARED) + read u64 + munmap + close on the same file, page cache warm."
  echo "- D GC cycle: MEMORY store (all-zero config), lifetime 1 (backing_gc_set_lifetime), N blocks gc_alloc(64, 1, 1) held at count 1 ($(awk '$2=="gc.cycle.1000.arena_count"{a=$3} $2=="gc.cycle.1000000.arena_count"{b=$3} END{printf "%s and %s arenas", a, b}' "$RAW")); before each cycle, untimed, 10 blocks gc_alloc(64, 1, 0); one backing_gc_cycle timed alone (rdtsc), checked to free exactly those 10 (800 bytes). Each N in its own process. \"empty\": the median of cycles with nothing waiting, run alternately with them."
  echo "- E ref/unref: MEMORY store, one block gc_alloc(64, 1, 1). Pairs: 10,000,000 x (gc_ref 1->2, gc_unref 2->1), ns = loop / 20,000,000 calls. ref / unref alone: 10,000,000 gc_ref in a row (count 2 .. 10,000,001), then 10,000,000 gc_unref back to 1; never a zero crossing. Baseline: 20,000,000 __atomic_fetch_add(p, 1, __ATOMIC_SEQ_CST) on a uint64_t in ordinary memory (lock xadd). Each loop in an out-of-line function (backing.h compiled into the same file), return values summed and checked."
  echo "- G sharing: each thread or process churns its own 5,000 live blocks (free a random one, alloc a new one, U[16,256]) for 1,000,000 calls; calls per microsecond for all of them together, wall clock; median of 5 after a warm-up. \"one handle\": N threads on one MEMORY handle (every call takes an arena lock); \"separate stores\": N threads each with a store of its own (no sharing at all: the machine's ceiling for N allocators); processes: N processes on one MMAP store (fresh each run, 64 arenas' worth of reservation)."
  echo "- H maps: bench/map.h: 1,000,000 distinct keys of 8-24 bytes (uniform; seeded), value = 8-byte integer (backing: BACKING_VALUE_I64); inserts in key order into a fresh map with no size hint (backing_map_new(s, 0); Boost: 1024 buckets, mmap-object's default; std: no reserve), lookups of every key in a fixed random order, every value checked. ns/op: the median of 3 builds (insert) and of their 6 lookup passes, after a warm-up build; each subject in its own process. backing MMAP: store in $DATA/; Boost: boost::unordered_map with the Interprocess allocator in a 1 GiB managed_mapped_file in /tmp (made up front: no insert grows the file), compatible-key find (no allocation); LMDB $(dpkg-query -W -f='${Version}' liblmdb-dev 2>/dev/null): MDB_NOSYNC|MDB_NOMETASYNC, all inserts in one write transaction (commit timed), each lookup pass in one read transaction; std::unordered_map<std::string, uint64_t> in RAM, C++20 heterogeneous find. Bytes per entry: backing stat used_bytes / n after 4 GC cycles (usable bytes, no block headers; the map's own map_stat bytes and the file are shown too), Boost segment size - free / n, LMDB data.mdb size / n. Growth: a fresh map, rdtsc around every put from 0 to 1,000,000 keys (timer overhead included). Reopen: open + find the map + one lookup (close not timed), median of 21 after 3 warm-ups, page cache warm. Sharing: the MMAP store holds 800,000 keys; readers (BACKING_RDONLY handles, separate processes) look up random keys for 2 s each phase, checking each value; the writer overwrites random keys and inserts and deletes keys of its own (3 changes per loop, a GC cycle every 4,095)."
  echo "- F GC churn: A's workload (churn.h: same ops, seed and runs) on a MEMORY store with the all-zero config, once with backing_alloc / backing_free and once with backing_gc_alloc(size, 1, 0) / backing_gc_free (each block waits from birth; gc_free frees it at once); each in its own process."
  echo
  awk -f - "$RAW" <<'AWK'
$1 == "R" { v[$2] = $3; for (i = 4; i <= NF; i++) v[$2] = v[$2] " " $i }
function has(k) { return (k in v) && v[k] != "" }
function num(k) { return has(k) ? v[k] + 0 : -1 }
function f(x, d) { return x < 0 ? "n/a" : sprintf("%." d "f", x) }
function ratio(a, b) { return (a < 0 || b <= 0) ? "n/a" : sprintf("%.2fx", a / b) }
function goal(a, b, op, g) {
  if (a < 0 || b <= 0) return op " " g "x (n/a)"
  r = a / b
  ok = (op == "<=") ? (r <= g + 1e-9) : (r >= g - 1e-9)
  return op " " g "x: " (ok ? "met" : "**missed**")
}
function goal_abs(x, op, g, unit) {
  if (x < 0) return op " " g " " unit " (n/a)"
  ok = (op == "<=") ? (x <= g + 1e-9) : (x >= g - 1e-9)
  return op " " g " " unit ": " (ok ? "met" : "**missed**")
}
function row(b, s, m, val, base, rat, g) {
  printf "| %s | %s | %s | %s | %s | %s | %s |\n", b, s, m, val, base, rat, g
}
BEGIN {
  n = split("backing_memory backing_memory_nt backing_mmap malloc mimalloc boost", keys, " ")
  split("backing MEMORY|backing MEMORY NO_THREADS|backing MMAP|glibc malloc|mimalloc|Boost.Interprocess", names, "|")
}
END {
  print "| Bench | Subject | Measure | Value | Baseline | Ratio | Goal |"
  print "|---|---|---|---|---|---|---|"
  mi = num("churn.mimalloc.ns_per_call"); mirss = num("churn.mimalloc.rss_mib")
  for (i = 1; i <= n; i++) {
    k = "churn." keys[i] "."; isb = keys[i] ~ /^backing/
    t = num(k "ns_per_call")
    row("A churn", names[i], "time per call", f(t, 1) " ns", keys[i] == "mimalloc" ? "baseline" : "mimalloc",
        ratio(t, mi), isb ? goal(t, mi, "<=", keys[i] == "backing_memory_nt" ? "1.0" : "1.5") : "")
    md = num(k "pc_median_ns"); p = num(k "pc_p999_ns"); mx = num(k "pc_max_ns")
    row("A churn", names[i], "per call: median / p99.9 / max", f(md, 0) " / " f(p, 0) " / " f(mx, 0) " ns" \
        (has(k "pc_max_worst_ns") ? " (worst max " f(num(k "pc_max_worst_ns"), 0) ")" : ""),
        "own median", "max/median " ratio(mx, md), isb ? goal(mx, md, "<=", 20) : "")
    r = num(k "rss_mib")
    row("A churn", names[i], "peak RSS", f(r, 1) " MiB", keys[i] == "mimalloc" ? "baseline" : "mimalloc",
        ratio(r, mirss), "")
  }
  k = "churn.backing_memory.timer_alone_"
  row("A churn", "timer alone (no call)", "per call: median / p99.9 / max",
      f(num(k "median_ns"), 0) " / " f(num(k "p999_ns"), 0) " / " f(num(k "max_ns"), 0) " ns",
      "", "max/median " ratio(num(k "max_ns"), num(k "median_ns")), "")
  bo = num("churn.boost.ns_per_call"); bm = num("churn.backing_memory.ns_per_call")
  row("A churn", "Boost vs backing MEMORY", "time per call, Boost / backing", f(bo, 1) " / " f(bm, 1) " ns",
      "backing MEMORY", ratio(bo, bm), goal(bo, bm, ">=", 20))
  split("O2 O3native", lab, " "); split("-O2|-O3 -march=native", labn, "|")
  for (i = 1; i <= 2; i++) {
    k = "typed." lab[i] "."; pl = num(k "plain_ms"); bk = num(k "backing_ms")
    row("B typed get (" labn[i] ")", "plain int32_t* loop", "ms per pass", f(pl, 2) " ms", "baseline", "", "")
    row("B typed get (" labn[i] ")", "backing_get_i32 loop", "ms per pass", f(bk, 2) " ms", "plain (same build)",
        "plain/backing " ratio(pl, bk), goal(pl, bk, ">=", 0.95))
  }
  rw = num("open.raw_us"); bk = num("open.backing_us")
  row("C open 1 GiB", "raw open+mmap+read+munmap+close", "time per cycle", f(rw, 1) " us", "baseline", "", "")
  row("C open 1 GiB", "backing_open+root_get+get_u64+close", "time per cycle", f(bk, 1) " us", "raw",
      ratio(bk, rw), goal(bk, rw, "<=", 2))
  c3 = num("gc.cycle.1000.us"); c6 = num("gc.cycle.1000000.us")
  row("D GC cycle", "N = 1,000 referenced + 10 waiting", "time per cycle (frees the 10)",
      f(c3, 2) " us (empty cycle " f(num("gc.cycle.1000.empty_us"), 2) ")", "baseline", "", "")
  row("D GC cycle", "N = 1,000,000 referenced + 10 waiting", "time per cycle (frees the 10)",
      f(c6, 2) " us (empty cycle " f(num("gc.cycle.1000000.empty_us"), 2) ")", "N = 1,000",
      ratio(c6, c3), goal(c6, c3, "<=", 1.5))
  ad = num("gc.refs.atomic_add_ns")
  row("E ref/unref", "__atomic_fetch_add SEQ_CST, uint64_t", "time per add", f(ad, 2) " ns", "baseline", "", "")
  split("pair_ns_per_call ref_ns unref_ns", ek, " ")
  split("gc_ref + gc_unref pairs (1->2->1)|gc_ref alone (count 2..10^7+1)|gc_unref alone (count 10^7..1)", en, "|")
  split("time per call|time per ref|time per unref", em, "|")
  for (i = 1; i <= 3; i++) {
    t = num("gc.refs." ek[i])
    row("E ref/unref", en[i], em[i], f(t, 2) " ns", "atomic add", ratio(t, ad), goal_abs(t, "<=", 5, "ns"))
  }
  t1 = num("share.threads1.calls_per_us"); t2 = num("share.threads2.calls_per_us"); sp = num("share.separate2.calls_per_us")
  row("G sharing", "locking on: churn, 1 thread (= A backing MEMORY)", "time per call", f(bm, 1) " ns", "mimalloc",
      ratio(bm, mi), goal(bm, mi, "<=", "1.5"))
  row("G sharing", "1 thread, one handle", "calls per us", f(t1, 1), "baseline", "", "")
  row("G sharing", "2 threads, one handle", "calls per us", f(t2, 1), "1 thread", ratio(t2, t1), goal(t2, t1, ">=", "1.9"))
  row("G sharing", "2 threads, separate stores (ceiling)", "calls per us", f(sp, 1), "1 thread", ratio(sp, t1), "")
  p1 = num("share.procs1.calls_per_us"); p4 = num("share.procs4.calls_per_us")
  row("G sharing", "1 process, MMAP store", "calls per us", f(p1, 1), "baseline", "", "")
  row("G sharing", "4 processes, one MMAP store", "calls per us", f(p4, 1), "1 process", ratio(p4, p1), "(report; 2 cores)")
  pl = num("churn.gcf_plain.ns_per_call"); gg = num("churn.gcf_gc.ns_per_call")
  row("F GC churn", "backing_alloc / backing_free (MEMORY)", "time per call", f(pl, 1) " ns", "baseline", "", "")
  row("F GC churn", "gc_alloc(size, 1, 0) / gc_free (MEMORY)", "time per call", f(gg, 1) " ns",
      "alloc/free", ratio(gg, pl), goal(gg, pl, "<=", 1.3))
  # H maps. Ratios are peer / backing (how many times faster backing is), except bytes
  # (backing / peer) and reopen (1M keys / 1,000 keys).
  split("backing_memory backing_mmap boost lmdb std", mk, " ")
  split("backing MEMORY|backing MMAP|Boost.Interprocess unordered_map|LMDB|std::unordered_map (RAM)", mn, "|")
  for (i = 1; i <= 5; i++) { ins[mk[i]] = num("map." mk[i] ".insert_ns"); look[mk[i]] = num("map." mk[i] ".lookup_ns") }
  for (i = 1; i <= 5; i++) row("H map insert", mn[i], "ns per put", f(ins[mk[i]], 0) " ns", "", "", "")
  for (i = 1; i <= 2; i++) {
    b = mk[i]
    row("H map insert", mn[i] " vs Boost", "Boost / backing", f(ins["boost"], 0) " / " f(ins[b], 0) " ns", "Boost", ratio(ins["boost"], ins[b]), goal(ins["boost"], ins[b], ">=", 5))
    row("H map insert", mn[i] " vs LMDB", "LMDB / backing", f(ins["lmdb"], 0) " / " f(ins[b], 0) " ns", "LMDB", ratio(ins["lmdb"], ins[b]), "")
    row("H map insert", mn[i] " vs std", "std / backing", f(ins["std"], 0) " / " f(ins[b], 0) " ns", "std", ratio(ins["std"], ins[b]), "")
  }
  for (i = 1; i <= 5; i++) row("H map lookup", mn[i], "ns per get", f(look[mk[i]], 0) " ns", "", "", "")
  for (i = 1; i <= 2; i++) {
    b = mk[i]
    row("H map lookup", mn[i] " vs Boost", "Boost / backing", f(look["boost"], 0) " / " f(look[b], 0) " ns", "Boost", ratio(look["boost"], look[b]), goal(look["boost"], look[b], ">=", 4))
    row("H map lookup", mn[i] " vs LMDB", "LMDB / backing", f(look["lmdb"], 0) " / " f(look[b], 0) " ns", "LMDB", ratio(look["lmdb"], look[b]), goal(look["lmdb"], look[b], ">=", 10))
    row("H map lookup", mn[i] " vs std", "std / backing", f(look["std"], 0) " / " f(look[b], 0) " ns", "std", ratio(look["std"], look[b]), goal(look["std"], look[b], ">=", 2))
  }
  bb = num("map.backing_mmap.bytes_per_entry"); bo = num("map.boost.bytes_per_entry")
  row("H map bytes", "backing MMAP: stat used_bytes / n", "bytes per entry", f(bb, 1), "Boost " f(bo, 1), "backing/Boost " ratio(bb, bo), goal(bb, bo, "<=", 0.6))
  mb = num("map.backing_mmap.map_bytes_per_entry"); fb = num("map.backing_mmap.file_bytes_per_entry")
  row("H map bytes", "backing MMAP: map_stat bytes / n; file / n", "bytes per entry", f(mb, 1) "; " f(fb, 1), "Boost " f(bo, 1), "backing/Boost " ratio(mb, bo), "")
  lb = num("map.lmdb.bytes_per_entry")
  row("H map bytes", "LMDB: data.mdb / n", "bytes per entry", f(lb, 1), "backing " f(bb, 1), "LMDB/backing " ratio(lb, bb), "")
  split("backing_memory backing_mmap boost", gk, " "); split("backing MEMORY|backing MMAP|Boost.Interprocess", gn, "|")
  bmx = num("map.boost.growth_max_ns"); bp = num("map.boost.growth_p999_ns")
  for (i = 1; i <= 3; i++) {
    k = "map." gk[i] "."; mx = num(k "growth_max_ns"); p = num(k "growth_p999_ns")
    row("H map growth 0 -> 1M", gn[i], "put: median / p99.9 / slowest", f(num(k "growth_median_ns"), 0) " / " f(p, 0) " / " f(mx, 0) " ns",
        i < 3 ? "Boost" : "", i < 3 ? "slowest Boost/backing " ratio(bmx, mx) ", p99.9 " ratio(bp, p) : "", i < 3 ? "(report)" : "")
  }
  r1 = num("map.share.reader1_lookups_per_s"); r4 = num("map.share.readers4_per_reader"); rw = num("map.share.rw_per_reader")
  row("H map sharing", "1 reader process alone", "lookups per s", f(r1, 0), "baseline", "", "")
  row("H map sharing", "4 reader processes", "lookups per s per reader (min " f(num("map.share.readers4_min_reader"), 0) ")", f(r4, 0), "1 reader", ratio(r4, r1), "(report; 2 cores)")
  row("H map sharing", "4 readers + 1 writer", "lookups per s per reader (min " f(num("map.share.rw_min_reader"), 0) ")", f(rw, 0), "1 reader", ratio(rw, r1), "(report; 2 cores)")
  row("H map sharing", "the writer beside 4 readers", "changes per s", f(num("map.share.rw_writer_changes_per_s"), 0), "", "", "")
  ro = num("map.backing_mmap.reopen_us"); rs = num("map.backing_mmap.reopen_small_us")
  row("H map reopen", "backing MMAP, 1,000,000 keys", "open to first lookup", f(ro, 1) " us", "1,000 keys " f(rs, 1) " us", ratio(ro, rs), goal(ro, rs, "<=", 1.5) " (O(1))")
  row("H map reopen", "Boost.Interprocess, 1,000,000 keys", "open to first lookup", f(num("map.boost.reopen_us"), 1) " us", "backing", ratio(num("map.boost.reopen_us"), ro), "")
  row("H map reopen", "LMDB, 1,000,000 keys", "open to first lookup", f(num("map.lmdb.reopen_us"), 1) " us", "backing", ratio(num("map.lmdb.reopen_us"), ro), "")
}
AWK
  echo
  echo "Per-call figures include the timer's own cost (see \"timer alone\": the same timer around no call, 1,000,000 times, in the backing MEMORY process). Its max is the floor that interrupts and the host put under every allocator's max here. Slowest calls of each run, backing's own figures at the churn's peak and every run's value: $RAW."
  echo
  if [ -n "$failed" ]; then
    echo "FAILED:$failed (their rows read n/a; see the messages above)"
    echo
  fi
} >"$OUT"
cat "$OUT"
# The picture README.md shows (a BENCH_ONLY run draws into build/ instead).
svg=bench/results.svg
[ -z "${BENCH_ONLY:-}" ] || svg=$B/bench-results.svg
awk -f bench/results_svg.awk "$OUT" >"$svg" && say "bench: wrote $svg"
[ -z "$failed" ]
