//! The training loop: epochs of shuffled batches, gradient accumulation, clipping, Adam, the
//! learning-rate schedule, validation at each epoch's end, and checkpoints to resume from.
//!
//! Every random choice is derived from the pipeline seed: the adapter initialisation (done by
//! the caller), each epoch's order ([`crate::batching`]) and each micro-batch's dropout masks
//! (seeded by the seed, the step and the micro-batch). None of them depends on what ran before in
//! the process, so a run resumed from a checkpoint repeats an uninterrupted run exactly.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::time::Instant;

use candle_core::{Tensor, Var};
use lorasearch_encoder::{DropoutRng, Encoder};
use lorasearch_runtime::config::TrainSection;
use serde::{Deserialize, Serialize};

use crate::batching::epoch_batches;
use crate::checkpoint::{CHECKPOINT_FORMAT, Checkpoint, CheckpointStore, ResumeState};
use crate::error::{Result, TrainingError};
use crate::gradients::{GradientSums, clip_to_norm, global_norm};
use crate::history::HistoryRow;
use crate::loss::pair_loss;
use crate::model::save_trained;
use crate::optimizer::AdamOptimizer;
use crate::schedule::LearningRateSchedule;
use crate::tokenized::{LabelledPair, TokenizedPairs};

/// The outcome of one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochSummary {
    /// Counting from 1.
    pub epoch: usize,
    /// Optimiser steps of the epoch.
    pub steps: usize,
    /// Mean of the epoch's step losses.
    pub mean_loss: f64,
    /// Mean pair loss over the validation split without dropout; `None` when it is empty.
    pub validation_loss: Option<f64>,
}

/// How many steps a run takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepPlan {
    pub batches_per_epoch: usize,
    pub steps_per_epoch: usize,
    /// All epochs' steps, capped by `max_steps` when it is set.
    pub total_steps: usize,
}

impl StepPlan {
    #[must_use]
    pub fn new(train_pairs: usize, settings: &TrainSection) -> Self {
        let batches_per_epoch = train_pairs.div_ceil(settings.batch_size.max(1));
        let steps_per_epoch = batches_per_epoch.div_ceil(settings.gradient_accumulation_steps.max(1));
        let mut total_steps = steps_per_epoch * settings.epochs;
        if settings.max_steps > 0 {
            total_steps = total_steps.min(settings.max_steps);
        }
        Self { batches_per_epoch, steps_per_epoch, total_steps }
    }
}

/// Everything a run reads.
#[derive(Debug, Clone, Copy)]
pub struct TrainingJob<'a> {
    /// The encoder, already made trainable ([`crate::model::make_trainable`]).
    pub encoder: &'a Encoder,
    pub data: &'a TokenizedPairs,
    pub settings: &'a TrainSection,
    pub seed: u64,
    /// Store for resumable checkpoints and epoch snapshots; `None` writes none.
    pub checkpoints: Option<&'a CheckpointStore>,
}

/// Hooks for progress display; every method does nothing by default.
pub trait TrainingObserver {
    /// Called once before the first step, with the step count already done when resuming.
    fn run_started(&mut self, _plan: &StepPlan, _completed_steps: usize) {}
    fn step_finished(&mut self, _row: &HistoryRow) {}
    fn epoch_finished(&mut self, _summary: &EpochSummary) {}
    /// Called after a resumable checkpoint is complete on disk. `Break` stops the run there
    /// with [`TrainingError::Stopped`]; a later run can resume from that checkpoint.
    fn checkpoint_saved(&mut self, _completed_steps: usize) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
}

/// An observer that ignores every event.
#[derive(Debug, Default)]
pub struct SilentObserver;

impl TrainingObserver for SilentObserver {}

/// Outcome of a run.
#[derive(Debug, Clone)]
pub struct TrainingReport {
    pub plan: StepPlan,
    pub completed_steps: usize,
    /// Every step, including those of an interrupted run this one resumed.
    pub history: Vec<HistoryRow>,
    pub epochs: Vec<EpochSummary>,
    /// Training pairs per second over the steps this process ran (0 when it ran none).
    pub pairs_per_second: f64,
    pub trainable_parameters: usize,
    /// The step count of the checkpoint this run continued from.
    pub resumed_from_step: Option<usize>,
}

impl TrainingReport {
    /// Loss of the last step.
    #[must_use]
    pub fn final_loss(&self) -> Option<f64> {
        self.history.last().map(|row| row.loss)
    }
}

