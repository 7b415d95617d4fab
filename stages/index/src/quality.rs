//! Retrieval quality of the test split's queries against the whole catalog.

use std::collections::{BTreeMap, HashSet};

use lorasearch_ann::VectorIndex;
use lorasearch_data::tables::{read_pair_index, read_token_table};
use lorasearch_inference::{ModelChoice, embed_sorted, load_model};
use lorasearch_metrics::{RetrievalReport, retrieval_report};
use lorasearch_runtime::PipelineConfig;
use lorasearch_runtime::stages::{TOKENIZE, tokenize_outputs};
use serde::Serialize;

/// Retrieval metrics, or why there are none.
#[derive(Debug, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum RetrievalOutcome {
    Measured(RetrievalReport),
    Skipped { reason: String },
}

/// Embeds each test query that has a relevant product, searches the top 10 and scores the
/// ranking with the split's labels as relevance.
pub fn retrieval_quality(config: &PipelineConfig, index: &mut VectorIndex, row_product_ids: &[String]) -> anyhow::Result<RetrievalOutcome> {
    let tokenize_dir = config.stage_dir(TOKENIZE);
    let test = read_pair_index(&tokenize_dir.join(tokenize_outputs::TEST))?;
    let titles = read_token_table(&tokenize_dir.join(tokenize_outputs::TITLES), "product_title")?;

    let mut relevant: BTreeMap<u32, HashSet<String>> = BTreeMap::new();
    for pair in 0..test.len() {
        if test.relevance_labels[pair] == 1 {
            let product_id = titles.product_ids[test.title_index[pair] as usize].clone();
            relevant.entry(test.query_index[pair]).or_default().insert(product_id);
        }
    }
    if relevant.is_empty() {
        let reason = if test.is_empty() {
            "the test split is empty".to_string()
        } else {
            "the test split has no pair labelled relevant".to_string()
        };
        tracing::info!("index: retrieval quality skipped: {reason}");
        return Ok(RetrievalOutcome::Skipped { reason });
    }

    let queries = read_token_table(&tokenize_dir.join(tokenize_outputs::QUERIES), "query")?;
    let model = load_model(config, ModelChoice::for_catalog(config))?;
    index.check_dimension(model.encoder.hidden_size())?;
    let token_ids: Vec<Vec<u32>> = relevant.keys().map(|&query| queries.token_ids[query as usize].clone()).collect();
    let vectors: Vec<f32> = embed_sorted(&model.encoder, &token_ids, 64, "embedding test queries")?.into_iter().flatten().collect();

    let hits = index.search(&vectors, 10)?;
    let ranked: Vec<Vec<String>> = hits
        .iter()
        .map(|hits| hits.iter().map(|hit| row_product_ids[hit.row as usize].clone()).collect())
        .collect();
    let relevant: Vec<HashSet<String>> = relevant.into_values().collect();
    Ok(RetrievalOutcome::Measured(retrieval_report(&ranked, &relevant, 10)))
}
