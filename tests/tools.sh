#!/bin/sh
# tests/tools.sh INSPECT: the inspector (examples/inspect.c, built as build/inspect) on a
# store made by tests/tools_make_store.c: stat, check (a good store, a damaged block
# header, a damaged first header), --json, roots, map, walk, dump, svg, usage errors, and
# that none of it changes the file; bench/results_svg.awk (make bench's picture) on a small
# table; then `make install` into a temporary prefix, a program built with pkg-config's
# flags for the installed header, and `make uninstall`. Prints
# "FAIL ..." per failed check, then "N passed, M failed"; exit status 1 if anything failed.
# Run from the repository's top directory (tests/run.sh does).
INSPECT=${1:-build/inspect}
CC=${CC:-cc}
MAKE=${MAKE:-make}
WARN="-Wall -Wextra -Wpedantic -Werror"
D=$(mktemp -d "${TMPDIR:-/tmp}/tools-test.XXXXXX") || exit 1
trap 'rm -rf "$D"' EXIT
passed=0
failed=0
check() { # label, then a shell condition
  label=$1
  shift
  if eval "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL tools: $label"
    return 1
  fi
}
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}
# run OUT CMD...: stdout and stderr of CMD into $D/OUT, its exit status into $rc
run() {
  out=$D/$1
  shift
  "$@" >"$out" 2>&1
  rc=$?
}
stamp() { echo "$(cksum <"$1") $(stat -c %y "$1" 2>/dev/null || ls -l "$1")"; }

check "the inspector was built" '[ -x "$INSPECT" ]' || finish
if command -v clang >/dev/null 2>&1; then
  check "examples/inspect.c builds warning-free with clang -std=c99" \
    'clang -std=c99 -O1 $WARN -I. -o "$D/inspect-clang" examples/inspect.c'
fi
check "tests/tools_make_store.c builds" \
  '$CC -std=c99 -O1 $WARN -I. -o "$D/make_store" tests/tools_make_store.c' || finish
big=$("$D/make_store" "$D/s")
check "the test store is made" '[ -n "$big" ]' || finish
S=$D/s/tools.backing
before=$(stamp "$S")

run stat "$INSPECT" "$S" stat
check "stat exits 0" '[ $rc -eq 0 ]'
check "stat shows arenas, blocks and roots" 'grep -Eq "^arenas +[0-9]+ of 64 KiB" "$D/stat" &&
  grep -Eq "^used +[1-9][0-9]* blocks" "$D/stat" && grep -Eq "^roots +4 of 60" "$D/stat"'
run stat.json "$INSPECT" --json "$S" stat
arenas=$(sed -n 's/.*"arena_count": \([0-9]*\).*/\1/p' "$D/stat.json")
check "stat --json is one object with the figures" '[ $rc -eq 0 ] && [ "$(wc -l <"$D/stat.json")" -eq 1 ] &&
  grep -q "^{\"path\": \".*tools.backing\", .*\"roots\": 4}$" "$D/stat.json" && [ "${arenas:-0}" -ge 2 ]'
if command -v python3 >/dev/null 2>&1; then
  check "stat --json parses as JSON" 'python3 -m json.tool "$D/stat.json" >/dev/null'
fi
run check "$INSPECT" "$S" check
check "check passes a good store (exit 0)" '[ $rc -eq 0 ] && grep -q "tools.backing: ok$" "$D/check"'
run check.json "$INSPECT" --json "$S" check
check "check --json says ok" '[ $rc -eq 0 ] && grep -q "\"ok\": true, \"error\": null" "$D/check.json"'

run roots "$INSPECT" "$S" roots
check "roots lists every root and what it names" '[ $rc -eq 0 ] && [ "$(wc -l <"$D/roots")" -eq 4 ] &&
  grep -Eq "^fruits +0x[0-9a-f]+ map, 5 keys$" "$D/roots" &&
  grep -Eq "^greeting +0x[0-9a-f]+ string, 16 bytes: \"hello, inspector\"$" "$D/roots" &&
  grep -Eq "^numbers +0x[0-9a-f]+ vector, 100 elements$" "$D/roots" &&
  grep -Eq "^counter +0x[0-9a-f]+ block, 16 bytes$" "$D/roots"'
