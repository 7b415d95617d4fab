//! Text to token ids with the model's own `tokenizer.json`.
//!
//! A `tokenizer.json` may carry its own padding and truncation (all-MiniLM-L6-v2's pads and cuts
//! at 128). Both are switched off: the encoder pads a batch itself, and the pipeline's
//! `max_length_tokens` decides the cut. Truncation works as Hugging Face's `truncation=True`
//! does: the text's tokens are cut so that, with the special tokens added around them
//! (`[CLS]`/`[SEP]`, `<s>`/`</s>`), the sequence has at most `max_length_tokens` tokens.

use std::path::{Path, PathBuf};

use tokenizers::{PostProcessor, Tokenizer, TruncationDirection};

use crate::error::{EncoderError, Result};

/// One encoded text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenizedText {
    /// Token ids with special tokens, at most `max_length_tokens` long.
    pub token_ids: Vec<u32>,
    /// How many tokens the text would have had without truncation, special tokens included.
    pub original_length_tokens: usize,
}

impl TokenizedText {
    /// Checks whether tokens were cut from the end of the text.
    #[must_use]
    pub fn is_truncated(&self) -> bool {
        self.original_length_tokens > self.token_ids.len()
    }
}

/// A Hugging Face tokenizer with the pipeline's length limit.
#[derive(Debug, Clone)]
pub struct TextTokenizer {
    tokenizer: Tokenizer,
    max_length_tokens: usize,
    special_tokens: usize,
    path: PathBuf,
}

impl TextTokenizer {
    /// Loads `tokenizer.json` from a model folder.
    ///
    /// # Errors
    /// When the file is missing or unreadable, or `max_length_tokens` leaves no room for text
    /// beside the special tokens.
    pub fn load(model_folder: &Path, max_length_tokens: usize) -> Result<Self> {
        let path = model_folder.join("tokenizer.json");
        if !path.is_file() {
            return Err(EncoderError::MissingModelFile {
                what: "tokenizer file",
                path,
            });
        }
        Self::from_file(&path, max_length_tokens)
    }

    /// Loads a `tokenizer.json` file.
    ///
    /// # Errors
    /// As [`TextTokenizer::load`].
    pub fn from_file(path: &Path, max_length_tokens: usize) -> Result<Self> {
        let tokenizer_error = |message: String| EncoderError::Tokenizer {
            path: path.to_path_buf(),
            message,
        };

        let mut tokenizer =
            Tokenizer::from_file(path).map_err(|error| tokenizer_error(error.to_string()))?;
        tokenizer
            .with_truncation(None)
            .map_err(|error| tokenizer_error(error.to_string()))?;
        tokenizer.with_padding(None);

        let special_tokens = tokenizer
            .get_post_processor()
            .map_or(0, |processor| processor.added_tokens(false));
        if max_length_tokens <= special_tokens {
            return Err(tokenizer_error(format!(
                "max_length_tokens is {max_length_tokens}, but {special_tokens} special tokens \
                 are added to every text, leaving no room for the text"
            )));
        }

        Ok(Self {
            tokenizer,
            max_length_tokens,
            special_tokens,
            path: path.to_path_buf(),
        })
    }

    /// Returns the maximum sequence length `encode` returns, special tokens included.
    #[must_use]
    pub fn max_length_tokens(&self) -> usize {
        self.max_length_tokens
    }

    /// Token ids of `text`, truncated to `max_length_tokens`.
    ///
    /// # Errors
    /// When the tokenizer fails on the text.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        Ok(self.encode_with_length(text)?.token_ids)
    }

    /// Token ids of `text` and its length before truncation.
    ///
    /// # Errors
    /// When the tokenizer fails on the text.
    pub fn encode_with_length(&self, text: &str) -> Result<TokenizedText> {
        let tokenizer_error = |error: tokenizers::Error| EncoderError::Tokenizer {
            path: self.path.clone(),
            message: format!("encoding {text:?}: {error}"),
        };

        let mut encoding = self
            .tokenizer
            .encode(text, false)
            .map_err(tokenizer_error)?;
        let original_length_tokens = encoding.len() + self.special_tokens;

        let max_text_tokens = self.max_length_tokens - self.special_tokens;
        if encoding.len() > max_text_tokens {
            encoding.truncate(max_text_tokens, 0, TruncationDirection::Right);
            encoding.get_overflowing_mut().clear();
        }
        let encoding = self
            .tokenizer
            .post_process(encoding, None, true)
            .map_err(tokenizer_error)?;

        Ok(TokenizedText {
            token_ids: encoding.get_ids().to_vec(),
            original_length_tokens,
        })
    }

    /// Token ids of every text, each truncated to `max_length_tokens`.
    ///
    /// # Errors
    /// When the tokenizer fails on a text.
    pub fn encode_batch(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>> {
        texts.iter().map(|text| self.encode(text)).collect()
    }
}
