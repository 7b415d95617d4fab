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
    /// One row per distinct query: query, token_ids, length_tokens, truncated.
    pub const QUERIES: &str = "queries.parquet";
    /// One row per catalog product: product_id, product_title, token_ids, length_tokens, truncated.
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

/// Every stage in run order.
pub fn pipeline_plans(config: &PipelineConfig) -> anyhow::Result<Vec<StagePlan>> {
    Ok(vec![ingest_plan(config)?, tokenize_plan(config)?, train_plan(config)?])
}

/// The model folder's files that decide its outputs, as stage inputs.
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
    let mut plan = StagePlan::new(TOKENIZE, 1, &parameters, config.stage_dir(TOKENIZE))?;
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
    plan.inputs.extend(model_inputs(config, &["config.json", "model.safetensors"]));
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
