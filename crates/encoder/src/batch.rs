//! Turns token id lists of mixed lengths into the padded tensors the model reads.

use candle_core::{Device, Tensor};

use crate::config::{ModelConfig, ModelFamily};
use crate::error::{EncoderError, Result};

/// A batch padded to its longest sequence.
#[derive(Debug)]
pub(crate) struct PaddedBatch {
    /// Token ids, `[batch, seq]`, u32, padded with `pad_token_id`.
    pub(crate) input_ids: Tensor,
    /// Position ids, `[batch, seq]`, u32.
    pub(crate) position_ids: Tensor,
    /// 1 for a real token and 0 for padding, `[batch, seq]`, f32.
    pub(crate) attention_mask: Tensor,
}

impl PaddedBatch {
    /// Checks every sequence and pads the batch.
    ///
    /// Positions follow Hugging Face: BERT counts from 0; RoBERTa-style models number every
    /// non-padding token from `pad_token_id + 1` and give padding tokens `pad_token_id`
    /// (`create_position_ids_from_input_ids`).
    pub(crate) fn new(
        sequences: &[Vec<u32>],
        config: &ModelConfig,
        family: ModelFamily,
        device: &Device,
    ) -> Result<Self> {
        let max_tokens = config.max_sequence_tokens(family);
        for (index, sequence) in sequences.iter().enumerate() {
            if sequence.is_empty() {
                return Err(EncoderError::InvalidInput(format!(
                    "sequence {index} has no tokens"
                )));
            }
            if sequence.len() > max_tokens {
                return Err(EncoderError::InvalidInput(format!(
                    "sequence {index} has {} tokens, the model takes at most {max_tokens}",
                    sequence.len()
                )));
            }
            if let Some(token_id) = sequence
                .iter()
                .find(|&&token_id| token_id as usize >= config.vocab_size)
            {
                return Err(EncoderError::InvalidInput(format!(
                    "sequence {index} has token id {token_id}, the vocabulary has {} tokens",
                    config.vocab_size
                )));
            }
        }

        let batch_size = sequences.len();
        let seq_len = sequences.iter().map(Vec::len).max().unwrap_or(0);
        let pad = config.pad_token_id;
        let mut input_ids = vec![pad; batch_size * seq_len];
        let mut position_ids = vec![0u32; batch_size * seq_len];
        let mut attention_mask = vec![0f32; batch_size * seq_len];

        for (row, sequence) in sequences.iter().enumerate() {
            let offset = row * seq_len;
            input_ids[offset..offset + sequence.len()].copy_from_slice(sequence);
            for column in sequence.len()..seq_len {
                position_ids[offset + column] = padding_position(family, pad);
            }
            let mut non_padding_seen = 0u32;
            for (column, &token_id) in sequence.iter().enumerate() {
                attention_mask[offset + column] = 1.0;
                position_ids[offset + column] = match family {
                    #[allow(clippy::cast_possible_truncation)]
                    ModelFamily::Bert => column as u32,
                    ModelFamily::Roberta if token_id == pad => pad,
                    ModelFamily::Roberta => {
                        non_padding_seen += 1;
                        pad + non_padding_seen
                    }
                };
            }
        }

        let shape = (batch_size, seq_len);
        Ok(Self {
            input_ids: Tensor::from_vec(input_ids, shape, device)?,
            position_ids: Tensor::from_vec(position_ids, shape, device)?,
            attention_mask: Tensor::from_vec(attention_mask, shape, device)?,
        })
    }
}

fn padding_position(family: ModelFamily, pad_token_id: u32) -> u32 {
    match family {
        ModelFamily::Bert => 0,
        ModelFamily::Roberta => pad_token_id,
    }
}
