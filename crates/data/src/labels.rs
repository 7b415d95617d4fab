//! Maps raw relevance labels to 1 (relevant) or 0.

use lorasearch_runtime::config::LabelRule;

use crate::columns::RawLabel;

/// Reason a label could not be mapped.
#[derive(Debug, Clone, PartialEq)]
pub enum LabelProblem {
    Missing,
    /// Not in the expected set; the string describes the set.
    Unknown { expected: String },
}

/// Returns 1 or 0 for a raw label under `rule`.
///
/// - Text E, S, C or I (any case): 1 when the letter is in `esci_positive`.
/// - Numbers, and text that parses as a number: with a threshold, 1 when the value is at least
///   the threshold; without one, only 0 and 1 are accepted and pass through.
pub fn map_label(raw: &RawLabel, rule: &LabelRule) -> Result<i32, LabelProblem> {
    match raw {
        RawLabel::Missing => Err(LabelProblem::Missing),
        RawLabel::Number(value) => map_number(*value, rule),
        RawLabel::Text(text) => {
            let trimmed = text.trim();
            if trimmed.is_empty() {
                return Err(LabelProblem::Missing);
            }
            let upper = trimmed.to_ascii_uppercase();
            if ["E", "S", "C", "I"].contains(&upper.as_str()) {
                return Ok(i32::from(rule.esci_positive.iter().any(|letter| *letter == upper)));
            }
            match trimmed.parse::<f64>() {
                Ok(value) if value.is_finite() => map_number(value, rule),
                _ => Err(LabelProblem::Unknown { expected: expected_set(rule) }),
            }
        }
    }
}

fn map_number(value: f64, rule: &LabelRule) -> Result<i32, LabelProblem> {
    if let Some(threshold) = rule.threshold {
        return Ok(i32::from(value >= threshold));
    }
    if value == 0.0 || value == 1.0 {
        return Ok(value as i32);
    }
    Err(LabelProblem::Unknown { expected: expected_set(rule) })
}

fn expected_set(rule: &LabelRule) -> String {
    match rule.threshold {
        Some(threshold) => format!("E, S, C, I or a number compared with the threshold {threshold}"),
        None => "E, S, C, I, 0 or 1; set `ingest.labels.threshold` for graded numeric labels".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(threshold: Option<f64>) -> LabelRule {
        LabelRule { esci_positive: vec!["E".into()], threshold }
    }

    #[test]
    fn esci_exact_is_positive() {
        assert_eq!(map_label(&RawLabel::Text("E".into()), &rule(None)), Ok(1));
    }

    #[test]
    fn esci_substitute_is_negative() {
        assert_eq!(map_label(&RawLabel::Text("S".into()), &rule(None)), Ok(0));
    }

    #[test]
    fn graded_label_at_threshold_is_positive() {
        assert_eq!(map_label(&RawLabel::Number(2.5), &rule(Some(2.5))), Ok(1));
    }

    #[test]
    fn graded_label_below_threshold_is_negative() {
        assert_eq!(map_label(&RawLabel::Text("2.33".into()), &rule(Some(2.5))), Ok(0));
    }

    #[test]
    fn graded_label_without_threshold_is_unknown() {
        assert!(matches!(map_label(&RawLabel::Number(2.0), &rule(None)), Err(LabelProblem::Unknown { .. })));
    }

    #[test]
    fn binary_label_passes_through() {
        assert_eq!(map_label(&RawLabel::Text("1".into()), &rule(None)), Ok(1));
    }
}
