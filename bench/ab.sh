#!/usr/bin/env bash
# bench/ab.sh A_DIR B_DIR [ROUNDS]: the server path of two builds of the sandbox, side by
# side in one run (DIRECTIONS.md (g) measured the jail template with it). A_DIR and B_DIR
# each hold a release build (`sandbox`, `libsandbox.so`), e.g. a `git worktree` of the older
# commit built with `cargo build --release --workspace`. Needs root and hyperfine.
#
# Each build gets its own root server (default policy, --pool 2) in a scratch dir. The rounds
# alternate which build goes first, so that the load of this shared 2-CPU machine drifts
# over both alike. Per round and build: startup of `sandbox --server SOCK -- /bin/true`
# (hyperfine -N), throughput with two workers (runloop, 10 s), and the `-v` steps of an
# unpooled run (-v is never armed ahead). Prints one markdown table of medians [min–max
# over the rounds].
set -euo pipefail
A=${1:?usage: ab.sh A_DIR B_DIR [ROUNDS]} B=${2:?usage: ab.sh A_DIR B_DIR [ROUNDS]} ROUNDS=${3:-5}
RUNS=${RUNS:-200} SECS=${SECS:-10} STEPS=${STEPS:-30}
BENCH=$(cd "$(dirname "$0")" && pwd)
OUT=$(mktemp -d /tmp/sbx-ab.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$OUT"
}
trap cleanup EXIT
gcc -O2 -o "$OUT/runloop" "$BENCH/src/runloop.c"
mkdir -p "$OUT/work"
for n in A B; do
    dir=${!n}
    "$dir/sandbox" --serve="$OUT/$n.sock" --pool 2 2>"$OUT/$n.log" &
    pids+=($!)
done
for n in A B; do
    for _ in $(seq 50); do [ -S "$OUT/$n.sock" ] && break; sleep 0.1; done
    [ -S "$OUT/$n.sock" ] || { echo "ab.sh: server $n did not start: $(cat "$OUT/$n.log")" >&2; exit 1; }
done
cd "$OUT/work"
one() { # one NAME ROUND
    local n=$1 r=$2 dir=${!1}
    local c="$dir/sandbox --server=$OUT/$n.sock -- /bin/true"
    hyperfine -N --style none --warmup 20 --runs "$RUNS" --export-json "$OUT/hf_${n}_$r.json" "$c" >/dev/null
    # shellcheck disable=SC2086
    "$OUT/runloop" 2 "$SECS" -- $c >"$OUT/tp_${n}_$r.json"
    for _ in $(seq "$STEPS"); do "$dir/sandbox" --server="$OUT/$n.sock" -v -- /bin/true 2>&1; done >"$OUT/v_${n}_$r.txt"
    sleep 2
}
for r in $(seq "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then one A "$r"; one B "$r"; else one B "$r"; one A "$r"; fi
    echo "ab.sh: round $r of $ROUNDS done" >&2
done
python3 - "$OUT" "$ROUNDS" "$A" "$B" <<'EOF'
import json, re, statistics as st, sys
out, rounds, a, b = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def rows(n):
    r = {"startup median ms": [], "startup min ms": [], "runs/s (2 workers)": [], "failed runs": []}
    steps = {}
    for i in range(1, rounds + 1):
        h = json.load(open(f"{out}/hf_{n}_{i}.json"))["results"][0]
        r["startup median ms"].append(h["median"] * 1e3)
        r["startup min ms"].append(h["min"] * 1e3)
        t = json.load(open(f"{out}/tp_{n}_{i}.json"))
        r["runs/s (2 workers)"].append(t["runs_per_s"])
        r["failed runs"].append(t.get("failed", 0))
        per = {}
        for line in open(f"{out}/v_{n}_{i}.txt"):
            m = re.match(r"sandbox: \[ *[0-9.]+ ms\] (\S+) +([0-9.]+) ms \((\w+)\)", line)
            if m:
                per.setdefault(f"`-v` {m.group(1)} ({m.group(3)}) ms", []).append(float(m.group(2)))
        for k, v in per.items():
            steps.setdefault(k, []).append(st.median(v))
    for k in ("`-v` fs-sources (Init) ms", "`-v` filesystem (Init) ms", "`-v` namespaces (Supervisor) ms"):
        r[k] = steps.get(k, [float("nan")])
    return r
ra, rb = rows("A"), rows("B")
f = lambda v: f"{st.median(v):.2f} [{min(v):.2f}–{max(v):.2f}]"
print(f"| per round, median [min–max over {rounds} rounds] | A `{a}` | B `{b}` | B / A |")
print("|---|---|---|---|")
for k in ra:
    ma, mb = st.median(ra[k]), st.median(rb[k])
    print(f"| {k} | {f(ra[k])} | {f(rb[k])} | {mb / ma:.2f}x |" if ma else f"| {k} | {f(ra[k])} | {f(rb[k])} | |")
EOF
