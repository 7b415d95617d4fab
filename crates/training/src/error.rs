//! The one error type of the training crate.

use std::path::PathBuf;

use lorasearch_encoder::EncoderError;

/// Failure to read the training data, train, or write a checkpoint.
#[derive(Debug, thiserror::Error)]
pub enum TrainingError {
    /// A tokenize artifact could not be read or lacks a column.
    #[error("reading {path}: {message}")]
    Read { path: PathBuf, message: String },

    /// A tokenize artifact contains a value training cannot use. The message names the row.
    #[error("{path}: {message}")]
    InvalidData { path: PathBuf, message: String },

    /// The train split has no pairs, so there is nothing to learn from.
    #[error(
        "the train split {path} has no pairs; check ingest's split shares (`[ingest.split] train`) \
         and that the ingest input has rows, then rerun ingest and tokenize"
    )]
    EmptyTrainSplit { path: PathBuf },

    /// The loss or the gradient stopped being a finite number.
    #[error(
        "the training {what} became {value} at step {step}; lower `train.learning_rate` or set \
         `train.max_grad_norm`, then rerun"
    )]
    NotFinite { what: &'static str, step: usize, value: f64 },

    /// The observer stopped the run after the checkpoint of this step.
    #[error("training stopped after the checkpoint of step {step}; rerun with --resume to continue")]
    Stopped { step: usize },

    /// The settings ask for something this crate cannot do with the model.
    #[error("invalid training settings: {0}")]
    InvalidSettings(String),

    /// The encoder refused the settings, or failed to run or save.
    #[error(transparent)]
    Encoder(#[from] EncoderError),

    /// A resumable checkpoint is unreadable or does not fit this run.
    #[error("checkpoint {path}: {message}")]
    Checkpoint { path: PathBuf, message: String },

    /// A file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A Parquet file could not be written.
    #[error("writing {path}: {message}")]
    Write { path: PathBuf, message: String },

    /// A tensor operation failed.
    #[error("tensor operation failed: {0}")]
    Tensor(#[source] Box<candle_core::Error>),
}

impl TrainingError {
    /// True when the cause is the data or the settings rather than the machine: the stage
    /// reports these as usage errors.
    #[must_use]
    pub fn is_settings_problem(&self) -> bool {
        matches!(
            self,
            Self::EmptyTrainSplit { .. } | Self::InvalidSettings(_) | Self::Encoder(EncoderError::InvalidLoraConfig(_))
        )
    }

    pub(crate) fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io { action, path: path.to_path_buf(), source }
    }
}

// candle's error is large, so it is boxed to keep `Result`s of this crate small.
impl From<candle_core::Error> for TrainingError {
    fn from(error: candle_core::Error) -> Self {
        Self::Tensor(Box::new(error))
    }
}

/// Result type of the crate.
pub type Result<T, E = TrainingError> = std::result::Result<T, E>;
