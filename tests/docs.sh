#!/bin/sh
# tests/docs.sh: the documentation against the code. Run from anywhere: sh tests/docs.sh
# One "ok" or "FAIL" line per check, then "N passed, M failed"; exit status 1 on a failure.
#
#   a1) every function declared with BACKING_API in backing.h's public part (everything
#       before the implementation) appears in a code span of README.md's "## API
#       reference" section. Names that start with backing__ are internal and skipped.
#   a2) so does every other public name: each enum constant, each BACKING_* macro the
#       public part defines (BACKING__* are internal), each error code of BACKING_ERRORS,
#       each typedef and enum tag, and each member of a public struct.
#   a3) every BACKING_API function, constant, macro and type of a1/a2 appears in the
#       header's own top comment (its chapter "API REFERENCE"), so a vendored header
#       carries the reference too. Struct members are not looked for there: short names
#       such as `data` or `len` would be found in any prose.
#   b)  the code block under README.md's "## Quick start" is byte for byte
#       examples/quickstart.c, the program `make demo` runs.
#   c)  every ```c block of README.md compiles, each as its own translation unit, with
#       gcc -std=c99 -Wall -Wextra -Wpedantic -Werror -I. (one check per block). The rule:
#         - a block with an #include line is a whole translation unit and is compiled as
#           it stands (it includes backing.h itself; the quick start defines
#           BACKING_IMPLEMENTATION, so the implementation is compiled too);
#         - any other ```c block is a fragment: it is compiled as the body of
#           `void readme_fragment(backing *s)`, after #include "backing.h", <stdint.h>,
#           <stdio.h> and <string.h>. So a fragment may use `s`, an open handle, and must
#           declare everything else it uses (a type tag: `enum { TEXTURE = 1 };`).
#       Errors point at README.md's own line numbers (#line).
#   d)  every fenced block names its language: ```c for C, ```sh for shell, ```text for
#       output or tables. A bare ``` would hide a C block from (c).
#   e)  every offset in the first column of README.md's "## On-disk format" tables is one
#       that backing.h asserts (BACKING__AT(type, field, offset) or a static assertion
#       `== offset`), so an edit that moves a field without the README fails here.
cd "$(dirname "$0")/.." || exit 1
B=build/docs
mkdir -p "$B"
CC=${CC_DOCS:-gcc}
passed=0
failed=0
pass() {
  passed=$((passed + 1))
  echo "ok   $1"
}
fail() {
  failed=$((failed + 1))
  echo "FAIL $1"
}

# ---- the names, from the public part of backing.h with comments removed
awk '/^#if defined\(BACKING_IMPLEMENTATION\) && !defined\(BACKING_IMPLEMENTATION_INCLUDED\)/ { exit }
     { print }' backing.h >"$B/public.h"
if ! "$CC" -fpreprocessed -dD -E -P -x c "$B/public.h" -o "$B/public.i" 2>"$B/public.log"; then
  cat "$B/public.log"
  fail "docs: cannot strip the comments of backing.h's public part"
  echo "$passed passed, $failed failed"
  exit 1
fi
P="$B/public.i"
# functions: the identifier before the first "(" of every line that starts with BACKING_API
sed -n 's/^BACKING_API[^(]*[ *]\([A-Za-z_][A-Za-z0-9_]*\)(.*/\1/p' "$P" | grep -v '^backing__' |
  sort -u >"$B/functions"
{
  # enum constants: a line that is only a name, maybe "= value" and a comma
  sed -n 's/^[[:space:]]*\(BACKING_[A-Z0-9_]*\)[[:space:]]*\(=[^,]*\)\{0,1\},\{0,1\}[[:space:]]*$/\1/p' "$P"
  # error codes of the X-macro list, and macros the public part defines
  grep -o 'X(BACKING_[A-Z0-9_]*' "$P" | sed 's/^X(//'
  sed -n 's/^#[[:space:]]*define[[:space:]]\{1,\}\(BACKING_[A-Z0-9_]*\).*/\1/p' "$P"
} | grep -v -e '^BACKING__' -e '^BACKING_H_INCLUDED$' | sort -u >"$B/constants"
{
  # typedef names and enum tags (struct backing__view and other internals skipped)
  sed -n 's/^typedef .*[ *]\(backing[a-z0-9_]*\);$/\1/p' "$P"
  sed -n 's/^} \(backing_[a-z0-9_]*\);$/\1/p' "$P"
  sed -n 's/^typedef [^(]*(\*\(backing_[a-z0-9_]*\)).*/\1/p' "$P"
  sed -n 's/^enum \(backing_[a-z0-9_]*\) {.*/\1/p' "$P"
} | grep -v '^backing__' | sort -u >"$B/types"
# members of public structs: inside "typedef struct backing_x {" ... "} backing_x;", the
# name before ";" or "[", or "(*name)" for a function pointer
awk '/^typedef struct backing_[a-z0-9_]* \{/ { if ($3 !~ /^backing__/) inside = 1; next }
     inside && /^}/ { inside = 0; next }
     inside && /;/ {
       line = $0
       if (match(line, /\(\*[A-Za-z_][A-Za-z0-9_]*\)/)) {
         print substr(line, RSTART + 2, RLENGTH - 3)
       } else {
         sub(/(\[[^]]*\])*[[:space:]]*;.*$/, "", line)
         n = split(line, w, /[^A-Za-z0-9_]+/)
         print w[n]
       }
     }' "$P" | sort -u >"$B/fields"
nf=$(wc -l <"$B/functions")
nc=$(wc -l <"$B/constants")
if [ "$nf" -lt 40 ] || [ "$nc" -lt 20 ]; then # the extraction itself must not rot
  fail "docs: only $nf BACKING_API functions and $nc constants found in backing.h"