/// Trains `trainable` (the encoder's trainable tensors) on the job's train split.
///
/// With `resume`, the tensors, the optimiser and the position in the run are restored from the
/// checkpoint first and the run continues from there.
///
/// # Errors
/// When the loss or the gradient norm stops being finite (naming the step), when the checkpoint
/// does not fit the trainable tensors, when a tensor operation or a checkpoint write fails, or
/// when the observer stops the run after a checkpoint.
pub fn train(
    job: &TrainingJob<'_>,
    trainable: Vec<(String, Var)>,
    resume: Option<Checkpoint>,
    observer: &mut dyn TrainingObserver,
) -> Result<TrainingReport> {
    let settings = job.settings;
    let plan = StepPlan::new(job.data.train.len(), settings);
    let schedule = LearningRateSchedule {
        peak_learning_rate: settings.learning_rate,
        kind: settings.schedule,
        warmup_steps: settings.warmup_steps,
        total_steps: plan.total_steps,
    };
    let trainable_parameters = crate::model::parameter_count(&trainable);
    let trainable_keys: Vec<String> = trainable.iter().map(|(key, _)| key.clone()).collect();
    let mut optimizer = AdamOptimizer::new(trainable, settings.optimizer, settings.weight_decay)?;

    let mut state = ResumeState {
        format: CHECKPOINT_FORMAT,
        completed_steps: 0,
        epoch: 0,
        next_step_in_epoch: 0,
        history: Vec::new(),
        epochs: Vec::new(),
        trainable_keys,
    };
    let mut resumed_from_step = None;
    if let Some(checkpoint) = resume {
        state = restore(&mut optimizer, checkpoint, &state.trainable_keys)?;
        resumed_from_step = Some(state.completed_steps);
    }

    let pair_lengths: Vec<usize> = job.data.train.iter().map(|pair| job.data.pair_length_tokens(pair)).collect();
    let mut run = RunCounters::default();
    observer.run_started(&plan, state.completed_steps);

    for epoch in state.epoch..settings.epochs {
        if state.completed_steps >= plan.total_steps {
            break;
        }
        let batches = epoch_batches(&pair_lengths, settings.batch_size, settings.bucket_by_length, job.seed, epoch);
        let steps: Vec<&[Vec<usize>]> = batches.chunks(settings.gradient_accumulation_steps.max(1)).collect();
        let first_step = if epoch == state.epoch { state.next_step_in_epoch } else { 0 };

        for (step_in_epoch, step_batches) in steps.iter().enumerate().skip(first_step) {
            if state.completed_steps >= plan.total_steps {
                break;
            }
            let row = run_step(job, &mut optimizer, &schedule, state.completed_steps, epoch, step_batches, &mut run)?;
            state.completed_steps += 1;
            state.history.push(row.clone());
            observer.step_finished(&row);

            let every = settings.checkpoint_every_steps;
            let more_in_epoch = step_in_epoch + 1 < steps.len() && state.completed_steps < plan.total_steps;
            if every > 0 && state.completed_steps.is_multiple_of(every) && more_in_epoch {
                state.epoch = epoch;
                state.next_step_in_epoch = step_in_epoch + 1;
                save_checkpoint(job, &optimizer, &state, observer)?;
            }
        }

        let summary = finish_epoch(job, &state.history, epoch)?;
        state.epochs.push(summary.clone());
        observer.epoch_finished(&summary);
        if let Some(store) = job.checkpoints {
            store.save_epoch_snapshot(epoch + 1, |folder| save_trained(job.encoder, settings.method, folder))?;
        }
        state.epoch = epoch + 1;
        state.next_step_in_epoch = 0;
        save_checkpoint(job, &optimizer, &state, observer)?;
    }

    Ok(TrainingReport {
        plan,
        completed_steps: state.completed_steps,
        history: state.history,
        epochs: state.epochs,
        pairs_per_second: run.pairs_per_second(),
        trainable_parameters,
        resumed_from_step,
    })
}

/// Pairs and time of the steps run in this process.
#[derive(Debug, Default)]
struct RunCounters {
    pairs: usize,
    seconds: f64,
}

impl RunCounters {
    #[allow(clippy::cast_precision_loss)]
    fn pairs_per_second(&self) -> f64 {
        if self.seconds > 0.0 { self.pairs as f64 / self.seconds } else { 0.0 }
    }
}

