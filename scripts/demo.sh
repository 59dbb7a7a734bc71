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

# Three columns of 46 characters; a longer value (the root listing, the pid list) wraps
# onto continuation lines at word boundaries instead of being cut.
columns() {
    awk -v W=46 '
    function wrap(s, arr,    n, line, i, words, m) {
        n = 0; line = ""
        m = split(s, words, " ")
        for (i = 1; i <= m; i++) {
            if (line != "" && length(line) + 1 + length(words[i]) > W) { arr[++n] = line; line = "  " words[i] }
            else line = (line == "" ? words[i] : line " " words[i])
        }
        arr[++n] = line
        return n
    }
    {
        split($0, c, "\x1f")
        na = wrap(c[1], a); nb = wrap(c[2], b); nc = wrap(c[3], d)
        n = na; if (nb > n) n = nb; if (nc > n) n = nc
        for (i = 1; i <= n; i++)
            printf "%-*s  %-*s  %s\n", W, (i <= na ? a[i] : ""), W, (i <= nb ? b[i] : ""), (i <= nc ? d[i] : "")
        delete a; delete b; delete d
    }'
}

echo
{
    printf '%s\x1f%s\x1f%s\n' "UNSANDBOXED" "sandbox -- demo" "LD_PRELOAD=libsandbox.so demo"
    printf '%s\x1f%s\x1f%s\n' "-----------" "---------------" "-----------------------------"
    paste -d $'\x1f' "$out/host.txt" "$out/launcher.txt" "$out/bare.txt"
} | columns | sed "s/ *$//"
cat <<'TXT'

What changed inside: the program runs as a per-run uid with no capabilities, as pid 2 of its
own pid namespace (init is pid 1), under a seccomp filter (Seccomp: 2) and NoNewPrivs, with
its own hostname, a fresh root (/usr and a few /etc files read-only, private /tmp, the work
dir) and only loopback networking.
TXT

echo
echo "== the memory eater under: sandbox --memory 64M --report $out/eat.json -- demo eat"
echo "   (its last lines, then the sandbox's own one-line verdict on stderr)"
# The braces keep bash's "Killed" job notice away: the launcher exits by the program's own
# signal (SIGKILL here), which is the point, not an accident to report.
{ "$S" --memory 64M --report "$out/eat.json" -- "$D" eat > "$out/eat.txt" 2>&1; } 2>/dev/null
st=$?
tail -n 4 "$out/eat.txt" | sed 's/^/   /'
echo "exit status: $st (128 + 9: killed by SIGKILL, as the shell would see it)"
echo "report ($out/eat.json):"
cat "$out/eat.json"
