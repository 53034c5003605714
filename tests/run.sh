#!/bin/sh
# tests/run.sh: the whole suite (`make test`). Stages:
#   a) compile matrix: tests/compile_check.c as C99/C11 (gcc, clang), C++11/C++17 (g++,
#      clang++), and with BACKING_NO_MMAP, BACKING_STATIC, BACKING_DEBUG; and
#      tests/compile_after_stdio.c (the implementation included after <stdio.h>, or after a
#      plain include of backing.h) with gcc/clang -std=c99, gcc -std=c11, g++ -std=c++11
#   b) make examples; b2) a BACKING_DEBUG build traps on a bad accessor address
#   c) the test binary under AddressSanitizer + UndefinedBehaviorSanitizer (clang)
#   d) the test binary optimised, asserts off (gcc -O2 -DNDEBUG)
#   e) the crash-point sweep, tests/crashpoints.c built with -DBACKING_TEST_CRASH_POINTS
#   f) ThreadSanitizer (clang) over every GC test (gc_*) and every test with "thread" in
#      its name
#   g) the test binary built with gcc -m32 (skipped when gcc cannot link -m32)
#   h) the instruction-level kill sweep, tests/sweep.c: a sample, every SWEEP_STRIDE-th
#      instruction (default 7) of every mutating operation (`make soak`: every one);
#      skipped when ptrace is not permitted
#   poison) tests/poison.c under ASan (BACKING_POISON) and memcheck (BACKING_VALGRIND): a
#      use after free or a read past a block inside a store is reported
#   kv) tests/kv.sh: the kv example (build/kv) end to end, several kv processes at once
#   docs) tests/docs.sh: README.md's API reference and the header's top comment name every
#      public function, constant, type and field; the quick start is examples/quickstart.c;
#      every C block of README.md compiles
#   tools) tests/tools.sh: the inspector (build/inspect) on a store it must not change, a
#      damaged store found by check, make bench's picture (bench/results_svg.awk) on a small
#      table, and make install / uninstall into a temporary prefix with a program built
#      from pkg-config's flags
#   win) tests/win/t_win.c (public API only) natively, then cross-built with MinGW-w64 and
#      run under Wine ("windows: N passed, M failed, K skipped"), and stores exchanged between
#      the two builds (tests/win/run.sh); skipped without x86_64-w64-mingw32-gcc or wine
# The test binaries of stages b2-h are built by their rules in the Makefile (build() below).
# A compile counts as one test; a run adds the binary's own counts. A missing compiler is
# skipped, not failed. The last line is `N passed, M failed`; the exit status is 1 if
# anything failed.
cd "$(dirname "$0")/.." || exit 1
B=build
mkdir -p "$B"
WARN="-Wall -Wextra -Wpedantic -Werror"
passed=0
failed=0

# A compiler or test binary that hangs (say, on a half-written header) must not hang CI.
T=""
if command -v timeout >/dev/null 2>&1; then T="timeout"; fi
limit() {
  secs=$1
  shift
  if [ -n "$T" ]; then "$T" "$secs" "$@"; else "$@"; fi
}

pass() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  echo "FAIL $1"
}

# compile <label> <compiler> <flags...>
compile() {
  label=$1
  cc=$2
  shift 2
  if ! command -v "$cc" >/dev/null 2>&1; then
    echo "SKIP $label: $cc not installed"
    return
  fi
  if limit 300 "$cc" "$@" $WARN -c tests/compile_check.c -o "$B/compile_check.o" >"$B/compile.log" 2>&1; then
    echo "ok   compile $label"
    pass
  else
    head -n 40 "$B/compile.log"
    fail "compile $label"
  fi
}

# run_tests <label> <binary> [test names...]: adds the binary's "N passed, M failed"
run_tests() {
  label=$1
  bin=$2
  shift 2
  log="$B/$label.log"
  echo "---- $label: $bin"
  limit 900 "$bin" "$@" 2>&1 | tee "$log"
  last=$(tail -n 1 "$log")
  n=$(echo "$last" | sed -n 's/^\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\1/p')
  m=$(echo "$last" | sed -n 's/^\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\2/p')
  if [ -z "$n" ] || [ -z "$m" ]; then
    fail "$label: the test binary did not finish (no summary line)"
    return
  fi
  passed=$((passed + n))
  failed=$((failed + m))
  [ "$m" -eq 0 ] || echo "FAIL $label: $m test(s) failed"
}

