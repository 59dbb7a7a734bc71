#!/usr/bin/env python3
"""bench/cpu_report.py OUT SECONDS: the table of bench/cpu.sh from its perf reports.

For each row (rows.txt): runs/s (runloop JSON), CPU ms per run (perf samples of every
CPU except the idle task, at 999 Hz), and that CPU split into groups of kernel functions
(inclusive: a function's samples with everything it calls) and the busiest commands.
Standard library only."""
import json
import re
import sys

HZ = 999.0
# Inclusive kernel groups: the first function of each list found in the report counts.
GROUPS = [
    ("fork (copy_process)", ["copy_process"]),
    ("exec", ["bprm_execve"]),
    ("exit (do_exit)", ["do_exit"]),
    ("  of which mm teardown", ["exit_mmap"]),
    ("netns create (copy_net_ns)", ["copy_net_ns"]),
    ("netns cleanup (kworker)", ["cleanup_net"]),
    ("mount ns copy", ["copy_mnt_ns"]),
    ("mount syscalls", ["__x64_sys_mount", "__do_sys_mount"]),
    ("open_tree", ["__x64_sys_open_tree", "__do_sys_open_tree"]),
    ("move_mount", ["__x64_sys_move_mount", "__do_sys_move_mount"]),
    ("mount_setattr", ["__x64_sys_mount_setattr", "__do_sys_mount_setattr"]),
    ("umount", ["__x64_sys_umount", "ksys_umount"]),
    ("pivot_root", ["__x64_sys_pivot_root", "__do_sys_pivot_root"]),
    ("seccomp (filter + JIT)", ["do_seccomp"]),
    ("landlock", ["__x64_sys_landlock_restrict_self", "__do_sys_landlock_restrict_self"]),
    ("page faults", ["asm_exc_page_fault"]),
    ("expedited RCU (kthread)", ["rcu_exp_wait_wake", "wait_rcu_exp_gp"]),
    ("cgroup mkdir", ["cgroup_mkdir"]),
    ("cgroup rmdir", ["cgroup_rmdir"]),
    ("cgroup attach", ["cgroup_attach_task", "cgroup_migrate"]),
    ("openat", ["do_sys_openat2"]),
]
LINE = re.compile(r"^\s*([\d.]+)%\s+([\d.]+)%\s+(\d+)\s+\[(.)\]\s+(.*?)\s*$")
COMM = re.compile(r"^\s*([\d.]+)%\s+(\d+)\s+(.*?)\s*$")


def load(out, name):
    runs = json.load(open(f"{out}/{name}.json"))
    comm = []
    for line in open(f"{out}/{name}.comm"):
        m = COMM.match(line)
        if m:
            comm.append((m.group(3), int(m.group(2))))
    syms = {}
    for line in open(f"{out}/{name}.syms"):
        m = LINE.match(line)
        if m:
            # --children: column 1 is inclusive %, 3 is self samples; inclusive samples are
            # derived from the percentages against the total.
            syms.setdefault(m.group(5), float(m.group(1)))
    return runs, comm, syms


def main():
    out, secs = sys.argv[1], sys.argv[2]
    rows = [l.split()[0] for l in open(f"{out}/rows.txt") if l.strip()]
    print(f"# Where the CPU of a run goes (bench/cpu.sh, 2 workers, {secs} s a row)\n")
    print(f"load before: {open(out + '/load-before').read().strip()}  ")
    print(f"load after: {open(out + '/load-after').read().strip()}\n")
    data = {r: load(out, r) for r in rows}
    head = "| | " + " | ".join(rows) + " |"
    print(head)
    print("|" + "---|" * (len(rows) + 1))
    per_run = {}
    for r, (runs, comm, _) in data.items():
        total = sum(n for _, n in comm)
        idle = sum(n for c, n in comm if c == "swapper")
        ok = max(runs.get("ok", 0), 1)
        per_run[r] = ((total - idle) / HZ * 1000 / ok, total)
    print("| runs/s | " + " | ".join(f"{data[r][0]['runs_per_s']:.0f}" for r in rows) + " |")
    print("| CPU ms per run (not idle) | " + " | ".join(f"{per_run[r][0]:.2f}" for r in rows) + " |")
    def steal(r):
        a, b = [list(map(int, l.split()[1:])) for l in open(f"{out}/{r}.stat")]
        d = [y - x for x, y in zip(a, b)]
        return 100 * d[7] / max(sum(d[:8]), 1)
    print("| steal share (/proc/stat) | " + " | ".join(f"{steal(r):.0f}%" for r in rows) + " |")
    print("| idle share of both CPUs | " + " | ".join(
        f"{100 * sum(n for c, n in data[r][1] if c == 'swapper') / max(per_run[r][1], 1):.0f}%" for r in rows) + " |")
    for label, funcs in GROUPS:
        cells = []
        for r in rows:
            runs, comm, syms = data[r]
            pct = next((syms[f] for f in funcs if f in syms), 0.0)
            ms = pct / 100 * per_run[r][1] / HZ * 1000 / max(runs.get("ok", 0), 1)
            cells.append(f"{ms:.2f}" if pct else "–")
        print(f"| {label} | " + " | ".join(cells) + " |")
    print("\nBusiest commands, CPU ms per run (`sandbox` is the client, the server, the supervisor"
          " and init alike: they are one binary):\n")
    for r in rows:
        runs, comm, _ = data[r]
        ok = max(runs.get("ok", 0), 1)
        top = [f"{c} {n / HZ * 1000 / ok:.2f}" for c, n in comm if c != "swapper"][:6]
        print(f"- {r}: " + ", ".join(top))
    print("\n(–: below the report's 0.3% cut. Groups are inclusive and can overlap, e.g. the"
          " mm teardown is inside exit; kernel threads' work is in its own rows.)")


main()
