//! The model's `config.json`, with Hugging Face's field names.
//!
//! The fields mirror `transformers`' `BertConfig` and `XLMRobertaConfig`; a field that a file
//! leaves out takes the default those classes give it. Fields the encoder does not use are
//! ignored. [`ModelConfig::load`] checks every value the forward pass depends on, so a model this
//! crate cannot run is refused at load time with the field named.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{EncoderError, Result};

/// The two ways the supported families number token positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelFamily {
    /// BERT (all-MiniLM, bge, e5-v2): positions count from 0.
    Bert,
    /// RoBERTa and XLM-RoBERTa (multilingual-e5): positions count from `pad_token_id + 1`.
    Roberta,
}

/// GELU variant of the feed-forward block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `x * Phi(x)` with the exact normal CDF (`hidden_act: "gelu"`).
    GeluErf,
    /// The tanh approximation (`"gelu_new"`, `"gelu_pytorch_tanh"`, `"gelu_fast"`).
    GeluTanh,
}

/// The fields of a Hugging Face `config.json` that the encoder reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// Number of rows of the word embedding table.
    pub vocab_size: usize,
    /// Width of every hidden state.
    pub hidden_size: usize,
    /// Number of transformer layers.
    pub num_hidden_layers: usize,
    /// Number of attention heads per layer.
    pub num_attention_heads: usize,
    /// Width of the feed-forward block.
    pub intermediate_size: usize,
    /// Activation of the feed-forward block.
    #[serde(default = "default_hidden_act")]
    pub hidden_act: String,
    /// Number of rows of the position embedding table.
    #[serde(default = "default_max_position_embeddings")]
    pub max_position_embeddings: usize,
    /// Number of rows of the token type embedding table.
    #[serde(default = "default_type_vocab_size")]
    pub type_vocab_size: usize,
    /// Epsilon of every layer normalisation.
    #[serde(default = "default_layer_norm_eps")]
    pub layer_norm_eps: f64,
    /// Id of the padding token.
    #[serde(default)]
    pub pad_token_id: u32,
    /// Position encoding. Only `"absolute"` is supported.
    #[serde(default = "default_position_embedding_type")]
    pub position_embedding_type: String,
    /// `"bert"`, `"xlm-roberta"` or `"roberta"`.
    #[serde(default = "default_model_type")]
    pub model_type: String,
    /// Dropout on hidden states while training.
    #[serde(default = "default_dropout_prob")]
    pub hidden_dropout_prob: f32,
    /// Dropout on attention probabilities while training.
    #[serde(default = "default_dropout_prob")]
    pub attention_probs_dropout_prob: f32,
}

fn default_hidden_act() -> String {
    "gelu".to_owned()
}

fn default_max_position_embeddings() -> usize {
    512
}

fn default_type_vocab_size() -> usize {
    2
}

fn default_layer_norm_eps() -> f64 {
    1e-12
}

fn default_position_embedding_type() -> String {
    "absolute".to_owned()
}

fn default_model_type() -> String {
    "bert".to_owned()
}

fn default_dropout_prob() -> f32 {
    0.1
}

