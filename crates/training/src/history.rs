//! The loss history of a run and its Parquet file.
//!
//! `history.parquet` has one row per optimiser step: `step` (u64, counting from 1), `epoch` (u32,
//! counting from 1), `loss` (f64, the step's mean training loss before its update),
//! `learning_rate` (f64, the rate the update used) and `pairs_per_second` (f64, the step's
//! training pairs over its wall time).

use std::fs::File;
use std::path::Path;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainingError};

/// One optimiser step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRow {
    pub step: u64,
    pub epoch: u32,
    pub loss: f64,
    pub learning_rate: f64,
    pub pairs_per_second: f64,
}

/// Writes `rows` as `history.parquet` at `path`.
///
/// # Errors
/// When the file cannot be created or written.
pub fn write_history(path: &Path, rows: &[HistoryRow]) -> Result<()> {
    let write_error = |message: String| TrainingError::Write { path: path.to_path_buf(), message };
    let columns = vec![
        Column::new("step".into(), rows.iter().map(|row| row.step).collect::<Vec<u64>>()),
        Column::new("epoch".into(), rows.iter().map(|row| row.epoch).collect::<Vec<u32>>()),
        Column::new("loss".into(), rows.iter().map(|row| row.loss).collect::<Vec<f64>>()),
        Column::new("learning_rate".into(), rows.iter().map(|row| row.learning_rate).collect::<Vec<f64>>()),
        Column::new("pairs_per_second".into(), rows.iter().map(|row| row.pairs_per_second).collect::<Vec<f64>>()),
    ];
    let mut frame = DataFrame::new_infer_height(columns).map_err(|error| write_error(error.to_string()))?;
    let file = File::create(path).map_err(|source| TrainingError::io("creating", path, source))?;
    ParquetWriter::new(file).finish(&mut frame).map_err(|error| write_error(error.to_string()))?;
    Ok(())
}
