//! From per-token hidden states to one unit-length vector per text.
//!
//! The model folder's `1_Pooling/config.json` (written by sentence-transformers) names the
//! pooling the model was trained with. Without that file the encoder uses mean pooling.

use std::path::Path;

use candle_core::{D, Tensor};
use serde::Deserialize;

use crate::error::{EncoderError, Result};

/// Smallest denominator of a mean and of a normalisation, as sentence-transformers and
/// PyTorch's `normalize` use, so an all-zero input stays finite.
const MEAN_MIN_TOKENS: f64 = 1e-9;
const NORM_MIN: f64 = 1e-12;

/// Reduction of the token states to one vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    /// Mean over the tokens the attention mask keeps (all-MiniLM, e5).
    Mean,
    /// The first token's state (bge).
    Cls,
}

/// The fields of `1_Pooling/config.json` the encoder reads.
#[derive(Debug, Deserialize)]
struct PoolingFile {
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pooling_mode_max_tokens: bool,
    #[serde(default)]
    pooling_mode_mean_sqrt_len_tokens: bool,
    #[serde(default)]
    pooling_mode_weightedmean_tokens: bool,
    #[serde(default)]
    pooling_mode_lasttoken: bool,
}

impl Pooling {
    /// Reads the pooling from a sentence-transformers `1_Pooling/config.json`.
    ///
    /// # Errors
    /// When the file cannot be read or parsed, or selects a mode other than exactly one of
    /// mean and CLS.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| EncoderError::Io {
            action: "reading pooling configuration",
            path: path.to_path_buf(),
            source,
        })?;
        let file: PoolingFile =
            serde_json::from_str(&text).map_err(|source| EncoderError::Json {
                path: path.to_path_buf(),
                source,
            })?;

        let unsupported = |field: &'static str| EncoderError::UnsupportedConfig {
            path: path.to_path_buf(),
            field,
            value: "true".to_owned(),
            reason: "only mean and CLS pooling are supported".to_owned(),
        };
        for (field, enabled) in [
            ("pooling_mode_max_tokens", file.pooling_mode_max_tokens),
            (
                "pooling_mode_mean_sqrt_len_tokens",
                file.pooling_mode_mean_sqrt_len_tokens,
            ),
            (
                "pooling_mode_weightedmean_tokens",
                file.pooling_mode_weightedmean_tokens,
            ),
            ("pooling_mode_lasttoken", file.pooling_mode_lasttoken),
        ] {
            if enabled {
                return Err(unsupported(field));
            }
        }

        match (file.pooling_mode_mean_tokens, file.pooling_mode_cls_token) {
            (true, false) => Ok(Self::Mean),
            (false, true) => Ok(Self::Cls),
            (mean, cls) => Err(EncoderError::UnsupportedConfig {
                path: path.to_path_buf(),
                field: "pooling_mode_mean_tokens",
                value: format!("{mean} (pooling_mode_cls_token {cls})"),
                reason: "exactly one of mean and CLS pooling must be enabled".to_owned(),
            }),
        }
    }

    /// Pools `[batch, seq, hidden]` states with a `[batch, seq]` 0/1 mask into `[batch, hidden]`.
    pub(crate) fn pool(self, hidden_states: &Tensor, attention_mask: &Tensor) -> Result<Tensor> {
        match self {
            Self::Cls => Ok(hidden_states.narrow(1, 0, 1)?.squeeze(1)?),
            Self::Mean => {
                let mask = attention_mask.unsqueeze(D::Minus1)?;
                let summed = hidden_states.broadcast_mul(&mask)?.sum(1)?;
                let token_counts = mask.sum(1)?.maximum(MEAN_MIN_TOKENS)?;
                Ok(summed.broadcast_div(&token_counts)?)
            }
        }
    }
}

/// Scales every row of `[batch, hidden]` to unit L2 norm.
pub(crate) fn l2_normalise(embeddings: &Tensor) -> Result<Tensor> {
    let norms = embeddings
        .sqr()?
        .sum_keepdim(D::Minus1)?
        .sqrt()?
        .maximum(NORM_MIN)?;
    Ok(embeddings.broadcast_div(&norms)?)
}
