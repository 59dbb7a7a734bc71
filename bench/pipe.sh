#!/usr/bin/env bash
# bench/pipe.sh OUT.tsv [RUNS]: 500 MiB through a pipe (`head -c 500M /dev/zero | wc -c`),
# bare, under the sandbox (fds passed straight through) and under `--output 1G` (the
# supervisor relays with splice). One line per run: config, run, wall ms, bytes seen.
# Runs interleave so that load drifts hit every config alike. SANDBOX_BIN overrides the binary.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
S=${SANDBOX_BIN:-$ROOT/target/release/sandbox}
OUT=${1:?usage: pipe.sh OUT.tsv [RUNS]}
RUNS=${2:-5}
: >"$OUT"
for r in $(seq "$RUNS"); do
    for cfg in bare sandbox output; do
        case $cfg in
            bare) cmd=(head -c 500M /dev/zero) ;;
            sandbox) cmd=("$S" -- /usr/bin/head -c 500M /dev/zero) ;;
            output) cmd=("$S" --output 1G -- /usr/bin/head -c 500M /dev/zero) ;;
        esac
        t0=$(date +%s%N)
        n=$("${cmd[@]}" | wc -c)
        t1=$(date +%s%N)
        printf '%s\t%s\t%s\t%s\n' "$cfg" "$r" "$(( (t1 - t0) / 1000000 ))" "$n" >>"$OUT"
    done
done
