#!/usr/bin/env bash
# Soak: N runs (default 5000) sequentially, then the same again with 2 in parallel. A tenth are
# killed by a limit, a tenth are killed from outside (SIGKILL to the supervisor); the rest are
# ordinary runs with cgroup limits. Afterwards nothing of the project may remain: no cgroup,
# mount, process of the per-run uid range, temp file or descriptor; and the host's available
# memory is back. Writes bench/SOAK.md. Run as root: bench/soak.sh [N]
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${1:-5000}
S=$PWD/target/release/sandbox
SPIN=$PWD/c-tests/build/attack_infinite_loop
[ -x "$S" ] && [ -x "$SPIN" ] || { echo "build first: make build" >&2; exit 1; }
work=$(mktemp -d "$PWD/target/soak.XXXXXX")
chmod 777 "$work"
cd "$work"

mem() { awk '/MemAvailable/ {print $2}' /proc/meminfo; }
mounts() { wc -l < /proc/self/mountinfo; }
cgroups() { find /sys/fs/cgroup -type d \( -name 'sandbox' -o -name 'run-*' \) 2>/dev/null | wc -l; }
runprocs() { ps -eo uid= | awk '$1 >= 1291845632 && $1 < 1296039936' | wc -l; }
fds() { ls /proc/$$/fd | wc -l; }
tmpfiles() { ls -d /tmp/sbx* /tmp/sandbox* 2>/dev/null | wc -l; }

one() { # one run, kind chosen by its index
    local i=$1
    case $((i % 10)) in
    0) "$S" --time 0.05 --memory 64M -q -- "$SPIN" >/dev/null 2>&1 ;;  # killed by a limit
    1) "$S" --memory 64M --pids 32 -- /bin/sleep 10 >/dev/null 2>&1 &  # killed from outside
       local p=$!; sleep 0.02; kill -KILL "$p"; wait "$p" 2>/dev/null ;;
    *) "$S" --memory 64M --pids 32 -- /bin/true >/dev/null 2>&1 ;;
    esac
}

before_mem=$(mem) before_mounts=$(mounts) before_cg=$(cgroups) before_fds=$(fds) before_tmp=$(tmpfiles)
t0=$(date +%s.%N)
fail=0
for i in $(seq "$N"); do one "$i" || true; done
t1=$(date +%s.%N)
worker() { for i in $(seq "$1" 2 "$N"); do one "$i" || true; done; }
worker 1 & w1=$!
worker 2 & w2=$!
wait $w1 $w2
t2=$(date +%s.%N)
# The cleaners of runs killed from outside finish right after their supervisor: allow them.
for _ in $(seq 50); do [ "$(cgroups)" -le "$before_cg" ] && [ "$(runprocs)" -eq 0 ] && break; sleep 0.1; done
sleep 2
after_mem=$(mem) after_mounts=$(mounts) after_cg=$(cgroups) after_fds=$(fds) after_tmp=$(tmpfiles) procs=$(runprocs)
cd / && rm -rf "$work"

check() { # name before after ok?
    local v=PASS; [ "$4" = 1 ] || { v=FAIL; fail=1; }
    printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$v"
}
seq_s=$(awk "BEGIN{printf \"%.1f\", $t1 - $t0}"); par_s=$(awk "BEGIN{printf \"%.1f\", $t2 - $t1}")
memdiff=$(( (before_mem - after_mem) / 1024 ))
{
    echo "# Soak result"
    echo
    echo "$(date -u +%F\ %T) UTC, kernel $(uname -r), sandbox $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)."
    echo "$N runs sequentially in ${seq_s} s, then $N runs with 2 in parallel in ${par_s} s."
    echo "Each tenth killed by a CPU limit (--time 0.05), each tenth SIGKILLed from outside after 20 ms;"
    echo "all with --memory 64M (and --pids 32 for the others), so every run has cgroups."
    echo
    echo "| what | before | after | verdict |"
    echo "|---|---|---|---|"
    check "project cgroup dirs" "$before_cg" "$after_cg" "$([ "$after_cg" -le "$before_cg" ] && echo 1)"
    check "mounts in the host namespace" "$before_mounts" "$after_mounts" "$([ "$after_mounts" = "$before_mounts" ] && echo 1)"
    check "processes of the per-run uid range" 0 "$procs" "$([ "$procs" = 0 ] && echo 1)"
    check "descriptors of the soak shell" "$before_fds" "$after_fds" "$([ "$after_fds" = "$before_fds" ] && echo 1)"
    check "temp files /tmp/sbx*, /tmp/sandbox*" "$before_tmp" "$after_tmp" "$([ "$after_tmp" -le "$before_tmp" ] && echo 1)"
    check "MemAvailable (MiB), lost ≤ 100" "$((before_mem / 1024))" "$((after_mem / 1024))" "$([ "$memdiff" -le 100 ] && echo 1)"
} | tee "$ROOT/bench/SOAK.md" 2>/dev/null || true
exit $fail