/// Runs one optimiser step over the micro-batches in `step_batches`.
fn run_step(
    job: &TrainingJob<'_>,
    optimizer: &mut AdamOptimizer,
    schedule: &LearningRateSchedule,
    completed_steps: usize,
    epoch: usize,
    step_batches: &[Vec<usize>],
    run: &mut RunCounters,
) -> Result<HistoryRow> {
    let started = Instant::now();
    let step_number = completed_steps + 1;
    let learning_rate = schedule.learning_rate(completed_steps);
    let vars: Vec<Var> = optimizer.vars().map(|(_, var)| var.clone()).collect();
    let mut sums = GradientSums::new(vars.len());
    let mut loss_sum = 0.0f64;
    let mut pairs = 0usize;

    #[allow(clippy::cast_precision_loss)]
    let micro_batches = step_batches.len() as f64;
    for (micro_batch, positions) in step_batches.iter().enumerate() {
        let batch: Vec<LabelledPair> = positions.iter().map(|&position| job.data.train[position]).collect();
        let mut rng = DropoutRng::seeded(dropout_seed(job.seed, completed_steps, micro_batch));
        let loss = batch_loss(job, &batch, Some(&mut rng))?;

        let value = f64::from(loss.to_scalar::<f32>()?);
        if !value.is_finite() {
            return Err(TrainingError::NotFinite { what: "loss", step: step_number, value });
        }
        loss_sum += value;
        pairs += batch.len();
        let gradients = (loss / micro_batches)?.backward()?;
        sums.add(&gradients, vars.iter())?;
    }

    let gradients = sums.into_gradients(vars.iter())?;
    let norm = global_norm(&gradients)?;
    if !norm.is_finite() {
        return Err(TrainingError::NotFinite { what: "gradient norm", step: step_number, value: norm });
    }
    let gradients = if job.settings.max_grad_norm > 0.0 {
        clip_to_norm(gradients, norm, job.settings.max_grad_norm)?
    } else {
        gradients
    };
    optimizer.step(&gradients, learning_rate)?;

    let seconds = started.elapsed().as_secs_f64();
    run.pairs += pairs;
    run.seconds += seconds;
    #[allow(clippy::cast_precision_loss)]
    let pairs_per_second = if seconds > 0.0 { pairs as f64 / seconds } else { 0.0 };
    Ok(HistoryRow {
        step: step_number as u64,
        epoch: u32::try_from(epoch + 1).unwrap_or(u32::MAX),
        loss: loss_sum / micro_batches,
        learning_rate,
        pairs_per_second,
    })
}

/// Mean pair loss of `batch`: with a dropout generator the forward runs in training mode and
/// keeps its gradient graph, without one it runs as inference.
fn batch_loss(job: &TrainingJob<'_>, batch: &[LabelledPair], rng: Option<&mut DropoutRng>) -> Result<Tensor> {
    let (query_ids, title_ids, labels) = job.data.gather(batch);
    let encoder = job.encoder;
    let (query_embeddings, title_embeddings) = match rng {
        Some(rng) => (
            encoder.embed_token_ids_for_training(&query_ids, rng)?,
            encoder.embed_token_ids_for_training(&title_ids, rng)?,
        ),
        None => (encoder.embed_token_ids(&query_ids)?, encoder.embed_token_ids(&title_ids)?),
    };
    let labels = Tensor::from_vec(labels, batch.len(), encoder.device())?;
    pair_loss(&query_embeddings, &title_embeddings, &labels)
}

/// Summarises `epoch` (counting from 0): its mean step loss and the validation loss.
fn finish_epoch(job: &TrainingJob<'_>, history: &[HistoryRow], epoch: usize) -> Result<EpochSummary> {
    let epoch_number = epoch + 1;
    let losses: Vec<f64> = history
        .iter()
        .filter(|row| row.epoch as usize == epoch_number)
        .map(|row| row.loss)
        .collect();
    #[allow(clippy::cast_precision_loss)]
    let mean_loss = if losses.is_empty() { f64::NAN } else { losses.iter().sum::<f64>() / losses.len() as f64 };
    Ok(EpochSummary {
        epoch: epoch_number,
        steps: losses.len(),
        mean_loss,
        validation_loss: validation_loss(job)?,
    })
}

