//! The runtime every lorasearch stage shares.
//!
//! A stage binary loads [`PipelineConfig`] from `pipeline.toml`, builds its [`StagePlan`] from
//! [`stages`], and hands its work to [`run_stage`]. The runtime then takes the stage's lock,
//! hashes the inputs (through a stat cache), skips the work when the stage key and the recorded
//! outputs still match, and otherwise runs it into a staging folder that replaces the previous
//! outputs atomically, with `manifest.json` written last.
//!
//! ```no_run
//! use lorasearch_runtime::{PipelineConfig, run_stage, stages};
//!
//! let config = PipelineConfig::load("pipeline.toml".as_ref())?;
//! let plan = stages::ingest_plan(&config)?;
//! run_stage(&plan, &config.artifacts_dir(), false, |work| {
//!     std::fs::write(work.output_path("train.parquet"), b"...")?;
//!     work.record_metric("pairs", 16);
//!     Ok(())
//! })?;
//! # Ok::<(), anyhow::Error>(())
//! ```

pub mod atomic;
pub mod cli;
pub mod config;
pub mod error;
pub mod hashing;
pub mod lock;
pub mod logging;
pub mod manifest;
pub mod memory;
pub mod plan;
pub mod progress;
pub mod stage;
pub mod stages;
pub mod status;
pub mod threads;

pub use cli::{CommonArgs, exit_code};
pub use config::PipelineConfig;
pub use error::{ConfigError, UsageError};
pub use manifest::Manifest;
pub use plan::{StageInput, StagePlan};
pub use stage::{Outcome, StageWork, run_stage};
