/* Linked into libsandbox.so only (build.rs: rustc-cdylib-link-arg), never into test binaries.
 * The precompiled core/alloc carry unwinding references even under panic=abort; nothing
 * unwinds in the library (a panic exits 125), so these are never reached. Hidden, so the
 * library needs no libgcc_s and exports nothing a program could see. */
#define HIDDEN __attribute__((visibility("hidden")))
HIDDEN void _Unwind_Resume(void *e) { (void)e; __builtin_trap(); }
HIDDEN int rust_eh_personality(void) { __builtin_trap(); }
