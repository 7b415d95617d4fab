//! The one error type of the crate.
//!
//! Every variant names the action, the file, tensor or field, and the cause. Where a person can
//! fix the cause, the message also gives the fix.

use std::path::PathBuf;

/// Failure to load, run or save the encoder.
#[derive(Debug, thiserror::Error)]
pub enum EncoderError {
    /// A model folder or one of its files does not exist.
    #[error(
        "{what} not found at {path}; for the default model run `make model`, \
         otherwise point to a Hugging Face model folder"
    )]
    MissingModelFile {
        /// Kind of the missing item, e.g. "model folder" or "tokenizer file".
        what: &'static str,
        /// The path that was looked at.
        path: PathBuf,
    },

    /// The model folder contains only PyTorch pickle weights.
    #[error(
        "{path} contains only pickle weights (pytorch_model.bin); loading a pickle can run code, \
         so convert the model to model.safetensors first"
    )]
    PickleOnly {
        /// The model folder.
        path: PathBuf,
    },

    /// An adapter folder contains only PyTorch pickle weights.
    #[error(
        "{path} contains only pickle adapter weights (adapter_model.bin); loading a pickle can run \
         code, so save the adapter with safe_serialization=True (adapter_model.safetensors)"
    )]
    AdapterPickleOnly {
        /// The adapter folder.
        path: PathBuf,
    },

    /// A file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// Action that failed, e.g. "reading".
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Cause of the failure.
        #[source]
        source: std::io::Error,
    },

    /// A JSON file could not be parsed.
    #[error("parsing {path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// Cause of the failure.
        #[source]
        source: serde_json::Error,
    },

    /// A configuration field contains a value this crate does not support.
    #[error("{path}: field `{field}` is {value}, {reason}")]
    UnsupportedConfig {
        /// The configuration file.
        path: PathBuf,
        /// The field, with its Hugging Face name.
        field: &'static str,
        /// The value found.
        value: String,
        /// Supported values.
        reason: String,
    },

    /// A tensor the model needs is not in the weights file.
    #[error("tensor `{name}` is missing from {path}")]
    MissingTensor {
        /// The tensor name without any `bert.`/`roberta.` prefix.
        name: String,
        /// The weights file.
        path: PathBuf,
    },

    /// A tensor has a shape that does not fit the configuration.
    #[error("tensor `{name}` in {path} has shape {actual:?}, the configuration needs {expected:?}")]
    WrongTensorShape {
        /// The tensor name as stored in the file.
        name: String,
        /// The weights file.
        path: PathBuf,
        /// The shape the configuration implies.
        expected: Vec<usize>,
        /// The shape stored in the file.
        actual: Vec<usize>,
    },

    /// A safetensors file could not be read or written.
    #[error("{action} safetensors file {path}: {source}")]
    Safetensors {
        /// Action that failed, e.g. "reading".
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Cause of the failure.
        #[source]
        source: Box<candle_core::Error>,
    },

    /// The tokenizer could not be loaded or could not encode a text.
    #[error("tokenizer {path}: {message}")]
    Tokenizer {
        /// The tokenizer file.
        path: PathBuf,
        /// Message from the tokenizers library.
        message: String,
    },

    /// An adapter does not fit the model or is not a LoRA adapter this crate can apply.
    #[error("adapter {path}: {message}")]
    InvalidAdapter {
        /// The adapter file or folder.
        path: PathBuf,
        /// Mismatch, naming the key or field.
        message: String,
    },

    /// A LoRA configuration given by the caller cannot be applied.
    #[error("LoRA configuration: {0}")]
    InvalidLoraConfig(String),

    /// The caller passed input the model cannot take (empty batch, unknown token id, ...).
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// A tensor operation failed.
    #[error("tensor operation failed: {0}")]
    Tensor(#[source] Box<candle_core::Error>),
}

// candle's error is large, so it is boxed to keep `Result`s of this crate small.
impl From<candle_core::Error> for EncoderError {
    fn from(error: candle_core::Error) -> Self {
        Self::Tensor(Box::new(error))
    }
}

/// Result type of the crate.
pub type Result<T, E = EncoderError> = std::result::Result<T, E>;
