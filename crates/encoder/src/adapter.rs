//! LoRA adapters on disk, in Hugging Face PEFT's format.
//!
//! An adapter folder contains `adapter_config.json` (PEFT's `LoraConfig` fields) and
//! `adapter_model.safetensors`, whose keys are
//! `base_model.model.encoder.layer.{i}.attention.self.query.lora_A.weight` (shape `[r, in]`) and
//! `...lora_B.weight` (shape `[out, r]`). Python PEFT loads what [`save`] writes, and [`load`]
//! takes what PEFT writes, also when PEFT wrapped a model that keeps the encoder as `model`
//! (`base_model.model.model.encoder...`) or as `bert`/`roberta`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor, Var};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::bert::BertModel;
use crate::error::{EncoderError, Result};
use crate::lora::{LoraAdapter, LoraConfig};

/// File name of the adapter's configuration.
pub const ADAPTER_CONFIG_FILE: &str = "adapter_config.json";
/// File name of the adapter's weights.
pub const ADAPTER_WEIGHTS_FILE: &str = "adapter_model.safetensors";
/// File name of PEFT's pickle weights, which this crate rejects.
const ADAPTER_PICKLE_FILE: &str = "adapter_model.bin";

/// Prefix PEFT puts before the base model's module names.
const PEFT_KEY_PREFIX: &str = "base_model.model.";
/// Module prefixes that may sit between [`PEFT_KEY_PREFIX`] and `encoder.layer...`.
const WRAPPER_PREFIXES: [&str; 3] = ["model.", "bert.", "roberta."];

/// `adapter_config.json` as PEFT writes it for a LoRA adapter.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdapterConfig {
    /// Always `"LORA"`.
    pub peft_type: String,
    /// PEFT's task type; `"FEATURE_EXTRACTION"` for an embedding model.
    #[serde(default)]
    pub task_type: Option<String>,
    /// The model the adapter was trained on, as given by the trainer.
    #[serde(default)]
    pub base_model_name_or_path: Option<String>,
    /// Rank.
    pub r: usize,
    /// Scaling numerator.
    pub lora_alpha: f64,
    /// Dropout on the adapter's input while training.
    #[serde(default)]
    pub lora_dropout: f32,
    /// Adapted modules: a list of names (a single string is a regular expression in PEFT).
    pub target_modules: Value,
    /// Biases trained beside the adapter. Only `"none"` is supported.
    #[serde(default = "default_bias")]
    pub bias: String,
    /// Whether weights are stored transposed; always false for BERT's `nn.Linear`.
    #[serde(default)]
    pub fan_in_fan_out: bool,
    /// Whether the adapter was saved for inference.
    #[serde(default)]
    pub inference_mode: bool,
    /// PEFT's initialisation scheme for the weights.
    #[serde(default = "default_true_value")]
    pub init_lora_weights: Value,
    /// Scaling `lora_alpha / sqrt(r)` instead of `lora_alpha / r`.
    #[serde(default)]
    pub use_rslora: bool,
    /// DoRA, which this crate does not implement.
    #[serde(default)]
    pub use_dora: bool,
    /// Per-module ranks, not supported when non-empty.
    #[serde(default)]
    pub rank_pattern: BTreeMap<String, Value>,
    /// Per-module alphas, not supported when non-empty.
    #[serde(default)]
    pub alpha_pattern: BTreeMap<String, Value>,
    /// Layer selection, not supported when set.
    #[serde(default)]
    pub layers_to_transform: Value,
    /// Name of the layer list for `layers_to_transform`.
    #[serde(default)]
    pub layers_pattern: Value,
    /// Fully trained extra modules, not supported when set.
    #[serde(default)]
    pub modules_to_save: Value,
    /// Revision of the base model.
    #[serde(default)]
    pub revision: Value,
}

fn default_bias() -> String {
    "none".to_owned()
}

fn default_true_value() -> Value {
    Value::Bool(true)
}

impl AdapterConfig {
    /// Builds the configuration PEFT would write for `lora`.
    #[must_use]
    pub fn from_lora(lora: &LoraConfig, base_model_name_or_path: Option<&str>) -> Self {
        Self {
            peft_type: "LORA".to_owned(),
            task_type: Some("FEATURE_EXTRACTION".to_owned()),
            base_model_name_or_path: base_model_name_or_path.map(str::to_owned),
            r: lora.r,
            lora_alpha: lora.lora_alpha,
            lora_dropout: lora.lora_dropout,
            target_modules: Value::Array(
                lora.target_modules
                    .iter()
                    .map(|target| Value::String(target.clone()))
                    .collect(),
            ),
            bias: default_bias(),
            fan_in_fan_out: false,
            inference_mode: true,
            init_lora_weights: default_true_value(),
            use_rslora: lora.use_rslora,
            use_dora: false,
            rank_pattern: BTreeMap::new(),
            alpha_pattern: BTreeMap::new(),
            layers_to_transform: Value::Null,
            layers_pattern: Value::Null,
            modules_to_save: Value::Null,
            revision: Value::Null,
        }
    }

