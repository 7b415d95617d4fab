//! The combined report and the pair counts.

use lorasearch_metrics::{
    BinaryReport, PairCounts, average_precision, best_accuracy, best_f1, binary_report,
    count_pairs, roc_auc,
};

const TIED_SCORES: [f64; 7] = [0.9, 0.8, 0.8, 0.7, 0.7, 0.7, 0.3];
const TIED_LABELS: [u8; 7] = [1, 1, 0, 1, 0, 0, 0];

#[test]
fn binary_report_matches_single_metric_functions() {
    let expected = BinaryReport {
        pairs: 7,
        positives: 3,
        negatives: 4,
        roc_auc: roc_auc(&TIED_SCORES, &TIED_LABELS).unwrap(),
        average_precision: average_precision(&TIED_SCORES, &TIED_LABELS).unwrap(),
        best_accuracy: best_accuracy(&TIED_SCORES, &TIED_LABELS).unwrap(),
        best_f1: best_f1(&TIED_SCORES, &TIED_LABELS).unwrap(),
    };
    assert_eq!(binary_report(&TIED_SCORES, &TIED_LABELS).unwrap(), expected);
}

#[test]
fn binary_report_json_round_trip() {
    let report = binary_report(&TIED_SCORES, &TIED_LABELS).unwrap();
    let json = serde_json::to_string(&report).unwrap();
    let parsed: BinaryReport = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed, report);
}

#[test]
fn binary_report_json_field_names() {
    let report = binary_report(&TIED_SCORES, &TIED_LABELS).unwrap();
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["best_f1"]["threshold"], 0.8);
}

#[test]
fn count_pairs_counts_each_class() {
    let counts = count_pairs(&TIED_LABELS).unwrap();
    assert_eq!(
        counts,
        PairCounts {
            positives: 3,
            negatives: 4
        }
    );
}

#[test]
fn count_pairs_empty_is_zero() {
    let counts = count_pairs::<bool>(&[]).unwrap();
    assert_eq!(counts.pairs(), 0);
}
