//! Recall of an approximate index against exact inner-product search.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AnnError;
use crate::index::{Hit, VectorIndex};

/// Recall@k of an index on a set of queries, with its search speed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecallReport {
    pub k: usize,
    pub queries: usize,
    /// Mean over queries of |approximate top k ∩ exact top k| / k.
    pub recall: f64,
    /// Queries per second of the approximate index, searched as one batch.
    pub queries_per_second: f64,
    /// Queries per second of exact search, as one batch.
    pub exact_queries_per_second: f64,
}

/// Exact top-k rows by inner product, best first (ties by lower row), as a brute-force scan.
///
/// Queries are spread over the rayon thread pool. Each keeps its k best rows with a partial
/// selection instead of sorting every score.
pub fn exact_search(vectors: &[f32], dimension: usize, queries: &[f32], k: usize) -> Vec<Vec<Hit>> {
    let rows = vectors.len() / dimension.max(1);
    let better = |a: &Hit, b: &Hit| b.score.total_cmp(&a.score).then(a.row.cmp(&b.row));
    queries
        .par_chunks(dimension.max(1))
        .map(|query| {
            let mut scored: Vec<Hit> = vectors
                .chunks_exact(dimension.max(1))
                .enumerate()
                .map(|(row, vector)| Hit { row: row as u64, score: dot(vector, query) })
                .collect();
            let keep = k.min(rows);
            if keep == 0 {
                return Vec::new();
            }
            if keep < scored.len() {
                scored.select_nth_unstable_by(keep - 1, better);
                scored.truncate(keep);
            }
            scored.sort_by(better);
            scored
        })
        .collect()
}

/// Returns the inner product of two equally long vectors, summed in eight lanes so that the
/// compiler can keep them in vector registers.
fn dot(left: &[f32], right: &[f32]) -> f32 {
    const LANES: usize = 8;
    let mut lanes = [0.0f32; LANES];
    let left_chunks = left.chunks_exact(LANES);
    let right_chunks = right.chunks_exact(LANES);
    let tail: f32 = left_chunks.remainder().iter().zip(right_chunks.remainder()).map(|(a, b)| a * b).sum();
    for (a, b) in left_chunks.zip(right_chunks) {
        for ((sum, x), y) in lanes.iter_mut().zip(a).zip(b) {
            *sum += x * y;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// Measures recall@k of `index` against exact search over the same `vectors`.
pub fn recall_at_k(index: &mut VectorIndex, vectors: &[f32], queries: &[f32], k: usize) -> Result<RecallReport, AnnError> {
    let dimension = index.dimension();
    let query_count = queries.len() / dimension;

    let started = std::time::Instant::now();
    let approximate = index.search(queries, k)?;
    let approximate_s = started.elapsed().as_secs_f64();

    let started = std::time::Instant::now();
    let exact = exact_search(vectors, dimension, queries, k);
    let exact_s = started.elapsed().as_secs_f64();

    let mut total = 0.0;
    for (found, truth) in approximate.iter().zip(&exact) {
        if truth.is_empty() {
            continue;
        }
        let hits = found.iter().filter(|hit| truth.iter().any(|expected| expected.row == hit.row)).count();
        total += hits as f64 / truth.len() as f64;
    }
    let per_second = |seconds: f64| if seconds > 0.0 { query_count as f64 / seconds } else { 0.0 };
    Ok(RecallReport {
        k,
        queries: query_count,
        recall: if query_count == 0 { 0.0 } else { total / query_count as f64 },
        queries_per_second: per_second(approximate_s),
        exact_queries_per_second: per_second(exact_s),
    })
}