impl ModelConfig {
    /// Reads and checks a `config.json`.
    ///
    /// # Errors
    /// When the file cannot be read or parsed, or a field contains a value the encoder cannot run.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| EncoderError::Io {
            action: "reading model configuration",
            path: path.to_path_buf(),
            source,
        })?;
        let config: Self = serde_json::from_str(&text).map_err(|source| EncoderError::Json {
            path: path.to_path_buf(),
            source,
        })?;
        config.validate(path)?;
        Ok(config)
    }

    /// Checks that the forward pass supports every value; `path` only names the file in errors.
    ///
    /// # Errors
    /// Names the first field whose value is not supported.
    pub fn validate(&self, path: &Path) -> Result<()> {
        let unsupported = |field: &'static str, value: String, reason: &str| {
            Err(EncoderError::UnsupportedConfig {
                path: path.to_path_buf(),
                field,
                value,
                reason: reason.to_owned(),
            })
        };

        self.family(path)?;
        self.activation(path)?;
        if self.position_embedding_type != "absolute" {
            return unsupported(
                "position_embedding_type",
                format!("{:?}", self.position_embedding_type),
                "only \"absolute\" position embeddings are supported",
            );
        }
        for (field, value) in [
            ("vocab_size", self.vocab_size),
            ("hidden_size", self.hidden_size),
            ("num_hidden_layers", self.num_hidden_layers),
            ("num_attention_heads", self.num_attention_heads),
            ("intermediate_size", self.intermediate_size),
            ("max_position_embeddings", self.max_position_embeddings),
            ("type_vocab_size", self.type_vocab_size),
        ] {
            if value == 0 {
                return unsupported(field, "0".to_owned(), "it must be positive");
            }
        }
        if !self.hidden_size.is_multiple_of(self.num_attention_heads) {
            return unsupported(
                "num_attention_heads",
                self.num_attention_heads.to_string(),
                &format!("it must divide hidden_size ({})", self.hidden_size),
            );
        }
        if self.layer_norm_eps.is_nan() || self.layer_norm_eps <= 0.0 {
            return unsupported(
                "layer_norm_eps",
                self.layer_norm_eps.to_string(),
                "it must be positive",
            );
        }
        for (field, value) in [
            ("hidden_dropout_prob", self.hidden_dropout_prob),
            (
                "attention_probs_dropout_prob",
                self.attention_probs_dropout_prob,
            ),
        ] {
            if !(0.0..1.0).contains(&value) {
                return unsupported(field, value.to_string(), "it must be in [0, 1)");
            }
        }
        if self.family(path)? == ModelFamily::Roberta
            && self.pad_token_id as usize + 1 >= self.max_position_embeddings
        {
            return unsupported(
                "pad_token_id",
                self.pad_token_id.to_string(),
                "positions start after it, so it must be below max_position_embeddings - 1",
            );
        }
        Ok(())
    }

    /// Maps `model_type` to the model family.
    ///
    /// # Errors
    /// When `model_type` is not a supported family.
    pub fn family(&self, path: &Path) -> Result<ModelFamily> {
        match self.model_type.as_str() {
            "bert" => Ok(ModelFamily::Bert),
            "xlm-roberta" | "roberta" => Ok(ModelFamily::Roberta),
            other => Err(EncoderError::UnsupportedConfig {
                path: path.to_path_buf(),
                field: "model_type",
                value: format!("{other:?}"),
                reason: "supported are \"bert\", \"xlm-roberta\" and \"roberta\"".to_owned(),
            }),
        }
    }

    /// Maps `hidden_act` to the feed-forward activation.
    ///
    /// # Errors
    /// When `hidden_act` is not a GELU variant.
    pub fn activation(&self, path: &Path) -> Result<Activation> {
        match self.hidden_act.as_str() {
            "gelu" => Ok(Activation::GeluErf),
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Ok(Activation::GeluTanh),
            other => Err(EncoderError::UnsupportedConfig {
                path: path.to_path_buf(),
                field: "hidden_act",
                value: format!("{other:?}"),
                reason: "supported are \"gelu\", \"gelu_new\", \"gelu_pytorch_tanh\" and \
                         \"gelu_fast\""
                    .to_owned(),
            }),
        }
    }

    /// Returns the width of one attention head.
    #[must_use]
    pub fn head_size(&self) -> usize {
        self.hidden_size / self.num_attention_heads
    }

    /// Returns the maximum number of tokens the position table can number.
    #[must_use]
    pub fn max_sequence_tokens(&self, family: ModelFamily) -> usize {
        match family {
            ModelFamily::Bert => self.max_position_embeddings,
            ModelFamily::Roberta => self.max_position_embeddings - (self.pad_token_id as usize + 1),
        }
    }
}
