#!/usr/bin/env bash
# bench/cpu.sh [SECONDS]: where the CPU of a run goes, through the launcher and the server.
#
# Throughput (issue 13: >= 1000 runs/s on 2 CPUs) is bounded by CPU per run, not latency,
# once both CPUs are busy. For each row, two runloop workers run /bin/true for SECONDS
# (default 10) while `perf record -a` samples every CPU (cpu-clock, 999 Hz). The table gives
# the runs/s, the CPU time per run (all CPUs, idle excluded, other machine load included:
# check the idle column and the load average), and that CPU split by what spends it:
# kernel functions grouped by mechanism (inclusive time, so groups may overlap a little) and
# user space. Root only; perf must be installed. Output: bench/out/cpu/ and a table on
# stdout (CPU.md there).
set -euo pipefail
SECS=${1:-10}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
OUT=$BENCH/out/cpu
S=${SANDBOX_BIN:-$ROOT/target/release/sandbox}
[ "$(id -u)" = 0 ] || { echo "cpu.sh: run as root" >&2; exit 2; }
command -v perf >/dev/null || { echo "cpu.sh: perf is not installed (apt-get install linux-perf)" >&2; exit 2; }
[ -x "$S" ] || { echo "cpu.sh: no sandbox binary at $S (cargo build --release)" >&2; exit 2; }
rm -rf "$OUT" && mkdir -p "$OUT"
gcc -O2 -o "$OUT/runloop" "$BENCH/src/runloop.c"
cd "$OUT"
mkdir -p box && cp /bin/true box/

SRV_PIDS=()
cleanup() {
    local p
    for p in "${SRV_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

serve() { # serve SOCK OPTIONS...: a server of our own, up before it returns
    local sock=$1; shift
    "$S" --serve "$sock" "$@" >>"$OUT/serve.log" 2>&1 &
    SRV_PIDS+=($!)
    for _ in $(seq 100); do [ -S "$sock" ] && return 0; sleep 0.05; done
    echo "cpu.sh: server on $sock did not come up (see $OUT/serve.log)" >&2
    exit 1
}

row() { # row NAME CMD...
    local name=$1; shift
    "$OUT/runloop" 2 2 -- "$@" >/dev/null # warm up (and arm the server's pool)
    # The "cpu" line of /proc/stat before and after: steal (the hypervisor's other guests)
    # makes every CPU figure of a virtual machine larger, so the report shows its share.
    grep '^cpu ' /proc/stat >"$OUT/$name.stat"
    perf record -q -a -g -F 999 -o "$OUT/$name.data" -- "$OUT/runloop" 2 "$SECS" -- "$@" >"$OUT/$name.json" 2>/dev/null
    grep '^cpu ' /proc/stat >>"$OUT/$name.stat"
    perf report -q -i "$OUT/$name.data" --children --sort sym -n --stdio -g none --percent-limit 0.3 2>/dev/null >"$OUT/$name.syms" || true
    perf report -q -i "$OUT/$name.data" --no-children --sort comm -n --stdio -g none 2>/dev/null >"$OUT/$name.comm" || true
    echo "$name $*" >>"$OUT/rows.txt"
}

: >"$OUT/rows.txt"
uptime >"$OUT/load-before"
row bare /bin/true
row launcher "$S" -- /bin/true
row judge "$S" --profile judge --workdir "$OUT/box" -- /bin/true
serve "$OUT/s.sock"
serve "$OUT/sj.sock" --profile judge --workdir "$OUT/box"
row server "$S" --server "$OUT/s.sock" -- /bin/true
row server-judge "$S" --server "$OUT/sj.sock" --profile judge --workdir "$OUT/box" -- /bin/true
cleanup
SRV_PIDS=()
uptime >"$OUT/load-after"
python3 "$BENCH/cpu_report.py" "$OUT" "$SECS" | tee "$OUT/CPU.md"
# Nothing of ours may remain: the servers waited for their runs.
left=$(find /sys/fs/cgroup -type d -name 'run-*' 2>/dev/null | head -3)
[ -z "$left" ] || { echo "cpu.sh: cgroups left behind: $left" >&2; exit 1; }
