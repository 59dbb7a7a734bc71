// The mem* functions the compiler emits calls to, compiled into the library with hidden
// visibility: calls bind inside the library and never reach a program's interposed copy.
fn main() {
    println!("cargo:rerun-if-changed=src/mem.c");
    // No crt start files: their __cxa_finalize/__gmon_start__ hooks would be the only
    // symbols the library imports.
    println!("cargo:rustc-cdylib-link-arg=-nostartfiles");
    cc::Build::new().file("src/mem.c").flag("-fno-builtin").flag("-ffreestanding").opt_level(2).compile("sandboxmem");
}
