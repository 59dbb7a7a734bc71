#!/usr/bin/env bash
# The VM lane of `make test`: boot Debian 12's stock kernel (linux-image-amd64, 6.1: cgroup v2
# only, Landlock ABI 2) with virtme-ng and run the tests that matter on a real v2 host inside
# it, as root and as a delegated unprivileged user. The guest sees this machine's root
# read-only over 9p; only the worktree (--rwdir) is writable, and /tmp is private to the guest.
#
#   scripts/vm-lane.sh            build the test binaries, boot, run, report; exit 1 on failure
#   SANDBOX_VM_KVM=try            probe KVM first (see below); default: TCG only
#   SANDBOX_VM_TIMEOUT=SECONDS    bound on the guest's whole run (default 720)
#
# Results: target/vm/results/*.log and summary.txt (one "rc step" line per step).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
out=$root/target/vm
res=$out/results
venv=${SANDBOX_VM_VENV:-$HOME/.cache/sandbox-vm/venv}
tmo=${SANDBOX_VM_TIMEOUT:-720}

kernel=$(ls /boot/vmlinuz-6.1.*-amd64 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$kernel" ]; then
    echo "vm-lane: no /boot/vmlinuz-6.1.*-amd64 (run scripts/deps.sh: linux-image-amd64)" >&2
    exit 1
fi
command -v qemu-system-x86_64 >/dev/null || { echo "vm-lane: qemu-system-x86_64 missing (scripts/deps.sh)" >&2; exit 1; }

# virtme-ng from PyPI in a venv of its own.
if [ ! -x "$venv/bin/vng" ]; then
    echo "vm-lane: creating $venv with virtme-ng"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q virtme-ng
fi
# Some virtme-ng wheels install `vng` but not the `virtme-run` script that vng executes.
if [ ! -x "$venv/bin/virtme-run" ]; then
    printf '#!%s\nimport sys\nfrom virtme.commands.run import main\nsys.exit(main())\n' \
        "$venv/bin/python3" > "$venv/bin/virtme-run"
    chmod 755 "$venv/bin/virtme-run"
fi
export PATH=$venv/bin:$PATH

# The test binaries, built here (the guest has no network and a read-only root).
exes() {
    cargo test --release "$@" --no-run --message-format=json 2>/dev/null |
        python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        print(m["executable"])'
}
core_bin=$(exes -p sandbox-core --lib)
e2e_v2=$(exes -p sandbox-e2e --test v2)
e2e_core=$(exes -p sandbox-e2e --test core)
for b in "$core_bin" "$e2e_v2" "$e2e_core"; do
    [ -x "$b" ] || { echo "vm-lane: test binary missing: '$b'" >&2; exit 1; }
done
[ -x target/release/sandbox ] && [ -x c-tests/build/host_helper ] || {
    echo "vm-lane: build first (make build)" >&2
    exit 1
}
id -u sbxtest >/dev/null 2>&1 || { echo "vm-lane: user sbxtest missing (make test creates it)" >&2; exit 1; }

rm -rf "$res"
mkdir -p "$res"
chmod 755 "$out" "$res"

# What runs inside the guest: scripts/vm-guest.sh, told where things are by env.sh.
cat > "$out/env.sh" <<EOF
root='$root'
res='$res'
core_bin='$core_bin'
e2e_v2='$e2e_v2'
e2e_core='$e2e_core'
EOF

# KVM: /dev/kvm exists on these machines, but a 6.1 guest hangs right after "Probing EDD"
# with every CPU model tried (shared/research/real-hosts.md), so TCG is the default. With
# SANDBOX_VM_KVM=try a KVM boot gets 20 s to print a marker; the result is cached per kernel.
accel=(--disable-kvm)
if [ "${SANDBOX_VM_KVM:-}" = try ] && [ -w /dev/kvm ]; then
    probe=$out/kvm-probe-$(basename "$kernel")
    if [ ! -e "$probe" ]; then
        if timeout 20 vng --force-9p --memory 512M --run "$kernel" -- 'echo kvm-works' 2>/dev/null | grep -q kvm-works; then
            echo ok > "$probe"
        else
            echo hangs > "$probe"
        fi
    fi
    [ "$(cat "$probe")" = ok ] && accel=()
fi
# The guest runs a copy: bash reads a script as it goes, so an edit during a run must not
# change what the guest does.
cp scripts/vm-guest.sh "$out/guest.sh"
echo "vm-lane: booting $kernel ($([ ${#accel[@]} -eq 0 ] && echo KVM || echo TCG), 2 CPUs, 2G), bound ${tmo}s"
t0=$(date +%s.%N)
set +e
timeout "$tmo" vng "${accel[@]}" --force-9p --rwdir "$root" --memory 2G --cpus 2 --run "$kernel" -- \
    "bash $out/guest.sh $out/env.sh" > "$out/console.log" 2>&1
vrc=$?
set -e
t1=$(date +%s.%N)
boot=$(sed -n 's/^uptime at start: //p' "$res/guest-info.txt" 2>/dev/null || true)
echo "vm-lane: the VM ran $(awk "BEGIN{printf \"%.0f\", $t1 - $t0}") s in all; guest uptime when the tests started: ${boot:-?} s"
cat "$res/guest-info.txt" 2>/dev/null | sed 's/^/  guest: /'
if [ ! -s "$res/summary.txt" ]; then
    echo "vm-lane: FAILED: the guest produced no results (vng exit $vrc); console:" >&2
    tail -30 "$out/console.log" >&2
    exit 1
fi
bad=0
while read -r rc name dur; do
    printf '  %-24s %s  (%s)\n' "$name" "$([ "$rc" = 0 ] && echo ok || echo "FAILED rc=$rc")" "$dur"
    # The tests' own summary lines.
    grep -hE '^test result:|passed, .* failed$|^verdict:|^  --(memory|pids|cpus|time) |^(Root|Delegated|Plain)|mixed runs in' "$res/$name.log" | sed 's/^/      /' || true
    if [ "$rc" != 0 ]; then
        bad=1
        echo "  ---- $name.log (tail)"
        tail -40 "$res/$name.log" | sed 's/^/  | /'
    fi
done < "$res/summary.txt"
# Every step must have run: a guest that died half-way is a failure, not a shorter pass.
for want in check-root core-cgroup e2e-v2 e2e-core suite-root check-user-delegated suite-user-delegated leftovers; do
    if ! grep -q " $want " "$res/summary.txt"; then
        echo "  $want: DID NOT RUN"
        bad=1
    fi
done
grep -h '^SKIP' "$res"/*.log 2>/dev/null | sort -u | sed 's/^/  /' || true
if [ "$vrc" = 124 ]; then
    echo "vm-lane: FAILED: the guest did not finish within ${tmo}s (about 6 min on an idle 2-core" \
        "machine: a busy host slows TCG; SANDBOX_VM_TIMEOUT raises the bound)" >&2
    bad=1
fi
[ "$bad" = 0 ] && echo "vm-lane: all steps passed" || echo "vm-lane: FAILED" >&2
exit "$bad"
