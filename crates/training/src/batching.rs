//! The order in which training pairs are visited, one epoch at a time.
//!
//! Each epoch shuffles the pairs with a generator seeded by the pipeline seed and the epoch
//! number, so an epoch's batches can be rebuilt exactly when a run resumes. With
//! `bucket_by_length`, the shuffled pairs are taken in windows of [`BUCKET_WINDOW_BATCHES`]
//! batches, each window is sorted by token length and cut into batches, and the batches are
//! shuffled again. A batch then contains pairs of similar length and pads little, while the
//! epoch still visits lengths in random order.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// Batches per window sorted together when bucketing by length.
pub const BUCKET_WINDOW_BATCHES: usize = 50;

/// Returns the batches of one epoch as positions into `pair_lengths_tokens`.
///
/// The result depends only on the arguments. Every position appears once, and at most one batch
/// is shorter than `batch_size` (the last one when not bucketing).
#[must_use]
pub fn epoch_batches(
    pair_lengths_tokens: &[usize],
    batch_size: usize,
    bucket_by_length: bool,
    seed: u64,
    epoch: usize,
) -> Vec<Vec<usize>> {
    let batch_size = batch_size.max(1);
    let mut rng = epoch_rng(seed, epoch);
    let mut order: Vec<usize> = (0..pair_lengths_tokens.len()).collect();
    order.shuffle(&mut rng);

    if !bucket_by_length {
        return order.chunks(batch_size).map(<[usize]>::to_vec).collect();
    }

    let mut batches = Vec::with_capacity(order.len().div_ceil(batch_size));
    for window in order.chunks(batch_size * BUCKET_WINDOW_BATCHES) {
        let mut window = window.to_vec();
        // A stable sort keeps the shuffled order among pairs of equal length.
        window.sort_by_key(|&position| std::cmp::Reverse(pair_lengths_tokens[position]));
        batches.extend(window.chunks(batch_size).map(<[usize]>::to_vec));
    }
    batches.shuffle(&mut rng);
    batches
}

fn epoch_rng(seed: u64, epoch: usize) -> StdRng {
    StdRng::seed_from_u64(seed.wrapping_add(epoch as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(batches: &[Vec<usize>]) -> Vec<usize> {
        let mut all: Vec<usize> = batches.iter().flatten().copied().collect();
        all.sort_unstable();
        all
    }

    #[test]
    fn epoch_batches_visit_every_pair_once() {
        let lengths = vec![5; 23];
        let batches = epoch_batches(&lengths, 4, false, 7, 0);
        assert_eq!(sorted(&batches), (0..23).collect::<Vec<_>>());
    }

    #[test]
    fn epoch_batches_only_last_is_short() {
        let lengths = vec![5; 23];
        let sizes: Vec<usize> = epoch_batches(&lengths, 4, false, 7, 0).iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![4, 4, 4, 4, 4, 3]);
    }

    #[test]
    fn epoch_batches_repeat_for_same_seed_and_epoch() {
        let lengths: Vec<usize> = (0..40).collect();
        assert_eq!(epoch_batches(&lengths, 8, true, 3, 2), epoch_batches(&lengths, 8, true, 3, 2));
    }

    #[test]
    fn epoch_batches_differ_between_epochs() {
        let lengths = vec![5; 40];
        assert_ne!(epoch_batches(&lengths, 8, false, 3, 0), epoch_batches(&lengths, 8, false, 3, 1));
    }

    #[test]
    fn bucketed_batches_visit_every_pair_once() {
        let lengths: Vec<usize> = (0..37).map(|index| (index * 7) % 11).collect();
        let batches = epoch_batches(&lengths, 4, true, 1, 0);
        assert_eq!(sorted(&batches), (0..37).collect::<Vec<_>>());
    }

    #[test]
    fn bucketed_batches_group_similar_lengths() {
        // Two length classes in a single window: every batch must hold one class only.
        let lengths: Vec<usize> = (0..32).map(|index| if index % 2 == 0 { 3 } else { 30 }).collect();
        let batches = epoch_batches(&lengths, 4, true, 5, 0);
        let mixed = batches.iter().filter(|batch| {
            let first = lengths[batch[0]];
            batch.iter().any(|&position| lengths[position] != first)
        });
        assert_eq!(mixed.count(), 0);
    }
}