# compile_src <label> <source> <compiler> <flags...>: compile() for another source file
compile_src() {
  label=$1
  src=$2
  cc=$3
  shift 3
  if ! command -v "$cc" >/dev/null 2>&1; then
    echo "SKIP $label: $cc not installed"
    return
  fi
  if limit 300 "$cc" "$@" $WARN -c "$src" -o "$B/compile_src.o" >"$B/compile.log" 2>&1; then
    echo "ok   compile $label"
    pass
  else
    head -n 40 "$B/compile.log"
    fail "compile $label"
  fi
}

# build <name>: build/<name>, a test binary, by its rule in the Makefile (the one place the
# test binaries' compilers and flags are written); always rebuilt, gcc as the C compiler.
build() {
  limit 600 make -s -B CC=gcc "$B/$1"
}

echo "==== a) compile matrix"
for cc in gcc clang; do
  compile "$cc -std=c99" "$cc" -std=c99
  compile "$cc -std=c11" "$cc" -std=c11
done
for cxx in g++ clang++; do
  compile "$cxx -std=c++11" "$cxx" -x c++ -std=c++11
  compile "$cxx -std=c++17" "$cxx" -x c++ -std=c++17
done
compile "gcc -std=c11 -DBACKING_NO_MMAP" gcc -std=c11 -DBACKING_NO_MMAP
compile "gcc -std=c11 -DBACKING_NO_THREADS" gcc -std=c11 -DBACKING_NO_THREADS
compile "gcc -std=c11 -DBACKING_STATIC" gcc -std=c11 -DBACKING_STATIC
compile "gcc -std=c11 -DBACKING_DEBUG" gcc -std=c11 -DBACKING_DEBUG
# the implementation after <stdio.h> and friends, and after a plain include of the header
for v in "" -DCOMPILE_TWICE; do
  compile_src "gcc -std=c99 after stdio $v" tests/compile_after_stdio.c gcc -std=c99 $v
  compile_src "gcc -std=c11 after stdio $v" tests/compile_after_stdio.c gcc -std=c11 $v
  compile_src "clang -std=c99 after stdio $v" tests/compile_after_stdio.c clang -std=c99 $v
  compile_src "g++ -std=c++11 after stdio $v" tests/compile_after_stdio.c g++ -x c++ -std=c++11 $v
done

echo "==== b) examples"
if limit 600 make -s examples >"$B/examples.log" 2>&1; then
  echo "ok   make examples"
  pass
else
  head -n 40 "$B/examples.log"
  fail "make examples"
fi

echo "==== b2) BACKING_DEBUG: a bad accessor address traps (tests/debug_trap.c)"
if build debug_trap >"$B/debug_trap.log" 2>&1; then
  "$B/debug_trap" >>"$B/debug_trap.log" 2>&1
  st=$?
  if [ "$st" -eq 132 ] || [ "$st" -eq 133 ]; then # SIGILL or SIGTRAP
    echo "ok   debug build traps on a write to a freed block"
    pass
  else
    cat "$B/debug_trap.log"
    fail "debug build did not trap (exit $st)"
  fi
else
  head -n 40 "$B/debug_trap.log"
  fail "build debug_trap"
fi

echo "==== c) AddressSanitizer + UndefinedBehaviorSanitizer"
if command -v clang >/dev/null 2>&1; then
  if build tests-asan; then
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
      UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} run_tests asan "$B/tests-asan"
  else
    fail "build tests-asan"
  fi
else
  echo "SKIP sanitizer run: clang not installed"
fi

echo "==== d) optimised, NDEBUG"
if command -v gcc >/dev/null 2>&1; then
  if build tests-release; then
    run_tests release "$B/tests-release"
  else
    fail "build tests-release"
  fi
