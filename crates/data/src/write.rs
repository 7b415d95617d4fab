//! Writes ingest results as Parquet. The schemas are documented in `docs/artifacts.md`.

use std::fs::File;
use std::path::Path;

use polars::prelude::*;

use crate::error::IngestError;
use crate::ingest::Pair;

/// Writes pairs with the columns query, product_id, product_title, relevance_label (i32),
/// relevance_raw and source_row (i64).
pub fn write_pairs(path: &Path, pairs: &[Pair]) -> Result<(), IngestError> {
    let columns = vec![
        Column::new("query".into(), pairs.iter().map(|pair| pair.query.as_str()).collect::<Vec<_>>()),
        Column::new("product_id".into(), pairs.iter().map(|pair| pair.product_id.as_str()).collect::<Vec<_>>()),
        Column::new("product_title".into(), pairs.iter().map(|pair| pair.product_title.as_str()).collect::<Vec<_>>()),
        Column::new("relevance_label".into(), pairs.iter().map(|pair| pair.relevance_label).collect::<Vec<i32>>()),
        Column::new("relevance_raw".into(), pairs.iter().map(|pair| pair.relevance_raw.as_str()).collect::<Vec<_>>()),
        Column::new("source_row".into(), pairs.iter().map(|pair| pair.source_row).collect::<Vec<i64>>()),
    ];
    write_frame(path, columns)
}

/// Writes the catalog with the columns product_id and product_title.
pub fn write_catalog(path: &Path, catalog: &[(String, String)]) -> Result<(), IngestError> {
    let columns = vec![
        Column::new("product_id".into(), catalog.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>()),
        Column::new("product_title".into(), catalog.iter().map(|(_, title)| title.as_str()).collect::<Vec<_>>()),
    ];
    write_frame(path, columns)
}

fn write_frame(path: &Path, columns: Vec<Column>) -> Result<(), IngestError> {
    let write_error = |message: String| IngestError::Write { path: path.to_path_buf(), message };
    let mut frame = DataFrame::new_infer_height(columns).map_err(|error| write_error(error.to_string()))?;
    let file = File::create(path).map_err(|error| write_error(error.to_string()))?;
    ParquetWriter::new(file)
        .with_statistics(StatisticsOptions::default())
        .finish(&mut frame)
        .map_err(|error| write_error(error.to_string()))?;
    Ok(())
}
