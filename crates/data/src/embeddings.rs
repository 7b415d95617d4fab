//! Catalog embeddings as Parquet: `product_id` and `embedding`, a fixed-size list of f32 that
//! polars, pandas and pyarrow read directly.

use std::fs::File;
use std::path::Path;

use polars::prelude::*;

use crate::columns::Table;
use crate::error::IngestError;

/// Embeddings of a set of products, row-major.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EmbeddingTable {
    pub product_ids: Vec<String>,
    /// `product_ids.len() * dimension` values; row i is `vectors[i * dimension..(i + 1) * dimension]`.
    pub vectors: Vec<f32>,
    pub dimension: usize,
}

impl EmbeddingTable {
    pub fn len(&self) -> usize {
        self.product_ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.product_ids.is_empty()
    }

    /// Appends the rows of `other`; both must have the same dimension.
    pub fn extend(&mut self, other: EmbeddingTable) {
        self.product_ids.extend(other.product_ids);
        self.vectors.extend(other.vectors);
        self.dimension = other.dimension;
    }
}

const EMBED_FIX: &str = "The file should come from lorasearch-embed; rerun it with --force.";

/// Writes `table` to `path`.
pub fn write_embeddings(path: &Path, table: &EmbeddingTable) -> Result<(), IngestError> {
    let write_error = |message: String| IngestError::Write { path: path.to_path_buf(), message };
    let rows = table.product_ids.len();
    let flat = Series::new("embedding".into(), table.vectors.as_slice());
    let dimensions = [ReshapeDimension::new(rows as i64), ReshapeDimension::new(table.dimension as i64)];
    let embedding = flat.reshape_array(&dimensions).map_err(|error| write_error(error.to_string()))?;
    let columns = vec![Column::new("product_id".into(), table.product_ids.as_slice()), embedding.into_column()];

    let mut frame = DataFrame::new(rows, columns).map_err(|error| write_error(error.to_string()))?;
    let file = File::create(path).map_err(|error| write_error(error.to_string()))?;
    ParquetWriter::new(file).finish(&mut frame).map_err(|error| write_error(error.to_string()))?;
    Ok(())
}

/// Reads a file written by [`write_embeddings`].
pub fn read_embeddings(path: &Path) -> Result<EmbeddingTable, IngestError> {
    let file = File::open(path).map_err(|source| IngestError::Io { path: path.to_path_buf(), source })?;
    let frame = ParquetReader::new(file).finish().map_err(|error| IngestError::Parse {
        path: path.to_path_buf(),
        file_type: "Parquet",
        message: error.to_string(),
    })?;
    let table = Table { frame: &frame, path };
    let product_ids = table.text("product_id", "product id", EMBED_FIX, false)?.into_iter().map(Option::unwrap_or_default).collect();
    let (vectors, dimension) = table.float_arrays("embedding", EMBED_FIX)?;
    Ok(EmbeddingTable { product_ids, vectors, dimension })
}