else
  echo "SKIP release run: gcc not installed"
fi

echo "==== e) crash points"
if command -v gcc >/dev/null 2>&1; then
  if build crashpoints; then
    run_tests crashpoints "$B/crashpoints"
  else
    fail "build crashpoints"
  fi
else
  echo "SKIP crash points: gcc not installed"
fi

echo "==== f) ThreadSanitizer, every GC test and every thread test"
if command -v clang >/dev/null 2>&1; then
  if build tests-tsan; then
    # by rule, not by hand: every test whose name starts with gc_ or contains "thread"
    # (name a test that starts threads so); about 5 s of tests
    names=$("$B/tests-tsan" --list | grep -E '^gc_|thread')
    # a report makes the test's process exit 66, so the test fails
    TSAN_OPTIONS=${TSAN_OPTIONS:-exitcode=66:halt_on_error=0} run_tests tsan "$B/tests-tsan" $names
  else
    fail "build tests-tsan"
  fi
else
  echo "SKIP ThreadSanitizer run: clang not installed"
fi

echo "==== g) 32-bit (gcc -m32)"
# The test binary built for i386: 32-bit pointers and size_t, x87 floating point, and a
# 32-bit off_t unless the implementation asks for 64-bit file offsets. Skipped when gcc
# cannot link a -m32 program (no gcc-multilib).
if command -v gcc >/dev/null 2>&1 && printf 'int main(void) { return 0; }\n' >"$B/m32-probe.c" &&
  gcc -m32 -o "$B/m32-probe" "$B/m32-probe.c" >/dev/null 2>&1; then
  if build tests-m32; then
    run_tests m32 "$B/tests-m32"
  else
    fail "build tests-m32"
  fi
else
  echo "SKIP 32-bit run: gcc -m32 cannot link (install gcc-multilib)"
fi

echo "==== fuzz) libFuzzer harnesses, about 30 s each (tests/fuzz/)"
# Each harness (store bytes, API sequences with a shadow model, the mapping layer) is
# built with clang -fsanitize=fuzzer,address,undefined and run from its seed corpus for a
# fixed number of inputs from a fixed seed (FUZZ_SEED, 1 unless set), so that a commit's
# result is the same on every machine: one pass or fail each (a crash, a model violation
# or a hang over 10 s fails and names the input libFuzzer saved). `make fuzz` explores
# from random seeds for as long as asked. Saved crashes, tests/fuzz/crashes/<harness>-*,
# are replayed first: one pass or fail per harness. Skipped when clang cannot link one.
if command -v clang >/dev/null 2>&1 &&
  printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
    >"$B/fuzz-probe.c" &&
  clang -fsanitize=fuzzer,address,undefined -o "$B/fuzz-probe" "$B/fuzz-probe.c" >/dev/null 2>&1; then
  for h in store ops map; do
    if ! build "fuzz_$h"; then
      fail "build fuzz_$h"
      continue
    fi
    saved=$(ls tests/fuzz/crashes/"$h"-* 2>/dev/null)
    if [ -n "$saved" ]; then
      if limit 300 "$B/fuzz_$h" -timeout=10 $saved >"$B/fuzz-replay-$h.log" 2>&1; then
        echo "ok   fuzz_$h replays tests/fuzz/crashes/$h-*"
        pass
      else
        grep -m 3 -E 'Running:|ERROR|violation|timeout' "$B/fuzz-replay-$h.log"
        fail "fuzz_$h: a saved crash still fails ($B/fuzz-replay-$h.log)"
      fi
    fi
    rm -rf "$B/fuzz-corpus-$h" "$B/fuzz-crash-$h"
    mkdir -p "$B/fuzz-corpus-$h" "$B/fuzz-crash-$h"
    case $h in store) len=262144 runs=12000 ;; ops) len=4096 runs=20000 ;; *) len=1024 runs=150000 ;; esac
    if limit 300 "$B/fuzz_$h" -seed="${FUZZ_SEED:-1}" -runs=$runs -timeout=10 -max_len=$len -rss_limit_mb=2048 \
      -artifact_prefix="$B/fuzz-crash-$h/" "$B/fuzz-corpus-$h" "tests/fuzz/corpus/$h" \
      >"$B/fuzz-$h.log" 2>&1; then
      echo "ok   fuzz_$h seed ${FUZZ_SEED:-1}: $(grep -E '^Done [0-9]+ runs' "$B/fuzz-$h.log" | tail -n 1)"
      pass
    else
      grep -m 5 -E 'violation|ERROR: (AddressSanitizer|UndefinedBehavior|libFuzzer)|SUMMARY|runtime error' \
        "$B/fuzz-$h.log"
      echo "     input: $(ls "$B/fuzz-crash-$h"/* 2>/dev/null | head -n 1) (log $B/fuzz-$h.log)"
      fail "fuzz_$h"
    fi
  done
