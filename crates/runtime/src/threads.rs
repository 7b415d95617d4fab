//! The compute thread count of a stage.

/// Sets the thread count for candle's CPU kernels and rayon from `pipeline.threads`, where 0
/// means one per logical core. An existing `RAYON_NUM_THREADS` takes precedence. Call it first
/// in `main`, before any other thread exists.
///
/// candle 0.11 sizes its pool by physical cores unless `RAYON_NUM_THREADS` is set, which leaves
/// half the machine idle where each core runs two hardware threads, so this sets it every time.
pub fn configure(threads: usize) -> usize {
    if let Some(existing) = std::env::var("RAYON_NUM_THREADS").ok().and_then(|value| value.parse().ok()) {
        return existing;
    }
    let count = if threads == 0 {
        std::thread::available_parallelism().map(usize::from).unwrap_or(1)
    } else {
        threads
    };
    // SAFETY: called at the start of `main`, while the process has a single thread, so no other
    // thread reads the environment concurrently.
    unsafe { std::env::set_var("RAYON_NUM_THREADS", count.to_string()) };
    count
}
