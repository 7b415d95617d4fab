//! Typed settings read from `pipeline.toml`.
//!
//! Every table rejects unknown keys, and [`PipelineConfig::load`] checks ranges before any stage
//! starts work, so a typo or an impossible value fails in milliseconds with the key's name.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// The whole of `pipeline.toml`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    #[serde(default)]
    pub pipeline: PipelineSection,
    #[serde(default)]
    pub model: ModelSection,
    #[serde(default)]
    pub ingest: IngestSection,
    #[serde(default)]
    pub train: TrainSection,
    #[serde(default)]
    pub evaluate: EvaluateSection,
    #[serde(default)]
    pub embed: EmbedSection,
    #[serde(default)]
    pub index: IndexSection,
    /// Folder that relative paths are resolved against: the folder of the config file.
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// Path the settings were read from.
    #[serde(skip)]
    pub source_path: PathBuf,
}

/// `[pipeline]`: settings every stage shares.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PipelineSection {
    /// Folder with one subfolder per stage.
    pub artifacts_dir: PathBuf,
    /// Seed for every random choice (splits, initialisation, shuffling).
    pub seed: u64,
    /// Worker threads for compute; 0 means one per core.
    pub threads: usize,
}

impl Default for PipelineSection {
    fn default() -> Self {
        Self { artifacts_dir: PathBuf::from("artifacts"), seed: 42, threads: 0 }
    }
}

/// Pooling of token embeddings into one sentence embedding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PoolingSetting {
    /// Read the model folder's `1_Pooling/config.json`; mean pooling when it has none.
    Auto,
    Mean,
    Cls,
}

/// `[model]`: the encoder every model stage loads.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelSection {
    /// Hugging Face model folder (config.json, model.safetensors, tokenizer.json).
    pub path: PathBuf,
    /// Maximum tokens per text fed to the encoder, special tokens included; longer texts are truncated.
    pub max_length_tokens: usize,
    pub pooling: PoolingSetting,
    /// Text put before every query (e5 models expect "query: ").
    pub query_prefix: String,
    /// Text put before every product title (e5 models expect "passage: ").
    pub passage_prefix: String,
}

impl Default for ModelSection {
    fn default() -> Self {
        Self {
            path: PathBuf::from("models/all-MiniLM-L6-v2"),
            max_length_tokens: 128,
            pooling: PoolingSetting::Auto,
            query_prefix: String::new(),
            passage_prefix: String::new(),
        }
    }
}

/// Layout of the ingest input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceFormat {
    /// Amazon's ESCI release: an examples file joined with a products file.
    Esci,
    /// One table of (query, product title, label) rows: the PEFT example's flat layout by
    /// default, any other layout through `[ingest.columns]`.
    Pairs,
}

/// File type of a pairs table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileType {
    /// Chosen from the extension: .parquet, .csv, .tsv, .jsonl or .ndjson.
    Auto,
    Parquet,
    Csv,
    Tsv,
    Jsonl,
}

/// Character encoding of text files (CSV, TSV, JSONL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextEncoding {
    /// Invalid UTF-8 is an error that names the row.
    #[serde(rename = "utf-8")]
    Utf8,
    /// Every byte is decoded as ISO-8859-1, for files known to be Latin-1.
    #[serde(rename = "latin-1")]
    Latin1,
}

/// Ingest's action on a label outside the expected set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnknownLabelPolicy {
    /// Stop with an error that names the row and the value.
    Error,
    /// Drop the row and count it under `unknown_label`.
    Drop,
}

/// `[ingest]`: where the labelled pairs come from and how they are split.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestSection {
    pub format: SourceFormat,
    /// ESCI examples file, or the pairs table.
    pub path: PathBuf,
    /// ESCI products file; only read when `format = "esci"`.
    pub products_path: Option<PathBuf>,
    pub file_type: FileType,
    pub text_encoding: TextEncoding,
    /// ESCI only: keep rows of this locale ("us", "es" or "jp"); all locales when absent.
    pub product_locale: Option<String>,
    /// ESCI only: keep rows whose `small_version` flag equals this; all rows when absent.
    pub small_version: Option<bool>,
    pub on_unknown_label: UnknownLabelPolicy,
    pub columns: ColumnMapping,
    pub labels: LabelRule,
    pub split: SplitSettings,
}