else
  echo "SKIP fuzz: clang cannot link -fsanitize=fuzzer (install libclang-rt-14-dev)"
fi

echo "==== h) instruction-level kill sweep (tests/sweep.c, every ${SWEEP_STRIDE:-7}th instruction)"
if command -v gcc >/dev/null 2>&1; then
  if build sweep; then
    SWEEP_STRIDE=${SWEEP_STRIDE:-7} run_tests sweep "$B/sweep"
  else
    fail "build sweep"
  fi
else
  echo "SKIP sweep: gcc not installed"
fi

echo "==== kv) the kv tool end to end (tests/kv.sh on build/kv from stage b)"
if [ -x "$B/kv" ]; then
  run_tests kv sh tests/kv.sh "$B/kv"
else
  fail "kv: $B/kv was not built (stage b)"
fi

echo "==== docs) README and header documentation against the code (tests/docs.sh)"
# Every BACKING_API name in README's API reference and in the header's top comment, the
# quick start is examples/quickstart.c, every C block of README.md compiles.
run_tests docs sh tests/docs.sh

echo "==== win) Windows: tests/win/t_win.c natively, then built with MinGW-w64 and run under Wine"
# The portable test program (public API only; tests/win/) is built and run natively, then
# cross-built with x86_64-w64-mingw32-gcc (one compile, one pass or fail) and run under Wine,
# which prints its own "windows: N passed, M failed, K skipped" line; then stores made by
# each build are opened by the other (tests/win/run.sh). The Wine prefix is build/wineprefix
# (made on first use: about 700 MB and 10-40 s). Skipped when the cross compiler or Wine is
# missing.
if limit 300 gcc -std=c11 -O1 -g $WARN -pthread -o "$B/t_win" tests/win/t_win.c; then
  run_tests t_win-linux "$B/t_win"
else
  fail "build t_win (gcc)"
fi
if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
  echo "SKIP windows: x86_64-w64-mingw32-gcc not installed (apt-get install mingw-w64)"
elif ! command -v wine >/dev/null 2>&1; then
  echo "SKIP windows: wine not installed (apt-get install wine wine64)"
elif ! limit 300 x86_64-w64-mingw32-gcc -std=c11 -O1 $WARN -static -o "$B/t_win.exe" \
  tests/win/t_win.c >"$B/mingw.log" 2>&1; then
  head -n 40 "$B/mingw.log"
  fail "compile x86_64-w64-mingw32-gcc tests/win/t_win.c"
