//! `lorasearch search`: the top k catalog products for a query.

use std::collections::HashMap;

use anyhow::Context;
use lorasearch_ann::{IndexSettings, VectorIndex};
use lorasearch_data::tables::{read_catalog, read_id_map};
use lorasearch_inference::{ModelChoice, embed_sorted, load_model};
use lorasearch_runtime::manifest::MANIFEST_FILE;
use lorasearch_runtime::stages::{INDEX, INGEST, index_outputs, ingest_outputs};
use lorasearch_runtime::hashing::StatCache;
use lorasearch_runtime::stage::stat_cache_path;
use lorasearch_runtime::stages;
use lorasearch_runtime::status::{StageStatus, stage_status};
use lorasearch_runtime::{PipelineConfig, UsageError};
use serde::Serialize;

/// Options of one search.
pub struct SearchRequest<'a> {
    pub query: &'a str,
    pub k: usize,
    pub min_score: Option<f32>,
    pub json: bool,
}

#[derive(Serialize)]
struct SearchHit<'a> {
    rank: usize,
    product_id: &'a str,
    product_title: &'a str,
    score: f32,
}

/// Embeds the query with the model the index was built with and prints the best products.
pub fn search(config: &PipelineConfig, request: &SearchRequest) -> anyhow::Result<()> {
    if request.k == 0 {
        return Err(UsageError("-k must be at least 1".to_string()).into());
    }
    if request.query.trim().is_empty() {
        return Err(UsageError("the query is empty".to_string()).into());
    }

    let index_dir = config.stage_dir(INDEX);
    if !index_dir.join(MANIFEST_FILE).is_file() {
        anyhow::bail!("no complete index in {}: run lorasearch-index (or make pipeline) first", index_dir.display());
    }
    // The query must be embedded with the model, adapter and catalog the index was built from.
    let mut cache = StatCache::open(&stat_cache_path(&config.artifacts_dir()));
    if let StageStatus::Stale { reasons } = stage_status(&stages::index_plan(config)?, &mut cache)? {
        anyhow::bail!(
            "the index in {} is stale ({}); run make pipeline (or lorasearch-embed and lorasearch-index) so that queries and products are embedded with the same model",
            index_dir.display(),
            reasons.join("; ")
        );
    }
    let settings = IndexSettings {
        factory: config.index.factory.clone(),
        ef_construction: config.index.ef_construction,
        ef_search: config.index.ef_search,
        nprobe: config.index.nprobe,
    };
    let mut index = VectorIndex::load(&index_dir.join(index_outputs::INDEX), &settings)?;
    let row_product_ids = read_id_map(&index_dir.join(index_outputs::ID_MAP))?;
    let catalog = read_catalog(&config.stage_dir(INGEST).join(ingest_outputs::CATALOG))
        .context("reading the catalog titles (run lorasearch-ingest if it is missing)")?;
    let titles: HashMap<&str, &str> =
        catalog.product_ids.iter().map(String::as_str).zip(catalog.product_titles.iter().map(String::as_str)).collect();

    let model = load_model(config, ModelChoice::for_catalog(config))?;
    index.check_dimension(model.encoder.hidden_size())?;

    let text = format!("{}{}", config.model.query_prefix, request.query);
    let tokenized = model.encoder.tokenizer().encode_with_length(&text)?;
    if tokenized.is_truncated() {
        tracing::warn!(
            "the query has {} tokens; only the first {} are used (model.max_length_tokens)",
            tokenized.original_length_tokens,
            config.model.max_length_tokens
        );
    }
    let vector = embed_sorted(&model.encoder, &[tokenized.token_ids], 1, "embedding the query")?;
    let vector: Vec<f32> = vector.into_iter().flatten().collect();
    let hits = index.search(&vector, request.k)?.into_iter().next().unwrap_or_default();

    let results: Vec<SearchHit> = hits
        .iter()
        .filter(|hit| request.min_score.is_none_or(|min| hit.score >= min))
        .enumerate()
        .map(|(position, hit)| {
            let product_id = row_product_ids.get(hit.row as usize).map(String::as_str).unwrap_or("?");
            SearchHit { rank: position + 1, product_id, product_title: titles.get(product_id).copied().unwrap_or(""), score: hit.score }
        })
        .collect();
    print_results(request, &results)
}

fn print_results(request: &SearchRequest, results: &[SearchHit]) -> anyhow::Result<()> {
    if request.json {
        let value = serde_json::json!({ "query": request.query, "results": results });
        println!("{value}");
        return Ok(());
    }
    if results.is_empty() {
        println!("no products scored at least the minimum score for {:?}", request.query);
        return Ok(());
    }
    for hit in results {
        println!("{:>3}. {:.4}  {}  {}", hit.rank, hit.score, hit.product_id, hit.product_title);
    }
    Ok(())
}
