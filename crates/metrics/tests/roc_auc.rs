//! ROC-AUC against values worked out by hand.

use lorasearch_metrics::roc_auc;

/// Scores with ties across classes, used by several tests.
///
/// Sorted from high to low, the tied groups are 0.9 {1}, 0.8 {1, 0}, 0.7 {1, 0, 0}, 0.3 {0}:
/// 3 positives and 4 negatives, so 12 positive-negative pairs.
///
/// By pairs, with a tie worth half:
/// - the positive at 0.9 beats all 4 negatives: 4
/// - the positive at 0.8 ties the negative at 0.8 and beats 0.7, 0.7, 0.3: 0.5 + 3 = 3.5
/// - the positive at 0.7 loses to 0.8, ties 0.7 twice and beats 0.3: 0 + 1 + 1 = 2
///
/// AUC = (4 + 3.5 + 2) / 12 = 9.5 / 12 = 19 / 24.
///
/// By trapezoids over the cumulative (true positives, false positives) after each group,
/// (1, 0), (2, 1), (3, 3), (3, 4), twice the area in counts is
/// 0 * (1 + 0) + 1 * (2 + 1) + 2 * (3 + 2) + 1 * (3 + 3) = 19, over 2 * 12: 19 / 24 again.
const TIED_SCORES: [f64; 7] = [0.9, 0.8, 0.8, 0.7, 0.7, 0.7, 0.3];
const TIED_LABELS: [u8; 7] = [1, 1, 0, 1, 0, 0, 0];

#[test]
fn roc_auc_with_ties_across_classes() {
    let auc = roc_auc(&TIED_SCORES, &TIED_LABELS).unwrap();
    assert!((auc - 19.0 / 24.0).abs() < 1e-15, "auc = {auc}");
}

#[test]
fn roc_auc_does_not_depend_on_input_order() {
    let mut pairs: Vec<(f64, u8)> = TIED_SCORES.into_iter().zip(TIED_LABELS).collect();
    pairs.reverse();
    let (scores, labels): (Vec<f64>, Vec<u8>) = pairs.into_iter().unzip();

    let auc = roc_auc(&scores, &labels).unwrap();
    assert!((auc - 19.0 / 24.0).abs() < 1e-15, "auc = {auc}");
}

#[test]
fn roc_auc_all_scores_tied_is_half() {
    // One group contains every pair, so the curve is a single trapezoid from (0, 0) to (1, 1)
    // with area 0.5.
    let auc = roc_auc(&[0.5_f64; 4], &[1_u8, 0, 1, 0]).unwrap();
    assert_eq!(auc, 0.5);
}

#[test]
fn roc_auc_perfect_ranking_is_one() {
    let auc = roc_auc(&[0.9_f64, 0.8, 0.2, 0.1], &[1_u8, 1, 0, 0]).unwrap();
    assert_eq!(auc, 1.0);
}

#[test]
fn roc_auc_reversed_ranking_is_zero() {
    let auc = roc_auc(&[0.1_f64, 0.2, 0.8, 0.9], &[1_u8, 1, 0, 0]).unwrap();
    assert_eq!(auc, 0.0);
}

#[test]
fn roc_auc_one_positive_between_negatives() {
    // The positive at 0.5 beats the negative at 0.2 and loses to the one at 0.7: 1 of 2 pairs.
    let auc = roc_auc(&[0.7_f64, 0.5, 0.2], &[0_u8, 1, 0]).unwrap();
    assert_eq!(auc, 0.5);
}

#[test]
fn roc_auc_negative_zero_ties_positive_zero() {
    // -0.0 == 0.0, so the two pairs tie: half a correctly ordered pair out of one.
    let auc = roc_auc(&[0.0_f64, -0.0], &[0_u8, 1]).unwrap();
    assert_eq!(auc, 0.5);
}

#[test]
fn roc_auc_f32_scores_match_f64_scores() {
    let scores_f32: Vec<f32> = TIED_SCORES.iter().map(|&score| score as f32).collect();
    let auc_f32 = roc_auc(&scores_f32, &TIED_LABELS).unwrap();
    let auc_f64 = roc_auc(&TIED_SCORES, &TIED_LABELS).unwrap();
    assert_eq!(auc_f32, auc_f64);
}

#[test]
fn roc_auc_bool_labels_match_u8_labels() {
    let labels_bool: Vec<bool> = TIED_LABELS.iter().map(|&label| label == 1).collect();
    let auc_bool = roc_auc(&TIED_SCORES, &labels_bool).unwrap();
    let auc_u8 = roc_auc(&TIED_SCORES, &TIED_LABELS).unwrap();
    assert_eq!(auc_bool, auc_u8);
}
