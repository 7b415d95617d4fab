//! Inputs that no metric can be computed from.

use lorasearch_metrics::{
    Class, MetricsError, average_precision, best_accuracy, best_f1, binary_report, count_pairs,
    roc_auc,
};

#[test]
fn roc_auc_only_positives_names_missing_negatives() {
    let error = roc_auc(&[0.2_f64, 0.4], &[1_u8, 1]).unwrap_err();
    assert_eq!(
        error,
        MetricsError::MissingClass {
            metric: "roc_auc",
            missing: Class::Negative,
            pairs: 2
        }
    );
}

#[test]
fn roc_auc_only_negatives_names_missing_positives() {
    let error = roc_auc(&[0.2_f64, 0.4], &[0_u8, 0]).unwrap_err();
    assert_eq!(
        error,
        MetricsError::MissingClass {
            metric: "roc_auc",
            missing: Class::Positive,
            pairs: 2
        }
    );
}

#[test]
fn average_precision_only_negatives_is_rejected() {
    let error = average_precision(&[0.2_f64, 0.4], &[false, false]).unwrap_err();
    assert!(matches!(
        error,
        MetricsError::MissingClass {
            missing: Class::Positive,
            ..
        }
    ));
}

#[test]
fn best_f1_only_negatives_is_rejected() {
    let error = best_f1(&[0.2_f64, 0.4], &[0_u8, 0]).unwrap_err();
    assert!(matches!(
        error,
        MetricsError::MissingClass {
            missing: Class::Positive,
            ..
        }
    ));
}

#[test]
fn binary_report_one_class_is_rejected() {
    let error = binary_report(&[0.2_f64, 0.4], &[1_u8, 1]).unwrap_err();
    assert!(matches!(
        error,
        MetricsError::MissingClass {
            missing: Class::Negative,
            ..
        }
    ));
}

#[test]
fn roc_auc_length_mismatch() {
    let error = roc_auc(&[0.2_f64, 0.4, 0.5], &[1_u8, 0]).unwrap_err();
    assert_eq!(
        error,
        MetricsError::LengthMismatch {
            scores: 3,
            labels: 2
        }
    );
}

#[test]
fn roc_auc_empty_input() {
    let error = roc_auc::<f64, u8>(&[], &[]).unwrap_err();
    assert_eq!(error, MetricsError::Empty);
}

#[test]
fn roc_auc_nan_names_index() {
    let error = roc_auc(&[0.2_f32, 0.4, f32::NAN], &[1_u8, 0, 1]).unwrap_err();
    assert!(matches!(error, MetricsError::NonFiniteScore { index: 2, value } if value.is_nan()));
}

#[test]
fn roc_auc_nan_message_names_index() {
    let error = roc_auc(&[f64::NAN, 0.4], &[1_u8, 0]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "score at index 0 is NaN; scores must be finite numbers"
    );
}

#[test]
fn roc_auc_infinite_score_is_rejected() {
    let error = roc_auc(&[0.2_f64, f64::INFINITY], &[1_u8, 0]).unwrap_err();
    assert!(matches!(
        error,
        MetricsError::NonFiniteScore { index: 1, .. }
    ));
}

#[test]
fn roc_auc_label_two_is_rejected() {
    let error = roc_auc(&[0.2_f64, 0.4], &[1_u8, 2]).unwrap_err();
    assert_eq!(error, MetricsError::InvalidLabel { index: 1, value: 2 });
}

#[test]
fn best_accuracy_nan_is_rejected() {
    let error = best_accuracy(&[0.2_f64, f64::NAN], &[1_u8, 0]).unwrap_err();
    assert!(matches!(
        error,
        MetricsError::NonFiniteScore { index: 1, .. }
    ));
}

#[test]
fn missing_class_message_names_metric_and_class() {
    let error = roc_auc(&[0.2_f64, 0.4], &[1_u8, 1]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "roc_auc is undefined because none of the 2 pairs is negative (label 0); \
         the evaluation split needs pairs of both classes"
    );
}

#[test]
fn count_pairs_label_two_is_rejected() {
    let error = count_pairs(&[0_u8, 3]).unwrap_err();
    assert_eq!(error, MetricsError::InvalidLabel { index: 1, value: 3 });
}