run map "$INSPECT" "$S" map fruits
printf '%s\t%s\n' '"apple"' '"red"' '"banana"' '"yellow \"ripe\""' '"answer"' -42 '"ratio"' 2.5 \
  0x0062696e 0x010200ff | LC_ALL=C sort >"$D/map.want"
check "map lists every key and value (text quoted, binary in hex)" \
  '[ $rc -eq 0 ] && LC_ALL=C sort "$D/map" | cmp -s - "$D/map.want"'
run map.bad "$INSPECT" "$S" map greeting
check "map of a root that is not a map exits 2" '[ $rc -eq 2 ]'

run walk "$INSPECT" "$S" walk
hex=$(printf '0x%010x' "$big")
check "walk lists used, GC, free and slab blocks" '[ $rc -eq 0 ] &&
  grep -Eq "^$hex +[0-9]+ used$" "$D/walk" && grep -Eq " used slab$" "$D/walk" &&
  grep -Eq " gc$" "$D/walk" && grep -Eq " free$" "$D/walk"'
run dump "$INSPECT" "$S" dump "$big" 40
check "dump prints 16 bytes a line from the address" '[ $rc -eq 0 ] && [ "$(wc -l <"$D/dump")" -eq 3 ] &&
  grep -Eq "^$(printf %010x "$big")  [0-9a-f]{2} " "$D/dump"'
run dump.bad "$INSPECT" "$S" dump 0 16
check "dump outside the blocks exits 2" '[ $rc -eq 2 ]'

run svg "$INSPECT" "$S" svg "$D/s.svg"
check "svg writes a picture with one strip per arena and a legend" '[ $rc -eq 0 ] &&
  head -c 4 "$D/s.svg" | grep -q "^<svg" && tail -n 1 "$D/s.svg" | grep -q "^</svg>$" &&
  [ "$(grep -c "<g class=\"arena\">" "$D/s.svg")" -eq "${arenas:-0}" ] &&
  grep -q ">arena $((arenas - 1))</text>" "$D/s.svg" && grep -q ">slab, in use " "$D/s.svg"'
if command -v xmllint >/dev/null 2>&1; then
  check "the svg is well-formed XML" 'xmllint --noout "$D/s.svg"'
fi
check "no command changed the store file" '[ "$(stamp "$S")" = "$before" ]'

run usage "$INSPECT"
check "no arguments: usage, exit 2" '[ $rc -eq 2 ] && grep -q "^usage:" "$D/usage"'
run usage2 "$INSPECT" "$S" frobnicate
check "an unknown command: exit 2" '[ $rc -eq 2 ]'
run missing "$INSPECT" "$D/nowhere/x.backing" stat
check "a missing store: exit 2, nothing made" '[ $rc -eq 2 ] && [ ! -e "$D/nowhere" ]'

# A damaged block header: the check word of the large block the maker printed.
mkdir "$D/bad" && cp "$S" "$D/bad/tools.backing"
printf '\377' | dd of="$D/bad/tools.backing" bs=1 seek=$((big - 12)) conv=notrunc 2>/dev/null
run bad.out "$INSPECT" "$D/bad/tools.backing" check
at="arena $((big / 65536)) offset $((big % 65536 - 16))"
check "check finds a damaged block header (exit 1, where)" '[ $rc -eq 1 ] && grep -q "$at" "$D/bad.out"'
run bad.json "$INSPECT" --json "$D/bad/tools.backing" check
check "check --json reports the damage" '[ $rc -eq 1 ] &&
  grep -q "\"ok\": false, \"error\": \".*\", \"detail\": \".*$at.*\"}" "$D/bad.json"'
cp "$S" "$D/bad/tools.backing"
printf 'X' | dd of="$D/bad/tools.backing" bs=1 seek=1 conv=notrunc 2>/dev/null
run bad2 "$INSPECT" "$D/bad/tools.backing" check
check "check on a store refused at open: exit 1" '[ $rc -eq 1 ] && grep -q "refused at open" "$D/bad2"'

