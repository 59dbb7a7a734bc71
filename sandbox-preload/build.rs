// Two small C archives for libsandbox.so:
// - mem.c: the mem* functions the compiler emits calls to, with hidden visibility, so calls
//   bind inside the library and never reach a program's interposed copy;
// - unwind.c: stubs for the unwinding symbols the precompiled core refers to, linked into the
//   cdylib only (a test binary links std's real ones).
fn main() {
    println!("cargo:rerun-if-changed=src/mem.c");
    println!("cargo:rerun-if-changed=src/unwind.c");
    // No crt start files: their __cxa_finalize/__gmon_start__ hooks would be the only
    // symbols the library imports.
    println!("cargo:rustc-cdylib-link-arg=-nostartfiles");
    let build = || {
        let mut b = cc::Build::new();
        b.flag("-fno-builtin").flag("-ffreestanding").opt_level(2);
        b
    };
    build().file("src/mem.c").compile("sandboxmem");
    build().file("src/unwind.c").cargo_metadata(false).compile("sandboxunwind");
    let out = std::env::var("OUT_DIR").unwrap();
    println!("cargo:rustc-cdylib-link-arg={out}/libsandboxunwind.a");
}
