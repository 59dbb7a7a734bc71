#!/usr/bin/env bash
# Install what the build, the demo and the tests need, if missing (Debian/Ubuntu, as root or
# with sudo). Idempotent and quick when everything is there. The sandbox compiles its own BPF;
# libseccomp-dev is only the reference of the differential test (seccomp-diff/).
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have gcc || need+=(gcc)
have g++ || need+=(g++)
have nm || need+=(binutils)
have script || need+=(bsdutils)
have make || need+=(make)
[ -e /usr/include/stdio.h ] || need+=(libc6-dev)
have setpriv || need+=(util-linux)
have pgrep || need+=(procps)
have python3 || need+=(python3)
have useradd || need+=(passwd)
have setcap || need+=(libcap2-bin)
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || need+=(libc6-dev)
# judge/ links Debian's SQLite (rusqlite without `bundled`: a short fresh build).
[ -e /usr/include/sqlite3.h ] || need+=(libsqlite3-dev pkg-config)
# The judge service's multi-machine test (judge/tests/postgres.rs): a real PostgreSQL server.
[ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql-15)
# libseccomp: the reference of the differential test (seccomp-diff/), never linked by the sandbox.
[ -e /usr/include/seccomp.h ] || need+=(libseccomp-dev)
# Language runtimes of tests/tests/languages.rs, at the system paths the jail shows (/usr):
# rustup's rustc lives under the caller's home, which the jail hides, so Debian's is used.
runtimes=()
[ -x /usr/bin/javac ] || runtimes+=(openjdk-17-jdk-headless)
[ -x /usr/bin/node ] || runtimes+=(nodejs)
[ -x /usr/bin/go ] || runtimes+=(golang-go)
[ -x /usr/bin/ruby ] || runtimes+=(ruby)
[ -x /usr/bin/rustc ] || runtimes+=(rustc)
[ -x /usr/bin/python3 ] || runtimes+=(python3)
# The judge service's browser test (judge/tests/browser.rs): headless Chromium over WebDriver.
[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] || runtimes+=(chromium chromium-driver)
# The VM lane (scripts/vm-lane.sh): qemu, Debian's stock kernel, virtme-ng's busybox, a venv.
have qemu-system-x86_64 || runtimes+=(qemu-system-x86)
ls /boot/vmlinuz-6.1.*-amd64 >/dev/null 2>&1 || runtimes+=(linux-image-amd64)
have busybox || [ -x /bin/busybox ] || runtimes+=(busybox-static)
python3 -c 'import ensurepip, venv' 2>/dev/null || runtimes+=(python3-venv)
if [ "${#need[@]}" -gt 0 ] || [ "${#runtimes[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing: ${need[*]} ${runtimes[*]}"
    $sudo apt-get update -qq
    if [ "${#need[@]}" -gt 0 ]; then
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
    fi
    if [ "${#runtimes[@]}" -gt 0 ]; then
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${runtimes[@]}" >/dev/null
    fi
fi
if ! have cargo; then
    echo "Rust is missing: install it with rustup (https://rustup.rs), Rust 1.82 or newer." >&2
    exit 1
fi
# The fuzz targets (make fuzz, and a bounded run in make test) need nightly and cargo-fuzz.
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "installing: the nightly Rust toolchain (for the fuzz targets)"
    rustup toolchain install nightly --profile minimal
fi
if ! have cargo-fuzz && [ ! -x "$HOME/.cargo/bin/cargo-fuzz" ]; then
    echo "installing: cargo-fuzz (crates.io; a few minutes, once)"
    cargo install cargo-fuzz --locked
fi
