#!/usr/bin/env bash
# Judge throughput and latency: the release judge binary on the embedded default (SQLite, a
# worker per core) on a free loopback port, N submissions of a small C solution (an AC to the
# `aplusb` sample problem) from C concurrent clients, each polling its result. Prints
# submissions per second and p50/p99 judge latency (submission to verdict, from the service's
# own timestamps) and writes bench/JUDGE.md. A benchmark, not a test.
#   bench/judge.sh [N] [CLIENTS]        (default 200 from 20)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200}
CLIENTS=${2:-20}
BIN=${JUDGE_BIN:-target/release/judge}
SANDBOX=${SANDBOX_BIN:-target/release/sandbox}
[ -n "${JUDGE_BIN:-}" ] || cargo build --release -q --workspace
for f in "$BIN" "$SANDBOX"; do
    [ -x "$f" ] || { echo "bench/judge.sh: $f is missing (cargo build --release --workspace)" >&2; exit 125; }
done
# Absolute: the service starts the launcher from each job's work dir.
BIN=$(realpath "$BIN")
SANDBOX=$(realpath "$SANDBOX")
command -v python3 >/dev/null || { echo "bench/judge.sh: python3 is needed" >&2; exit 125; }

tmp=$(mktemp -d /tmp/judge-bench.XXXXXX)
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
    # The launcher may leave its (empty) cgroup root behind: remove it, in every hierarchy.
    find /sys/fs/cgroup -maxdepth 6 -depth -type d -name "judge-bench-$$" -exec rmdir {} + 2>/dev/null || true
}
trap cleanup EXIT
"$BIN" --listen 127.0.0.1:0 --db "$tmp/judge.db" --sandbox "$SANDBOX" --work-root "$tmp/work" \
    --cgroup-root "judge-bench-$$" --queue-max $((N + 100)) 2>"$tmp/judge.log" &
pid=$!
url=""
for _ in $(seq 200); do
    url=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    if l.endswith("\n") and "\"listening\"" in l: print(json.loads(l)["url"]); break' "$tmp/judge.log" 2>/dev/null || true)
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/judge.log" >&2; exit 125; }
    sleep 0.1
done
[ -n "$url" ] || { echo "bench/judge.sh: the judge did not start" >&2; cat "$tmp/judge.log" >&2; exit 125; }
workers=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    if "\"listening\"" in l: print(json.loads(l)["workers"]); break' "$tmp/judge.log")

python3 - "$url" "$N" "$CLIENTS" "$tmp/result.json" <<'EOF'
import json, sys, threading, time, urllib.request
url, n, clients, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
SRC = '#include <stdio.h>\nint main(void) { long long a, b; scanf("%lld %lld", &a, &b); printf("%lld\\n", a + b); }\n'
def req(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    r = urllib.request.Request(url.rstrip("/") + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(r, timeout=600) as f:
        return json.load(f)
res, bad, lock = [], [], threading.Lock()
def client(c):
    for _ in range(c, n, clients):
        sid = req("POST", "/api/submissions", {"problem": "aplusb", "language": "c", "source": SRC})["id"]
        while True:
            v = req("GET", f"/api/submissions/{sid}")
            if v["state"] == "done":
                break
            time.sleep(0.05)
        with lock:
            (res if v["verdict"] == "AC" else bad).append(v)
t0 = time.time()
ts = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
for t in ts: t.start()
for t in ts: t.join()
secs = time.time() - t0
lat = sorted(v["latency"] for v in res)
q = lambda p: lat[min(len(lat) - 1, round((len(lat) - 1) * p))] if lat else float("nan")
json.dump({"n": n, "ok": len(res), "bad": len(bad), "secs": secs, "rate": n / secs,
           "p50": q(0.5), "p99": q(0.99), "max": lat[-1] if lat else None}, open(out, "w"))
if bad:
    print("wrong verdict, e.g.:", json.dumps(bad[0])[:800], file=sys.stderr)
EOF
r="$tmp/result.json"
get() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(f"{v:.3f}" if isinstance(v, float) else v)' "$r" "$1"; }
kill -TERM "$pid"; wait "$pid" || { echo "bench/judge.sh: the judge exited badly" >&2; exit 1; }
pid=""
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
line="$N submissions (C, aplusb AC) from $CLIENTS clients: $(get secs) s, $(get rate) submissions/s, latency p50 $(get p50) s, p99 $(get p99) s, max $(get max) s; wrong verdicts: $(get bad)"
echo "$line"
[ "$(get bad)" = 0 ] || { echo "bench/judge.sh: wrong verdicts; bench/JUDGE.md not written" >&2; exit 1; }
cat > bench/JUDGE.md <<EOF
# Judge service: throughput and latency

Written by \`bench/judge.sh $N $CLIENTS\` (do not edit by hand).

| | |
|---|---|
| date | $(date -u '+%Y-%m-%d %H:%M UTC') |
| machine | $(nproc) cores ($cpu), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r) |
| commit | $(git rev-parse --short HEAD 2>/dev/null || echo unknown) |
| service | release \`judge\`, embedded default (SQLite), $workers workers, as $(id -un) |
| workload | $N submissions of a small C solution (compile + 3 tests of \`aplusb\`, AC) from $CLIENTS concurrent clients, each polling its result every 50 ms |
| wall time | $(get secs) s |
| throughput | **$(get rate) submissions/s** |
| judge latency p50 | **$(get p50) s** (submission to verdict, the service's timestamps) |
| judge latency p99 | **$(get p99) s** (max $(get max) s) |
| wrong verdicts | $(get bad) |

Latency includes the wait in the queue: $CLIENTS clients keep about $CLIENTS submissions
queued for $workers workers, so p50 is roughly $CLIENTS/$workers judge times. The machine was
shared with other work while this ran, so treat the numbers as a floor.
EOF
