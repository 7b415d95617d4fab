//! The allocator settings of a stage process.

/// Size up to which allocations come from the heap and are kept when freed; 32 MiB is the largest
/// value glibc accepts on 64-bit systems, so larger buffers are still mapped and unmapped.
const KEEP_ALLOCATIONS_UP_TO: libc::c_int = 32 * 1024 * 1024;

/// Free memory at the top of the heap that the allocator keeps rather than returning it.
const KEEP_FREE_TOP_OF_HEAP: libc::c_int = 1024 * 1024 * 1024;

/// Makes the allocator reuse freed tensor buffers instead of returning them to the system.
///
/// The encoder allocates and frees buffers of a few megabytes for every layer of every batch.
/// By default glibc serves each of them with a fresh `mmap` and unmaps it on free, so the kernel
/// zeroes new pages for every tensor. In a `perf` profile of training on the Home Depot set, about
/// a quarter of the samples were page-fault handling. With these limits the buffers come from
/// the heap and are reused before it grows, so the peak stays close to the largest live set
/// (fragmentation can add to it). Call it at the start of `main`. On other C libraries it does
/// nothing.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator thresholds, and it is called before the stage
    // allocates its working memory and before other threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, KEEP_ALLOCATIONS_UP_TO);
        libc::mallopt(libc::M_TRIM_THRESHOLD, KEEP_FREE_TOP_OF_HEAP);
    }
}
