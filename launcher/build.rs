// The `sandbox` binary is linked static-pie by scripts/rustc-wrapper.sh (.cargo/config.toml).
// cargo does not fingerprint the wrapper, so this build script is what relinks the binary
// when the wrapper or the config changes (an old dynamic build would otherwise stay "fresh").
fn main() {
    println!("cargo:rerun-if-changed=../scripts/rustc-wrapper.sh");
    println!("cargo:rerun-if-changed=../.cargo/config.toml");
    println!("cargo:rerun-if-env-changed=RUSTC_WRAPPER");
    // A RUSTC_WRAPPER in the environment (sccache, ...) replaces the config's: the launcher
    // then builds as a dynamic PIE. It works, it only starts slower; say so.
    let wrapper = std::env::var("RUSTC_WRAPPER").unwrap_or_default();
    if !wrapper.ends_with("scripts/rustc-wrapper.sh") {
        println!(
            "cargo:warning=RUSTC_WRAPPER is {wrapper:?}, not scripts/rustc-wrapper.sh: the \
             sandbox binary is linked dynamically (slower start, bench/DIRECTIONS.md (d))"
        );
    }
}