fi

# words in the code spans of README.md's "## API reference" section
awk '/^## / { inside = ($0 == "## API reference") } inside' README.md >"$B/reference.md"
grep -o '`[^`]*`' "$B/reference.md" | tr -c 'A-Za-z0-9_\n' '\n' | grep -v '^$' | sort -u \
  >"$B/reference.words"
# words in the header's top comment (up to the first */)
awk '{ print } /\*\// { exit }' backing.h | tr -c 'A-Za-z0-9_\n' '\n' | grep -v '^$' | sort -u \
  >"$B/header.words"

# missing <names> <words>: the names not among the words (the count and the first 30)
missing() {
  n=$(comm -23 "$1" "$2" | wc -l)
  [ "$n" -eq 0 ] || echo "$n missing: $(comm -23 "$1" "$2" | head -n 30 | tr '\n' ' ')"
}

if [ ! -s "$B/reference.md" ]; then
  fail "a1 README.md has no \"## API reference\" section"
else
  m=$(missing "$B/functions" "$B/reference.words")
  if [ -z "$m" ]; then
    pass "a1 README's API reference names all $nf BACKING_API functions"
  else
    fail "a1 README's API reference lacks BACKING_API functions, $m"
  fi
  sort -u "$B/constants" "$B/types" "$B/fields" >"$B/others"
  m=$(missing "$B/others" "$B/reference.words")
  if [ -z "$m" ]; then
    pass "a2 README's API reference names all $(wc -l <"$B/others") constants, types and fields"
  else
    fail "a2 README's API reference lacks constants, types or fields, $m"
  fi
fi
sort -u "$B/functions" "$B/constants" "$B/types" >"$B/header-names"
m=$(missing "$B/header-names" "$B/header.words")
if [ -z "$m" ]; then
  pass "a3 backing.h's top comment names all $(wc -l <"$B/header-names") functions, constants and types"
else
  fail "a3 backing.h's top comment (chapter API REFERENCE) lacks names, $m"
fi

# ---- b) the quick start is examples/quickstart.c
awk '/^## / { section = ($0 == "## Quick start") }
     section && /^```/ { if (inside) exit; inside = 1; next }
     inside' README.md >"$B/quickstart.md.c"
if cmp -s "$B/quickstart.md.c" examples/quickstart.c; then
  pass "b  README's quick start is examples/quickstart.c"
else
  diff "$B/quickstart.md.c" examples/quickstart.c | head -n 20
  fail "b  README's quick start differs from examples/quickstart.c (< README, > the file)"
fi

# ---- c) every ```c block compiles; d) every fence names its language
rm -f "$B"/block-*.c "$B/bare-fences"
awk -v dir="$B" '
  /^```/ {
    if (!inside) {
      inside = 1
      lang = substr($0, 4)
      if (lang == "") print NR >(dir "/bare-fences")
      if (lang == "c") { file = sprintf("%s/block-%05d.c", dir, NR + 1); printf "" >file }
      next
    }
    inside = 0
    if (file != "") close(file)
    file = ""
    next
  }
  inside && file != "" { print >>file }' README.md
for f in "$B"/block-*.c; do
  [ -e "$f" ] || continue
  line=$(basename "$f" .c | sed 's/^block-0*//')
  src="$B/tu-$line.c"
  if grep -q '^[[:space:]]*#[[:space:]]*include' "$f"; then
    kind="program"
    { printf '#line %s "README.md"\n' "$line"; cat "$f"; } >"$src"
  else
    kind="fragment"
    {
      printf '#include "backing.h"\n#include <stdint.h>\n#include <stdio.h>\n#include <string.h>\n'
      printf 'void readme_fragment(backing *s);\nvoid readme_fragment(backing *s) {\n(void)s;\n'
      printf '#line %s "README.md"\n' "$line"
      cat "$f"
      printf '}\n'
    } >"$src"
  fi
  if "$CC" -std=c99 -Wall -Wextra -Wpedantic -Werror -I. -c "$src" -o "$B/tu-$line.o" \
    >"$B/tu-$line.log" 2>&1; then
    pass "c  README.md line $line: the C $kind compiles"
  else
    head -n 20 "$B/tu-$line.log"
    fail "c  README.md line $line: the C $kind does not compile ($B/tu-$line.log)"
  fi
done
if ls "$B"/block-*.c >/dev/null 2>&1; then :; else
  fail "c  README.md has no \`\`\`c block at all"
fi

if [ -s "$B/bare-fences" ]; then
  fail "d  README.md has code blocks without a language at line(s) $(tr '\n' ' ' <"$B/bare-fences")(write \`\`\`text, \`\`\`sh, \`\`\`c)"
else
  pass "d  every code block of README.md names its language"
fi

# e) the README's format offsets against the header's static assertions
awk '/^## On-disk format/ { on = 1; next } /^## / { on = 0 } on && /^\| [0-9]+ \|/ { print $2 }' \
  README.md >"$B/format-offsets"
: >"$B/format-missing"
while read -r off; do
  grep -Eq "BACKING__AT\([a-z_]+, [a-z_]+, $off\)|BACKING__STATIC_ASSERT\([A-Z_]+ == $off," backing.h ||
    echo "$off" >>"$B/format-missing"
done <"$B/format-offsets"
n=$(wc -l <"$B/format-offsets")
if [ "$n" -lt 15 ]; then
  fail "e  README.md's format tables: only $n offsets found"
elif [ -s "$B/format-missing" ]; then
  fail "e  README.md's format offsets not asserted in backing.h: $(tr '\n' ' ' <"$B/format-missing")"
else
  pass "e  all $n offsets of README.md's format tables are asserted in backing.h"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
