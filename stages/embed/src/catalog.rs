//! The embed stage: one embedding per catalog product.

use anyhow::Context;
use lorasearch_data::embeddings::{EmbeddingTable, write_embeddings};
use lorasearch_data::tables::read_token_table;
use lorasearch_inference::{ModelChoice, embed_sorted, load_model};
use lorasearch_runtime::stages::{self, Shard, TOKENIZE, embed_outputs, tokenize_outputs};
use lorasearch_runtime::{PipelineConfig, run_stage};

/// Runs the embed stage (or one shard of it).
pub fn run(config: &PipelineConfig, shard: Option<Shard>, force: bool) -> anyhow::Result<()> {
    let plan = stages::embed_plan(config, shard)?;
    run_stage(&plan, &config.artifacts_dir(), force, |work| {
        let titles_path = config.stage_dir(TOKENIZE).join(tokenize_outputs::TITLES);
        let titles = read_token_table(&titles_path, "product_title")?;
        // Rows after the catalog are other titles of catalog products, kept for evaluation only.
        let catalog_rows = titles.catalog_rows.unwrap_or(titles.product_ids.len());
        let selected: Vec<usize> = (0..catalog_rows)
            .filter(|&row| shard.is_none_or(|shard| shard.contains(&titles.product_ids[row])))
            .collect();

        let model = work.timed("load_model", |_| load_model(config, ModelChoice::for_catalog(config)))?;
        tracing::info!("embed: {} of {catalog_rows} products with {}", selected.len(), model.describe());

        let token_ids: Vec<Vec<u32>> = selected.iter().map(|&row| titles.token_ids[row].clone()).collect();
        let started = std::time::Instant::now();
        let vectors = work.timed("embed", |_| {
            embed_sorted(&model.encoder, &token_ids, config.embed.batch_size, "embedding products")
        })?;
        let elapsed_s = started.elapsed().as_secs_f64();

        let dimension = model.encoder.hidden_size();
        let table = EmbeddingTable {
            product_ids: selected.iter().map(|&row| titles.product_ids[row].clone()).collect(),
            vectors: vectors.into_iter().flatten().collect(),
            dimension,
        };
        let path = work.output_path(embed_outputs::EMBEDDINGS);
        work.timed("write", |_| write_embeddings(&path, &table).context("writing the embeddings"))?;

        let per_second = if elapsed_s > 0.0 { table.len() as f64 / elapsed_s } else { 0.0 };
        work.record_metric("products", table.len());
        work.record_metric("dimension", dimension);
        work.record_metric("products_per_second", per_second);
        work.record_metric("model", model.describe());
        work.set_summary(format!("{} products, {dimension} dimensions, {per_second:.1} products/s", table.len()));
        Ok(())
    })?;
    Ok(())
}
