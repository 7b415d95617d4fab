//! `lorasearch-embed`: the catalog embed stage, and embeddings on demand for texts given on the
//! command line or stdin.

mod catalog;

use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use lorasearch_inference::{ModelChoice, embed_sorted, load_model};
use lorasearch_runtime::stages::Shard;
use lorasearch_runtime::{CommonArgs, PipelineConfig, UsageError, exit_code};
use serde::Serialize;

/// Embed every catalog product with the tuned model (or the base model with `[embed] model =
/// "base"`) and write `artifacts/embed/embeddings.parquet`; skips the work when nothing changed.
///
/// With --text (repeatable) or --stdin (one text per line), embed those texts instead with the
/// configured model and, when the train stage has produced one, the tuned adapter, and print one
/// JSON object per line: {"text": ..., "embedding": [...]}.
#[derive(Debug, Parser)]
#[command(name = "lorasearch-embed", version)]
struct Args {
    #[command(flatten)]
    common: CommonArgs,

    /// A text to embed; repeat the option for several texts.
    #[arg(long = "text", value_name = "TEXT")]
    texts: Vec<String>,

    /// Read texts from stdin, one per line (empty lines are skipped).
    #[arg(long)]
    stdin: bool,

    /// Use the untuned model even when a tuned adapter exists.
    #[arg(long)]
    base: bool,

    /// Prefix to put before each text: none, or the query or passage prefix from `[model]`.
    #[arg(long, value_enum, value_name = "KIND", default_value = "none")]
    prefix: PrefixKind,

    /// Texts per forward batch (on-demand mode; the stage uses `[embed] batch_size`).
    #[arg(long, value_name = "TEXTS", default_value_t = 64)]
    batch_size: usize,

    /// Embed only shard I of N of the catalog (by a stable hash of product_id), into
    /// artifacts/embed-shard-I-of-N/, for running shards on several machines.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    shard: Option<Shard>,
}

fn parse_shard(text: &str) -> Result<Shard, String> {
    Shard::parse(text)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PrefixKind {
    None,
    Query,
    Passage,
}

#[derive(Serialize)]
struct EmbeddingLine<'a> {
    text: &'a str,
    embedding: &'a [f32],
}

fn main() -> ExitCode {
    let args = Args::parse();
    args.common.init_logging();
    exit_code(run(&args))
}

fn run(args: &Args) -> anyhow::Result<()> {
    let config = args.common.load_config()?;
    if args.texts.is_empty() && !args.stdin {
        return catalog::run(&config, args.shard, args.common.force);
    }
    if args.shard.is_some() {
        return Err(UsageError("--shard applies to the catalog stage, not to --text or --stdin".to_string()).into());
    }
    embed_on_demand(&config, args)
}

fn embed_on_demand(config: &PipelineConfig, args: &Args) -> anyhow::Result<()> {
    let texts = collect_texts(args)?;
    if args.batch_size == 0 {
        return Err(UsageError("--batch-size must be at least 1".to_string()).into());
    }

    let choice = if args.base { ModelChoice::Base } else { ModelChoice::TunedIfAvailable };
    let model = load_model(config, choice)?;
    tracing::info!("embedding {} texts with {}", texts.len(), model.describe());

    let prefix = match args.prefix {
        PrefixKind::None => "",
        PrefixKind::Query => config.model.query_prefix.as_str(),
        PrefixKind::Passage => config.model.passage_prefix.as_str(),
    };
    let tokenizer = model.encoder.tokenizer();
    let mut token_ids = Vec::with_capacity(texts.len());
    for text in &texts {
        let tokenized = tokenizer.encode_with_length(&format!("{prefix}{text}")).with_context(|| format!("tokenizing {text:?}"))?;
        if tokenized.is_truncated() {
            tracing::warn!(
                "{text:?} has {} tokens; only the first {} are embedded (model.max_length_tokens)",
                tokenized.original_length_tokens,
                tokenizer.max_length_tokens()
            );
        }
        token_ids.push(tokenized.token_ids);
    }
    let embeddings = embed_sorted(&model.encoder, &token_ids, args.batch_size, "embedding")?;

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for (text, embedding) in texts.iter().zip(&embeddings) {
        serde_json::to_writer(&mut out, &EmbeddingLine { text, embedding })?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

fn collect_texts(args: &Args) -> anyhow::Result<Vec<String>> {
    let mut texts = args.texts.clone();
    if args.stdin {
        for (number, line) in std::io::stdin().lock().lines().enumerate() {
            let line = line.with_context(|| format!("reading stdin line {}", number + 1))?;
            if !line.trim().is_empty() {
                texts.push(line);
            }
        }
    }
    if texts.is_empty() {
        return Err(UsageError("stdin contained no texts".to_string()).into());
    }
    Ok(texts)
}
