//! The stage body: score both splits with each model, check the gate, write the report files.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use lorasearch_data::tables::{TokenTable, read_token_table};
use lorasearch_inference::{ModelChoice, load_model};
use lorasearch_runtime::manifest::MANIFEST_FILE;
use lorasearch_runtime::stages::{TOKENIZE, TRAIN, evaluate_outputs, tokenize_outputs};
use lorasearch_runtime::{PipelineConfig, StageWork};

use crate::charts::{ModelScores, write_charts};
use crate::report::{EvaluationReport, ModelReport, ModelReports, REPORT_FORMAT, SplitReport, SplitReports};
use crate::scoring::score_split;
use crate::splits::{EvaluationSplit, SPLIT_NAMES};
use crate::{gate, markdown};

/// Token tables and the splits to evaluate.
struct EvaluationInputs {
    queries: TokenTable,
    titles: TokenTable,
    /// Validation, then test.
    splits: Vec<EvaluationSplit>,
}

/// Evaluates the untuned model and, when `adapter_dir` is given, the tuned one, and writes
/// `report.json`, `report.md` and the charts into the staging folder.
///
/// # Errors
///
/// When an input cannot be read, a model cannot be loaded, or the `min_roc_auc` gate fails; the
/// runtime then discards the staging folder.
pub fn evaluate(config: &PipelineConfig, adapter_dir: Option<&Path>, work: &mut StageWork) -> anyhow::Result<()> {
    let inputs = work.timed("read_inputs", |_| read_inputs(config))?;
    let tuned_note = adapter_dir.is_none().then(|| untuned_only_note(config));
    if let Some(note) = &tuned_note {
        tracing::warn!("evaluate: {note}");
    }

    let (untuned, untuned_scores) = work.timed("untuned", |_| evaluate_model(config, ModelChoice::Base, "untuned", &inputs))?;
    let mut all_scores = vec![untuned_scores];
    let tuned = match adapter_dir {
        Some(_) => {
            let (tuned, tuned_scores) = work.timed("tuned", |_| evaluate_model(config, ModelChoice::Tuned, "tuned", &inputs))?;
            all_scores.push(tuned_scores);
            Some(tuned)
        }
        None => None,
    };

    let models = ModelReports { untuned, tuned };
    let gate = gate::check(config.evaluate.min_roc_auc, &models)?;
    let report = EvaluationReport {
        format: REPORT_FORMAT.to_string(),
        model_path: config.resolve(&config.model.path).display().to_string(),
        adapter_path: models.tuned.as_ref().and_then(|tuned| tuned.adapter_path.clone()),
        tuned_note,
        batch_size: config.evaluate.batch_size,
        max_pairs: config.evaluate.max_pairs,
        models,
        gate,
    };
    let report_markdown = markdown::render(&report);
    record_metrics(work, &report);

    if let Some(failed) = report.gate.as_ref().filter(|gate| !gate.passed) {
        // The outputs are discarded, so the numbers go to the log instead.
        tracing::error!("evaluate: report of this run:\n{report_markdown}");
        anyhow::bail!(gate::failure_message(failed));
    }

    work.timed("write", |work| {
        let json = serde_json::to_vec_pretty(&report).context("serialising the report")?;
        write_output(work, evaluate_outputs::REPORT_JSON, &json)?;
        write_output(work, evaluate_outputs::REPORT_MARKDOWN, report_markdown.as_bytes())?;
        let charts = write_charts(work, &inputs.splits, &all_scores)?;
        tracing::debug!("evaluate: wrote charts {}", charts.join(", "));
        Ok(())
    })?;
    work.set_summary(summary_line(&report));
    Ok(())
}

/// Explains why only the untuned model is evaluated.
fn untuned_only_note(config: &PipelineConfig) -> String {
    let train_dir = config.stage_dir(TRAIN);
    if train_dir.join(MANIFEST_FILE).is_file() {
        format!(
            "the train stage's output in {} has neither an adapter nor a model folder, so only the untuned model is evaluated",
            train_dir.display()
        )
    } else {
        format!(
            "the train stage has no adapter in {}, so only the untuned model is evaluated; run lorasearch-train, then rerun lorasearch-evaluate",
            train_dir.display()
        )
    }
}

