//! ROC and precision-recall curve points, worked out by hand.
//!
//! Tied groups from high to low: 0.9 {1}, 0.8 {1, 0}, 0.7 {1, 0, 0}, 0.3 {0}; 3 positives and
//! 4 negatives. Cumulative (TP, FP) after each group: (1, 0), (2, 1), (3, 3), (3, 4).

use lorasearch_metrics::{PrecisionRecallPoint, RocPoint, precision_recall_curve, roc_curve};

const TIED_SCORES: [f64; 7] = [0.9, 0.8, 0.8, 0.7, 0.7, 0.7, 0.3];
const TIED_LABELS: [u8; 7] = [1, 1, 0, 1, 0, 0, 0];

fn roc(threshold: f64, false_positive_rate: f64, true_positive_rate: f64) -> RocPoint {
    RocPoint {
        threshold,
        false_positive_rate,
        true_positive_rate,
    }
}

fn pr(threshold: f64, precision: f64, recall: f64) -> PrecisionRecallPoint {
    PrecisionRecallPoint {
        threshold,
        precision,
        recall,
    }
}

#[test]
fn roc_curve_points_with_ties() {
    // FPR = FP / 4 and TPR = TP / 3.
    let expected = vec![
        roc(f64::INFINITY, 0.0, 0.0),
        roc(0.9, 0.0, 1.0 / 3.0),
        roc(0.8, 1.0 / 4.0, 2.0 / 3.0),
        roc(0.7, 3.0 / 4.0, 1.0),
        roc(0.3, 1.0, 1.0),
    ];
    assert_eq!(roc_curve(&TIED_SCORES, &TIED_LABELS).unwrap(), expected);
}

#[test]
fn precision_recall_curve_points_with_ties() {
    // Precision = TP / (TP + FP) and recall = TP / 3, after the anchor at recall 0, precision 1.
    let expected = vec![
        pr(f64::INFINITY, 1.0, 0.0),
        pr(0.9, 1.0, 1.0 / 3.0),
        pr(0.8, 2.0 / 3.0, 2.0 / 3.0),
        pr(0.7, 1.0 / 2.0, 1.0),
        pr(0.3, 3.0 / 7.0, 1.0),
    ];
    assert_eq!(
        precision_recall_curve(&TIED_SCORES, &TIED_LABELS).unwrap(),
        expected
    );
}
