//! `lorasearch-ingest`: reads labelled pairs, splits them by query and writes Parquet artifacts.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use lorasearch_data::{Ingested, Split, ingest, write_catalog, write_pairs};
use lorasearch_runtime::stages::{self, ingest_outputs};
use lorasearch_runtime::{CommonArgs, StageWork, exit_code, run_stage};

/// Read labelled (query, product title, relevance) pairs from ESCI or any table, map the labels
/// to 0/1, split them by query into train, validation and test, and write them as Parquet with
/// the product catalog. Skips the work when inputs and settings are unchanged.
#[derive(Debug, Parser)]
#[command(name = "lorasearch-ingest", version)]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    args.common.init_logging();
    exit_code(run(&args))
}

fn run(args: &Args) -> anyhow::Result<()> {
    let config = args.common.load_config()?;
    let plan = stages::ingest_plan(&config)?;

    run_stage(&plan, &config.artifacts_dir(), args.common.force, |work| {
        let ingested = work.timed("read", |_| {
            Ok(ingest(&config.ingest, config.pipeline.seed, |path| config.resolve(path))?)
        })?;
        work.timed("write", |work| write_outputs(work, &ingested))?;
        record_counts(work, &ingested);
        Ok(())
    })?;
    Ok(())
}

fn write_outputs(work: &mut StageWork, ingested: &Ingested) -> anyhow::Result<()> {
    for (split, file) in [
        (Split::Train, ingest_outputs::TRAIN),
        (Split::Validation, ingest_outputs::VALIDATION),
        (Split::Test, ingest_outputs::TEST),
    ] {
        let pairs = ingested.splits.get(&split).map(Vec::as_slice).unwrap_or_default();
        write_pairs(&work.output_path(file), pairs).with_context(|| format!("writing the {} split", split.name()))?;
    }
    write_catalog(&work.output_path(ingest_outputs::CATALOG), &ingested.catalog)?;
    Ok(())
}

fn record_counts(work: &mut StageWork, ingested: &Ingested) {
    work.record_metric("rows_read", ingested.rows_read);
    let kept: usize = ingested.splits.values().map(Vec::len).sum();
    work.record_metric("pairs_kept", kept);

    let mut summary = Vec::new();
    for (split, pairs) in &ingested.splits {
        let name = split.name();
        let positives = pairs.iter().filter(|pair| pair.relevance_label == 1).count();
        let queries: std::collections::HashSet<&str> = pairs.iter().map(|pair| pair.query.as_str()).collect();
        work.record_metric(&format!("pairs_{name}"), pairs.len());
        work.record_metric(&format!("positives_{name}"), positives);
        work.record_metric(&format!("queries_{name}"), queries.len());
        summary.push(format!("{name} {}", pairs.len()));
        if pairs.is_empty() {
            tracing::warn!("ingest: the {name} split is empty; with few distinct queries, adjust `[ingest.split]` shares or seed");
        }
    }
    work.record_metric("catalog_products", ingested.catalog.len());
    work.record_metric("catalog_title_conflicts", ingested.catalog_title_conflicts);
    work.record_metric("queries_in_several_splits", ingested.queries_in_several_splits);
    if ingested.catalog_title_conflicts > 0 {
        tracing::warn!(
            "ingest: {} product ids appear with more than one title; the catalog keeps the first",
            ingested.catalog_title_conflicts
        );
    }
    if ingested.queries_in_several_splits > 0 {
        tracing::warn!(
            "ingest: the input's split column puts {} queries in more than one split",
            ingested.queries_in_several_splits
        );
    }

    let filtered = serde_json::to_value(&ingested.filtered).unwrap_or_default();
    let dropped = serde_json::to_value(&ingested.dropped).unwrap_or_default();
    work.record_metric("rows_filtered", filtered);
    work.record_metric("rows_dropped", dropped);
    for (reason, count) in &ingested.filtered {
        tracing::info!("ingest: {count} rows filtered out by {reason}");
    }
    for (reason, count) in &ingested.dropped {
        tracing::warn!("ingest: {count} rows dropped ({reason})");
    }

    work.set_summary(format!(
        "{} rows read, {kept} pairs kept ({}), {} catalog products",
        ingested.rows_read,
        summary.join(", "),
        ingested.catalog.len()
    ));
}
