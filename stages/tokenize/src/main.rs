//! `lorasearch-tokenize`: turns the ingested texts into token ids, each distinct text once.

mod lengths;

use std::collections::HashMap;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use lorasearch_data::tables::{PairIndex, TokenTable, read_catalog, read_pair_table, write_pair_index, write_token_table};
use lorasearch_encoder::TextTokenizer;
use lorasearch_runtime::stages::{self, INGEST, ingest_outputs, tokenize_outputs};
use lorasearch_runtime::{CommonArgs, PipelineConfig, StageWork, exit_code, progress, run_stage};

use crate::lengths::LengthSummary;

/// Tokenize every distinct query and catalog title of the ingested pairs with the model's
/// tokenizer (prefixes from `[model]`, truncation at `model.max_length_tokens`), and write token
/// ids as Parquet with the pair files as row indices. Skips the work when nothing changed.
#[derive(Debug, Parser)]
#[command(name = "lorasearch-tokenize", version)]
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
    let plan = stages::tokenize_plan(&config)?;

    run_stage(&plan, &config.artifacts_dir(), args.common.force, |work| tokenize(&config, work))?;
    Ok(())
}

fn tokenize(config: &PipelineConfig, work: &mut StageWork) -> anyhow::Result<()> {
    let model_dir = config.resolve(&config.model.path);
    let tokenizer = TextTokenizer::load(&model_dir, config.model.max_length_tokens)
        .with_context(|| format!("loading the tokenizer of {}", model_dir.display()))?;
    let ingest_dir = config.stage_dir(INGEST);

    let catalog = read_catalog(&ingest_dir.join(ingest_outputs::CATALOG))?;
    // Title rows: the catalog first (one per product), then any other title a pair gives for a
    // catalog product, so every pair keeps its own title text.
    let catalog_products = catalog.product_ids.len();
    let mut title_ids = catalog.product_ids.clone();
    let mut title_texts = catalog.product_titles.clone();
    let mut title_row: HashMap<(String, String), u32> = title_ids
        .iter()
        .zip(&title_texts)
        .enumerate()
        .map(|(row, (id, title))| ((id.clone(), title.clone()), row as u32))
        .collect();
    let known_products: std::collections::HashSet<&str> = catalog.product_ids.iter().map(String::as_str).collect();

    // Distinct queries in order of first appearance over train, validation and test.
    let mut query_texts: Vec<String> = Vec::new();
    let mut query_row: HashMap<String, u32> = HashMap::new();
    let mut indices = Vec::new();
    for (ingest_file, output_file) in [
        (ingest_outputs::TRAIN, tokenize_outputs::TRAIN),
        (ingest_outputs::VALIDATION, tokenize_outputs::VALIDATION),
        (ingest_outputs::TEST, tokenize_outputs::TEST),
    ] {
        let path = ingest_dir.join(ingest_file);
        let pairs = read_pair_table(&path)?;
        let mut index = PairIndex::default();
        for (row, query) in pairs.queries.iter().enumerate() {
            let next = query_texts.len() as u32;
            let query_index = *query_row.entry(query.clone()).or_insert_with(|| {
                query_texts.push(query.clone());
                next
            });
            let product_id = &pairs.product_ids[row];
            if !known_products.contains(product_id.as_str()) {
                anyhow::bail!("{} row {}: product {product_id} is not in the catalog; rerun lorasearch-ingest --force", path.display(), row + 1);
            }
            let key = (product_id.clone(), pairs.product_titles[row].clone());
            let next = title_ids.len() as u32;
            let title_index = *title_row.entry(key).or_insert_with(|| {
                title_ids.push(product_id.clone());
                title_texts.push(pairs.product_titles[row].clone());
                next
            });
            index.query_index.push(query_index);
            index.title_index.push(title_index);
            index.relevance_labels.push(pairs.relevance_labels[row]);
        }
        indices.push((output_file, index));
    }

    let queries = work.timed("tokenize_queries", |_| {
        tokenize_texts(&tokenizer, &config.model.query_prefix, query_texts, Vec::new(), "queries")
    })?;
    let titles = work.timed("tokenize_titles", |_| {
        tokenize_texts(&tokenizer, &config.model.passage_prefix, title_texts, title_ids, "titles")
    })?;
    let mut titles = titles;
    titles.catalog_rows = Some(catalog_products);

    work.timed("write", |work| {
        write_token_table(&work.output_path(tokenize_outputs::QUERIES), "query", &queries)?;
        write_token_table(&work.output_path(tokenize_outputs::TITLES), "product_title", &titles)?;
        for (file, index) in &indices {
            write_pair_index(&work.output_path(file), index)?;
        }
        Ok(())
    })?;

    record_lengths(work, config.model.max_length_tokens, &queries, &titles);
    work.record_metric("catalog_products", catalog_products);
    work.record_metric("title_variants", titles.texts.len() - catalog_products);
    for (file, index) in &indices {
        let split = file.trim_end_matches(".parquet");
        work.record_metric(&format!("pairs_{split}"), index.len());
    }
    Ok(())
}

/// Tokenizes each text once, with `prefix` in front, keeping the text without the prefix.
fn tokenize_texts(tokenizer: &TextTokenizer, prefix: &str, texts: Vec<String>, product_ids: Vec<String>, what: &str) -> anyhow::Result<TokenTable> {
    let bar = progress::items_bar(texts.len() as u64, &format!("tokenizing {what}"), "texts");
    let mut table = TokenTable { product_ids, ..TokenTable::default() };
    table.token_ids.reserve(texts.len());
    for text in &texts {
        let input = format!("{prefix}{text}");
        let tokenized = tokenizer.encode_with_length(&input).with_context(|| format!("tokenizing {input:?}"))?;
        table.original_lengths.push(u32::try_from(tokenized.original_length_tokens).unwrap_or(u32::MAX));
        table.token_ids.push(tokenized.token_ids);
        bar.inc(1);
    }
    bar.finish_and_clear();
    table.texts = texts;
    Ok(table)
}

fn record_lengths(work: &mut StageWork, max_length_tokens: usize, queries: &TokenTable, titles: &TokenTable) {
    let mut parts = Vec::new();
    for (name, table) in [("queries", queries), ("titles", titles)] {
        let summary = LengthSummary::from_lengths(&table.original_lengths, max_length_tokens);
        parts.push(format!("{name} {} ({summary})", table.texts.len()));
        work.record_metric(&format!("texts_{name}"), table.texts.len());
        work.record_metric(&format!("lengths_{name}"), serde_json::to_value(&summary).unwrap_or_default());
        if summary.truncated > 0 {
            tracing::warn!(
                "tokenize: {} of {} {name} are longer than max_length_tokens = {max_length_tokens} and were truncated",
                summary.truncated,
                table.texts.len()
            );
        }
    }
    work.set_summary(parts.join("; "));
}

