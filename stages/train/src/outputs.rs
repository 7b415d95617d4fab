//! The train stage's outputs in the staging folder, and its manifest metrics.

use std::path::Path;

use anyhow::Context;
use lorasearch_encoder::Encoder;
use lorasearch_runtime::StageWork;
use lorasearch_runtime::config::TrainMethod;
use lorasearch_runtime::stages::train_outputs;
use lorasearch_training::{CheckpointStore, TrainingReport, save_trained, write_history};

/// Writes the trained weights, `history.parquet` and `checkpoints/epoch-N/`.
pub fn write_outputs(
    work: &mut StageWork,
    encoder: &Encoder,
    method: TrainMethod,
    store: &CheckpointStore,
    report: &TrainingReport,
) -> anyhow::Result<()> {
    save_trained(encoder, method, work.staging_dir()).context("writing the trained weights")?;
    write_history(&work.output_path(train_outputs::HISTORY), &report.history)?;

    let snapshots_dir = work.output_path(train_outputs::EPOCH_CHECKPOINTS);
    for (name, source) in store.epoch_snapshots()? {
        copy_folder(&source, &snapshots_dir.join(name))?;
    }
    Ok(())
}

/// Records the headline numbers in the manifest and sets the summary line.
pub fn record_metrics(work: &mut StageWork, report: &TrainingReport) {
    work.record_metric("steps", report.completed_steps);
    work.record_metric("trainable_parameters", report.trainable_parameters);
    work.record_metric("pairs_per_second", round(report.pairs_per_second));
    if let Some(loss) = report.final_loss() {
        work.record_metric("final_loss", loss);
    }
    if let Some(first) = report.epochs.first() {
        work.record_metric("first_epoch_mean_loss", first.mean_loss);
    }
    if let Some(last) = report.epochs.last() {
        work.record_metric("last_epoch_mean_loss", last.mean_loss);
    }
    let validation: Vec<Option<f64>> = report.epochs.iter().map(|epoch| epoch.validation_loss).collect();
    work.record_metric("validation_loss_per_epoch", validation);
    if let Some(step) = report.resumed_from_step {
        work.record_metric("resumed_from_step", step);
    }

    let last_loss = report.final_loss().map_or_else(|| "none".to_owned(), |loss| format!("{loss:.4}"));
    work.set_summary(format!(
        "{} steps, final loss {last_loss}, {:.1} pairs/s, {} trainable parameters",
        report.completed_steps, report.pairs_per_second, report.trainable_parameters
    ));
}

fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn copy_folder(source: &Path, target: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(target).with_context(|| format!("creating {}", target.display()))?;
    for entry in std::fs::read_dir(source).with_context(|| format!("listing {}", source.display()))? {
        let path = entry?.path();
        let Some(name) = path.file_name() else { continue };
        if path.is_dir() {
            copy_folder(&path, &target.join(name))?;
        } else {
            std::fs::copy(&path, target.join(name)).with_context(|| format!("copying {}", path.display()))?;
        }
    }
    Ok(())
}