    /// Extracts the LoRA hyper-parameters, rejecting every PEFT option this crate cannot apply.
    ///
    /// # Errors
    /// Names the first field whose value is not supported. `path` only names the file in errors.
    pub fn lora_config(&self, path: &Path) -> Result<LoraConfig> {
        let invalid = |message: String| EncoderError::InvalidAdapter {
            path: path.to_path_buf(),
            message,
        };

        if self.peft_type != "LORA" {
            return Err(invalid(format!(
                "peft_type is {:?}, only \"LORA\" is supported",
                self.peft_type
            )));
        }
        if self.bias != "none" {
            return Err(invalid(format!(
                "bias is {:?}, only \"none\" is supported",
                self.bias
            )));
        }
        let refused = [
            ("fan_in_fan_out", self.fan_in_fan_out),
            ("use_dora", self.use_dora),
            ("rank_pattern", !self.rank_pattern.is_empty()),
            ("alpha_pattern", !self.alpha_pattern.is_empty()),
            ("layers_to_transform", !is_unset(&self.layers_to_transform)),
            ("modules_to_save", !is_unset(&self.modules_to_save)),
        ];
        if let Some((field, _)) = refused.iter().find(|(_, is_set)| *is_set) {
            return Err(invalid(format!("`{field}` is set, which is not supported")));
        }

        let target_modules = match &self.target_modules {
            Value::Array(items) => items
                .iter()
                .map(|item| {
                    item.as_str().map(str::to_owned).ok_or_else(|| {
                        invalid(format!(
                            "target_modules contains {item}, expected module names"
                        ))
                    })
                })
                .collect::<Result<Vec<_>>>()?,
            other => {
                return Err(invalid(format!(
                    "target_modules is {other}; only a list of module names is supported, \
                     not a regular expression"
                )));
            }
        };

        let lora = LoraConfig {
            r: self.r,
            lora_alpha: self.lora_alpha,
            lora_dropout: self.lora_dropout,
            target_modules,
            use_rslora: self.use_rslora,
        };
        lora.validate()
            .map_err(|error| invalid(error.to_string()))?;
        Ok(lora)
    }
}

fn is_unset(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// Builds the PEFT key of one adapter matrix.
fn peft_key(module_name: &str, matrix: &str) -> String {
    format!("{PEFT_KEY_PREFIX}{module_name}.{matrix}.weight")
}

/// Writes the adapters of `model` into `folder`, creating it if needed.
///
/// Each file is written beside its final name and renamed into place.
pub(crate) fn save(
    model: &BertModel,
    lora: &LoraConfig,
    folder: &Path,
    base_model_name_or_path: Option<&str>,
) -> Result<()> {
    std::fs::create_dir_all(folder).map_err(|source| EncoderError::Io {
        action: "creating adapter folder",
        path: folder.to_path_buf(),
        source,
    })?;

    let mut tensors: BTreeMap<String, Tensor> = BTreeMap::new();
    for (module_name, linear) in model.linears() {
        if let Some(adapter) = linear.adapter() {
            tensors.insert(
                peft_key(&module_name, "lora_A"),
                adapter.lora_a.as_tensor().contiguous()?,
            );
            tensors.insert(
                peft_key(&module_name, "lora_B"),
                adapter.lora_b.as_tensor().contiguous()?,
            );
        }
    }

    let weights_path = folder.join(ADAPTER_WEIGHTS_FILE);
    let weights_staging = staging_path(&weights_path);
    let metadata = HashMap::from([("format".to_owned(), "pt".to_owned())]);
    safetensors::tensor::serialize_to_file(tensors.iter(), Some(metadata), &weights_staging)
        .map_err(|error| EncoderError::Safetensors {
            action: "writing",
            path: weights_staging.clone(),
            source: Box::new(candle_core::Error::Msg(error.to_string())),
        })?;
    rename(&weights_staging, &weights_path)?;

    let config_path = folder.join(ADAPTER_CONFIG_FILE);
    let config_staging = staging_path(&config_path);
    let config = AdapterConfig::from_lora(lora, base_model_name_or_path);
    let config_text =
        serde_json::to_string_pretty(&config).map_err(|source| EncoderError::Json {
            path: config_path.clone(),
            source,
        })?;
    std::fs::write(&config_staging, config_text).map_err(|source| EncoderError::Io {
        action: "writing",
        path: config_staging.clone(),
        source,
    })?;
    rename(&config_staging, &config_path)
}

fn staging_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

fn rename(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to).map_err(|source| EncoderError::Io {
        action: "renaming into place",
        path: to.to_path_buf(),
        source,
    })
}

