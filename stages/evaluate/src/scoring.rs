//! Pair scores: the cosine similarity of the query and product title embeddings.

use lorasearch_data::tables::TokenTable;
use lorasearch_inference::{LoadedModel, embed_sorted};

use crate::splits::EvaluationSplit;

/// Embeds each distinct query and title of `split` once, in length-sorted batches of
/// `batch_size` texts with a progress bar, and returns one score per pair in pair order.
///
/// The encoder returns unit-length embeddings, so the dot product is the cosine similarity.
/// Memory use is one batch of activations plus the embeddings of the split's distinct texts.
pub fn score_split(
    model: &LoadedModel,
    model_name: &str,
    split: &EvaluationSplit,
    queries: &TokenTable,
    titles: &TokenTable,
    batch_size: usize,
) -> anyhow::Result<Vec<f32>> {
    let used = split.used_texts(queries, titles);
    tracing::debug!(
        "{model_name} model, {} split: {} pairs, {} distinct queries, {} distinct titles",
        split.name,
        split.pairs(),
        used.distinct_queries,
        used.distinct_titles
    );

    let message = format!("embedding {} texts ({model_name})", split.name);
    let embeddings = embed_sorted(&model.encoder, &used.token_ids, batch_size, &message)?;

    let scores = used
        .pair_positions
        .iter()
        .map(|&(query, title)| dot(&embeddings[query], &embeddings[title]))
        .collect();
    Ok(scores)
}

/// Dot product, accumulated in f64 so that rounding stays far below the gaps between scores.
fn dot(left: &[f32], right: &[f32]) -> f32 {
    let sum: f64 = left.iter().zip(right).map(|(a, b)| f64::from(*a) * f64::from(*b)).sum();
    sum as f32
}
