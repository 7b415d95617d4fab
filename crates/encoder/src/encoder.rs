//! The sentence encoder: a model folder loaded, texts in, unit-length embeddings out, with LoRA
//! adapters to add, train, save, load and merge.

use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor, Var};

use crate::adapter;
use crate::batch::PaddedBatch;
use crate::bert::BertModel;
use crate::config::ModelConfig;
use crate::error::{EncoderError, Result};
use crate::lora::{LoraConfig, initialisation_rng};
use crate::ops::DropoutRng;
use crate::pooling::{Pooling, l2_normalise};
use crate::tokenizer::TextTokenizer;
use crate::weights::Weights;

/// How to load a model folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncoderOptions {
    /// Maximum tokens per sequence, special tokens included. Longer texts are cut at the end.
    pub max_length_tokens: usize,
    /// Pooling to use instead of the one `1_Pooling/config.json` names.
    pub pooling: Option<Pooling>,
}

impl Default for EncoderOptions {
    /// 128 tokens, the length all-MiniLM-L6-v2's tokenizer ships with, and the folder's pooling.
    fn default() -> Self {
        Self {
            max_length_tokens: 128,
            pooling: None,
        }
    }
}

/// A BERT-family sentence encoder with optional LoRA adapters.
#[derive(Debug)]
pub struct Encoder {
    model: BertModel,
    config: ModelConfig,
    tokenizer: TextTokenizer,
    pooling: Pooling,
    lora: Option<LoraConfig>,
    device: Device,
    folder: PathBuf,
}

/// The file a model folder must hold, or an error naming it.
fn required_file(folder: &Path, name: &str, what: &'static str) -> Result<PathBuf> {
    let path = folder.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(EncoderError::MissingModelFile { what, path })
    }
}

impl Encoder {
    /// Loads a Hugging Face model folder: `config.json`, `model.safetensors`, `tokenizer.json`
    /// and, when present, `1_Pooling/config.json`.
    ///
    /// # Errors
    /// When a file is missing (for the default model the message points to `make model`), the
    /// folder has only pickle weights, the configuration is not supported, or a tensor is
    /// missing or has the wrong shape.
    pub fn load(folder: &Path, options: EncoderOptions) -> Result<Self> {
        if !folder.is_dir() {
            return Err(EncoderError::MissingModelFile {
                what: "model folder",
                path: folder.to_path_buf(),
            });
        }
        let config_path = required_file(folder, "config.json", "model configuration")?;
        let weights_path = folder.join("model.safetensors");
        if !weights_path.is_file() && folder.join("pytorch_model.bin").is_file() {
            return Err(EncoderError::PickleOnly {
                path: folder.to_path_buf(),
            });
        }
        let weights_path = required_file(folder, "model.safetensors", "model weights")?;

        let config = ModelConfig::load(&config_path)?;
        let family = config.family(&config_path)?;
        let activation = config.activation(&config_path)?;
        let tokenizer = TextTokenizer::load(folder, options.max_length_tokens)?;
        let model_max_tokens = config.max_sequence_tokens(family);
        if options.max_length_tokens > model_max_tokens {
            return Err(EncoderError::InvalidInput(format!(
                "max_length_tokens is {}, but the model at {} takes at most {model_max_tokens} \
                 tokens",
                options.max_length_tokens,
                folder.display()
            )));
        }

        let pooling = match options.pooling {
            Some(pooling) => pooling,
            None => {
                let pooling_path = folder.join("1_Pooling").join("config.json");
                if pooling_path.is_file() {
                    Pooling::from_file(&pooling_path)?
                } else {
                    Pooling::Mean
                }
            }
        };

        // NOTE: CPU only for now; a `cuda` build will choose the device here.
        let device = Device::Cpu;
        let weights = Weights::load(&weights_path, &device)?;
        let model = BertModel::load(&weights, &config, family, activation)?;

        tracing::debug!(
            folder = %folder.display(),
            layers = config.num_hidden_layers,
            hidden_size = config.hidden_size,
            ?pooling,
            "loaded encoder"
        );
        Ok(Self {
            model,
            config,
            tokenizer,
            pooling,
            lora: None,
            device,
            folder: folder.to_path_buf(),
        })
    }

    /// Returns the model's configuration.
    #[must_use]
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// Returns the tokenizer, with the length limit the encoder was loaded with.
    #[must_use]
    pub fn tokenizer(&self) -> &TextTokenizer {
        &self.tokenizer
    }

    /// Returns the width of an embedding.
    #[must_use]
    pub fn hidden_size(&self) -> usize {
        self.config.hidden_size
    }

    /// Returns the pooling in use.
    #[must_use]
    pub fn pooling(&self) -> Pooling {
        self.pooling
    }

    /// Returns the device the model runs on.
    #[must_use]
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Returns the model folder the encoder was loaded from.
    #[must_use]
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// Embeds token id lists of any lengths: `[n, hidden]`, f32, each row of unit length.
    ///
    /// The batch is padded to its longest list; padding does not change any embedding. The
    /// result carries no gradient graph.
    ///
    /// # Errors
    /// When a list is empty, too long for the model, or contains an id outside the vocabulary.
    pub fn embed_token_ids(&self, token_ids: &[Vec<u32>]) -> Result<Tensor> {
        Ok(self.forward(token_ids, None)?.detach())
    }

