// libseccomp is the reference implementation for the differential test only; nothing shipped
// links it (the sandbox compiles its own BPF).
fn main() {
    println!("cargo:rustc-link-lib=seccomp");
}
