//! The pipeline's stages in run order, and the plan of each: parameters, inputs and outputs.
//!
//! The stage binaries and `lorasearch status` build plans from here, so both always agree on
//! what makes a stage stale.

use serde::Serialize;

use crate::config::{IngestSection, PipelineConfig, PoolingSetting, SourceFormat, TrainSection};
use crate::plan::{StageInput, StagePlan};

pub const INGEST: &str = "ingest";
pub const TOKENIZE: &str = "tokenize";
pub const TRAIN: &str = "train";

/// Hint for a missing model file.
pub const MODEL_HINT: &str = "run `make model` to fetch the default model, or set `model.path` to a Hugging Face model folder";

/// Output files of the ingest stage.
pub mod ingest_outputs {
    pub const TRAIN: &str = "train.parquet";
    pub const VALIDATION: &str = "validation.parquet";
    pub const TEST: &str = "test.parquet";
    pub const CATALOG: &str = "catalog.parquet";
}

/// Output files of the tokenize stage.
pub mod tokenize_outputs {
    /// One row per distinct query: query, token_ids, length_tokens, original_length_tokens, truncated.
    pub const QUERIES: &str = "queries.parquet";
    /// One row per catalog product, then other titles that pairs give for a catalog product:
    /// product_id, product_title, token_ids, length_tokens, truncated, in_catalog.
    pub const TITLES: &str = "titles.parquet";
    /// Per split: query_index, title_index (rows of the two files above), relevance_label.
    pub const TRAIN: &str = "train.parquet";
    pub const VALIDATION: &str = "validation.parquet";
    pub const TEST: &str = "test.parquet";
}

/// Output files of the train stage.
pub mod train_outputs {
    /// Loss per optimiser step: step, epoch, loss, learning_rate, pairs_per_second.
    pub const HISTORY: &str = "history.parquet";
    /// Folder of per-epoch snapshots, `checkpoints/epoch-N/`, each in the final output's format.
    pub const EPOCH_CHECKPOINTS: &str = "checkpoints";
    /// Folder under the artifacts folder that keeps resumable checkpoints across killed runs,
    /// one subfolder per stage key.
    pub const RESUME_CHECKPOINTS: &str = ".checkpoints/train";
}

/// Returns the plan of every stage, in run order.
pub fn pipeline_plans(config: &PipelineConfig) -> anyhow::Result<Vec<StagePlan>> {
    Ok(vec![ingest_plan(config)?, tokenize_plan(config)?, train_plan(config)?, evaluate_plan(config)?, embed_plan(config, None)?, index_plan(config)?])
}

/// Returns the named files of the model folder as stage inputs.
pub fn model_inputs(config: &PipelineConfig, files: &[&str]) -> Vec<StageInput> {
    let folder = config.resolve(&config.model.path);
    files.iter().map(|file| StageInput::file(folder.join(file)).with_hint(MODEL_HINT)).collect()
}

#[derive(Serialize)]
struct TokenizeParameters<'a> {
    max_length_tokens: usize,
    query_prefix: &'a str,
    passage_prefix: &'a str,
}

pub fn tokenize_plan(config: &PipelineConfig) -> anyhow::Result<StagePlan> {
    let parameters = TokenizeParameters {
        max_length_tokens: config.model.max_length_tokens,
        query_prefix: &config.model.query_prefix,
        passage_prefix: &config.model.passage_prefix,
    };
    let mut plan = StagePlan::new(TOKENIZE, 2, &parameters, config.stage_dir(TOKENIZE))?;
    let ingest_dir = config.stage_dir(INGEST);
    for file in [ingest_outputs::TRAIN, ingest_outputs::VALIDATION, ingest_outputs::TEST, ingest_outputs::CATALOG] {
        plan.inputs.push(StageInput::artifact(ingest_dir.join(file), INGEST));
    }
    plan.inputs.extend(model_inputs(config, &["tokenizer.json"]));
    plan.upstream.push(INGEST);
    Ok(plan)
}

#[derive(Serialize)]
struct TrainParameters<'a> {
    train: &'a TrainSection,
    max_length_tokens: usize,
    pooling: PoolingSetting,
    seed: u64,
}

pub fn train_plan(config: &PipelineConfig) -> anyhow::Result<StagePlan> {
    let parameters = TrainParameters {
        train: &config.train,
        max_length_tokens: config.model.max_length_tokens,
        pooling: config.model.pooling,
        seed: config.pipeline.seed,
    };
    let mut plan = StagePlan::new(TRAIN, 1, &parameters, config.stage_dir(TRAIN))?;
    let tokenize_dir = config.stage_dir(TOKENIZE);
    for file in [tokenize_outputs::QUERIES, tokenize_outputs::TITLES, tokenize_outputs::TRAIN, tokenize_outputs::VALIDATION] {
        plan.inputs.push(StageInput::artifact(tokenize_dir.join(file), TOKENIZE));
    }
    plan.inputs.extend(encoder_inputs(config));
    plan.upstream.push(TOKENIZE);
    Ok(plan)
}

