#!/bin/sh
# cargo's build.rustc-wrapper (.cargo/config.toml): "$@" is rustc (or clippy-driver, then
# rustc) and its arguments. Only the launcher binary, crate `sandbox` of type bin, gets
# -C target-feature=+crt-static: glibc static-pie, no ld.so, libc.so or libgcc_s at start.
# libsandbox.so is also crate `sandbox`, but a cdylib, and must stay as it is (rustc drops a
# cdylib under +crt-static). The launcher calls nothing static glibc lacks (no NSS, no dlopen).
name= type=
prev=
for a in "$@"; do
    case $prev in
    --crate-name) name=$a ;;
    --crate-type) type=$a ;;
    esac
    prev=$a
done
if [ "$name" = sandbox ] && [ "$type" = bin ]; then
    exec "$@" -C target-feature=+crt-static
fi
exec "$@"
