//! A private heap for the library: bump allocation from anonymous mappings made with raw
//! system calls. libc's malloc is never reached, so a program that defines its own
//! `malloc` cannot run code on the arming path. Arming allocates a few KiB and the process
//! then execs or exits, so freed memory is not reused (except the last block).

use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicUsize, Ordering};
use sandbox_core::sys;

const CHUNK: usize = 1 << 20;

pub struct Bump {
    next: AtomicUsize,
    end: AtomicUsize,
}

impl Bump {
    pub const fn new() -> Self {
        Bump { next: AtomicUsize::new(0), end: AtomicUsize::new(0) }
    }
}

// SAFETY: alloc returns fresh, suitably aligned memory or null; dealloc only ever unmaps
// mappings made for a single large allocation. The arming path is single-threaded
// (unshare of a user namespace refuses multi-threaded callers), and the atomics keep the
// bump pointer consistent regardless.
unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let size = l.size().max(1);
        if size + l.align() > CHUNK / 4 {
            // Large blocks get their own mapping (page aligned).
            return sys::mmap_anon(size).unwrap_or(core::ptr::null_mut());
        }
        loop {
            let next = self.next.load(Ordering::Relaxed);
            let start = (next + l.align() - 1) & !(l.align() - 1);
            if next != 0 && start + size <= self.end.load(Ordering::Relaxed) {
                if self.next.compare_exchange(next, start + size, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
                    return start as *mut u8;
                }
                continue;
            }
            let Ok(p) = sys::mmap_anon(CHUNK) else {
                return core::ptr::null_mut();
            };
            self.end.store(p as usize + CHUNK, Ordering::Relaxed);
            self.next.store(p as usize, Ordering::Release);
        }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        let size = l.size().max(1);
        if size + l.align() > CHUNK / 4 {
            // SAFETY: a block this large got its own mapping of `size` bytes in `alloc`, and
            // the allocator's caller gives it back for good.
            unsafe { sys::munmap(p, size) };
        } else {
            // Give back the most recent block (common for temporary buffers).
            let _ = self.next.compare_exchange(p as usize + size, p as usize, Ordering::AcqRel, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    // The test binary itself runs on this allocator (it is the global one): exercise the
    // small and the large path and check alignment and independence of blocks.
    #[test]
    fn blocks_are_aligned_and_distinct() {
        let mut v: alloc::vec::Vec<alloc::boxed::Box<[u128]>> = alloc::vec::Vec::new();
        for n in [1usize, 7, 64, 4096, 1 << 16, 3 << 16] {
            let _odd = alloc::vec![1u8; 3]; // misalign the bump pointer on purpose
            let b = alloc::vec![n as u128; n].into_boxed_slice();
            assert_eq!(b.as_ptr() as usize % core::mem::align_of::<u128>(), 0);
            v.push(b);
        }
        for b in &v {
            assert!(b.iter().all(|&x| x == b.len() as u128));
        }
    }
}
