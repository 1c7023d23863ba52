//! The C allocator's settings. glibc serves a request of 128 KiB or more with its own `mmap`,
//! given back to the system when freed, but by default it raises that threshold to the size of
//! each such block freed (up to 32 MiB), and from then on serves those sizes from its heap. A
//! seal's zstd context (about 15 MiB at level 9 for an input of unknown size) is freed within
//! milliseconds; after the first one, the next were carved from the heap, where the long-lived
//! rollup lines allocated between two seals pinned them: about 630 B per interface of resident
//! memory that no live object used (measured in `store::footprint::memory_per_interface`). With
//! the threshold fixed, every large buffer comes and goes with `mmap`: the heap holds only small
//! objects. Other allocators, and other C libraries, are left as they are.

/// The size from which a block is its own mapping: glibc's default, kept fixed.
pub const MMAP_THRESHOLD_BYTES: i32 = 128 * 1024;

/// Fixes glibc's mmap threshold (see the module). Call once, early; harmless if called again.
pub fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's parameters; any value is valid for this one.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES);
    }
}

/// What the allocator holds, in bytes: in use by live objects, and free but kept (glibc only;
/// zeros elsewhere). For the memory measurements.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Held {
    pub in_use: u64,
    pub free: u64,
}

/// The allocator's figures now (glibc's `mallinfo2`: every arena, and blocks of their own).
pub fn held() -> Held {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallinfo2 only reads the allocator's counters.
        let info = unsafe { libc::mallinfo2() };
        Held { in_use: (info.uordblks + info.hblkhd) as u64, free: info.fordblks as u64 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    Held::default()
}

/// Gives the pages the allocator holds free back to the system (glibc's `malloc_trim`: whole
/// free pages in every arena, not only the heap's top); nothing elsewhere. It walks every free
/// block under each arena's lock: for after a wave of frees, not for every turn.
pub fn give_back_free_pages() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// This process's resident memory, in bytes (`/proc/self/statm`; 0 where there is none).
pub fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}
