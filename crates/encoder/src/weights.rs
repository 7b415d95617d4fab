//! The tensors of a `model.safetensors` file, looked up by name with their shape checked.
//!
//! Checkpoints store the same tensor as `encoder.layer.0...` (a bare `BertModel`) or as
//! `bert.encoder.layer.0...` / `roberta.encoder.layer.0...` (saved from a model with a task head),
//! so a lookup tries the bare name and then those two prefixes. Every tensor is converted to f32,
//! the one precision the encoder computes in.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};

use crate::error::{EncoderError, Result};

/// Prefixes a task-head checkpoint puts before the base model's tensor names.
const MODEL_PREFIXES: [&str; 3] = ["", "bert.", "roberta."];

/// The tensors of one weights file.
#[derive(Debug)]
pub(crate) struct Weights {
    tensors: HashMap<String, Tensor>,
    path: PathBuf,
}

impl Weights {
    /// Reads every tensor of a safetensors file onto `device`.
    pub(crate) fn load(path: &Path, device: &Device) -> Result<Self> {
        let tensors = candle_core::safetensors::load(path, device).map_err(|source| {
            EncoderError::Safetensors {
                action: "reading",
                path: path.to_path_buf(),
                source: Box::new(source),
            }
        })?;
        Ok(Self {
            tensors,
            path: path.to_path_buf(),
        })
    }

    /// Looks up the tensor `name` (without prefix) and returns it as f32 after checking its shape.
    pub(crate) fn get(&self, name: &str, shape: &[usize]) -> Result<Tensor> {
        self.get_first_of(&[name], shape)
    }

    /// Looks up the first of `names` that the file contains and returns it as f32 after checking
    /// its shape.
    ///
    /// Used where checkpoints disagree on a name, such as `LayerNorm.weight` and the older
    /// `LayerNorm.gamma`. A missing tensor is reported under the first name.
    pub(crate) fn get_first_of(&self, names: &[&str], shape: &[usize]) -> Result<Tensor> {
        for name in names {
            for prefix in MODEL_PREFIXES {
                let stored_name = format!("{prefix}{name}");
                if let Some(tensor) = self.tensors.get(&stored_name) {
                    return self.checked(&stored_name, tensor, shape);
                }
            }
        }
        Err(EncoderError::MissingTensor {
            name: names.first().copied().unwrap_or_default().to_owned(),
            path: self.path.clone(),
        })
    }

    fn checked(&self, stored_name: &str, tensor: &Tensor, shape: &[usize]) -> Result<Tensor> {
        if tensor.dims() != shape {
            return Err(EncoderError::WrongTensorShape {
                name: stored_name.to_owned(),
                path: self.path.clone(),
                expected: shape.to_vec(),
                actual: tensor.dims().to_vec(),
            });
        }
        Ok(tensor.to_dtype(DType::F32)?)
    }
}