# bench/results_svg.awk (make bench's picture) on a small table: a bar for each goal row
# (green met, red missed) with a tick at its target, a grey bar for a peer of the same
# measure, nothing for a row of another measure.
cat >"$D/bench.md" <<'EOF'
- backing.h 9.9.9, commit abc1234; run 2026-01-01 00:00 UTC, 10s, load average before: 0
| Bench | Subject | Measure | Value | Baseline | Ratio | Goal |
|---|---|---|---|---|---|---|
| X one | fast thing | time per call | 1 ns | peer | 0.50x | <= 1.5x: met |
| X one | slow thing | time per call | 9 ns | peer | 3.00x | <= 2x: **missed** |
| X one | peer thing | time per call | 2 ns | peer | 1.00x |  |
| X one | peer thing | peak RSS | 2 MiB | peer | 1.20x |  |
| Y two | refs | time per ref | 14.5 ns | atomic add | 2.28x | <= 5 ns: **missed** |
EOF
run bench.svg awk -f bench/results_svg.awk "$D/bench.md"
check "bench/results_svg.awk draws each goal beside its target and the peers" '[ $rc -eq 0 ] &&
  head -c 4 "$D/bench.svg" | grep -q "^<svg" && tail -n 1 "$D/bench.svg" | grep -q "</svg>$" &&
  [ "$(grep -c "fill=\"#4e9a45\"/>$" "$D/bench.svg")" -eq 1 ] &&
  [ "$(grep -c "fill=\"#d1493f\"/>$" "$D/bench.svg")" -eq 2 ] &&
  [ "$(grep -c "fill=\"#a0a0a0\"/>$" "$D/bench.svg")" -eq 1 ] &&
  [ "$(grep -c "^<line .*stroke-width=\"2\"/>$" "$D/bench.svg")" -eq 3 ] &&
  grep -q ">3x (goal &lt;= 2x: missed)<" "$D/bench.svg" &&
  grep -q ">14.5 ns (goal &lt;= 5 ns: missed)<" "$D/bench.svg" &&
  grep -q "commit abc1234, run 2026-01-01 00:00 UTC<" "$D/bench.svg" &&
  ! grep -q "peak RSS" "$D/bench.svg"'
if command -v xmllint >/dev/null 2>&1; then
  check "the bench svg is well-formed XML" 'xmllint --noout "$D/bench.svg"'
fi

# make install / uninstall into a temporary prefix.
P=$D/prefix
run install "$MAKE" -s install PREFIX="$P"
check "make install puts the header, backing.pc and backing-inspect under PREFIX" '[ $rc -eq 0 ] &&
  [ -f "$P/include/backing.h" ] && [ -f "$P/lib/pkgconfig/backing.pc" ] && [ -x "$P/bin/backing-inspect" ]' ||
  cat "$D/install"
run installed "$P/bin/backing-inspect" "$S" check
check "the installed backing-inspect runs" '[ $rc -eq 0 ]'
if command -v pkg-config >/dev/null 2>&1; then
  flags=$(PKG_CONFIG_PATH=$P/lib/pkgconfig pkg-config --cflags --libs backing)
  rc=$?
  check "pkg-config gives the installed include directory" '[ $rc -eq 0 ] &&
    [ "$flags" != "${flags#*-I$P/include}" ]'
  # tools_make_store.c includes <backing.h>: only the installed copy can be found.
  check "a program builds with pkg-config's flags and runs" \
    '$CC -std=c99 $WARN -o "$D/pc_prog" tests/tools_make_store.c $flags &&
     "$D/pc_prog" "$D/pc" >/dev/null && "$P/bin/backing-inspect" "$D/pc/tools.backing" check >/dev/null'
else
  echo "SKIP tools: pkg-config is not installed (the pkg-config build is not tested)"
fi
run uninstall "$MAKE" -s uninstall PREFIX="$P"
check "make uninstall removes what install put" '[ $rc -eq 0 ] && [ ! -e "$P/include/backing.h" ] &&
  [ ! -e "$P/lib/pkgconfig/backing.pc" ] && [ ! -e "$P/bin/backing-inspect" ]'
finish
