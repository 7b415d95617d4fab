//! `lorasearch`: commands that look at the whole pipeline rather than one stage.

mod search;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use lorasearch_runtime::hashing::StatCache;
use lorasearch_runtime::logging::{self, LogFormat};
use lorasearch_runtime::stage::stat_cache_path;
use lorasearch_runtime::status::{StageStatus, pipeline_status};
use lorasearch_runtime::{PipelineConfig, exit_code, stages, threads};

/// Inspect the lorasearch pipeline. Each stage runs as its own binary (lorasearch-ingest, ...).
#[derive(Debug, Parser)]
#[command(name = "lorasearch", version)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List every stage as up to date, stale (with the reasons) or never run.
    Status {
        /// Settings file; relative paths inside it are resolved against its folder.
        #[arg(long, value_name = "PATH", default_value = "pipeline.toml")]
        config: PathBuf,

        /// Print one JSON object with every stage's state instead of a table.
        #[arg(long)]
        json: bool,

        /// Exit with code 1 when any stage is stale or never run (for CI and schedulers).
        #[arg(long)]
        check: bool,
    },
    /// Print the top k catalog products for a query, from the index the pipeline built.
    Search {
        /// The query text.
        query: String,

        /// Number of products to print.
        #[arg(short, default_value_t = 10)]
        k: usize,

        /// Drop products whose score (cosine similarity, -1 to 1) is below this value.
        #[arg(long, value_name = "SCORE")]
        min_score: Option<f32>,

        /// Print one JSON object with the results instead of a table.
        #[arg(long)]
        json: bool,

        /// Settings file; relative paths inside it are resolved against its folder.
        #[arg(long, value_name = "PATH", default_value = "pipeline.toml")]
        config: PathBuf,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    logging::init(0, LogFormat::Text);
    exit_code(match args.command {
        Command::Status { config, json, check } => status(&config, json, check),
        Command::Search { query, k, min_score, json, config } => run_search(&config, &query, k, min_score, json),
    })
}

fn run_search(config_path: &std::path::Path, query: &str, k: usize, min_score: Option<f32>, json: bool) -> anyhow::Result<()> {
    let config = PipelineConfig::load(config_path)?;
    threads::configure(config.pipeline.threads);
    lorasearch_runtime::memory::keep_freed_memory();
    search::search(&config, &search::SearchRequest { query, k, min_score, json })
}

fn status(config_path: &std::path::Path, json: bool, check: bool) -> anyhow::Result<()> {
    let config = PipelineConfig::load(config_path)?;
    let plans = stages::pipeline_plans(&config)?;
    // Read the runtime's cache but never write it: status changes nothing on disk.
    let mut cache = StatCache::open(&stat_cache_path(&config.artifacts_dir()));
    let statuses = pipeline_status(&plans, &mut cache)?;

    if json {
        let map: serde_json::Map<String, serde_json::Value> = statuses
            .iter()
            .map(|(stage, status)| Ok((stage.to_string(), serde_json::to_value(status)?)))
            .collect::<anyhow::Result<_>>()?;
        println!("{}", serde_json::Value::Object(map));
        let stale = statuses.iter().any(|(_, status)| *status != StageStatus::UpToDate);
        if check && stale {
            anyhow::bail!("some stages are not up to date");
        }
        return Ok(());
    }

    for (stage, status) in &statuses {
        println!("{stage:<10} {}", status.label());
        if let StageStatus::Stale { reasons } = status {
            for reason in reasons {
                println!("{:<10}   - {reason}", "");
            }
        }
    }
    let pending: Vec<&str> = statuses.iter().filter(|(_, status)| *status != StageStatus::UpToDate).map(|(stage, _)| *stage).collect();
    if check && !pending.is_empty() {
        anyhow::bail!("stages not up to date: {}", pending.join(", "));
    }
    Ok(())
}
