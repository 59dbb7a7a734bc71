#!/usr/bin/env bash
# Install what the build, the demo and the tests need, if missing (Debian/Ubuntu, as root or
# with sudo). Idempotent and quick when everything is there. No libseccomp: the sandbox
# compiles its own BPF.
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
vm=()
# The VM lane (scripts/vm-lane.sh): qemu, Debian's stock kernel, virtme-ng's busybox, a venv.
have qemu-system-x86_64 || vm+=(qemu-system-x86)
ls /boot/vmlinuz-6.1.*-amd64 >/dev/null 2>&1 || vm+=(linux-image-amd64)
have busybox || [ -x /bin/busybox ] || vm+=(busybox-static)
python3 -c 'import ensurepip, venv' 2>/dev/null || vm+=(python3-venv)
if [ "${#need[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing: ${need[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ "${#vm[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing for the VM lane: ${vm[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${vm[@]}" >/dev/null
fi
if ! have cargo; then
    echo "Rust is missing: install it with rustup (https://rustup.rs), Rust 1.80 or newer." >&2
    exit 1
fi
