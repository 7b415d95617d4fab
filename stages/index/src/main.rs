//! `lorasearch-index`: builds the FAISS index over the catalog embeddings and measures it.

mod quality;

use std::collections::HashSet;
use std::fs::File;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Parser;
use lorasearch_ann::{AnnError, IndexSettings, RecallReport, VectorIndex, recall_at_k};
use lorasearch_data::embeddings::{EmbeddingTable, read_embeddings};
use lorasearch_runtime::stages::{self, index_outputs};
use lorasearch_runtime::{CommonArgs, PipelineConfig, StageWork, UsageError, atomic::write_file_atomically, exit_code, run_stage};
use polars::prelude::{Column, DataFrame, ParquetWriter};
use serde::Serialize;

use crate::quality::{RetrievalOutcome, retrieval_quality};

/// Build a FAISS index (factory string from `[index]`, HNSW with inner product by default) over
/// the catalog embeddings, write it with the row-to-product map, and report build time, recall@10
/// against exact search, and Recall@10 / nDCG@10 / MRR@10 of the test queries. Skips the work
/// when nothing changed.
#[derive(Debug, Parser)]
#[command(name = "lorasearch-index", version)]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
}

/// `report.json` of the index stage.
#[derive(Serialize)]
struct IndexReport {
    format: &'static str,
    settings: IndexSettings,
    vectors: usize,
    dimension: usize,
    build_ms: u128,
    /// Recall@10 of catalog vectors used as queries against exact search.
    recall: RecallReport,
    /// Ranking quality of the test split's queries against the whole catalog.
    retrieval: RetrievalOutcome,
}

fn main() -> ExitCode {
    let args = Args::parse();
    args.common.init_logging();
    exit_code(run(&args))
}

fn run(args: &Args) -> anyhow::Result<()> {
    let config = args.common.load_config()?;
    let plan = stages::index_plan(&config)?;
    run_stage(&plan, &config.artifacts_dir(), args.common.force, |work| build(&config, work))?;
    Ok(())
}

fn settings(config: &PipelineConfig) -> IndexSettings {
    IndexSettings {
        factory: config.index.factory.clone(),
        ef_construction: config.index.ef_construction,
        ef_search: config.index.ef_search,
        nprobe: config.index.nprobe,
    }
}

fn build(config: &PipelineConfig, work: &mut StageWork) -> anyhow::Result<()> {
    let embeddings = work.timed("read", |_| read_all_embeddings(config))?;
    let settings = settings(config);

    let started = Instant::now();
    let mut index = work.timed("build", |_| {
        VectorIndex::build(&embeddings.vectors, embeddings.dimension, &settings).map_err(|error| match error {
            AnnError::Faiss { .. } => UsageError(format!(
                "cannot build the index from `index.factory = {:?}` over {} vectors: {error}. Use a FAISS factory string such as \"HNSW32,Flat\", \"IVF256,Flat\" or \"Flat\"; IVF needs at least as many vectors as lists",
                settings.factory,
                embeddings.len()
            ))
            .into(),
            other => anyhow::Error::from(other).context("building the FAISS index"),
        })
    })?;
    let build_ms = started.elapsed().as_millis();

    let queries = recall_queries(&embeddings, config.index.recall_sample);
    let recall = work.timed("recall", |_| Ok(recall_at_k(&mut index, &embeddings.vectors, &queries, 10)?))?;
    let retrieval = work.timed("retrieval", |_| retrieval_quality(config, &mut index, &embeddings.product_ids))?;

    index.save(&work.output_path(index_outputs::INDEX))?;
    write_id_map(work, &embeddings.product_ids)?;
    let report = IndexReport {
        format: "lorasearch-index-report/1",
        settings,
        vectors: embeddings.len(),
        dimension: embeddings.dimension,
        build_ms,
        recall,
        retrieval,
    };
    write_file_atomically(&work.output_path(index_outputs::REPORT), &serde_json::to_vec_pretty(&report)?)?;

    work.record_metric("vectors", report.vectors);
    work.record_metric("build_ms", report.build_ms as u64);
    work.record_metric("recall_at_10", report.recall.recall);
    work.record_metric("queries_per_second", report.recall.queries_per_second);
    let mut summary = format!(
        "{} vectors, built in {:.1} s, recall@10 {:.4} at {:.0} queries/s",
        report.vectors,
        build_ms as f64 / 1000.0,
        report.recall.recall,
        report.recall.queries_per_second
    );
    if let RetrievalOutcome::Measured(quality) = &report.retrieval {
        work.record_metric("test_recall_at_10", quality.recall_at_k);
        work.record_metric("test_ndcg_at_10", quality.ndcg_at_k);
        work.record_metric("test_mrr_at_10", quality.mrr_at_k);
        summary.push_str(&format!(
            "; test queries: Recall@10 {:.4}, nDCG@10 {:.4}, MRR@10 {:.4}",
            quality.recall_at_k, quality.ndcg_at_k, quality.mrr_at_k
        ));
    }
    work.set_summary(summary);
    Ok(())
}

/// Reads the unsharded embeddings or every shard, checking that they fit together.
fn read_all_embeddings(config: &PipelineConfig) -> anyhow::Result<EmbeddingTable> {
    let mut all = EmbeddingTable::default();
    let mut seen: HashSet<String> = HashSet::new();
    for path in stages::embedding_files(config) {
        let table = read_embeddings(&path)?;
        if !all.is_empty() && table.dimension != all.dimension {
            bail!("{} has dimension {}, but the shards before it have {}; rerun lorasearch-embed with one model", path.display(), table.dimension, all.dimension);
        }
        if let Some(duplicate) = table.product_ids.iter().find(|id| !seen.insert((*id).clone())) {
            bail!("product {duplicate} appears in two embedding shards; check `index.embed_shards` and the --shard runs");
        }
        all.extend(table);
    }
    if all.is_empty() {
        bail!("the embed stage wrote no embeddings; check the catalog in artifacts/ingest");
    }
    Ok(all)
}

/// Evenly spaced catalog rows as recall queries, at most `count` of them.
fn recall_queries(embeddings: &EmbeddingTable, count: usize) -> Vec<f32> {
    let rows = embeddings.len();
    let step = rows.div_ceil(count.max(1)).max(1);
    (0..rows)
        .step_by(step)
        .flat_map(|row| embeddings.vectors[row * embeddings.dimension..(row + 1) * embeddings.dimension].iter().copied())
        .collect()
}

fn write_id_map(work: &StageWork, product_ids: &[String]) -> anyhow::Result<()> {
    let path = work.output_path(index_outputs::ID_MAP);
    let rows: Vec<u64> = (0..product_ids.len() as u64).collect();
    let mut frame = DataFrame::new_infer_height(vec![
        Column::new("row".into(), rows),
        Column::new("product_id".into(), product_ids),
    ])?;
    let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    ParquetWriter::new(file)
        .finish(&mut frame)
        .map_err(|error| anyhow::anyhow!("cannot write {}: {error}", path.display()))?;
    Ok(())
}