impl Default for IngestSection {
    fn default() -> Self {
        Self {
            format: SourceFormat::Esci,
            path: PathBuf::from("data/esci-sample/shopping_queries_dataset_examples.parquet"),
            products_path: Some(PathBuf::from(
                "data/esci-sample/shopping_queries_dataset_products.parquet",
            )),
            file_type: FileType::Auto,
            text_encoding: TextEncoding::Utf8,
            product_locale: None,
            small_version: None,
            on_unknown_label: UnknownLabelPolicy::Error,
            columns: ColumnMapping::default(),
            labels: LabelRule::default(),
            split: SplitSettings::default(),
        }
    }
}

/// `[ingest.columns]`: the column name of each field of a pairs table.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ColumnMapping {
    pub query: String,
    pub product_title: String,
    pub relevance_label: String,
    /// Product identifier column; when absent, ids are derived from the title text.
    pub product_id: Option<String>,
    /// Column with train/validation/test per row, read when `[ingest.split] method = "column"`.
    pub split: Option<String>,
}

impl Default for ColumnMapping {
    fn default() -> Self {
        Self {
            query: "query".into(),
            product_title: "product_title".into(),
            relevance_label: "relevance_label".into(),
            product_id: None,
            split: None,
        }
    }
}

/// `[ingest.labels]`: how raw labels become 1 (relevant) or 0.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LabelRule {
    /// ESCI letters that count as relevant; the other letters of E, S, C, I count as 0.
    pub esci_positive: Vec<String>,
    /// Numeric labels at or above this value count as relevant. Without it, numeric labels must
    /// be 0 or 1.
    pub threshold: Option<f64>,
}

impl Default for LabelRule {
    fn default() -> Self {
        Self { esci_positive: vec!["E".into()], threshold: None }
    }
}

/// Rule that assigns pairs to train, validation and test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SplitMethod {
    /// Hash of the normalised query and the seed, so every pair of a query lands in one split.
    Hash,
    /// Honour the input's split column (`split` for ESCI, `[ingest.columns] split` otherwise).
    Column,
    /// A fixed rule that other tools can reproduce: the 8-byte BLAKE2b digest of the query
    /// (trimmed, lower-cased, UTF-8) read as a big-endian integer, modulo 10; bucket 0 is test,
    /// 1 validation, the rest train. Python: `int(hashlib.blake2b(key, digest_size=8).hexdigest(), 16) % 10`.
    /// The shares and the seed are not used.
    #[serde(rename = "blake2b-mod10")]
    Blake2bMod10,
}

/// `[ingest.split]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SplitSettings {
    pub method: SplitMethod,
    /// Share of queries in the train split, 0 to 1.
    pub train: f64,
    pub validation: f64,
    pub test: f64,
}

impl Default for SplitSettings {
    fn default() -> Self {
        Self { method: SplitMethod::Hash, train: 0.8, validation: 0.1, test: 0.1 }
    }
}

/// Weights that training updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrainMethod {
    /// LoRA adapters on the target modules; the base weights stay frozen.
    Lora,
    /// Every weight of the encoder; the result is a full model folder.
    Full,
}

/// Optimiser for training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OptimizerKind {
    Adam,
    /// Adam with decoupled weight decay (`weight_decay`).
    Adamw,
}

/// Learning-rate schedule after warmup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScheduleKind {
    /// Linear decay from `learning_rate` to 0 at the last step.
    Linear,
    Constant,
}

