//! `lorasearch-train`: fine-tunes the encoder on the tokenized train pairs and writes the adapter
//! (or, for `method = "full"`, a model folder), the loss history and per-epoch snapshots.

mod observer;
mod outputs;

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use lorasearch_encoder::{Encoder, EncoderOptions, Pooling};
use lorasearch_runtime::config::{PoolingSetting, TrainMethod};
use lorasearch_runtime::stages::{self, TOKENIZE, train_outputs};
use lorasearch_runtime::{CommonArgs, Outcome, PipelineConfig, StageWork, UsageError, exit_code, run_stage};
use lorasearch_training::{
    CheckpointStore, StepPlan, TokenizedPairs, TrainingError, TrainingJob, check_token_ids, make_trainable, train,
};

use crate::observer::ProgressObserver;

/// The `[train]` settings, shown under `--help`.
const SETTINGS_HELP: &str = "\
Settings come from the [train] section of the settings file (defaults in brackets):
  method                       lora or full: adapters only, or every weight [lora]
  epochs                       passes over the train split [3]
  batch_size                   pairs per batch [64]
  learning_rate                peak learning rate [5e-4]
  optimizer                    adam or adamw [adam]
  weight_decay                 decoupled weight decay, adamw only [0]
  schedule                     linear (decay to 0 at the last step) or constant [linear]
  warmup_steps                 optimiser steps of linear warmup from 0 [0]
  gradient_accumulation_steps  batches summed into one optimiser step [1]
  max_grad_norm                clip the global gradient norm to this; 0 = off [0]
  max_steps                    stop after this many optimiser steps; 0 = no limit [0]
  lora_r, lora_alpha           adapter rank and scaling numerator [8, 16]
  lora_dropout                 dropout probability on the adapter input [0]
  target_modules               adapted layers [\"query\", \"key\", \"value\"]
  bucket_by_length             batch pairs of similar token length together [false]
  checkpoint_every_steps       resumable checkpoint every N steps as well as every epoch; 0 = per epoch only [0]
[pipeline] seed and [model] path, max_length_tokens and pooling also apply.";

/// Fine-tune the sentence encoder on the tokenized (query, product title, label) pairs with the
/// PEFT semantic-similarity recipe, and write the adapter in PEFT's format (or a full model
/// folder), history.parquet and one snapshot per epoch to <artifacts>/train. Skips the work when
/// inputs and settings are unchanged.
#[derive(Debug, Parser)]
#[command(name = "lorasearch-train", version, after_help = SETTINGS_HELP)]
struct Args {
    #[command(flatten)]
    common: CommonArgs,

    /// Continue from the latest checkpoint of an interrupted run with the same settings and inputs
    /// (kept under <artifacts>/.checkpoints/train/). Without it a run starts from step 0.
    #[arg(long)]
    resume: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    args.common.init_logging();
    exit_code(run(&args))
}

fn run(args: &Args) -> anyhow::Result<()> {
    let config = args.common.load_config()?;
    let plan = stages::train_plan(&config)?;

    let mut used_store = None;
    let outcome = run_stage(&plan, &config.artifacts_dir(), args.common.force, |work| {
        let store = CheckpointStore::new(
            config.artifacts_dir().join(train_outputs::RESUME_CHECKPOINTS).join(work.stage_key()),
        );
        used_store = Some(store.clone());
        train_stage(work, &config, &store, args.resume)
    })?;

    if let (Outcome::Completed, Some(store)) = (outcome, used_store) {
        store.remove().context("removing the resumable checkpoints of the finished run")?;
    }
    Ok(())
}

fn train_stage(work: &mut StageWork, config: &PipelineConfig, store: &CheckpointStore, resume: bool) -> anyhow::Result<()> {
    let settings = &config.train;
    let data = work.timed("read", |_| {
        TokenizedPairs::read(&config.stage_dir(TOKENIZE)).map_err(settings_or_failure)
    })?;
    let step_plan = StepPlan::new(data.train.len(), settings);

    let mut encoder = work.timed("load_model", |_| load_encoder(config))?;
    check_token_ids(&encoder, "queries.parquet", &data.queries).map_err(settings_or_failure)?;
    check_token_ids(&encoder, "titles.parquet", &data.titles).map_err(settings_or_failure)?;
    let trainable = make_trainable(&mut encoder, settings, config.pipeline.seed).map_err(settings_or_failure)?;

    let checkpoint = if resume {
        let checkpoint = store
            .load_latest(encoder.device())
            .context("reading the checkpoint to resume from; rerun without --resume to start over")?;
        match &checkpoint {
            Some(found) => tracing::info!("train: resuming after step {} from {}", found.state.completed_steps, found.path.display()),
            None => tracing::info!("train: no checkpoint for these settings and inputs, starting from step 0"),
        }
        checkpoint
    } else {
        store.remove()?;
        None
    };

    tracing::info!(
        "train: {} train pairs, {} validation pairs, {} steps ({} epochs of {}), method {}",
        data.train.len(),
        data.validation.len(),
        step_plan.total_steps,
        settings.epochs,
        step_plan.steps_per_epoch,
        method_name(settings.method),
    );
    if data.validation.is_empty() {
        tracing::info!("train: the validation split is empty, so no validation loss is computed");
    }

    let job = TrainingJob { encoder: &encoder, data: &data, settings, seed: config.pipeline.seed, checkpoints: Some(store) };
    let mut observer = ProgressObserver::new(settings.epochs, settings.batch_size * settings.gradient_accumulation_steps);
    let report = work.timed("train", |_| Ok(train(&job, trainable, checkpoint, &mut observer)?));
    observer.finish();
    let report = report?;

    work.timed("write", |work| outputs::write_outputs(work, &encoder, settings.method, store, &report))?;
    outputs::record_metrics(work, &report);
    Ok(())
}

fn load_encoder(config: &PipelineConfig) -> anyhow::Result<Encoder> {
    let pooling = match config.model.pooling {
        PoolingSetting::Auto => None,
        PoolingSetting::Mean => Some(Pooling::Mean),
        PoolingSetting::Cls => Some(Pooling::Cls),
    };
    let options = EncoderOptions { max_length_tokens: config.model.max_length_tokens, pooling };
    let folder = config.resolve(&config.model.path);
    Encoder::load(&folder, options).with_context(|| format!("loading the model from {}", folder.display()))
}

/// Turns a training error caused by the data or the settings into a usage error (exit code 2).
fn settings_or_failure(error: TrainingError) -> anyhow::Error {
    if error.is_settings_problem() {
        anyhow::Error::new(UsageError(error.to_string()))
    } else {
        anyhow::Error::new(error)
    }
}

fn method_name(method: TrainMethod) -> &'static str {
    match method {
        TrainMethod::Lora => "lora",
        TrainMethod::Full => "full",
    }
}
