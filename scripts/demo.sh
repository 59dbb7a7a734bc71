#!/usr/bin/env bash
# The seeds' demo: the same program unsandboxed, under the launcher and under bare
# LD_PRELOAD, side by side; then the memory eater under a 64 MiB limit.
set -uo pipefail
cd "$(dirname "$0")/.."
S=target/release/sandbox
L=$PWD/target/release/libsandbox.so
D=$PWD/c-tests/build/demo
out=target/demo
mkdir -p "$out"
"$D" > "$out/host.txt" 2>&1
"$S" -- "$D" > "$out/launcher.txt" 2>&1
LD_PRELOAD=$L "$D" > "$out/bare.txt" 2>&1
col() { printf '%-46.46s  ' "$1"; }
echo
col "UNSANDBOXED"; col "sandbox -- demo"; echo "LD_PRELOAD=libsandbox.so demo"
col "-----------"; col "---------------"; echo "-----------------------------"
sep=$'\x1f'
paste -d "$sep" "$out/host.txt" "$out/launcher.txt" "$out/bare.txt" | while IFS=$sep read -r a b c; do
    col "$a"; col "$b"; echo "$c"
done
echo
echo "== the memory eater under: sandbox --memory 64M --report $out/eat.json -- demo eat"
"$S" --memory 64M --report "$out/eat.json" -- "$D" eat | tail -n 3
echo "exit status: ${PIPESTATUS[0]}"
cat "$out/eat.json"