/// `[train]`: fine-tuning settings. The defaults are the PEFT semantic-similarity example's recipe.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainSection {
    pub method: TrainMethod,
    pub epochs: usize,
    /// Pairs per optimiser step (before gradient accumulation).
    pub batch_size: usize,
    pub learning_rate: f64,
    pub optimizer: OptimizerKind,
    /// AdamW only.
    pub weight_decay: f64,
    pub schedule: ScheduleKind,
    /// Steps of linear warmup from 0 to `learning_rate`.
    pub warmup_steps: usize,
    /// Batches whose gradients are summed before each optimiser step.
    pub gradient_accumulation_steps: usize,
    /// Clip the global gradient norm to this value; 0 turns clipping off.
    pub max_grad_norm: f64,
    /// Stop after this many optimiser steps; 0 means no limit (run every epoch).
    pub max_steps: usize,
    pub lora_r: usize,
    pub lora_alpha: f64,
    pub lora_dropout: f64,
    /// Modules that get LoRA adapters: query, key, value, attention.output.dense,
    /// intermediate.dense, output.dense.
    pub target_modules: Vec<String>,
    /// Group pairs of similar token length into batches (less padding, less CPU time).
    pub bucket_by_length: bool,
    /// Also write a checkpoint every this many steps; 0 writes one at the end of each epoch only.
    pub checkpoint_every_steps: usize,
}

impl Default for TrainSection {
    fn default() -> Self {
        Self {
            method: TrainMethod::Lora,
            epochs: 3,
            batch_size: 64,
            learning_rate: 5e-4,
            optimizer: OptimizerKind::Adam,
            weight_decay: 0.0,
            schedule: ScheduleKind::Linear,
            warmup_steps: 0,
            gradient_accumulation_steps: 1,
            max_grad_norm: 0.0,
            max_steps: 0,
            lora_r: 8,
            lora_alpha: 16.0,
            lora_dropout: 0.0,
            target_modules: vec!["query".into(), "key".into(), "value".into()],
            bucket_by_length: false,
            checkpoint_every_steps: 0,
        }
    }
}

/// `[evaluate]`: ROC-AUC reports for the untuned and the tuned model.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct EvaluateSection {
    /// Pairs per forward batch.
    pub batch_size: usize,
    /// Fail the stage (exit 1) when the tuned model's test ROC-AUC is below this value.
    pub min_roc_auc: Option<f64>,
    /// Score only the first this many pairs of each split; 0 scores all of them.
    pub max_pairs: usize,
}

impl Default for EvaluateSection {
    fn default() -> Self {
        Self { batch_size: 128, min_roc_auc: None, max_pairs: 0 }
    }
}

/// Weights that embed the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EmbedModel {
    /// The model with the tuned adapter merged; the train stage must have run.
    Tuned,
    /// The untuned model, for pipelines without a train stage.
    Base,
}

/// `[embed]`: catalog embeddings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmbedSection {
    pub model: EmbedModel,
    /// Titles per forward batch; batches hold titles of similar length.
    pub batch_size: usize,
}

impl Default for EmbedSection {
    fn default() -> Self {
        Self { model: EmbedModel::Tuned, batch_size: 64 }
    }
}

/// `[index]`: the FAISS index over the catalog embeddings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct IndexSection {
    /// FAISS index factory string, for example "HNSW32,Flat", "IVF256,Flat" or "Flat".
    pub factory: String,
    /// HNSW only: candidate list size while building.
    pub ef_construction: usize,
    /// HNSW only: candidate list size while searching.
    pub ef_search: usize,
    /// IVF only: inverted lists visited per query.
    pub nprobe: usize,
    /// Number of `lorasearch-embed --shard i/N` outputs to read; 0 reads the unsharded output.
    pub embed_shards: usize,
    /// Catalog vectors used as queries to measure recall@10 against exact search.
    pub recall_sample: usize,
}

impl Default for IndexSection {
    fn default() -> Self {
        Self {
            factory: "HNSW32,Flat".into(),
            ef_construction: 200,
            ef_search: 100,
            nprobe: 16,
            embed_shards: 0,
            recall_sample: 1000,
        }
    }
}

