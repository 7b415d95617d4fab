//! The pipeline's stages in run order, and the plan of each: parameters, inputs and outputs.
//!
//! The stage binaries and `lorasearch status` build plans from here, so both always agree on
//! what makes a stage stale.

use serde::Serialize;

use crate::config::{IngestSection, PipelineConfig, SourceFormat};
use crate::plan::{StageInput, StagePlan};

pub const INGEST: &str = "ingest";

/// Output files of the ingest stage.
pub mod ingest_outputs {
    pub const TRAIN: &str = "train.parquet";
    pub const VALIDATION: &str = "validation.parquet";
    pub const TEST: &str = "test.parquet";
    pub const CATALOG: &str = "catalog.parquet";
}

/// Every stage in run order.
pub fn pipeline_plans(config: &PipelineConfig) -> anyhow::Result<Vec<StagePlan>> {
    Ok(vec![ingest_plan(config)?])
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
