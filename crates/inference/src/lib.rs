//! Inference with the pipeline's model: load the configured encoder, with the tuned adapter
//! merged when the train stage has produced one, and embed many texts in length-sorted batches.
//!
//! The embed, evaluate and search binaries share this so that they load exactly the same model.
//!
//! ```no_run
//! use lorasearch_inference::{ModelChoice, embed_sorted, load_model};
//! use lorasearch_runtime::PipelineConfig;
//!
//! let config = PipelineConfig::load("pipeline.toml".as_ref())?;
//! let model = load_model(&config, ModelChoice::TunedIfAvailable)?;
//! let token_ids = model.encoder.tokenizer().encode_batch(&["usb c cable"])?;
//! let embeddings = embed_sorted(&model.encoder, &token_ids, 64, "embedding")?;
//! # Ok::<(), anyhow::Error>(())
//! ```

use std::path::{Path, PathBuf};

use anyhow::Context;
use lorasearch_encoder::{ADAPTER_CONFIG_FILE, Encoder, EncoderOptions, Pooling};
use lorasearch_runtime::config::{EmbedModel, PoolingSetting};
use lorasearch_runtime::manifest::MANIFEST_FILE;
use lorasearch_runtime::{PipelineConfig, progress};

/// Weights to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelChoice {
    /// The model folder as it is, without any adapter.
    Base,
    /// The tuned adapter when the train stage has completed, the base model otherwise.
    TunedIfAvailable,
    /// The tuned adapter; an error naming the train stage when there is none.
    Tuned,
}

impl ModelChoice {
    /// Returns the model that embeds the catalog, and so also the queries searched against it:
    /// `[embed] model`.
    pub fn for_catalog(config: &PipelineConfig) -> Self {
        match config.embed.model {
            EmbedModel::Tuned => Self::Tuned,
            EmbedModel::Base => Self::Base,
        }
    }
}

/// A loaded encoder and a description of what was loaded, for logs and reports.
pub struct LoadedModel {
    pub encoder: Encoder,
    /// The tuned output in use: an adapter folder merged into the weights, or the model folder
    /// that `method = "full"` training wrote.
    pub adapter: Option<PathBuf>,
}

impl LoadedModel {
    pub fn describe(&self) -> String {
        match &self.adapter {
            Some(tuned) if tuned.as_path() == self.encoder.folder() => format!("{} (fully fine-tuned)", tuned.display()),
            Some(adapter) => format!("{} with the adapter in {}", self.encoder.folder().display(), adapter.display()),
            None => format!("{} (untuned)", self.encoder.folder().display()),
        }
    }
}

/// Output of the train stage: a LoRA adapter, or a whole model folder (`method = "full"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TunedOutput {
    Adapter(PathBuf),
    FullModel(PathBuf),
}

/// Returns the train stage's tuned output, when the stage has completed.
pub fn tuned_output(config: &PipelineConfig) -> Option<TunedOutput> {
    let dir = config.stage_dir("train");
    if !dir.join(MANIFEST_FILE).is_file() {
        return None;
    }
    if dir.join(ADAPTER_CONFIG_FILE).is_file() {
        return Some(TunedOutput::Adapter(dir));
    }
    dir.join("model.safetensors").is_file().then_some(TunedOutput::FullModel(dir))
}

/// Loads the configured model folder, or the tuned model that `choice` selects.
pub fn load_model(config: &PipelineConfig, choice: ModelChoice) -> anyhow::Result<LoadedModel> {
    let tuned = match choice {
        ModelChoice::Base => None,
        ModelChoice::TunedIfAvailable => tuned_output(config),
        ModelChoice::Tuned => Some(tuned_output(config).with_context(|| {
            format!(
                "no tuned model in {}: run lorasearch-train (or make pipeline) first",
                config.stage_dir("train").display()
            )
        })?),
    };

    let base_folder = config.resolve(&config.model.path);
    let folder = match &tuned {
        Some(TunedOutput::FullModel(dir)) => dir.clone(),
        _ => base_folder,
    };
    let options = EncoderOptions { max_length_tokens: config.model.max_length_tokens, pooling: pooling(config.model.pooling) };
    let mut encoder = Encoder::load(&folder, options).with_context(|| format!("loading the model in {}", folder.display()))?;

    let adapter = match tuned {
        Some(TunedOutput::Adapter(dir)) => {
            load_and_merge(&mut encoder, &dir)?;
            Some(dir)
        }
        Some(TunedOutput::FullModel(dir)) => Some(dir),
        None => None,
    };
    Ok(LoadedModel { encoder, adapter })
}

fn load_and_merge(encoder: &mut Encoder, adapter: &Path) -> anyhow::Result<()> {
    encoder.load_adapter(adapter).with_context(|| format!("loading the adapter in {}", adapter.display()))?;
    encoder.merge_adapters().with_context(|| format!("merging the adapter in {}", adapter.display()))?;
    Ok(())
}

fn pooling(setting: PoolingSetting) -> Option<Pooling> {
    match setting {
        PoolingSetting::Auto => None,
        PoolingSetting::Mean => Some(Pooling::Mean),
        PoolingSetting::Cls => Some(Pooling::Cls),
    }
}

/// Embeds token id lists in batches of similar length (less padding), with a progress bar, and
/// returns the embeddings in the input order.
pub fn embed_sorted(encoder: &Encoder, token_ids: &[Vec<u32>], batch_size: usize, message: &str) -> anyhow::Result<Vec<Vec<f32>>> {
    let mut order: Vec<usize> = (0..token_ids.len()).collect();
    order.sort_by_key(|&index| (token_ids[index].len(), index));

    let bar = progress::items_bar(token_ids.len() as u64, message, "texts");
    let mut embeddings: Vec<Vec<f32>> = vec![Vec::new(); token_ids.len()];
    for chunk in order.chunks(batch_size.max(1)) {
        let batch: Vec<Vec<u32>> = chunk.iter().map(|&index| token_ids[index].clone()).collect();
        let rows = encoder.embed_token_ids(&batch)?.to_vec2::<f32>()?;
        for (&index, row) in chunk.iter().zip(rows) {
            embeddings[index] = row;
        }
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    Ok(embeddings)
}
