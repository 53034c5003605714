#!/bin/sh
# tests/kv.sh KV: the kv example (examples/kv.c) end to end: put, get, del, list, stat,
# load, and four kv processes loading and putting into one fresh store at once (the map
# made once, every key kept). Prints "ok ..." or "FAIL ..." per check, then
# "N passed, M failed"; exit status 1 if anything failed.
KV=${1:-build/kv}
D=$(mktemp -d "${TMPDIR:-/tmp}/kv-test.XXXXXX") || exit 1
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
    echo "FAIL kv: $label"
  fi
}

S=$D/one
"$KV" "$S" get nothing >/dev/null 2>&1
rc=$?
check "get on a missing store exits 1" '[ $rc -eq 1 ]'
"$KV" "$S" put greeting "hello world" && "$KV" "$S" put n 1 && "$KV" "$S" put n 2
rc=$?
check "put" '[ $rc -eq 0 ]'
check "get prints the value" '[ "$("$KV" "$S" get greeting)" = "hello world" ]'
check "put replaces" '[ "$("$KV" "$S" get n)" = 2 ]'
"$KV" "$S" get missing >/dev/null
rc=$?
check "get of a missing key exits 1" '[ $rc -eq 1 ]'
"$KV" "$S" del n
rc=$?
check "del" '[ $rc -eq 0 ]'
"$KV" "$S" get n >/dev/null
rc=$?
check "a deleted key is gone" '[ $rc -eq 1 ]'
"$KV" "$S" del n 2>/dev/null
rc=$?
check "del of a missing key exits 1" '[ $rc -eq 1 ]'

awk 'BEGIN { for (i = 0; i < 3000; i++) printf "key%d\tvalue %d\tx\n", i, i * 7 }' >"$D/in.tsv"
"$KV" "$S" load "$D/in.tsv" 2>"$D/load.err"
rc=$?
check "load" '[ $rc -eq 0 ]'
check "load writes no progress bar when stderr is a file" '! grep -q "%" "$D/load.err"'
check "values keep their tabs" '[ "$("$KV" "$S" get key2999)" = "$(printf "value 20993\tx")" ]'
"$KV" "$S" list >"$D/list.out"
check "list prints every key once" '[ "$(cut -f1 "$D/list.out" | sort | uniq | wc -l)" -eq 3001 ] && [ "$(wc -l <"$D/list.out")" -eq 3001 ]'
check "list prints key TAB value" 'grep -qx "$(printf "greeting\thello world")" "$D/list.out"'
check "stat counts the keys" '"$KV" "$S" stat | grep -Eq "^keys +3001$"'

# Four kv processes on one fresh store at once: each loads 1,000 keys of its own and
# puts one shared key; every key is there afterwards.
S=$D/many
for p in 1 2 3 4; do
  awk -v p=$p 'BEGIN { for (i = 0; i < 1000; i++) printf "p%d-%d\t%d\n", p, i, p * 100000 + i }' >"$D/p$p.tsv"
done
for p in 1 2 3 4; do
  ("$KV" "$S" load "$D/p$p.tsv" 2>/dev/null && "$KV" "$S" put shared "$p") &
done
wait
check "4 processes at once: every key kept" '[ "$("$KV" "$S" list | wc -l)" -eq 4001 ]'
check "4 processes at once: values intact" '[ "$("$KV" "$S" get p3-999)" = 300999 ] && [ "$("$KV" "$S" get p1-0)" = 100000 ]'
check "4 processes at once: the shared key holds one of the puts" '"$KV" "$S" get shared | grep -qx "[1-4]"'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