#[derive(Serialize)]
struct IngestParameters<'a> {
    ingest: &'a IngestSection,
    seed: u64,
}

pub fn ingest_plan(config: &PipelineConfig) -> anyhow::Result<StagePlan> {
    let parameters = IngestParameters { ingest: &config.ingest, seed: config.pipeline.seed };
    let mut plan = StagePlan::new(INGEST, 1, &parameters, config.stage_dir(INGEST))?;
    let hint = "set `ingest.path` in the settings file to an existing file";
    plan.inputs.push(StageInput::file(config.resolve(&config.ingest.path)).with_hint(hint));
    if config.ingest.format == SourceFormat::Esci {
        if let Some(products) = &config.ingest.products_path {
            let hint = "set `ingest.products_path` in the settings file to the ESCI products file";
            plan.inputs.push(StageInput::file(config.resolve(products)).with_hint(hint));
        }
    }
    Ok(plan)
}

pub const EMBED: &str = "embed";
pub const INDEX: &str = "index";

/// Output files of the embed stage.
pub mod embed_outputs {
    /// product_id and embedding (fixed-size list of f32), one row per catalog product.
    pub const EMBEDDINGS: &str = "embeddings.parquet";
}

/// Shard `index` of `count` of a stage that splits its work across machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Parses "i/n" with 0 <= i < n.
    pub fn parse(text: &str) -> Result<Self, String> {
        let invalid = || format!("invalid shard {text:?}: expected i/n with 0 <= i < n, for example 0/4");
        let (index, count) = text.split_once('/').ok_or_else(invalid)?;
        let index: usize = index.trim().parse().map_err(|_| invalid())?;
        let count: usize = count.trim().parse().map_err(|_| invalid())?;
        if count == 0 || index >= count {
            return Err(invalid());
        }
        Ok(Self { index, count })
    }

    /// True when `product_id` belongs to this shard: blake3 of the id, first 8 bytes as a
    /// little-endian integer, modulo the shard count.
    pub fn contains(&self, product_id: &str) -> bool {
        let digest = blake3::hash(product_id.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest.as_bytes()[..8]);
        (u64::from_le_bytes(first) % self.count as u64) as usize == self.index
    }
}

/// Folder of the embed stage's output, or of one shard of it.
pub fn embed_dir(config: &PipelineConfig, shard: Option<Shard>) -> std::path::PathBuf {
    match shard {
        None => config.stage_dir(EMBED),
        Some(shard) => config.stage_dir(&format!("{EMBED}-shard-{}-of-{}", shard.index, shard.count)),
    }
}

/// Returns the train stage's output files that define the tuned model, as inputs of a stage
/// that loads it: the adapter for `method = "lora"`, the model folder's config and weights for
/// `method = "full"`.
pub fn adapter_inputs(config: &PipelineConfig) -> Vec<StageInput> {
    let train_dir = config.stage_dir(TRAIN);
    let files: [&str; 2] = match config.train.method {
        crate::config::TrainMethod::Lora => ["adapter_config.json", "adapter_model.safetensors"],
        crate::config::TrainMethod::Full => ["config.json", "model.safetensors"],
    };
    files.iter().map(|file| StageInput::artifact(train_dir.join(file), TRAIN)).collect()
}

/// Returns the model files that decide embeddings (architecture, weights, tokenizer and, when
/// the folder has one, the pooling file) as stage inputs.
pub fn encoder_inputs(config: &PipelineConfig) -> Vec<StageInput> {
    let mut files = vec!["config.json", "model.safetensors", "tokenizer.json"];
    if config.resolve(&config.model.path).join(POOLING_FILE).is_file() {
        files.push(POOLING_FILE);
    }
    model_inputs(config, &files)
}

/// Pooling settings of a sentence-transformers model folder.
pub const POOLING_FILE: &str = "1_Pooling/config.json";

#[derive(Serialize)]
struct EmbedParameters<'a> {
    embed: &'a crate::config::EmbedSection,
    max_length_tokens: usize,
    pooling: PoolingSetting,
    shard: Option<Shard>,
}

pub fn embed_plan(config: &PipelineConfig, shard: Option<Shard>) -> anyhow::Result<StagePlan> {
    let parameters = EmbedParameters {
        embed: &config.embed,
        max_length_tokens: config.model.max_length_tokens,
        pooling: config.model.pooling,
        shard,
    };
    let mut plan = StagePlan::new(EMBED, 1, &parameters, embed_dir(config, shard))?;
    plan.inputs.push(StageInput::artifact(config.stage_dir(TOKENIZE).join(tokenize_outputs::TITLES), TOKENIZE));
    plan.inputs.extend(encoder_inputs(config));
    plan.upstream.push(TOKENIZE);
    if config.embed.model == crate::config::EmbedModel::Tuned {
        plan.inputs.extend(adapter_inputs(config));
        plan.upstream.push(TRAIN);
    }
    Ok(plan)
}

pub const EVALUATE: &str = "evaluate";

