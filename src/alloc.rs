//! The global allocator: mimalloc, called the way its size classes allow.
//!
//! With glibc's allocator a scan takes a quarter more CPU time (many small
//! values per document; see BENCHMARKS.md). The `mimalloc` crate
//! sends every request through `mi_malloc_aligned`, and mimalloc 3 takes
//! its plain path from there only when the block size is a power of two: a
//! 48-byte node went through the generic aligned path, into a 64-byte
//! block. Here a request whose alignment mimalloc's size classes already
//! give goes to `mi_malloc` itself.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys::{mi_free, mi_malloc, mi_malloc_aligned, mi_realloc, mi_realloc_aligned, mi_zalloc, mi_zalloc_aligned};

/// mimalloc's `MI_MAX_ALIGN_SIZE` on 64-bit targets: its size classes are
/// multiples of 8 bytes up to 8, and of 16 above, and each page's first block
/// is 16-aligned. So a block for a size that is a multiple of an alignment up
/// to 16 has that alignment.
const NATURAL_ALIGN: usize = 16;

fn natural(size: usize, align: usize) -> bool {
    align <= NATURAL_ALIGN && size % align == 0
}

/// `plain(size)` where mimalloc's size classes give the layout's alignment,
/// else `aligned(size, align)`.
///
/// # Safety
/// Both must be mimalloc allocation functions.
#[inline(always)]
unsafe fn allocate(
    layout: Layout,
    plain: unsafe extern "C" fn(usize) -> *mut c_void,
    aligned: unsafe extern "C" fn(usize, usize) -> *mut c_void,
) -> *mut u8 {
    // SAFETY: plain FFI calls with a size and a power-of-two alignment.
    unsafe {
        if natural(layout.size(), layout.align()) {
            plain(layout.size()).cast()
        } else {
            aligned(layout.size(), layout.align()).cast()
        }
    }
}

pub struct MiMalloc;

// SAFETY: every path returns a mimalloc block of at least `size` bytes with
// the layout's alignment (the aligned calls guarantee it, the plain ones by
// `natural`), or null; `mi_free` and `mi_realloc*` accept any mimalloc block.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: mimalloc's allocation functions.
        unsafe { allocate(layout, mi_malloc, mi_malloc_aligned) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: mimalloc's zeroing allocation functions.
        unsafe { allocate(layout, mi_zalloc, mi_zalloc_aligned) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from this allocator.
        unsafe { mi_free(ptr.cast::<c_void>()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator; a moved block is allocated as `alloc` would.
        unsafe {
            if natural(new_size, layout.align()) {
                mi_realloc(ptr.cast::<c_void>(), new_size).cast()
            } else {
                mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every size and alignment a program asks for comes back aligned, also
    /// after growing and shrinking, and zeroed where asked.
    #[test]
    fn blocks_have_the_alignment_asked_for() {
        let allocator = MiMalloc;
        for align in [1usize, 2, 4, 8, 16, 32, 64, 4096] {
            for size in (1..=300).chain([1000, 1024, 4096, 70_000, 1 << 20]) {
                let Ok(layout) = Layout::from_size_align(size, align) else { continue };
                // SAFETY: a non-zero size; each block is freed with the layout it has.
                unsafe {
                    let p = allocator.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "alloc {size} aligned {align}");
                    p.write_bytes(0xAB, size);
                    let q = allocator.realloc(p, layout, size * 3);
                    assert_eq!(q as usize % align, 0, "grown from {size} aligned {align}");
                    assert!(std::slice::from_raw_parts(q, size).iter().all(|&b| b == 0xAB), "contents kept");
                    let small = (size / 2).max(1);
                    let r = allocator.realloc(q, Layout::from_size_align_unchecked(size * 3, align), small);
                    assert_eq!(r as usize % align, 0, "shrunk from {size} aligned {align}");
                    allocator.dealloc(r, Layout::from_size_align_unchecked(small, align));
                    let z = allocator.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0, "zeroed {size} aligned {align}");
                    assert!(std::slice::from_raw_parts(z, size).iter().all(|&b| b == 0), "zeroed {size}");
                    allocator.dealloc(z, layout);
                }
            }
        }
    }
}