/// Mean pair loss over the validation split, without dropout; `None` when the split is empty.
///
/// # Errors
/// When the forward pass fails.
pub fn validation_loss(job: &TrainingJob<'_>) -> Result<Option<f64>> {
    let pairs = &job.data.validation;
    if pairs.is_empty() {
        return Ok(None);
    }
    let mut weighted_sum = 0.0f64;
    for batch in pairs.chunks(job.settings.batch_size.max(1)) {
        let loss = batch_loss(job, batch, None)?;
        #[allow(clippy::cast_precision_loss)]
        let weight = batch.len() as f64;
        weighted_sum += f64::from(loss.to_scalar::<f32>()?) * weight;
    }
    #[allow(clippy::cast_precision_loss)]
    Ok(Some(weighted_sum / pairs.len() as f64))
}

fn save_checkpoint(
    job: &TrainingJob<'_>,
    optimizer: &AdamOptimizer,
    state: &ResumeState,
    observer: &mut dyn TrainingObserver,
) -> Result<()> {
    let Some(store) = job.checkpoints else { return Ok(()) };
    let weights: BTreeMap<String, Tensor> =
        optimizer.vars().map(|(key, var)| (key.to_owned(), var.as_tensor().detach())).collect();
    store.save(state, &weights, &optimizer.state_tensors())?;
    tracing::debug!(step = state.completed_steps, folder = %store.dir().display(), "saved checkpoint");
    match observer.checkpoint_saved(state.completed_steps) {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(()) => Err(TrainingError::Stopped { step: state.completed_steps }),
    }
}

/// Puts the checkpoint's tensors and moments in place and returns its position.
fn restore(optimizer: &mut AdamOptimizer, checkpoint: Checkpoint, trainable_keys: &[String]) -> Result<ResumeState> {
    let invalid = |message: String| TrainingError::Checkpoint { path: checkpoint.path.clone(), message };
    if checkpoint.state.trainable_keys != trainable_keys {
        return Err(invalid(
            "its trainable tensors differ from this run's; rerun without --resume to start over".to_owned(),
        ));
    }
    for (key, var) in optimizer.vars() {
        let Some(stored) = checkpoint.weights.get(key) else {
            return Err(invalid(format!("tensor `{key}` is missing")));
        };
        if stored.dims() != var.as_tensor().dims() {
            return Err(invalid(format!("tensor `{key}` has shape {:?}, expected {:?}", stored.dims(), var.as_tensor().dims())));
        }
        var.set(stored)?;
    }
    optimizer
        .restore(&checkpoint.optimizer, checkpoint.state.completed_steps)
        .map_err(|error| invalid(error.to_string()))?;
    Ok(checkpoint.state)
}

/// Derives the seed of one micro-batch's dropout masks by mixing (SplitMix64) the run seed, the
/// step and the micro-batch, so masks differ everywhere yet repeat exactly on a rerun.
fn dropout_seed(seed: u64, completed_steps: usize, micro_batch: usize) -> u64 {
    let mut mixed = split_mix(seed ^ 0x6472_6f70_6f75_7421);
    mixed = split_mix(mixed ^ completed_steps as u64);
    split_mix(mixed ^ micro_batch as u64)
}

fn split_mix(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(batch_size: usize, accumulation: usize, epochs: usize, max_steps: usize) -> TrainSection {
        TrainSection { batch_size, gradient_accumulation_steps: accumulation, epochs, max_steps, ..TrainSection::default() }
    }

    #[test]
    fn step_plan_rounds_partial_batches_up() {
        assert_eq!(StepPlan::new(10, &settings(4, 1, 3, 0)).total_steps, 9);
    }

    #[test]
    fn step_plan_counts_accumulated_batches_as_one_step() {
        assert_eq!(StepPlan::new(10, &settings(2, 2, 1, 0)).steps_per_epoch, 3);
    }

    #[test]
    fn step_plan_caps_at_max_steps() {
        assert_eq!(StepPlan::new(100, &settings(4, 1, 3, 5)).total_steps, 5);
    }

    #[test]
    fn dropout_seed_differs_per_step() {
        assert_ne!(dropout_seed(42, 0, 0), dropout_seed(42, 1, 0));
    }

    #[test]
    fn dropout_seed_differs_per_micro_batch() {
        assert_ne!(dropout_seed(42, 3, 0), dropout_seed(42, 3, 1));
    }
}