else
  echo "ok   compile x86_64-w64-mingw32-gcc tests/win/t_win.c"
  pass
  WINEPREFIX="$(pwd)/$B/wineprefix"
  WINEDEBUG=-all
  WINEDLLOVERRIDES="mscoree=;mshtml=" # no Mono or Gecko installer on the first boot
  export WINEPREFIX WINEDEBUG WINEDLLOVERRIDES
  if { [ -f "$WINEPREFIX/system.reg" ] || limit 300 wineboot -i >"$B/wineboot.log" 2>&1; } &&
    limit 120 wine cmd /c exit >>"$B/wineboot.log" 2>&1; then
    # One wineserver for the whole stage: one that exits between two programs (it does a
    # few seconds after its last client) can reset the next one's connection mid-run.
    wineserver -k >/dev/null 2>&1
    wineserver -w >/dev/null 2>&1
    wineserver -p >/dev/null 2>&1
    echo "---- windows: wine $B/t_win.exe"
    # (to a file, not a pipe: the persistent server's helper processes inherit the
    # program's output and would hold a pipe open after it ends)
    limit 900 wine "$B/t_win.exe" >"$B/windows.raw" 2>&1
    tr -d '\r' <"$B/windows.raw" | tee "$B/windows.log"
    last=$(tail -n 1 "$B/windows.log")
    n=$(echo "$last" | sed -n 's/^\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\1/p')
    m=$(echo "$last" | sed -n 's/^\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\2/p')
    k=$(sed -n 's/^\([0-9][0-9]*\) skipped$/\1/p' "$B/windows.log" | tail -n 1)
    if [ -n "$n" ] && [ -n "$m" ]; then
      passed=$((passed + n))
      failed=$((failed + m))
      echo "windows: $n passed, $m failed, ${k:-0} skipped"
      [ "$m" -eq 0 ] || echo "FAIL windows: $m test(s) failed"
    else
      fail "windows: t_win.exe did not finish (no summary line; $B/windows.log)"
    fi
    if [ -x "$B/t_win" ]; then
      run_tests win-exchange sh tests/win/run.sh "$B/t_win" "$B/t_win.exe" "$B/win-exchange"
    else
      fail "win-exchange: $B/t_win was not built"
    fi
  else
    tail -n 20 "$B/wineboot.log"
    fail "windows: wine does not start (log $B/wineboot.log)"
  fi
  wineserver -k >/dev/null 2>&1 # this prefix's Wine processes only
fi

echo "==== tools) the inspector and make install (tests/tools.sh on build/inspect from stage b)"
if [ -x "$B/inspect" ]; then
  run_tests tools sh tests/tools.sh "$B/inspect"
else
  fail "tools: $B/inspect was not built (stage b)"
fi

echo "==== poison) ASan and memcheck see use after free inside a store (tests/poison.c)"
# Each mode is one check: "clean" must run without a report; every other mode (a read or
# write through a freed small or large block, a read past a block's end) must be reported
# by the checker, for a MEMORY store and for an MMAP store.
poison_run() { # label, expected report (empty: none), command...
  label=$1
  want=$2
  shift 2
  rm -rf "$B/poison-store"
  mkdir -p "$B/poison-store"
  limit 120 "$@" >"$B/poison.log" 2>&1
  st=$?
  if [ -z "$want" ]; then
    if [ "$st" -eq 0 ]; then pass; else
      tail -n 5 "$B/poison.log"
      fail "poison $label: a clean run failed (status $st)"
    fi
  elif [ "$st" -ne 0 ] && grep -q "$want" "$B/poison.log"; then
    pass
  else
    tail -n 5 "$B/poison.log"
    fail "poison $label: no \"$want\" report (status $st)"
  fi
}
if command -v clang >/dev/null 2>&1 && build poison-asan; then
  for store in "" "$B/poison-store"; do
    poison_run "asan clean $store" "" "$B/poison-asan" clean $store
    for m in uaf-slot uaf-block overrun write-freed; do
      poison_run "asan $m $store" "AddressSanitizer: use-after-poison" "$B/poison-asan" $m $store
    done
  done
  echo "ok   poison: AddressSanitizer (BACKING_POISON)"
else
  echo "SKIP poison asan: clang cannot build it"
fi
if command -v valgrind >/dev/null 2>&1 && build poison-vg; then
  for store in "" "$B/poison-store"; do
    poison_run "memcheck clean $store" "" valgrind -q --error-exitcode=9 "$B/poison-vg" clean $store
    for m in uaf-slot uaf-block overrun write-freed; do
      poison_run "memcheck $m $store" "Invalid [a-z]* of size" \
        valgrind -q --error-exitcode=9 "$B/poison-vg" $m $store
    done
  done
  echo "ok   poison: valgrind memcheck (BACKING_VALGRIND)"
else
  echo "SKIP poison memcheck: valgrind not installed"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