impl PipelineConfig {
    /// Reads and checks `path`; relative paths inside are resolved against its folder.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        let mut config = Self::parse(&text, path)?;
        // An empty base folder keeps relative paths as written, relative to the working folder.
        config.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        config.source_path = path.to_path_buf();
        Ok(config)
    }

    /// Parses settings text; `path` only labels errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text).map_err(|error| ConfigError::Parse {
            path: path.to_path_buf(),
            message: error.to_string(),
        })?;
        config.validate().map_err(|invalid| invalid.in_file(path))?;
        Ok(config)
    }

    /// Resolves a path from the settings against the config file's folder.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() || self.base_dir.as_os_str().is_empty() {
            path.to_path_buf()
        } else {
            self.base_dir.join(path)
        }
    }

    /// Returns the folder with the artifacts of `stage`.
    pub fn stage_dir(&self, stage: &str) -> PathBuf {
        self.artifacts_dir().join(stage)
    }

    pub fn artifacts_dir(&self) -> PathBuf {
        self.resolve(&self.pipeline.artifacts_dir)
    }

    fn validate(&self) -> Result<(), InvalidValue> {
        let model = &self.model;
        check(model.max_length_tokens >= 3, "model.max_length_tokens", "an integer of at least 3 (two special tokens and one word)", model.max_length_tokens)?;
        check(model.max_length_tokens <= 8192, "model.max_length_tokens", "at most 8192", model.max_length_tokens)?;
        check(self.pipeline.threads <= 4096, "pipeline.threads", "0 (one per core) or a thread count up to 4096", self.pipeline.threads)?;

        let ingest = &self.ingest;
        check(!ingest.path.as_os_str().is_empty(), "ingest.path", "the path of the input file", "an empty string")?;
        if ingest.format == SourceFormat::Esci {
            check(ingest.products_path.is_some(), "ingest.products_path", "the ESCI products file, required when format = \"esci\"", "nothing")?;
        }
        if let Some(locale) = &ingest.product_locale {
            check(!locale.trim().is_empty(), "ingest.product_locale", "a locale such as \"us\", \"es\" or \"jp\"", "an empty string")?;
        }
        for (key, name) in [
            ("ingest.columns.query", &ingest.columns.query),
            ("ingest.columns.product_title", &ingest.columns.product_title),
            ("ingest.columns.relevance_label", &ingest.columns.relevance_label),
        ] {
            check(!name.trim().is_empty(), key, "a column name", "an empty string")?;
        }

        let positives = &ingest.labels.esci_positive;
        check(!positives.is_empty(), "ingest.labels.esci_positive", "at least one of \"E\", \"S\", \"C\", \"I\"", "an empty list")?;
        for letter in positives {
            check(["E", "S", "C", "I"].contains(&letter.as_str()), "ingest.labels.esci_positive", "letters among \"E\", \"S\", \"C\", \"I\"", format!("{letter:?}"))?;
        }
        if let Some(threshold) = ingest.labels.threshold {
            check(threshold.is_finite(), "ingest.labels.threshold", "a finite number", threshold)?;
        }

        let train = &self.train;
        check(train.epochs >= 1, "train.epochs", "at least 1", train.epochs)?;
        check(train.batch_size >= 1, "train.batch_size", "at least 1 pair", train.batch_size)?;
        check(train.learning_rate > 0.0 && train.learning_rate.is_finite(), "train.learning_rate", "a number greater than 0", train.learning_rate)?;
        check(train.weight_decay >= 0.0 && train.weight_decay.is_finite(), "train.weight_decay", "a number of at least 0", train.weight_decay)?;
        check(train.gradient_accumulation_steps >= 1, "train.gradient_accumulation_steps", "at least 1", train.gradient_accumulation_steps)?;
        check(train.max_grad_norm >= 0.0 && train.max_grad_norm.is_finite(), "train.max_grad_norm", "0 (off) or a positive number", train.max_grad_norm)?;
        check(train.lora_r >= 1, "train.lora_r", "at least 1", train.lora_r)?;
        check(train.lora_alpha > 0.0 && train.lora_alpha.is_finite(), "train.lora_alpha", "a number greater than 0", train.lora_alpha)?;
        check((0.0..1.0).contains(&train.lora_dropout), "train.lora_dropout", "a probability in [0, 1)", train.lora_dropout)?;
        check(!train.target_modules.is_empty(), "train.target_modules", "at least one module name", "an empty list")?;

        let evaluate = &self.evaluate;
        check(evaluate.batch_size >= 1, "evaluate.batch_size", "at least 1 pair", evaluate.batch_size)?;
        if let Some(min_roc_auc) = evaluate.min_roc_auc {
            check((0.0..=1.0).contains(&min_roc_auc), "evaluate.min_roc_auc", "a number between 0 and 1", min_roc_auc)?;
        }

        check(self.embed.batch_size >= 1, "embed.batch_size", "at least 1 title", self.embed.batch_size)?;
        let index = &self.index;
        check(!index.factory.trim().is_empty(), "index.factory", "a FAISS factory string such as \"HNSW32,Flat\"", "an empty string")?;
        check(index.ef_construction >= 1, "index.ef_construction", "at least 1", index.ef_construction)?;
        check(index.ef_search >= 1, "index.ef_search", "at least 1", index.ef_search)?;
        check(index.nprobe >= 1, "index.nprobe", "at least 1", index.nprobe)?;
        check(index.embed_shards <= 4096, "index.embed_shards", "0 (unsharded) or a shard count up to 4096", index.embed_shards)?;

        let split = &ingest.split;
        for (key, share) in [
            ("ingest.split.train", split.train),
            ("ingest.split.validation", split.validation),
            ("ingest.split.test", split.test),
        ] {
            check((0.0..=1.0).contains(&share), key, "a share between 0 and 1", share)?;
        }
        let total = split.train + split.validation + split.test;
        check((total - 1.0).abs() < 1e-9, "ingest.split", "train + validation + test = 1", format!("a sum of {total}"))?;
        Ok(())
    }
}

