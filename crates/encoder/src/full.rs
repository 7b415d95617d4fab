//! Full fine-tuning: every weight of the model as a trainable tensor, and the trained model
//! written back as a Hugging Face model folder.
//!
//! The saved folder contains `model.safetensors` (the weights under their bare Hugging Face names,
//! `embeddings.word_embeddings.weight`, `encoder.layer.0.attention.self.query.weight`, ...) and
//! copies of the source folder's other files (configuration, tokenizer, sentence-transformers
//! module folders such as `1_Pooling/`), so the folder loads like the original, in this crate
//! and in Python.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use candle_core::{Tensor, Var};

use crate::bert::BertModel;
use crate::error::{EncoderError, Result};

/// Extensions of weight files, which are never copied from the source folder.
const WEIGHT_EXTENSIONS: [&str; 7] = ["safetensors", "bin", "h5", "msgpack", "onnx", "ot", "pt"];
/// Files of the source folder that describe it rather than the model, left out of the copy.
const SKIPPED_FILES: [&str; 1] = ["README.md"];

/// Replaces every weight of `model` with a trainable copy and returns the copies by name.
pub(crate) fn make_trainable(model: &mut BertModel) -> Result<Vec<(String, Var)>> {
    let mut vars = Vec::new();
    for (name, tensor) in model.parameters_mut() {
        let var = Var::from_tensor(tensor)?;
        *tensor = var.as_tensor().clone();
        vars.push((name, var));
    }
    Ok(vars)
}

/// Writes `model`'s weights and the non-weight files of `source_folder` into `folder`.
pub(crate) fn save_model_folder(model: &BertModel, source_folder: &Path, folder: &Path) -> Result<()> {
    let io_error = |action: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| EncoderError::Io { action, path, source }
    };
    std::fs::create_dir_all(folder).map_err(io_error("creating model folder", folder))?;
    copy_model_files(source_folder, folder)?;

    // Cloning shares the tensors' storage, it only gives a mutable view to list them.
    let mut listed = model.clone();
    let tensors: BTreeMap<String, Tensor> = listed
        .parameters_mut()
        .into_iter()
        .map(|(name, tensor)| Ok((name, tensor.detach().contiguous()?)))
        .collect::<Result<_>>()?;

    let weights_path = folder.join("model.safetensors");
    let staging = folder.join("model.safetensors.tmp");
    let metadata = HashMap::from([("format".to_owned(), "pt".to_owned())]);
    safetensors::tensor::serialize_to_file(tensors.iter(), Some(metadata), &staging).map_err(|error| {
        EncoderError::Safetensors {
            action: "writing",
            path: staging.clone(),
            source: Box::new(candle_core::Error::Msg(error.to_string())),
        }
    })?;
    std::fs::rename(&staging, &weights_path).map_err(io_error("renaming into place", &weights_path))
}

/// Copies every file of `source` except weights, and its sentence-transformers module folders
/// (`1_Pooling`, `2_Normalize`, ...), into `target`.
fn copy_model_files(source: &Path, target: &Path) -> Result<()> {
    let io_error = |action: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| EncoderError::Io { action, path, source }
    };
    let entries = std::fs::read_dir(source).map_err(io_error("listing", source))?;
    for entry in entries {
        let entry = entry.map_err(io_error("listing", source))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if is_module_folder(&name) {
                let target_dir = target.join(&name);
                std::fs::create_dir_all(&target_dir).map_err(io_error("creating", &target_dir))?;
                copy_model_files(&path, &target_dir)?;
            }
            continue;
        }
        let is_weights = path
            .extension()
            .is_some_and(|extension| WEIGHT_EXTENSIONS.contains(&extension.to_string_lossy().as_ref()));
        if is_weights || SKIPPED_FILES.contains(&name.as_str()) {
            continue;
        }
        let target_path = target.join(&name);
        std::fs::copy(&path, &target_path).map_err(io_error("copying to", &target_path))?;
    }
    Ok(())
}

/// Folders named `<number>_<Name>`, as sentence-transformers names its modules.
fn is_module_folder(name: &str) -> bool {
    name.split_once('_')
        .is_some_and(|(number, rest)| !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()) && !rest.is_empty())
}
