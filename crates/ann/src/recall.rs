//! Recall of an approximate index against exact inner-product search.

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
pub fn exact_search(vectors: &[f32], dimension: usize, queries: &[f32], k: usize) -> Vec<Vec<Hit>> {
    let rows = vectors.len() / dimension;
    queries
        .chunks(dimension)
        .map(|query| {
            let mut scored: Vec<Hit> = (0..rows)
                .map(|row| {
                    let vector = &vectors[row * dimension..(row + 1) * dimension];
                    let score = vector.iter().zip(query).map(|(a, b)| a * b).sum();
                    Hit { row: row as u64, score }
                })
                .collect();
            scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.row.cmp(&b.row)));
            scored.truncate(k);
            scored
        })
        .collect()
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
