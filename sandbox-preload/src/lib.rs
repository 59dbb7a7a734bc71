#![no_std]
mod alloc;

#[global_allocator]
static HEAP: alloc::Bump = alloc::Bump::new();

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    sandbox_core::sys::exit(125)
}

/// Unoptimised builds keep a reference from the precompiled `core` to the unwinding
/// personality even with panic=abort; release builds (LTO) drop it. Never called.
#[cfg(debug_assertions)]
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}