    /// Embeds texts, each as a vector of `hidden_size()` floats of unit length.
    ///
    /// All texts run as one padded batch, so callers split long lists into batches.
    ///
    /// # Errors
    /// When the tokenizer fails or the model cannot run.
    pub fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let token_ids = self.tokenizer.encode_batch(texts)?;
        Ok(self.embed_token_ids(&token_ids)?.to_vec2::<f32>()?)
    }

    /// Runs the forward pass for training, like [`Encoder::embed_token_ids`] but with dropout
    /// active (the model's and the adapters') and masks drawn from `rng`. The gradient graph is
    /// kept, so `loss.backward()` reaches the [`Encoder::trainable_vars`].
    ///
    /// # Errors
    /// As [`Encoder::embed_token_ids`].
    pub fn embed_token_ids_for_training(
        &self,
        token_ids: &[Vec<u32>],
        rng: &mut DropoutRng,
    ) -> Result<Tensor> {
        self.forward(token_ids, Some(rng))
    }

    fn forward(&self, token_ids: &[Vec<u32>], rng: Option<&mut DropoutRng>) -> Result<Tensor> {
        if token_ids.is_empty() {
            return Ok(Tensor::zeros(
                (0, self.config.hidden_size),
                candle_core::DType::F32,
                &self.device,
            )?);
        }
        let batch = PaddedBatch::new(token_ids, &self.config, self.model.family(), &self.device)?;
        let hidden_states = self.model.forward(
            &batch.input_ids,
            &batch.position_ids,
            &batch.attention_mask,
            rng,
        )?;
        let pooled = self.pooling.pool(&hidden_states, &batch.attention_mask)?;
        l2_normalise(&pooled)
    }

    /// Attaches fresh LoRA adapters to every target module, replacing any adapters there were:
    /// `A` Kaiming-uniform from a generator seeded with `seed`, `B` zero.
    ///
    /// # Errors
    /// When the configuration is out of range or its targets match no layer.
    pub fn add_lora(&mut self, config: &LoraConfig, seed: u64) -> Result<()> {
        config.validate()?;
        let targets_something = self
            .model
            .linears()
            .iter()
            .any(|(module_name, _)| config.targets(module_name));
        if !targets_something {
            return Err(EncoderError::InvalidLoraConfig(format!(
                "target_modules {:?} match no layer; choose among {:?}",
                config.target_modules,
                crate::lora::ADAPTABLE_MODULES
            )));
        }

        let mut rng = initialisation_rng(seed);
        for (module_name, linear) in self.model.linears_mut() {
            if config.targets(&module_name) {
                linear.attach_initialised(config, &mut rng)?;
            } else {
                linear.detach_adapter();
            }
        }
        self.lora = Some(config.clone());
        Ok(())
    }

    /// Returns the configuration of the attached adapters, if any.
    #[must_use]
    pub fn lora_config(&self) -> Option<&LoraConfig> {
        self.lora.as_ref()
    }

    /// Returns the trainable tensors, `lora_A` and `lora_B` of every adapted layer, under their PEFT keys
    /// (`base_model.model.encoder.layer.0.attention.self.query.lora_A.weight`), in layer order.
    #[must_use]
    pub fn trainable_vars(&self) -> Vec<(String, Var)> {
        let mut vars = Vec::new();
        for (module_name, linear) in self.model.linears() {
            if let Some(adapter) = linear.adapter() {
                vars.push((
                    format!("base_model.model.{module_name}.lora_A.weight"),
                    adapter.lora_a.clone(),
                ));
                vars.push((
                    format!("base_model.model.{module_name}.lora_B.weight"),
                    adapter.lora_b.clone(),
                ));
            }
        }
        vars
    }

    /// Writes the adapters as `adapter_config.json` and `adapter_model.safetensors` in PEFT's
    /// format.
    ///
    /// # Errors
    /// When no adapter is attached or a file cannot be written.
    pub fn save_adapter(&self, folder: &Path, base_model_name_or_path: Option<&str>) -> Result<()> {
        let Some(lora) = &self.lora else {
            return Err(EncoderError::InvalidLoraConfig(format!(
                "no adapter is attached, so there is none to save to {}",
                folder.display()
            )));
        };
        adapter::save(&self.model, lora, folder, base_model_name_or_path)
    }

    /// Loads a PEFT LoRA adapter folder, replacing any attached adapters.
    ///
    /// # Errors
    /// When a file is missing, contains pickle weights, or the adapter does not fit the model (the
    /// message names the key or field).
    pub fn load_adapter(&mut self, folder: &Path) -> Result<()> {
        let lora = adapter::load(&mut self.model, folder, &self.device)?;
        tracing::debug!(folder = %folder.display(), r = lora.r, "loaded adapter");
        self.lora = Some(lora);
        Ok(())
    }

    /// Makes every weight of the model trainable, for full fine-tuning, and returns them under
    /// their Hugging Face names. Attached adapters are merged in first.
    ///
    /// # Errors
    /// When a tensor operation fails.
    pub fn make_fully_trainable(&mut self) -> Result<Vec<(String, Var)>> {
        self.merge_adapters()?;
        crate::full::make_trainable(&mut self.model)
    }

    /// Writes the model as a Hugging Face model folder: `model.safetensors` with the current
    /// weights, and the configuration, tokenizer and pooling files of the folder it was loaded
    /// from. Attached adapters are not merged; merge them first to include them.
    ///
    /// # Errors
    /// When a file cannot be read or written.
    pub fn save_model_folder(&self, folder: &Path) -> Result<()> {
        crate::full::save_model_folder(&self.model, &self.folder, folder)
    }

    /// Folds every adapter into its frozen weight, `W += scaling * B A`, and removes the
    /// adapters; the model then computes the same embeddings faster, without trainable tensors.
    ///
    /// # Errors
    /// When a tensor operation fails.
    pub fn merge_adapters(&mut self) -> Result<()> {
        for (_, linear) in self.model.linears_mut() {
            linear.merge()?;
        }
        self.lora = None;
        Ok(())
    }
}
