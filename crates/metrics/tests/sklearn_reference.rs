//! Parity with scikit-learn on a fixed pseudo-random case with many tied scores.
//!
//! `data/sklearn_reference.json` is written by `data/make_sklearn_reference.py`; see that
//! script for how the case is built and which scikit-learn functions produced each value.

use std::path::Path;

use lorasearch_metrics::{
    average_precision, best_accuracy, best_f1, binary_report, precision_recall_curve, roc_auc,
    roc_curve,
};
use serde::Deserialize;

const TOLERANCE: f64 = 1e-12;

#[derive(Deserialize)]
struct ThresholdValue {
    threshold: f64,
    value: f64,
}

#[derive(Deserialize)]
struct Reference {
    scores: Vec<f64>,
    labels: Vec<u8>,
    roc_auc: f64,
    average_precision: f64,
    roc_false_positive_rate: Vec<f64>,
    roc_true_positive_rate: Vec<f64>,
    roc_finite_thresholds: Vec<f64>,
    pr_precision: Vec<f64>,
    pr_recall: Vec<f64>,
    pr_thresholds: Vec<f64>,
    best_f1: ThresholdValue,
    best_accuracy_over_scores: ThresholdValue,
}

fn reference() -> Reference {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sklearn_reference.json");
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn assert_close(actual: &[f64], expected: &[f64]) {
    assert_eq!(actual.len(), expected.len(), "lengths differ");
    for (index, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!((a - e).abs() < TOLERANCE, "index {index}: {a} != {e}");
    }
}

#[test]
fn reference_case_has_many_ties() {
    let reference = reference();
    let mut distinct = reference.scores.clone();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    assert!(
        distinct.len() * 2 < reference.scores.len(),
        "{} distinct scores",
        distinct.len()
    );
}

#[test]
fn roc_auc_matches_sklearn() {
    let reference = reference();
    let auc = roc_auc(&reference.scores, &reference.labels).unwrap();
    assert!(
        (auc - reference.roc_auc).abs() < TOLERANCE,
        "{auc} != {}",
        reference.roc_auc
    );
}

#[test]
fn average_precision_matches_sklearn() {
    let reference = reference();
    let ap = average_precision(&reference.scores, &reference.labels).unwrap();
    let expected = reference.average_precision;
    assert!((ap - expected).abs() < TOLERANCE, "{ap} != {expected}");
}

#[test]
fn roc_auc_f32_scores_match_sklearn() {
    // Two-decimal scores keep their order and ties when narrowed to f32.
    let reference = reference();
    let scores: Vec<f32> = reference.scores.iter().map(|&score| score as f32).collect();
    let auc = roc_auc(&scores, &reference.labels).unwrap();
    assert!(
        (auc - reference.roc_auc).abs() < TOLERANCE,
        "{auc} != {}",
        reference.roc_auc
    );
}

#[test]
fn roc_curve_false_positive_rates_match_sklearn() {
    let reference = reference();
    let curve = roc_curve(&reference.scores, &reference.labels).unwrap();
    let rates: Vec<f64> = curve
        .iter()
        .map(|point| point.false_positive_rate)
        .collect();
    assert_close(&rates, &reference.roc_false_positive_rate);
}

#[test]
fn roc_curve_true_positive_rates_match_sklearn() {
    let reference = reference();
    let curve = roc_curve(&reference.scores, &reference.labels).unwrap();
    let rates: Vec<f64> = curve.iter().map(|point| point.true_positive_rate).collect();
    assert_close(&rates, &reference.roc_true_positive_rate);
}

#[test]
fn roc_curve_thresholds_match_sklearn() {
    let reference = reference();
    let curve = roc_curve(&reference.scores, &reference.labels).unwrap();
    let thresholds: Vec<f64> = curve.iter().skip(1).map(|point| point.threshold).collect();
    assert_close(&thresholds, &reference.roc_finite_thresholds);
}

#[test]
fn precision_recall_curve_precisions_match_sklearn() {
    // scikit-learn lists the points from the lowest threshold, so compare reversed.
    let reference = reference();
    let curve = precision_recall_curve(&reference.scores, &reference.labels).unwrap();
    let precisions: Vec<f64> = curve.iter().rev().map(|point| point.precision).collect();
    assert_close(&precisions, &reference.pr_precision);
}

#[test]
fn precision_recall_curve_recalls_match_sklearn() {
    let reference = reference();
    let curve = precision_recall_curve(&reference.scores, &reference.labels).unwrap();
    let recalls: Vec<f64> = curve.iter().rev().map(|point| point.recall).collect();
    assert_close(&recalls, &reference.pr_recall);
}

#[test]
fn precision_recall_curve_thresholds_match_sklearn() {
    // The anchor point at an infinite threshold has no counterpart in scikit-learn's thresholds.
    let reference = reference();
    let curve = precision_recall_curve(&reference.scores, &reference.labels).unwrap();
    let thresholds: Vec<f64> = curve
        .iter()
        .skip(1)
        .rev()
        .map(|point| point.threshold)
        .collect();
    assert_close(&thresholds, &reference.pr_thresholds);
}

#[test]
fn best_f1_threshold_matches_sklearn_search() {
    let reference = reference();
    let best = best_f1(&reference.scores, &reference.labels).unwrap();
    assert_eq!(best.threshold, reference.best_f1.threshold);
}

#[test]
fn best_f1_value_matches_sklearn_search() {
    let reference = reference();
    let best = best_f1(&reference.scores, &reference.labels).unwrap();
    assert!((best.value - reference.best_f1.value).abs() < TOLERANCE);
}

#[test]
fn best_accuracy_threshold_matches_sklearn_search() {
    // The reference searched distinct scores only; here the best accuracy beats predicting
    // nothing positive, so both searches agree.
    let reference = reference();
    let best = best_accuracy(&reference.scores, &reference.labels).unwrap();
    assert_eq!(
        best.threshold,
        reference.best_accuracy_over_scores.threshold
    );
}

#[test]
fn best_accuracy_value_matches_sklearn_search() {
    let reference = reference();
    let best = best_accuracy(&reference.scores, &reference.labels).unwrap();
    assert!((best.value - reference.best_accuracy_over_scores.value).abs() < TOLERANCE);
}

#[test]
fn binary_report_roc_auc_matches_sklearn() {
    let reference = reference();
    let report = binary_report(&reference.scores, &reference.labels).unwrap();
    assert!((report.roc_auc - reference.roc_auc).abs() < TOLERANCE);
}

#[test]
fn binary_report_average_precision_matches_sklearn() {
    let reference = reference();
    let report = binary_report(&reference.scores, &reference.labels).unwrap();
    assert!((report.average_precision - reference.average_precision).abs() < TOLERANCE);
}
