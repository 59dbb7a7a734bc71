//! libsandbox.so: bare mode. `LD_PRELOAD=libsandbox.so ./app` (or `LD_AUDIT=…`, which arms
//! before any program code) arms the same containment as the launcher from the library's
//! initializer, tuned by SANDBOX_* variables.
//!
//! The library is `no_std` with a private heap and hidden mem* functions: arming calls no
//! symbol the program could interpose. The original process becomes the supervisor; pid 2
//! re-executes the program image (from a descriptor opened before arming), where this
//! initializer sees the containment in kernel state and simply returns into main, with
//! glibc's per-thread state intact (a raw clone would leave it describing the parent).
#![cfg_attr(not(test), no_std)]
// The unit-test binary leaves out the initializer, and with it most of the crate.
#![cfg_attr(test, allow(dead_code))]

extern crate alloc;

mod env;
mod heap;

use sandbox_core::sys;

#[global_allocator]
static HEAP: heap::Bump = heap::Bump::new();

type InitFn = extern "C" fn(i32, *const *const u8, *const *const u8);

/// glibc calls every .init_array entry of a library with (argc, argv, envp). (Not in the
/// unit-test binary, which must not arm itself.)
#[cfg(not(test))]
#[used]
#[link_section = ".init_array"]
static INIT: InitFn = init;

extern "C" fn init(_argc: i32, argv: *const *const u8, envp: *const *const u8) {
    if sandbox_core::seccomp::contained() {
        return;
    }
    // SAFETY: argv and envp are the loader's null-terminated arrays of C strings.
    let (args, vars) = unsafe { (env::array(argv), env::array(envp)) };
    let policy = match env::policy(vars) {
        Ok(p) => p,
        Err(e) => die(&e),
    };
    let exe = match sys::open(b"/proc/self/exe", libc::O_PATH) {
        Ok(fd) => fd,
        Err(e) => die(&alloc::format!("open /proc/self/exe: {}", sandbox_core::error::strerror(e))),
    };
    // SAFETY: the loader's arrays, as above, live for the whole process.
    let (argv, envp) = unsafe { (sys::CStrArray::new(args), sys::CStrArray::new(vars)) };
    let target = sandbox_core::Target {
        fd: exe,
        argv,
        envp,
        name: "program",
        script: false,
        pool: None,
        template: &[],
        reply: None,
    };
    sandbox_core::arm(&policy, target)
}

/// LD_AUDIT entry point. ld.so loads audit modules in a namespace of their own before it
/// maps any object of the program, and runs the initializer above then: arming happens
/// before any program code. Returning 0 makes ld.so unload the module again, so no audit
/// hook stays active and the running program pays nothing for it.
#[no_mangle]
pub extern "C" fn la_version(_version: u32) -> u32 {
    0
}

fn die(msg: &str) -> ! {
    let _ = sys::write_all(2, alloc::format!("sandbox: {msg}\n").as_bytes());
    sys::exit(sandbox_core::EXIT_SETUP)
}

#[cfg(not(test))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    die("internal error (panic) while arming")
}
