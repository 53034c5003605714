#!/bin/sh
# tests/win/run.sh: stores exchanged between the Linux and the Windows builds of
# tests/win/t_win.c (the Windows one under Wine).
#   sh tests/win/run.sh LINUX_BIN WINDOWS_EXE DIR
# Linux makes a store that Windows verifies, Windows makes one that Linux verifies, and each
# then verifies the other's again, seeing the visit the other side added; then a process
# is killed while busy in each store and the other platform opens it. Each step is one
# pass or fail; the last line is "N passed, M failed". Run it with WINEPREFIX (and
# WINEDEBUG=-all) set as the caller wants; a step that hangs is stopped after 120 s.
lin=$1
win=$2
dir=$3
passed=0
failed=0
if [ -z "$lin" ] || [ -z "$win" ] || [ -z "$dir" ]; then
  echo "usage: sh tests/win/run.sh LINUX_BIN WINDOWS_EXE DIR"
  exit 2
fi
T=""
if command -v timeout >/dev/null 2>&1; then T="timeout 120"; fi

rm -rf "$dir"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# The directory as a Windows program is given it: Z:\... (forward slashes work too).
wdir=$(WINEDEBUG=-all winepath -w "$dir" 2>/dev/null | tr -d '\r')
[ -n "$wdir" ] || wdir=$dir

# step <label> linux|windows <args...>: one pass or fail; the program's output is shown
step() {
  label=$1
  side=$2
  shift 2
  if [ "$side" = windows ]; then
    $T wine "$win" "$@" >"$dir/step.log" 2>&1
  else
    $T "$lin" "$@" >"$dir/step.log" 2>&1
  fi
  rc=$?
  tr -d '\r' <"$dir/step.log" | sed 's/^/     /'
  if [ "$rc" -eq 0 ]; then
    echo "ok   $label"
    passed=$((passed + 1))
  else
    echo "FAIL $label (exit $rc)"
    failed=$((failed + 1))
  fi
}

step "linux makes a store" linux make "$dir/from-linux"
step "windows opens the linux store" windows verify "$wdir\\from-linux" 0
step "windows makes a store" windows make "$wdir\\from-windows"
step "linux opens the windows store" linux verify "$dir/from-windows" 0
step "linux sees the visit windows added" linux verify "$dir/from-linux" 1
step "windows sees the visit linux added" windows verify "$wdir\\from-windows" 1
# a process killed in the store on one side; the other side opens it next
step "linux kills a process busy in the linux store" linux crash "$dir/from-linux"
step "windows opens it after the crash" windows verify "$wdir\\from-linux" 2
step "windows kills a process busy in the windows store" windows crash "$wdir\\from-windows"
step "linux opens it after the crash" linux verify "$dir/from-windows" 2

[ "$failed" -eq 0 ] && rm -rf "$dir"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
