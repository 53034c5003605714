#!/bin/sh
# tests/fuzz/triage.sh <harness binary> <input>...: runs each input once and prints one line
# per input: a signature (the model violation with its numbers left out, or the sanitizer's
# report kind and the top three frames), then the input. Sort and uniq the signatures to see
# the distinct crashes:  sh tests/fuzz/triage.sh build/fuzz_store crash-* | sort | uniq -c -w 150
bin=$1
shift
for f in "$@"; do
  out=$(UBSAN_OPTIONS=print_stacktrace=1 timeout 20 "$bin" -timeout=10 "$f" 2>&1)
  rc=$?
  sig=$(printf '%s\n' "$out" | awk '
    /model violation:/ { sub(/.*model violation: /, ""); gsub(/0x[0-9a-f]+|[0-9]+/, "N");
                         sub(/ \(last error.*/, ""); print "model: " $0; exit }
    /ERROR: libFuzzer: timeout/ { kind = "timeout"; next }
    /runtime error:/ && !kind { r = $0; sub(/.*runtime error: /, "", r); gsub(/[0-9]+/, "N", r);
                     kind = "ubsan: " r; next }
    /ERROR: AddressSanitizer:/ && !kind { k = $0; sub(/.*AddressSanitizer: /, "", k);
                                          sub(/ on .*/, "", k); kind = "asan: " k; next }
    /^ *#[0-9]+ / && kind && n < 3 {
      for (i = 1; i <= NF; i++) if ($i == "in") { fn = $(i + 1); break }
      if (fn ~ /^(__|backing_test|LLVMFuzzer|fuzzer::|fs_|fo_|fm_|abort|raise)/ && n == 0 &&
          fn !~ /^backing/) next
      frames = frames " < " fn; n++ }
    END { if (kind) print kind frames }')
  [ -n "$sig" ] || sig="exit $rc, no report"
  printf '%s\t%s\n' "$sig" "$f"
done
