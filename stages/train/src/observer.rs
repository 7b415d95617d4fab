//! The display while training runs: a progress bar over the optimiser steps with the
//! loss, the pairs per second and the time left, and one log line per epoch.
//!
//! Tests stop a run right after its first resumable checkpoint with
//! `LORASEARCH_FAILPOINT=train-after-checkpoint:abort`, which kills the process as a crash would.

use std::ops::ControlFlow;

use indicatif::ProgressBar;
use lorasearch_runtime::progress::items_bar;
use lorasearch_runtime::stage::FAILPOINT_ENV;
use lorasearch_training::{EpochSummary, HistoryRow, StepPlan, TrainingObserver};

/// The failpoint that aborts the process after a checkpoint is on disk.
const AFTER_CHECKPOINT_ABORT: &str = "train-after-checkpoint:abort";

/// Progress bar and epoch log lines.
pub struct ProgressObserver {
    bar: Option<ProgressBar>,
    epochs: usize,
    pairs_per_step: usize,
}

impl ProgressObserver {
    pub fn new(epochs: usize, pairs_per_step: usize) -> Self {
        Self { bar: None, epochs, pairs_per_step }
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn log(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| tracing::info!("{line}")),
            None => tracing::info!("{line}"),
        }
    }
}

impl TrainingObserver for ProgressObserver {
    fn run_started(&mut self, plan: &StepPlan, completed_steps: usize) {
        let bar = items_bar(plan.total_steps as u64, "train", "steps");
        bar.set_position(completed_steps as u64);
        bar.reset_eta();
        self.bar = Some(bar);
    }

    fn step_finished(&mut self, row: &HistoryRow) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("train loss {:.4}, {:.1} pairs/s", row.loss, row.pairs_per_second));
            bar.set_position(row.step);
        }
        tracing::debug!(step = row.step, loss = row.loss, learning_rate = row.learning_rate, "step");
    }

    fn epoch_finished(&mut self, summary: &EpochSummary) {
        let validation = match summary.validation_loss {
            Some(loss) => format!("validation loss {loss:.4}"),
            None => "no validation loss (empty validation split)".to_owned(),
        };
        self.log(&format!(
            "train: epoch {}/{}: mean training loss {:.4} over {} steps of up to {} pairs, {validation}",
            summary.epoch, self.epochs, summary.mean_loss, summary.steps, self.pairs_per_step
        ));
    }

    fn checkpoint_saved(&mut self, completed_steps: usize) -> ControlFlow<()> {
        if std::env::var(FAILPOINT_ENV).is_ok_and(|value| value == AFTER_CHECKPOINT_ABORT) {
            self.log(&format!("{FAILPOINT_ENV}: aborting after the checkpoint of step {completed_steps}"));
            std::process::abort();
        }
        ControlFlow::Continue(())
    }
}