fn read_inputs(config: &PipelineConfig) -> anyhow::Result<EvaluationInputs> {
    let tokenize_dir = config.stage_dir(TOKENIZE);
    let queries = read_token_table(&tokenize_dir.join(tokenize_outputs::QUERIES), "query").context("reading the tokenized queries")?;
    let titles =
        read_token_table(&tokenize_dir.join(tokenize_outputs::TITLES), "product_title").context("reading the tokenized titles")?;

    let mut splits = Vec::with_capacity(SPLIT_NAMES.len());
    for (name, file) in SPLIT_NAMES.into_iter().zip([tokenize_outputs::VALIDATION, tokenize_outputs::TEST]) {
        let path = tokenize_dir.join(file);
        let split = EvaluationSplit::load(&path, name, config.evaluate.max_pairs, queries.token_ids.len(), titles.token_ids.len())?;
        if split.is_empty() {
            tracing::warn!("evaluate: the {name} split has no pairs; it is reported as skipped");
        }
        splits.push(split);
    }
    Ok(EvaluationInputs { queries, titles, splits })
}

/// Loads one model and scores every split with it.
fn evaluate_model(
    config: &PipelineConfig,
    choice: ModelChoice,
    name: &'static str,
    inputs: &EvaluationInputs,
) -> anyhow::Result<(ModelReport, ModelScores)> {
    let model = load_model(config, choice)?;
    tracing::info!("evaluate: scoring with the {name} model, {}", model.describe());

    let started = Instant::now();
    let mut per_split = Vec::with_capacity(inputs.splits.len());
    let mut split_reports = Vec::with_capacity(inputs.splits.len());
    for split in &inputs.splits {
        let scores = if split.is_empty() {
            Vec::new()
        } else {
            score_split(&model, name, split, &inputs.queries, &inputs.titles, config.evaluate.batch_size)?
        };
        split_reports.push(SplitReport::from_scores(split, &scores)?);
        per_split.push(scores);
    }
    let elapsed = started.elapsed();

    let pairs_evaluated: usize = inputs.splits.iter().map(EvaluationSplit::pairs).sum();
    let seconds = elapsed.as_secs_f64();
    let pairs_per_second = if seconds > 0.0 { round_to_hundredths(pairs_evaluated as f64 / seconds) } else { 0.0 };
    let mut split_reports = split_reports.into_iter();
    let (Some(validation), Some(test)) = (split_reports.next(), split_reports.next()) else {
        anyhow::bail!("internal error: expected a validation and a test split");
    };

    let report = ModelReport {
        model_path: model.encoder.folder().display().to_string(),
        adapter_path: model.adapter.as_ref().map(|adapter| adapter.display().to_string()),
        pairs_evaluated,
        elapsed_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        pairs_per_second,
        splits: SplitReports { validation, test },
    };
    Ok((report, ModelScores { name, per_split }))
}

/// Manifest metrics: ROC-AUC per model and split (`null` when undefined), pairs per second per
/// model, and the pairs of each split.
fn record_metrics(work: &mut StageWork, report: &EvaluationReport) {
    for (model_name, model) in report.models.evaluated() {
        for split in SPLIT_NAMES {
            let roc_auc = model.splits.get(split).and_then(|row| row.roc_auc);
            work.record_metric(&format!("roc_auc_{model_name}_{split}"), roc_auc);
        }
        work.record_metric(&format!("pairs_per_second_{model_name}"), model.pairs_per_second);
    }
    for split in SPLIT_NAMES {
        let pairs = report.models.untuned.splits.get(split).map_or(0, |row| row.pairs);
        work.record_metric(&format!("pairs_{split}"), pairs);
    }
    work.record_metric("tuned_model_evaluated", report.models.tuned.is_some());
}

/// Returns the run's summary line: untuned and tuned ROC-AUC per split.
fn summary_line(report: &EvaluationReport) -> String {
    let mut parts = Vec::new();
    for split in SPLIT_NAMES {
        let untuned = report.models.untuned.splits.get(split);
        let tuned = report.models.tuned.as_ref().and_then(|tuned| tuned.splits.get(split));
        let Some(untuned) = untuned else { continue };
        let part = match (untuned.roc_auc, tuned.and_then(|row| row.roc_auc)) {
            (Some(before), Some(after)) => {
                format!("{split} ROC-AUC untuned {before:.4} -> tuned {after:.4} ({:+.4}, {} pairs)", after - before, untuned.pairs)
            }
            (Some(before), None) if tuned.is_none() => format!("{split} ROC-AUC untuned {before:.4} ({} pairs)", untuned.pairs),
            _ if untuned.pairs == 0 => format!("{split} skipped (no pairs)"),
            _ => format!("{split} has no ROC-AUC (one class, {} pairs)", untuned.pairs),
        };
        parts.push(part);
    }
    if report.models.tuned.is_none() {
        parts.push(String::from("untuned model only: no adapter from the train stage"));
    }
    parts.join("; ")
}

fn write_output(work: &StageWork, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let path = work.output_path(name);
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))
}

fn round_to_hundredths(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}