/// A value that parsed but is out of range; the file path is added by the caller.
#[derive(Debug)]
pub(crate) struct InvalidValue {
    key: String,
    expected: String,
    found: String,
}

impl InvalidValue {
    fn in_file(self, path: &Path) -> ConfigError {
        ConfigError::Invalid { path: path.to_path_buf(), key: self.key, expected: self.expected, found: self.found }
    }
}

fn check(ok: bool, key: &str, expected: &str, found: impl std::fmt::Display) -> Result<(), InvalidValue> {
    if ok {
        return Ok(());
    }
    Err(InvalidValue { key: key.to_string(), expected: expected.to_string(), found: found.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<PipelineConfig, ConfigError> {
        PipelineConfig::parse(text, Path::new("pipeline.toml"))
    }

    #[test]
    fn empty_file_gives_defaults() {
        let config = parse("").unwrap();
        assert_eq!(config.model.max_length_tokens, 128);
    }

    #[test]
    fn unknown_key_is_rejected_by_name() {
        let message = parse("[ingest]\nformt = \"esci\"\n").unwrap_err().to_string();
        assert!(message.contains("formt"), "{message}");
    }

    #[test]
    fn wrong_type_is_rejected_by_name() {
        let message = parse("[model]\nmax_length_tokens = \"long\"\n").unwrap_err().to_string();
        assert!(message.contains("max_length_tokens"), "{message}");
    }

    #[test]
    fn split_shares_must_sum_to_one() {
        let message = parse("[ingest.split]\ntrain = 0.9\n").unwrap_err().to_string();
        assert!(message.contains("ingest.split"), "{message}");
    }

    #[test]
    fn zero_batch_size_is_rejected() {
        let message = parse("[train]\nbatch_size = 0\n").unwrap_err().to_string();
        assert!(message.contains("train.batch_size"), "{message}");
    }

    #[test]
    fn zero_learning_rate_is_rejected() {
        let message = parse("[train]\nlearning_rate = 0.0\n").unwrap_err().to_string();
        assert!(message.contains("train.learning_rate"), "{message}");
    }

    #[test]
    fn zero_lora_rank_is_rejected() {
        let message = parse("[train]\nlora_r = 0\n").unwrap_err().to_string();
        assert!(message.contains("train.lora_r"), "{message}");
    }

    #[test]
    fn unknown_esci_letter_is_rejected() {
        let message = parse("[ingest.labels]\nesci_positive = [\"X\"]\n").unwrap_err().to_string();
        assert!(message.contains("ingest.labels.esci_positive"), "{message}");
    }
}
