//! The trainable part of the encoder by training method, and how the result is saved: LoRA
//! adapters on the target modules (saved in PEFT's format), or every weight (saved as a model
//! folder).

use std::path::Path;

use candle_core::Var;
use lorasearch_encoder::{Encoder, LoraConfig};
use lorasearch_runtime::config::{TrainMethod, TrainSection};

use crate::error::{Result, TrainingError};

/// Builds the LoRA settings from the `[train]` section.
#[must_use]
pub fn lora_config(settings: &TrainSection) -> LoraConfig {
    #[allow(clippy::cast_possible_truncation)]
    LoraConfig {
        r: settings.lora_r,
        lora_alpha: settings.lora_alpha,
        lora_dropout: settings.lora_dropout as f32,
        target_modules: settings.target_modules.clone(),
        use_rslora: false,
    }
}

/// Makes the encoder trainable as `settings.method` asks and returns its trainable tensors under
/// their keys: fresh adapters seeded with `seed` for LoRA, every weight for full fine-tuning.
///
/// # Errors
/// When a target module matches no layer of the model (the message names the modules and the
/// choices), or the model cannot be made trainable.
pub fn make_trainable(encoder: &mut Encoder, settings: &TrainSection, seed: u64) -> Result<Vec<(String, Var)>> {
    match settings.method {
        TrainMethod::Lora => {
            encoder.add_lora(&lora_config(settings), seed)?;
            Ok(encoder.trainable_vars())
        }
        TrainMethod::Full => Ok(encoder.make_fully_trainable()?),
    }
}

/// Writes the trained weights into `folder`: `adapter_config.json` and
/// `adapter_model.safetensors` for LoRA, a complete model folder for full fine-tuning.
///
/// # Errors
/// When a file cannot be written.
pub fn save_trained(encoder: &Encoder, method: TrainMethod, folder: &Path) -> Result<()> {
    match method {
        TrainMethod::Lora => {
            let base_name = encoder.folder().file_name().map(|name| name.to_string_lossy().into_owned());
            Ok(encoder.save_adapter(folder, base_name.as_deref())?)
        }
        TrainMethod::Full => Ok(encoder.save_model_folder(folder)?),
    }
}

/// Number of trainable values.
#[must_use]
pub fn parameter_count(trainable: &[(String, Var)]) -> usize {
    trainable.iter().map(|(_, var)| var.as_tensor().elem_count()).sum()
}

/// Checks that the model can take every token list of the data, so a bad list fails before
/// training starts rather than at the step that first draws it.
///
/// # Errors
/// Names the first list with an id outside the vocabulary or too many tokens.
pub fn check_token_ids(encoder: &Encoder, kind: &str, token_ids: &[Vec<u32>]) -> Result<()> {
    let vocab_size = encoder.config().vocab_size;
    let max_length_tokens = encoder.tokenizer().max_length_tokens();
    for (row, ids) in token_ids.iter().enumerate() {
        if let Some(id) = ids.iter().find(|&&id| id as usize >= vocab_size) {
            return Err(TrainingError::InvalidSettings(format!(
                "{kind} row {row} has token id {id}, but the model's vocabulary has {vocab_size} tokens; \
                 rerun the tokenize stage with this model"
            )));
        }
        if ids.len() > max_length_tokens {
            return Err(TrainingError::InvalidSettings(format!(
                "{kind} row {row} has {} tokens, more than model.max_length_tokens = {max_length_tokens}; \
                 rerun the tokenize stage",
                ids.len()
            )));
        }
    }
    Ok(())
}
