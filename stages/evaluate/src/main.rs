//! `lorasearch-evaluate`: ROC-AUC and related metrics of the untuned and the tuned model on the
//! validation and test pairs, as a JSON report, a Markdown table and ROC and precision-recall charts.

mod charts;
mod evaluation;
mod gate;
mod markdown;
mod report;
mod scoring;
mod splits;

use std::process::ExitCode;

use clap::Parser;
use lorasearch_runtime::{CommonArgs, exit_code, run_stage, stages};

/// Score every validation and test pair with the untuned model and, when the train stage has
/// written an adapter, with the tuned model. A pair's score is the cosine similarity of the query
/// and product title embeddings. Writes ROC-AUC, average precision, best F1 and best accuracy per
/// model and split, with ROC and precision-recall charts. Fails (exit 1) when the model's ROC-AUC
/// is below `[evaluate] min_roc_auc`. Skips the work when nothing changed.
#[derive(Debug, Parser)]
#[command(name = "lorasearch-evaluate", version)]
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
    let plan = stages::evaluate_plan(&config)?;
    let adapter_dir = stages::train_has_adapter(&config).then(|| config.stage_dir(stages::TRAIN));

    run_stage(&plan, &config.artifacts_dir(), args.common.force, |work| {
        evaluation::evaluate(&config, adapter_dir.as_deref(), work)
    })?;
    Ok(())
}