/// Reads an adapter folder and attaches its adapters to `model`, replacing any it had.
///
/// Everything is checked before the model changes, so on error the model is as it was.
pub(crate) fn load(model: &mut BertModel, folder: &Path, device: &Device) -> Result<LoraConfig> {
    let config_path = folder.join(ADAPTER_CONFIG_FILE);
    let weights_path = folder.join(ADAPTER_WEIGHTS_FILE);
    if !weights_path.is_file() && folder.join(ADAPTER_PICKLE_FILE).is_file() {
        return Err(EncoderError::AdapterPickleOnly {
            path: folder.to_path_buf(),
        });
    }
    for (what, path) in [
        ("adapter configuration", &config_path),
        ("adapter weights", &weights_path),
    ] {
        if !path.is_file() {
            return Err(EncoderError::InvalidAdapter {
                path: path.clone(),
                message: format!("{what} file not found"),
            });
        }
    }

    let config_text = std::fs::read_to_string(&config_path).map_err(|source| EncoderError::Io {
        action: "reading",
        path: config_path.clone(),
        source,
    })?;
    let adapter_config: AdapterConfig =
        serde_json::from_str(&config_text).map_err(|source| EncoderError::Json {
            path: config_path.clone(),
            source,
        })?;
    let lora = adapter_config.lora_config(&config_path)?;

    let stored = candle_core::safetensors::load(&weights_path, device).map_err(|source| {
        EncoderError::Safetensors {
            action: "reading",
            path: weights_path.clone(),
            source: Box::new(source),
        }
    })?;
    let adapters = match_tensors_to_modules(model, &lora, stored, &weights_path)?;

    for (module_name, linear) in model.linears_mut() {
        match adapters.get(&module_name) {
            Some(adapter) => linear.attach(adapter.clone()),
            None => linear.detach_adapter(),
        }
    }
    Ok(lora)
}

/// Splits a PEFT key into the module name and the matrix (`lora_A` or `lora_B`). Returns
/// `None` for a key of another form.
fn parse_key(key: &str) -> Option<(String, &'static str)> {
    let rest = key.strip_prefix(PEFT_KEY_PREFIX)?;
    let (module_path, matrix) = if let Some(module_path) = rest.strip_suffix(".lora_A.weight") {
        (module_path, "lora_A")
    } else {
        (rest.strip_suffix(".lora_B.weight")?, "lora_B")
    };

    let mut module_path = module_path;
    for prefix in WRAPPER_PREFIXES {
        if let Some(stripped) = module_path.strip_prefix(prefix) {
            module_path = stripped;
        }
    }
    Some((module_path.to_owned(), matrix))
}

/// Pairs every stored tensor with a model layer, checking names, targets, ranks and shapes.
fn match_tensors_to_modules(
    model: &BertModel,
    lora: &LoraConfig,
    stored: HashMap<String, Tensor>,
    weights_path: &Path,
) -> Result<HashMap<String, LoraAdapter>> {
    let invalid = |message: String| EncoderError::InvalidAdapter {
        path: weights_path.to_path_buf(),
        message,
    };

    let layer_names: Vec<String> = model.linears().into_iter().map(|(name, _)| name).collect();
    let layer_shapes: HashMap<String, (usize, usize)> = model
        .linears()
        .into_iter()
        .map(|(name, linear)| (name, (linear.in_features(), linear.out_features())))
        .collect();

    let mut matrices: HashMap<(String, &'static str), Tensor> = HashMap::new();
    let mut keys: Vec<&String> = stored.keys().collect();
    keys.sort();
    for key in keys {
        let Some((module_name, matrix)) = parse_key(key) else {
            return Err(invalid(format!(
                "key `{key}` is not a LoRA matrix of the form \
                 base_model.model.<module>.lora_A.weight / lora_B.weight"
            )));
        };
        let Some(&(in_features, out_features)) = layer_shapes.get(&module_name) else {
            return Err(invalid(format!(
                "key `{key}` refers to module `{module_name}`, which the model does not have"
            )));
        };
        if !lora.targets(&module_name) {
            return Err(invalid(format!(
                "key `{key}` refers to module `{module_name}`, which target_modules {:?} \
                 does not name",
                lora.target_modules
            )));
        }

        let expected = if matrix == "lora_A" {
            [lora.r, in_features]
        } else {
            [out_features, lora.r]
        };
        let tensor = &stored[key];
        if tensor.dims() != expected {
            return Err(invalid(format!(
                "key `{key}` has shape {:?}, the model and r = {} need {expected:?}",
                tensor.dims(),
                lora.r
            )));
        }
        matrices.insert((module_name, matrix), tensor.to_dtype(DType::F32)?);
    }

    let mut adapters = HashMap::new();
    let mut targeted = false;
    for module_name in layer_names.iter().filter(|name| lora.targets(name)) {
        targeted = true;
        let mut take = |matrix: &'static str| {
            matrices
                .remove(&(module_name.clone(), matrix))
                .ok_or_else(|| {
                    invalid(format!(
                        "key `{}` is missing",
                        peft_key(module_name, matrix)
                    ))
                })
        };
        let lora_a = Var::from_tensor(&take("lora_A")?)?;
        let lora_b = Var::from_tensor(&take("lora_B")?)?;
        adapters.insert(
            module_name.clone(),
            LoraAdapter {
                lora_a,
                lora_b,
                scaling: lora.scaling(),
                dropout: lora.lora_dropout,
            },
        );
    }
    if !targeted {
        return Err(invalid(format!(
            "target_modules {:?} match no layer of the model",
            lora.target_modules
        )));
    }
    Ok(adapters)
}
