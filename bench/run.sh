#!/usr/bin/env bash
# bench/run.sh: measure the sandbox against bare execution and its peers, in one run.
#
#   bench/run.sh            full run (about 15-17 minutes)
#   bench/run.sh --quick    short run (about 6 minutes): fewer runs, shorter throughput
#
# Needs root. Installs hyperfine, bubblewrap and firejail with apt-get when missing.
# The server path is measured through two `sandbox --serve` servers of its own (default
# policy, judge profile) on sockets in bench/out/, stopped again before the end.
# Raw data goes to bench/out/ (gitignored); bench/RESULTS.md is rewritten at the end.
# Environment overrides: SANDBOX_BIN, SANDBOX_LIB (default: target/release of this tree);
# the peers built from their sources (bench/README.md, "Peers"): PEERS (default /opt/peers),
# ISOLATE, MINIJAIL, MINIJAIL_PRELOAD, NSJAIL. A peer that is absent is "not measured".
set -euo pipefail

QUICK=0
for a in "$@"; do
    case "$a" in
        --quick) QUICK=1 ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument: $a" >&2; exit 2 ;;
    esac
done

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
OUT=$BENCH/out
S=${SANDBOX_BIN:-$ROOT/target/release/sandbox}
LIB=${SANDBOX_LIB:-$ROOT/target/release/libsandbox.so}
PEERS=${PEERS:-/opt/peers}
ISOLATE=${ISOLATE:-$PEERS/bin/isolate}
MINIJAIL=${MINIJAIL:-$PEERS/bin/minijail0}
MINIJAIL_PRELOAD=${MINIJAIL_PRELOAD:-$PEERS/lib/libminijailpreload.so}
NSJAIL=${NSJAIL:-$PEERS/bin/nsjail}

if [ "$(id -u)" -ne 0 ]; then echo "run.sh: must run as root" >&2; exit 1; fi

if [ "$QUICK" = 1 ]; then
    WARMUP=5 RUNS=50 TPUT_SB=30 TPUT_PEER=10 SYS_N=2000000 SYS_ROUNDS=3
    COMP_ROUNDS=3 RSS_RUNS=3 OVER_RUNS=5 STEP_RUNS=20 PROBE_N=100
else
    WARMUP=20 RUNS=300 TPUT_SB=60 TPUT_PEER=60 SYS_N=10000000 SYS_ROUNDS=5
    COMP_ROUNDS=10 RSS_RUNS=5 OVER_RUNS=20 STEP_RUNS=50 PROBE_N=500
fi
TPUT_WORKERS=2

log() { printf '\n== %s\n' "$*" >&2; }
note() { printf '   %s\n' "$*" >&2; }

# --- cleanup: only what this script started --------------------------------------------
BG_PIDS=()
ISOLATE_BOXES=()
SERVE_SOCKS=() # sockets of the servers this script started (removed here if one was left)
cleanup() {
    local p
    for p in "${BG_PIDS[@]:-}"; do
        [ -n "$p" ] && kill "$p" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    for p in "${SERVE_SOCKS[@]:-}"; do
        [ -n "$p" ] && rm -f "$p"
    done
    for p in "${ISOLATE_BOXES[@]:-}"; do
        [ -n "$p" ] && "$ISOLATE" --box-id="$p" --cleanup >/dev/null 2>&1 || true
    done
}
trap cleanup EXIT
# forget PID: drop it from BG_PIDS once waited for (exactly: a pattern would also cut longer pids)
forget() {
    local p keep=()
    for p in "${BG_PIDS[@]:-}"; do [ -n "$p" ] && [ "$p" != "$1" ] && keep+=("$p"); done
    BG_PIDS=("${keep[@]:-}")
}
trap 'exit 130' INT TERM

# (other users' runs may remove their cgroups while find walks them: not an error)
cg_snapshot() { { find /sys/fs/cgroup -name 'sandbox*' 2>/dev/null | while read -r d; do find "$d" -type d 2>/dev/null; done; } | sort || true; }