/// Output files of the evaluate stage; `docs/evaluate-report.md` documents the report.
pub mod evaluate_outputs {
    /// Metrics per model and split, in the `lorasearch-evaluate-report/1` layout.
    pub const REPORT_JSON: &str = "report.json";
    /// The same numbers as a table for people.
    pub const REPORT_MARKDOWN: &str = "report.md";

    /// `roc_<split>.<extension>`: the ROC curves of every evaluated model on one chart.
    pub fn roc_chart(split: &str, extension: &str) -> String {
        format!("roc_{split}.{extension}")
    }

    /// `pr_<split>.<extension>`: the precision-recall curves of every evaluated model.
    pub fn pr_chart(split: &str, extension: &str) -> String {
        format!("pr_{split}.{extension}")
    }
}

/// True when the train stage has completed with a tuned model: its folder contains
/// `manifest.json` and either a LoRA adapter (`adapter_config.json`) or, after
/// `method = "full"`, a model folder (`model.safetensors`). `lorasearch_inference::tuned_output`
/// applies the same test.
pub fn train_has_adapter(config: &PipelineConfig) -> bool {
    let train_dir = config.stage_dir(TRAIN);
    train_dir.join(crate::manifest::MANIFEST_FILE).is_file()
        && (train_dir.join("adapter_config.json").is_file() || train_dir.join("model.safetensors").is_file())
}

#[derive(Serialize)]
struct EvaluateParameters<'a> {
    evaluate: &'a crate::config::EvaluateSection,
    max_length_tokens: usize,
    pooling: PoolingSetting,
}

/// Builds the evaluate plan. The stage reads the tokenized validation and test pairs, the model, and the tuned
/// adapter when the train stage has written one. Without an adapter it evaluates the untuned
/// model only. Once an adapter appears, its files are inputs, so the stage key changes and the
/// stage reruns.
pub fn evaluate_plan(config: &PipelineConfig) -> anyhow::Result<StagePlan> {
    let parameters = EvaluateParameters {
        evaluate: &config.evaluate,
        max_length_tokens: config.model.max_length_tokens,
        pooling: config.model.pooling,
    };
    let mut plan = StagePlan::new(EVALUATE, 1, &parameters, config.stage_dir(EVALUATE))?;
    let tokenize_dir = config.stage_dir(TOKENIZE);
    for file in [tokenize_outputs::QUERIES, tokenize_outputs::TITLES, tokenize_outputs::VALIDATION, tokenize_outputs::TEST] {
        plan.inputs.push(StageInput::artifact(tokenize_dir.join(file), TOKENIZE));
    }
    plan.inputs.extend(encoder_inputs(config));
    if train_has_adapter(config) {
        plan.inputs.extend(adapter_inputs(config));
    }
    plan.upstream.extend([TOKENIZE, TRAIN]);
    Ok(plan)
}

/// Output files of the index stage.
pub mod index_outputs {
    /// The FAISS index, in FAISS's own format (`faiss.read_index` opens it).
    pub const INDEX: &str = "index.faiss";
    /// product_id per index row, in the order the vectors were added.
    pub const ID_MAP: &str = "id_map.parquet";
    /// Build time, recall@10 against exact search and retrieval quality on test queries.
    pub const REPORT: &str = "report.json";
}

#[derive(Serialize)]
struct IndexParameters<'a> {
    index: &'a crate::config::IndexSection,
    embed_model: crate::config::EmbedModel,
    max_length_tokens: usize,
    pooling: PoolingSetting,
    seed: u64,
}

pub fn index_plan(config: &PipelineConfig) -> anyhow::Result<StagePlan> {
    let parameters = IndexParameters {
        index: &config.index,
        embed_model: config.embed.model,
        max_length_tokens: config.model.max_length_tokens,
        pooling: config.model.pooling,
        seed: config.pipeline.seed,
    };
    let mut plan = StagePlan::new(INDEX, 1, &parameters, config.stage_dir(INDEX))?;
    for path in embedding_files(config) {
        plan.inputs.push(StageInput::artifact(path, EMBED));
    }
    let tokenize_dir = config.stage_dir(TOKENIZE);
    for file in [tokenize_outputs::QUERIES, tokenize_outputs::TITLES, tokenize_outputs::TEST] {
        plan.inputs.push(StageInput::artifact(tokenize_dir.join(file), TOKENIZE));
    }
    plan.inputs.extend(encoder_inputs(config));
    if config.embed.model == crate::config::EmbedModel::Tuned {
        plan.inputs.extend(adapter_inputs(config));
    }
    plan.upstream.push(EMBED);
    Ok(plan)
}

/// Returns the embedding files the index stage reads: the unsharded output, or every shard's.
pub fn embedding_files(config: &PipelineConfig) -> Vec<std::path::PathBuf> {
    if config.index.embed_shards == 0 {
        return vec![embed_dir(config, None).join(embed_outputs::EMBEDDINGS)];
    }
    (0..config.index.embed_shards)
        .map(|index| {
            let shard = Shard { index, count: config.index.embed_shards };
            embed_dir(config, Some(shard)).join(embed_outputs::EMBEDDINGS)
        })
        .collect()
}
