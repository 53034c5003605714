#!/bin/sh
# tests/run.sh: the whole suite (`make test`). Stages:
#   a) compile matrix: tests/compile_check.c as C99/C11 (gcc, clang), C++11/C++17 (g++,
#      clang++), and with BACKING_NO_MMAP, BACKING_STATIC, BACKING_DEBUG
#   b) make examples
#   c) the test binary under AddressSanitizer + UndefinedBehaviorSanitizer (clang)
#   d) the test binary optimised, asserts off (gcc -O2 -DNDEBUG)
#   e) the crash-point sweep, tests/crashpoints.c built with -DBACKING_TEST_CRASH_POINTS
#   f) ThreadSanitizer (clang) over the thread tests only, by name
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

echo "==== b) examples"
if limit 600 make -s examples >"$B/examples.log" 2>&1; then
  echo "ok   make examples"
  pass
else
  head -n 40 "$B/examples.log"
  fail "make examples"
fi

echo "==== c) AddressSanitizer + UndefinedBehaviorSanitizer"
if command -v clang >/dev/null 2>&1; then
  if limit 600 clang -std=c11 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
    -fno-omit-frame-pointer $WARN -pthread -o "$B/tests-asan" tests/main.c; then
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
  if limit 600 gcc -std=c11 -O2 -DNDEBUG $WARN -pthread -o "$B/tests-release" tests/main.c; then
    run_tests release "$B/tests-release"
  else
    fail "build tests-release"
  fi
else
  echo "SKIP release run: gcc not installed"
fi

echo "==== e) crash points"
if command -v gcc >/dev/null 2>&1; then
  if limit 600 gcc -std=c11 -O2 -g -DBACKING_TEST_CRASH_POINTS $WARN -pthread -o "$B/crashpoints" \
    tests/crashpoints.c; then
    run_tests crashpoints "$B/crashpoints"
  else
    fail "build crashpoints"
  fi
else
  echo "SKIP crash points: gcc not installed"
fi

echo "==== f) ThreadSanitizer, thread tests"
if command -v clang >/dev/null 2>&1; then
  if limit 600 clang -std=c11 -O1 -g -fsanitize=thread $WARN -pthread -o "$B/tests-tsan" \
    tests/main.c; then
    names=$("$B/tests-tsan" --list | grep -E '^(threads|share_threads|gc_thread)')
    # a report makes the test's process exit 66, so the test fails
    TSAN_OPTIONS=${TSAN_OPTIONS:-exitcode=66:halt_on_error=0} run_tests tsan "$B/tests-tsan" $names
  else
    fail "build tests-tsan"
  fi
else
  echo "SKIP ThreadSanitizer run: clang not installed"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
