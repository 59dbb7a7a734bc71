#!/usr/bin/env bash
# `snapshot` before the tests, `compare` after: no cgroup of the project, no mount, no
# process of the per-run uid range, no scratch file may remain.
set -euo pipefail
state=target/leftovers
mkdir -p "$state"
cgroups() { find /sys/fs/cgroup -type d \( -name 'sandbox' -o -name 'run-*' -o -name 'check-*' -o -name 'sandbox-e2e-*' \) 2>/dev/null | sort; }
mounts() { wc -l < /proc/self/mountinfo; }
# Per-run uids are 0x4d000000 + pid (see sandbox-core/src/run.rs).
runprocs() { ps -eo uid=,pid=,comm= | awk '$1 >= 1291845632 && $1 < 1296039936' ; }
case "${1:-}" in
snapshot)
    mounts > "$state/mounts"
    # Scratch of an earlier, interrupted run (its own compare said so) is not this run's.
    if [ -n "$(ls -A target/e2e-scratch 2>/dev/null)" ]; then
        echo "leftovers: removing an earlier run's scratch: $(ls target/e2e-scratch | tr '\n' ' ')"
        rm -rf target/e2e-scratch
    fi
    ;;
compare)
    bad=0
    left=$(cgroups)
    if [ -n "$left" ]; then echo "LEFTOVER cgroups:"; echo "$left"; bad=1; fi
    if [ "$(mounts)" != "$(cat "$state/mounts")" ]; then echo "LEFTOVER mounts: $(cat "$state/mounts") -> $(mounts)"; bad=1; fi
    procs=$(runprocs)
    if [ -n "$procs" ]; then echo "LEFTOVER processes of run uids:"; echo "$procs"; bad=1; fi
    if [ -n "$(ls -A target/e2e-scratch 2>/dev/null)" ]; then echo "LEFTOVER scratch: $(ls target/e2e-scratch)"; bad=1; fi
    if [ "$bad" -eq 0 ]; then echo "leftovers: none (cgroups, mounts, processes, scratch files)"; fi
    # The unprivileged account the tests created (marked by its comment) goes too.
    if getent passwd sbxtest | cut -d: -f5 | grep -qx "sandbox e2e tests"; then
        userdel sbxtest && echo "removed the test account sbxtest"
    fi
    exit "$bad"
    ;;
*) echo "usage: $0 snapshot|compare" >&2; exit 2 ;;
esac
