//! Average precision against values worked out by hand.

use lorasearch_metrics::average_precision;

/// Sorted from high to low, the tied groups are 0.9 {1}, 0.8 {1, 0}, 0.7 {1, 0, 0}, 0.3 {0},
/// with 3 positives. After each group:
///
/// | threshold | TP | FP | recall | precision |
/// |-----------|----|----|--------|-----------|
/// | 0.9       | 1  | 0  | 1/3    | 1         |
/// | 0.8       | 2  | 1  | 2/3    | 2/3       |
/// | 0.7       | 3  | 3  | 1      | 1/2       |
/// | 0.3       | 3  | 4  | 1      | 3/7       |
///
/// AP = 1/3 * 1 + 1/3 * 2/3 + 1/3 * 1/2 + 0 * 3/7 = 6/18 + 4/18 + 3/18 = 13/18.
const TIED_SCORES: [f64; 7] = [0.9, 0.8, 0.8, 0.7, 0.7, 0.7, 0.3];
const TIED_LABELS: [u8; 7] = [1, 1, 0, 1, 0, 0, 0];

#[test]
fn average_precision_with_ties_across_classes() {
    let ap = average_precision(&TIED_SCORES, &TIED_LABELS).unwrap();
    assert!((ap - 13.0 / 18.0).abs() < 1e-15, "ap = {ap}");
}

#[test]
fn average_precision_all_scores_tied_is_positive_rate() {
    // One step to recall 1 at precision 2/4.
    let ap = average_precision(&[0.5_f64; 4], &[1_u8, 0, 1, 0]).unwrap();
    assert_eq!(ap, 0.5);
}

#[test]
fn average_precision_perfect_ranking_is_one() {
    let ap = average_precision(&[0.9_f64, 0.8, 0.2, 0.1], &[1_u8, 1, 0, 0]).unwrap();
    assert_eq!(ap, 1.0);
}

#[test]
fn average_precision_positives_last() {
    // Steps: 0.9 {0} adds no recall; 0.8 {1} recall 1/2 at precision 1/2; 0.7 {1} recall 1
    // at precision 2/3. AP = 1/2 * 1/2 + 1/2 * 2/3 = 1/4 + 1/3 = 7/12.
    let ap = average_precision(&[0.9_f64, 0.8, 0.7], &[0_u8, 1, 1]).unwrap();
    assert!((ap - 7.0 / 12.0).abs() < 1e-15, "ap = {ap}");
}

#[test]
fn average_precision_no_interpolation() {
    // Steps: 0.9 {1} recall 1/2 at precision 1; 0.8 {0} no recall; 0.7 {1} recall 1 at
    // precision 2/3. Interpolation would raise the second step to precision 1; without it,
    // AP = 1/2 * 1 + 1/2 * 2/3 = 5/6.
    let ap = average_precision(&[0.9_f64, 0.8, 0.7], &[1_u8, 0, 1]).unwrap();
    assert!((ap - 5.0 / 6.0).abs() < 1e-15, "ap = {ap}");
}

#[test]
fn average_precision_all_positive_is_one() {
    let ap = average_precision(&[0.3_f64, 0.2], &[1_u8, 1]).unwrap();
    assert_eq!(ap, 1.0);
}