mkdir -p "$OUT"
rm -rf "$OUT/steps" "$OUT/overshoot" "$OUT/rss" "$OUT"/*.json "$OUT"/*.txt "$OUT"/*.tsv "$OUT"/serve-*.log
mkdir -p "$OUT/steps" "$OUT/overshoot"
CG_BEFORE=$(cg_snapshot)
T_START=$(date +%s)

# --- 1. tools ---------------------------------------------------------------------------
log "1. tools"
PEERS_TSV=$OUT/peers.tsv
: >"$PEERS_TSV"
APT_UPDATED=0
ensure() { # ensure PACKAGE COMMAND
    local pkg=$1 cmd=$2
    if command -v "$cmd" >/dev/null 2>&1; then
        printf '%s\t%s\tpresent\t%s\n' "$pkg" "$cmd" "$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || echo '?')" >>"$PEERS_TSV"
        return 0
    fi
    note "installing $pkg"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >"$OUT/apt-$pkg.log" 2>&1; then
        if [ "$APT_UPDATED" = 0 ]; then
            APT_UPDATED=1
            apt-get update -qq >"$OUT/apt-update.log" 2>&1 || true
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >"$OUT/apt-$pkg.log" 2>&1 || true
    fi
    if command -v "$cmd" >/dev/null 2>&1; then
        printf '%s\t%s\tinstalled\t%s\n' "$pkg" "$cmd" "$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || echo '?')" >>"$PEERS_TSV"
    else
        printf '%s\t%s\tunavailable\t-\n' "$pkg" "$cmd" >>"$PEERS_TSV"
        note "$pkg could not be installed (see $OUT/apt-$pkg.log); its rows are skipped"
        return 1
    fi
}
ensure hyperfine hyperfine || { echo "run.sh: hyperfine is required" >&2; exit 1; }
HAVE_BWRAP=0; ensure bubblewrap bwrap && HAVE_BWRAP=1 || true
HAVE_FIREJAIL=0; ensure firejail firejail && HAVE_FIREJAIL=1 || true
command -v gcc >/dev/null || { echo "run.sh: gcc is required (apt-get install gcc libc6-dev)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "run.sh: python3 is required (apt-get install python3)" >&2; exit 1; }
BWRAP=$(command -v bwrap || echo /usr/bin/bwrap)
FIREJAIL=$(command -v firejail || echo /usr/bin/firejail)
# The peers built from their public sources outside the repo (bench/README.md, "Peers").
# run.sh builds none of them; an absent one is reported as not measured.
peer_version() { awk -F'\t' -v n="$1" '$1 == n {print $2}' "$PEERS/VERSIONS" 2>/dev/null | head -1; }
built_peer() { # built_peer NAME BINARY [FILE...]
    local name=$1 f; shift
    for f in "$@"; do
        if [ ! -e "$f" ]; then
            printf '%s\t%s\tnot built\t-\n' "$name" "$1" >>"$PEERS_TSV"
            note "$name: not measured: not built ($f missing; see bench/README.md)"
            return 1
        fi
    done
    printf '%s\t%s\tbuilt\t%s\n' "$name" "$1" "$(peer_version "$name" || echo '?')" >>"$PEERS_TSV"
}
HAVE_ISOLATE=0; built_peer isolate "$ISOLATE" && HAVE_ISOLATE=1 || true
HAVE_MINIJAIL=0; built_peer minijail "$MINIJAIL" "$MINIJAIL_PRELOAD" && HAVE_MINIJAIL=1 || true
HAVE_NSJAIL=0; built_peer nsjail "$NSJAIL" && HAVE_NSJAIL=1 || true

# --- 2. sandbox and helpers -------------------------------------------------------------
log "2. build"
if [ -z "${SANDBOX_BIN:-}" ]; then
    (cd "$ROOT" && cargo build --release -q -p launcher -p sandbox-preload) || { echo "run.sh: cargo build --release failed" >&2; exit 1; }
fi
[ -x "$S" ] || { echo "run.sh: no sandbox binary at $S" >&2; exit 1; }
[ -f "$LIB" ] || { echo "run.sh: no libsandbox.so at $LIB" >&2; exit 1; }
for p in hello_static getppid_loop compute spin sleeper; do
    gcc -O2 -static -o "$OUT/$p" "$BENCH/src/$p.c"
done
gcc -O2 -o "$OUT/runloop" "$BENCH/src/runloop.c"
note "helpers in $OUT"

# Everything sandboxed runs with the helpers' directory as its cwd (the default work dir).
cd "$OUT"
HELLO=$OUT/hello_static
# The judge profile bounds its work dir with a sized tmpfs copy (--disk/--inodes), copied in
# and synced back every run, so it runs in a judge-sized box (one binary, as a judge's
# per-submission dir), not in the whole of $OUT (about 300 files).
JBOX=$OUT/judge-box
rm -rf "$JBOX" && mkdir -p "$JBOX" && cp "$HELLO" "$JBOX/"
# The sockets of the two servers of the server rows (section "the server path" below).
SERVE_SOCK=$OUT/serve.sock
SERVE_JSOCK=$OUT/serve-judge.sock

# The peers' command lines, as in /work/shared/research/perf-anchors.md. bwrap sees the
# helpers read-only at /bench.
BWRAP_ARGS="$BWRAP --unshare-user --unshare-pid --unshare-net --unshare-ipc --unshare-uts --unshare-cgroup --die-with-parent --new-session --cap-drop ALL --ro-bind /usr /usr --symlink usr/lib /lib --symlink usr/lib64 /lib64 --symlink usr/bin /bin --symlink usr/sbin /sbin --proc /proc --dev /dev --tmpfs /tmp --ro-bind $OUT /bench --"
FIREJAIL_ARGS="$FIREJAIL --quiet --noprofile --net=none --ipc-namespace --hostname=box --private-tmp --private-dev --read-only=/usr --seccomp --caps.drop=all --nonewprivs --noroot --rlimit-nproc=64 --rlimit-as=536870912"
# isolate, minijail0 and nsjail as in /work/shared/research/peers.md (most isolated
# /bin/true each can give). isolate runs in a box made beforehand (one per concurrent
# worker: {W} is the worker's index in runloop, box 0 for startup); the helpers are copied
# into the box. minijail0 needs --ambient for a static target (it refuses -c without it).
# The server path (issue 13) has its own rows: `sandbox --server SOCK` against a default
# server and against a judge one (serve_start below).
ISOLATE_ARGS="$ISOLATE --box-id=0 --silent --run --"
# Command lines are strings split like a shell would (hyperfine -N does the same), so the
# maps stay one argument each.
MINIJAIL_ARGS="$MINIJAIL -U -m'0 65534 1' -M'0 65534 1' -p -v -r -l -e -N --uts -n -c 0 --preload-library=$MINIJAIL_PRELOAD"
NSJAIL_ARGS="$NSJAIL -Mo --chroot / -q -u 65534:65534 -g 65534:65534 --"
if [ "$HAVE_ISOLATE" = 1 ]; then
    for b in 0 1; do
        if d=$("$ISOLATE" --box-id=$b --init 2>"$OUT/isolate-init.err"); then
            ISOLATE_BOXES+=("$b")
            cp "$OUT/hello_static" "$OUT/getppid_loop" "$d/box/"
        else
            note "isolate --init of box $b failed (see $OUT/isolate-init.err): isolate not measured"
            HAVE_ISOLATE=0
        fi
    done
fi

{
    echo "date=$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "quick=$QUICK"
    echo "kernel=$(uname -r)"
    echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "ncpu=$(nproc)"
    echo "mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    echo "os=$(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "code_commit=$(git -C "$ROOT" log -1 --format=%h -- . ':!bench' 2>/dev/null || echo unknown)"
    echo "dirty=$(git -C "$ROOT" status --porcelain --untracked-files=no -- . ':!bench' 2>/dev/null | wc -l)"
    echo "sandbox=$S"
    echo "lib=$LIB"
    echo "hyperfine=$(hyperfine --version 2>/dev/null)"
    echo "bwrap_args=$BWRAP_ARGS"
    echo "firejail_args=$FIREJAIL_ARGS"
    echo "isolate_args=$ISOLATE_ARGS"
    echo "minijail_args=$MINIJAIL_ARGS"
    echo "nsjail_args=$NSJAIL_ARGS"
    echo "serve_args=\$S --serve $SERVE_SOCK"
    echo "serve_judge_args=\$S --serve $SERVE_JSOCK --profile judge --workdir $JBOX"
    echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "other_procs_start=$(ps -eo stat=,comm= | awk '$1 ~ /^R/' | wc -l) runnable; top CPU: $(ps -eo pcpu=,comm= --sort=-pcpu | head -5 | awk '{printf "%s%s %s%%", (NR > 1 ? ", " : ""), $2, $1}')"
    echo "warmup=$WARMUP"; echo "runs=$RUNS"
    echo "tput_workers=$TPUT_WORKERS"; echo "tput_sb=$TPUT_SB"; echo "tput_peer=$TPUT_PEER"
    echo "sys_n=$SYS_N"; echo "sys_rounds=$SYS_ROUNDS"; echo "comp_rounds=$COMP_ROUNDS"
    echo "rss_runs=$RSS_RUNS"; echo "over_runs=$OVER_RUNS"; echo "step_runs=$STEP_RUNS"
    echo "cgroups=$(grep -c . /proc/self/cgroup) lines in /proc/self/cgroup; unified=$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null || stat -fc %T /sys/fs/cgroup)"
} >"$OUT/meta.txt"

loadavg() { echo "$1 $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/loadavg.txt"; }

# Is a seccomp filter really in force for each mode? (the compiler may still be a no-op)
for m in default strict none; do
    f=$("$S" --seccomp "$m" -- /bin/grep -E '^Seccomp:' /proc/self/status 2>/dev/null | awk '{print $2}' || true)
    echo "$m ${f:-error}" >>"$OUT/seccomp_modes.txt"
done
f=$(env LD_PRELOAD="$LIB" /bin/grep -E '^Seccomp:' /proc/self/status 2>/dev/null | awk '{print $2}' || true)
echo "preload ${f:-error}" >>"$OUT/seccomp_modes.txt"

FAILED=0
# sanity NAME CMD...: one run that must exit 0, else the row is dropped (and the run fails
# if it is one of ours).
sanity() {
    local name=$1; shift
    if "$@" >/dev/null 2>"$OUT/sanity-$name.err"; then
        rm -f "$OUT/sanity-$name.err"; return 0
    fi
    note "FAILED sanity run of $name: $* (stderr in $OUT/sanity-$name.err)"
    echo "$name $*" >>"$OUT/failed.txt"
    return 1
}

# --- the server path: `sandbox --serve` (default policy, and the judge profile) ----------
# Two servers on owner-only sockets under $OUT, started with the defaults (no pool options):
# one with the default policy, one with `--profile judge --workdir $JBOX` as its ceiling. A
# client runs the same command line as the launcher row it is compared with, plus
# `--server SOCK`. They run only around the rows that use them (startup, throughput), and
# stop by SIGTERM (the server removes its socket and exits 0); anything else is a failure.
SERVE_PID="" SERVE_JPID="" SERVED_PID=""
SERVE_UP=0
# connected SOCKET: does connect() to it succeed (the server's readiness)?
connected() { python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' "$1" 2>/dev/null; }
serve_one() { # serve_one NAME SOCKET [POLICY OPTIONS]: sets SERVED_PID (no subshell: the
    # server must be this shell's child, for wait and for cleanup)
    local name=$1 sock=$2; shift 2
    rm -f "$sock"
    SERVE_SOCKS+=("$sock")
    "$S" --serve "$sock" "$@" >>"$OUT/serve-$name.log" 2>&1 &
    SERVED_PID=$!
    BG_PIDS+=("$SERVED_PID")
    local i
    for i in $(seq 100); do
        connected "$sock" && return 0
        kill -0 "$SERVED_PID" 2>/dev/null || break
        sleep 0.05
    done
    note "FAILED: server $name did not come up on $sock (see $OUT/serve-$name.log)"
    echo "serve-$name $S --serve $sock $*" >>"$OUT/failed.txt"
    return 1
}
serve_start() { # serve_start WHAT: both servers, and a sanity run of each client row
    SERVE_UP=0
    serve_one default "$SERVE_SOCK" || { SERVE_PID=$SERVED_PID; FAILED=1; return 1; }
    SERVE_PID=$SERVED_PID
    serve_one judge "$SERVE_JSOCK" --profile judge --workdir "$JBOX" || { SERVE_JPID=$SERVED_PID; FAILED=1; return 1; }
    SERVE_JPID=$SERVED_PID
    sanity "server-$1" "$S" --server "$SERVE_SOCK" -- /bin/true || { FAILED=1; return 1; }
    sanity "server-judge-$1" "$S" --server "$SERVE_JSOCK" --profile judge --workdir "$JBOX" -- /bin/true || { FAILED=1; return 1; }
    SERVE_UP=1
}
serve_stop() { # SIGTERM, wait; a server that does not exit 0 or leaves its socket fails the run
    local pid sock rc
    for pid in "$SERVE_PID" "$SERVE_JPID"; do
        [ -n "$pid" ] || continue
        kill -TERM "$pid" 2>/dev/null || true
        rc=0; wait "$pid" 2>/dev/null || rc=$?
        forget "$pid"
        [ "$rc" = 0 ] || { note "a server (pid $pid) exited $rc on SIGTERM (see $OUT/serve-*.log)"; FAILED=1; }
    done
    SERVE_PID="" SERVE_JPID="" SERVE_UP=0
    for sock in "$SERVE_SOCK" "$SERVE_JSOCK"; do
        [ -e "$sock" ] && { note "a server left its socket $sock behind"; rm -f "$sock"; FAILED=1; }
    done
    return 0
}

# --- 3a. startup -------------------------------------------------------------------------
startup() { # startup KIND PROGRAM [PROGRAM-IN-BWRAP]
    local kind=$1 prog=$2 bprog=${3:-$2}
    local -a hf=(hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" --export-json "$OUT/startup_$kind.json")
    local iprog=$prog mamb=""
    [ "$kind" = hello ] && iprog=/box/hello_static mamb=" --ambient"
    local jprog=$prog
    [ "$kind" = hello ] && jprog=$JBOX/hello_static
    local -a rows=(
        "bare|$prog"
        "env|/usr/bin/env $prog"
        "env+LD_PRELOAD|/usr/bin/env LD_PRELOAD=$LIB $prog"
        "env+LD_AUDIT|/usr/bin/env LD_AUDIT=$LIB $prog"
        "sandbox|$S -- $prog"
        "sandbox --profile judge|$S --profile judge --workdir $JBOX -- $jprog"
        "sandbox --seccomp strict|$S --seccomp strict -- $prog"
    )
    [ "$SERVE_UP" = 1 ] && rows+=(
        "sandbox --server|$S --server $SERVE_SOCK -- $prog"
        "sandbox --server --profile judge|$S --server $SERVE_JSOCK --profile judge --workdir $JBOX -- $jprog"
    )
    [ "$HAVE_BWRAP" = 1 ] && rows+=("bwrap|$BWRAP_ARGS $bprog")
    [ "$HAVE_FIREJAIL" = 1 ] && rows+=("firejail|$FIREJAIL_ARGS $prog")
    [ "$HAVE_ISOLATE" = 1 ] && rows+=("isolate|$ISOLATE_ARGS $iprog")
    [ "$HAVE_MINIJAIL" = 1 ] && rows+=("minijail0|$MINIJAIL_ARGS$mamb $prog")
    [ "$HAVE_NSJAIL" = 1 ] && rows+=("nsjail|$NSJAIL_ARGS $prog")
    local r name cmd
    for r in "${rows[@]}"; do
        name=${r%%|*}; cmd=${r#*|}
        local -a argv
        eval "argv=($cmd)"
        if sanity "startup-$kind-${name// /_}" "${argv[@]}"; then
            hf+=(-n "$name" "$cmd")
        else
            case $name in bwrap|firejail|isolate|minijail0|nsjail) ;; *) FAILED=1 ;; esac
        fi
    done
    "${hf[@]}" >"$OUT/startup_$kind.txt" 2>&1 || { note "hyperfine failed (see $OUT/startup_$kind.txt)"; FAILED=1; }
}
log "3a. startup: servers (sandbox --serve: default, judge)"
serve_start startup || true
log "3a. startup: /bin/true ($RUNS runs)"; loadavg startup_true
startup true /bin/true
log "3a. startup: hello_static ($RUNS runs)"; loadavg startup_hello
startup hello "$HELLO" /bench/hello_static
serve_stop

# --- 3b. cgroup cost ---------------------------------------------------------------------
log "3b. cgroup cost ($RUNS runs)"; loadavg cgroup
sanity cgroup-limits "$S" --memory 256M --pids 64 -- /bin/true || FAILED=1
hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" --export-json "$OUT/cgroup.json" \
    -n "sandbox" "$S -- /bin/true" \
    -n "sandbox --memory 256M --pids 64" "$S --memory 256M --pids 64 -- /bin/true" \
    >"$OUT/cgroup.txt" 2>&1 || { note "hyperfine failed (see $OUT/cgroup.txt)"; FAILED=1; }

# --- 3c. per-step timings (-v) -----------------------------------------------------------
log "3c. step timings ($STEP_RUNS runs per config)"; loadavg steps
for i in $(seq "$STEP_RUNS"); do
    "$S" -v -- /bin/true 2>"$OUT/steps/default.$i" || FAILED=1
    "$S" -v --seccomp strict -- /bin/true 2>"$OUT/steps/strict.$i" || FAILED=1
    "$S" -v --memory 256M --pids 64 -- /bin/true 2>"$OUT/steps/cgroup.$i" || FAILED=1
    "$S" -v --profile judge --workdir "$JBOX" -- /bin/true 2>"$OUT/steps/judge.$i" || FAILED=1
done

# --- 3d. per-syscall overhead -------------------------------------------------------------
log "3d. getppid: $SYS_N calls x $SYS_ROUNDS interleaved rounds"; loadavg syscall
: >"$OUT/syscall.tsv"
for r in $(seq "$SYS_ROUNDS"); do
    for cfg in bare "sandbox --seccomp default" "sandbox --seccomp strict" "sandbox --seccomp none" bwrap; do
        case $cfg in
            bare) cmd=("$OUT/getppid_loop" "$SYS_N") ;;
            bwrap) [ "$HAVE_BWRAP" = 1 ] || continue
                   read -ra cmd <<<"$BWRAP_ARGS /bench/getppid_loop $SYS_N" ;;
            *) cmd=("$S" --seccomp "${cfg##* }" -- "$OUT/getppid_loop" "$SYS_N") ;;
        esac
        v=$("${cmd[@]}" 2>>"$OUT/syscall.err" | awk '/ns\/call/ {print $2}') || true
        if [ -n "$v" ]; then printf '%s\t%s\t%s\n' "$cfg" "$r" "$v" >>"$OUT/syscall.tsv"
        else note "getppid_loop failed under $cfg"; [ "$cfg" = bwrap ] || FAILED=1; fi
    done
done

# --- 3e. compute-bound -------------------------------------------------------------------
log "3e. compute: $COMP_ROUNDS interleaved rounds"; loadavg compute
: >"$OUT/compute.tsv"
for r in $(seq "$COMP_ROUNDS"); do
    for cfg in bare "sandbox" "sandbox --seccomp strict"; do
        case $cfg in
            bare) cmd=("$OUT/compute") ;;
            sandbox) cmd=("$S" -- "$OUT/compute") ;;
            *) cmd=("$S" --seccomp strict -- "$OUT/compute") ;;
        esac
        line=$("${cmd[@]}" 2>>"$OUT/compute.err") || { note "compute failed under $cfg"; FAILED=1; continue; }
        printf '%s\t%s\t%s\t%s\n' "$cfg" "$r" "$(awk '{print $2}' <<<"$line")" "$(awk '{print $4}' <<<"$line")" >>"$OUT/compute.tsv"
    done
done

# --- 3f. supervisor RSS ------------------------------------------------------------------
log "3f. supervisor RSS ($RSS_RUNS runs)"; loadavg rss
: >"$OUT/rss.tsv"
for i in $(seq "$RSS_RUNS"); do
    "$S" -- /bin/sleep 1 &
    pid=$!; BG_PIDS+=("$pid")
    sleep 0.5
    if [ -r "/proc/$pid/status" ]; then
        # the supervisor is the process we started: check it is ours and still `sandbox`
        awk -v want="$$" -v pid="$pid" '
            /^Name:/ {name=$2} /^PPid:/ {ppid=$2} /^VmRSS:/ {rss=$2} /^VmHWM:/ {hwm=$2}
            END {printf "%s\t%s\t%s\t%s\t%s\n", pid, name, ppid, rss, hwm}' "/proc/$pid/status" >>"$OUT/rss.tsv"
    fi
    wait "$pid" || { note "sandbox -- sleep 1 failed"; FAILED=1; }
    forget "$pid"
done

# --- 3g. limit overshoot -----------------------------------------------------------------
log "3g. limit overshoot ($OVER_RUNS runs each)"; loadavg overshoot
: >"$OUT/overshoot.tsv"
for i in $(seq "$OVER_RUNS"); do
    t0=$(date +%s%N)
    # (the braces keep bash's "Killed" notice out of the output: the launcher exits by the
    # program's signal, SIGKILL here)
    rc=0; { "$S" -q --time 0.5 --report "$OUT/overshoot/cpu.$i.json" -- "$OUT/spin"; } 2>/dev/null || rc=$?
    t1=$(date +%s%N)
    printf 'cpu\t%s\t%s\t%s\n' "$i" "$rc" "$(( (t1 - t0) / 1000 ))" >>"$OUT/overshoot.tsv"
    t0=$(date +%s%N)
    rc=0; { "$S" -q --wall-time 0.3 --report "$OUT/overshoot/wall.$i.json" -- /bin/sleep 5; } 2>/dev/null || rc=$?
    t1=$(date +%s%N)
    printf 'wall\t%s\t%s\t%s\n' "$i" "$rc" "$(( (t1 - t0) / 1000 ))" >>"$OUT/overshoot.tsv"
done

# --- 3g2. output relay --------------------------------------------------------------------
log "3g2. 500 MiB through a pipe: bare, sandbox, sandbox --output ($OVER_RUNS runs each)"; loadavg pipe
"$BENCH/pipe.sh" "$OUT/pipe.tsv" "$OVER_RUNS" || { note "pipe.sh failed"; FAILED=1; }

# --- 3i. direction probes (issue 13; bench/DIRECTIONS.md reads them) ------------------------
log "3i. direction probes: netns, jail, cgroup ($PROBE_N runs each)"; loadavg probes
make -s -C "$BENCH/probe" OUT="$OUT/probe" || { note "probe build failed"; FAILED=1; }
for p in netns cgroup; do
    "$OUT/probe/$p" "$PROBE_N" >"$OUT/probe_$p.txt" 2>"$OUT/probe_$p.err" || { note "probe $p failed (see $OUT/probe_$p.err)"; FAILED=1; }
done
"$OUT/probe/jail" "$PROBE_N" "$OUT" "$LIB" >"$OUT/probe_jail.txt" 2>"$OUT/probe_jail.err" || { note "probe jail failed (see $OUT/probe_jail.err)"; FAILED=1; }

# --- 3h. sustained throughput (last: it leaves the most namespace teardown behind) ------
throughput() { # throughput NAME SECONDS CMD...
    local name=$1 secs=$2; shift 2
    loadavg "tput-$name-before"
    echo "$name $*" >>"$OUT/tput_cmds.txt"
    "$OUT/runloop" "$TPUT_WORKERS" "$secs" -- "$@" >"$OUT/tput_$name.json" 2>>"$OUT/tput.err" || true
    loadavg "tput-$name-after"
    sleep 3 # let part of the teardown backlog drain before the next tool
}
log "3h. throughput: $TPUT_WORKERS workers, sandbox ${TPUT_SB}s, bare and peers ${TPUT_PEER}s"
: >"$OUT/tput_cmds.txt"
throughput bare "$TPUT_PEER" /bin/true
throughput sandbox "$TPUT_SB" "$S" -- /bin/true
throughput judge "$TPUT_SB" "$S" --profile judge --workdir "$JBOX" -- /bin/true
if serve_start throughput; then
    throughput serve "$TPUT_SB" "$S" --server "$SERVE_SOCK" -- /bin/true
    throughput serve-judge "$TPUT_SB" "$S" --server "$SERVE_JSOCK" --profile judge --workdir "$JBOX" -- /bin/true
fi
serve_stop
peer_tput() { # peer_tput NAME COMMAND-LINE (split like the startup rows)
    local -a argv
    eval "argv=($2)"
    throughput "$1" "$TPUT_PEER" "${argv[@]}"
}
[ "$HAVE_BWRAP" = 1 ] && peer_tput bwrap "$BWRAP_ARGS /bin/true"
W='{W}' # runloop puts each worker's index there: one isolate box per worker
[ "$HAVE_ISOLATE" = 1 ] && peer_tput isolate "${ISOLATE_ARGS/--box-id=0/--box-id=$W} /bin/true"
[ "$HAVE_MINIJAIL" = 1 ] && peer_tput minijail0 "$MINIJAIL_ARGS /bin/true"
[ "$HAVE_NSJAIL" = 1 ] && peer_tput nsjail "$NSJAIL_ARGS /bin/true"

# The server path: `sandbox serve` does not exist yet. probe/serve is a throw-away prototype
# of its warm pool (template jail, fresh namespaces made at pool time, a parked app; no
# seccomp, Landlock or cgroups), measured so that issue 13 has a number for the path.
SOCK=$OUT/probe-serve.sock
if [ -x "$OUT/probe/serve" ] && [ -x "$OUT/probe/client" ]; then
    log "3j. server-path prototype (probe/serve; not sandbox serve)"
    "$OUT/probe/serve" "$SOCK" $((TPUT_PEER + 300)) "$OUT" "$LIB" >"$OUT/probe_serve.txt" 2>"$OUT/probe_serve.err" &
    SRV=$!; BG_PIDS+=("$SRV")
    for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
    if sanity serve-client "$OUT/probe/client" "$SOCK" /bin/true; then
        hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" --export-json "$OUT/serve.json" \
            -n bare /bin/true -n "server prototype" "$OUT/probe/client $SOCK /bin/true" -n sandbox "$S -- /bin/true" \
            >"$OUT/serve.txt" 2>&1 || note "hyperfine failed (see $OUT/serve.txt)"
        throughput serve-proto "$TPUT_PEER" "$OUT/probe/client" "$SOCK" /bin/true
    fi
    kill -TERM "$SRV" 2>/dev/null || true
    wait "$SRV" 2>/dev/null || true
    forget "$SRV"
    [ -e "$SOCK" ] && { note "probe/serve left its socket behind"; rm -f "$SOCK"; FAILED=1; }
fi
[ -s "$OUT/tput_sandbox.json" ] || FAILED=1
[ -s "$OUT/tput_judge.json" ] || FAILED=1
[ -s "$OUT/tput_serve.json" ] || FAILED=1
[ -s "$OUT/tput_serve-judge.json" ] || FAILED=1

# --- 4. leftovers and report -------------------------------------------------------------
log "4. leftovers and report"
for b in "${ISOLATE_BOXES[@]:-}"; do
    [ -n "$b" ] && { "$ISOLATE" --box-id="$b" --cleanup >/dev/null 2>&1 || note "isolate --cleanup of box $b failed"; }
done
ISOLATE_BOXES=()
echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/meta.txt"
sleep 1
CG_AFTER=$(cg_snapshot)
LEFT=$(comm -13 <(echo "$CG_BEFORE") <(echo "$CG_AFTER") | grep -v '^$' || true)
if [ -n "$LEFT" ]; then
    sleep 2 # a concurrent user's run may have been mid-way: look again
    CG_AFTER=$(cg_snapshot)
    LEFT=$(comm -13 <(echo "$CG_BEFORE") <(echo "$CG_AFTER") | grep -v '^$' || true)
fi
echo "$LEFT" >"$OUT/leftover_cgroups.txt"
PROCS=$(ps -eo pid=,args= | grep -F -e "$OUT/" -e "$S " -e "$ISOLATE " -e "$MINIJAIL " -e "$NSJAIL " | grep -v -e grep -e "$0" || true)
echo "$PROCS" >"$OUT/leftover_procs.txt"
echo "elapsed_s=$(( $(date +%s) - T_START ))" >>"$OUT/meta.txt"

python3 "$BENCH/report.py" "$OUT" "$BENCH/RESULTS.md"

if [ -n "$LEFT" ]; then echo "run.sh: cgroups left behind:" >&2; echo "$LEFT" >&2; FAILED=1; fi
if [ -n "$PROCS" ]; then echo "run.sh: processes left behind:" >&2; echo "$PROCS" >&2; FAILED=1; fi
if [ -s "$OUT/failed.txt" ]; then echo "run.sh: failed commands:" >&2; cat "$OUT/failed.txt" >&2; fi
if [ "$FAILED" != 0 ]; then echo "run.sh: FAILED (see above and $OUT)" >&2; exit 1; fi
echo "run.sh: done in $(( $(date +%s) - T_START )) s; results in $BENCH/RESULTS.md" >&2
