//! The `[evaluate] min_roc_auc` quality gate.
//!
//! The gate reads the ROC-AUC of the model that the later stages load: the tuned model, or the
//! untuned one when the train stage has no adapter. It uses the test split, or the validation
//! split when the test split has no ROC-AUC (no pairs, or a single class).

use crate::report::{GateOutcome, ModelReports};

/// Splits the gate reads, in order of preference.
const GATE_SPLITS: [&str; 2] = ["test", "validation"];

/// Compares the ROC-AUC with `min_roc_auc`; `None` when the setting is absent.
///
/// # Errors
///
/// When `min_roc_auc` is set but neither split has a ROC-AUC, because a gate that cannot be
/// checked must not pass.
pub fn check(min_roc_auc: Option<f64>, models: &ModelReports) -> anyhow::Result<Option<GateOutcome>> {
    let Some(min_roc_auc) = min_roc_auc else { return Ok(None) };
    let (model_name, model) = match &models.tuned {
        Some(tuned) => ("tuned", tuned),
        None => ("untuned", &models.untuned),
    };

    for split in GATE_SPLITS {
        let Some(roc_auc) = model.splits.get(split).and_then(|report| report.roc_auc) else { continue };
        return Ok(Some(GateOutcome {
            min_roc_auc,
            model: model_name.to_string(),
            split: split.to_string(),
            roc_auc,
            passed: roc_auc >= min_roc_auc,
        }));
    }

    let reasons: Vec<String> = GATE_SPLITS
        .iter()
        .filter_map(|split| model.splits.get(split).map(|report| format!("{split}: {}", report.note.as_deref().unwrap_or("no ROC-AUC"))))
        .collect();
    anyhow::bail!(
        "evaluate.min_roc_auc = {min_roc_auc} cannot be checked: the {model_name} model has no ROC-AUC on the test or the validation split ({}); \
         add pairs of both classes to those splits, or remove min_roc_auc from [evaluate]",
        reasons.join("; ")
    )
}

/// Returns the error message of a failed gate, naming both numbers.
pub fn failure_message(outcome: &GateOutcome) -> String {
    format!(
        "the {} model's {} ROC-AUC {:.6} is below evaluate.min_roc_auc = {}; this run's outputs were discarded (the report is in the log above)",
        outcome.model, outcome.split, outcome.roc_auc, outcome.min_roc_auc
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{ModelReport, SplitReport, SplitReports, SplitStatus};

    fn split(roc_auc: Option<f64>) -> SplitReport {
        SplitReport {
            status: if roc_auc.is_some() { SplitStatus::Evaluated } else { SplitStatus::Skipped },
            pairs_available: 0,
            pairs: 0,
            positives: 0,
            negatives: 0,
            roc_auc,
            average_precision: None,
            best_accuracy: None,
            best_f1: None,
            note: roc_auc.is_none().then(|| String::from("skipped: no pairs")),
        }
    }

    fn model(validation: Option<f64>, test: Option<f64>) -> ModelReport {
        ModelReport {
            model_path: String::new(),
            adapter_path: None,
            pairs_evaluated: 0,
            elapsed_ms: 0,
            pairs_per_second: 0.0,
            splits: SplitReports { validation: split(validation), test: split(test) },
        }
    }

    #[test]
    fn check_without_setting_returns_none() {
        let models = ModelReports { untuned: model(Some(0.6), Some(0.6)), tuned: None };
        assert!(check(None, &models).unwrap().is_none());
    }

    #[test]
    fn check_reads_the_tuned_test_split() {
        let models = ModelReports { untuned: model(Some(0.9), Some(0.9)), tuned: Some(model(Some(0.8), Some(0.7))) };
        let outcome = check(Some(0.75), &models).unwrap().unwrap();
        assert_eq!((outcome.model.as_str(), outcome.split.as_str(), outcome.roc_auc), ("tuned", "test", 0.7));
        assert!(!outcome.passed);
    }

    #[test]
    fn check_empty_test_uses_validation() {
        let models = ModelReports { untuned: model(Some(0.6), None), tuned: Some(model(Some(0.8), None)) };
        let outcome = check(Some(0.75), &models).unwrap().unwrap();
        assert_eq!(outcome.split, "validation");
        assert!(outcome.passed);
    }

    #[test]
    fn check_reads_the_untuned_model_without_an_adapter() {
        let models = ModelReports { untuned: model(Some(0.6), Some(0.65)), tuned: None };
        let outcome = check(Some(0.5), &models).unwrap().unwrap();
        assert_eq!(outcome.model, "untuned");
    }

    #[test]
    fn check_without_any_roc_auc_is_an_error() {
        let models = ModelReports { untuned: model(None, None), tuned: None };
        let error = check(Some(0.5), &models).unwrap_err().to_string();
        assert!(error.contains("cannot be checked"), "{error}");
    }

    #[test]
    fn failure_message_names_both_numbers() {
        let outcome = GateOutcome { min_roc_auc: 0.9, model: "tuned".into(), split: "test".into(), roc_auc: 0.8125, passed: false };
        let message = failure_message(&outcome);
        assert!(message.contains("0.812500"), "{message}");
        assert!(message.contains("min_roc_auc = 0.9"), "{message}");
    }
}
