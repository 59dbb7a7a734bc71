#!/usr/bin/env bash
# Run every fuzz target (fuzz/, cargo-fuzz + libFuzzer on nightly) for SECONDS each.
#   scripts/fuzz.sh [SECONDS] [TARGET...]      (default 10 s, all targets)
# The seed corpus in fuzz/corpus/<target> stays small and in the repo; what the fuzzer
# finds goes to target/fuzz-corpus/<target> (kept between runs, not committed). A crash, a
# hang (> 10 s on one input) or an out-of-memory is a failure, with the input saved under
# fuzz/artifacts/<target>/; turn it into a unit test next to the code, then fix it.
# Never skips: if cargo-fuzz or the nightly toolchain is missing, or the build fails, it
# says so and exits 1 (scripts/deps.sh installs both).
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(policy_set toml_config bare_env seccomp_file target)
die() { echo "fuzz: $*" >&2; exit 1; }
command -v cargo-fuzz >/dev/null 2>&1 || die "cargo-fuzz is not installed (run scripts/deps.sh)"
rustup run nightly rustc --version >/dev/null 2>&1 || die "the nightly toolchain is missing (run scripts/deps.sh)"
cargo +nightly fuzz build >/tmp/sandbox-fuzz-build.$$ 2>&1 || {
    tail -30 /tmp/sandbox-fuzz-build.$$ >&2
    rm -f /tmp/sandbox-fuzz-build.$$
    die "the fuzz targets did not build (output above)"
}
rm -f /tmp/sandbox-fuzz-build.$$
bin=fuzz/target/x86_64-unknown-linux-gnu/release
total=0
failed=()
for t in "${targets[@]}"; do
    [ -d "fuzz/corpus/$t" ] || die "no seed corpus fuzz/corpus/$t"
    work="target/fuzz-corpus/$t"
    mkdir -p "$work" "fuzz/artifacts/$t"
    log="target/fuzz-corpus/$t.log"
    "$bin/$t" "$work" "fuzz/corpus/$t" -max_total_time="$secs" -max_len=4096 -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="fuzz/artifacts/$t/" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    runs=${runs:-0}
    total=$((total + runs))
    if [ $rc -ne 0 ]; then
        failed+=("$t")
        grep -E "panicked|ERROR|SUMMARY|Test unit written|^\s+#[0-9]+ .* in " "$log" | head -20 >&2
        echo "fuzz: $t: FAILED after $runs executions (log: $log)" >&2
    else
        echo "fuzz: $t: $runs executions in ${secs}s, no crash"
    fi
done
# The targets' scratch files (fuzz/fuzz_targets/{target,seccomp_file}.rs).
rm -rf /tmp/sbxfz-target /tmp/sbxfz-seccomp-*
echo "fuzz: $total executions, ${#failed[@]} failing targets${failed:+: ${failed[*]}}"
[ ${#failed[@]} -eq 0 ]
