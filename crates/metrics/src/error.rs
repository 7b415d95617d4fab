//! Errors for the metric functions and the PNG charts.

use std::fmt;

/// One of the two classes of a binary label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Label 1 (`true`): a relevant pair.
    Positive,
    /// Label 0 (`false`): an irrelevant pair.
    Negative,
}

impl fmt::Display for Class {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Class::Positive => formatter.write_str("positive (label 1)"),
            Class::Negative => formatter.write_str("negative (label 0)"),
        }
    }
}

/// Input that a metric cannot be computed from.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetricsError {
    #[error("{scores} scores but {labels} labels were given; pass one score per labelled pair")]
    LengthMismatch { scores: usize, labels: usize },

    #[error("no pairs were given; a metric needs at least one scored, labelled pair")]
    Empty,

    #[error("label at index {index} is {value}; labels must be 0 (negative) or 1 (positive)")]
    InvalidLabel { index: usize, value: u8 },

    #[error("score at index {index} is {value}; scores must be finite numbers")]
    NonFiniteScore { index: usize, value: f64 },

    #[error(
        "{metric} is undefined because none of the {pairs} pairs is {missing}; \
         the evaluation split needs pairs of both classes"
    )]
    MissingClass {
        metric: &'static str,
        missing: Class,
        pairs: usize,
    },
}

/// Failure to encode a chart as PNG.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("encoding the {width}x{height} chart as PNG failed")]
    PngEncoding {
        width: u32,
        height: u32,
        #[source]
        source: png::EncodingError,
    },
}
