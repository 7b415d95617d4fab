//! Reading the Parquet artifacts of ingest and tokenize back into Rust values.
//!
//! Later stages use these readers so that a schema change is made in one place. Every reader
//! checks the columns it needs and names the file and column when one is missing or mistyped.

use std::fs::File;
use std::path::Path;

use polars::prelude::*;

use crate::columns::Table;
use crate::error::IngestError;

/// Pair rows of one split as ingest writes them.
#[derive(Debug, Clone, Default)]
pub struct PairTable {
    pub queries: Vec<String>,
    pub product_ids: Vec<String>,
    pub product_titles: Vec<String>,
    pub relevance_labels: Vec<i32>,
}

/// Catalog rows as ingest writes them.
#[derive(Debug, Clone, Default)]
pub struct CatalogTable {
    pub product_ids: Vec<String>,
    pub product_titles: Vec<String>,
}

/// Tokenized texts: one row per distinct query, or per catalog product.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TokenTable {
    /// The text before any prefix (query, or product title).
    pub texts: Vec<String>,
    /// Product ids for the titles table; empty for queries.
    pub product_ids: Vec<String>,
    pub token_ids: Vec<Vec<u32>>,
    /// Token count before truncation, special tokens included.
    pub original_lengths: Vec<u32>,
    /// Titles table only: the number of leading rows that form the catalog, one per product in
    /// catalog order. Later rows are other titles that pairs give for a catalog product. The file
    /// stores this as the boolean column `in_catalog`.
    pub catalog_rows: Option<usize>,
}

/// A split as indices into the query and title token tables.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PairIndex {
    pub query_index: Vec<u32>,
    pub title_index: Vec<u32>,
    pub relevance_labels: Vec<i32>,
}

impl PairIndex {
    pub fn len(&self) -> usize {
        self.relevance_labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.relevance_labels.is_empty()
    }
}

const INGEST_FIX: &str = "The file should come from lorasearch-ingest; rerun it with --force.";
const TOKENIZE_FIX: &str = "The file should come from lorasearch-tokenize; rerun it with --force.";

fn read_parquet(path: &Path) -> Result<DataFrame, IngestError> {
    let file = File::open(path).map_err(|source| IngestError::Io { path: path.to_path_buf(), source })?;
    ParquetReader::new(file).finish().map_err(|error| IngestError::Parse {
        path: path.to_path_buf(),
        file_type: "Parquet",
        message: error.to_string(),
    })
}

fn required(values: Vec<Option<String>>) -> Vec<String> {
    values.into_iter().map(Option::unwrap_or_default).collect()
}

/// Reads a split file written by ingest.
pub fn read_pair_table(path: &Path) -> Result<PairTable, IngestError> {
    let frame = read_parquet(path)?;
    let table = Table { frame: &frame, path };
    let labels = table.integers("relevance_label", INGEST_FIX)?;
    Ok(PairTable {
        queries: required(table.text("query", "query", INGEST_FIX, false)?),
        product_ids: required(table.text("product_id", "product id", INGEST_FIX, false)?),
        product_titles: required(table.text("product_title", "product title", INGEST_FIX, false)?),
        relevance_labels: labels.into_iter().map(|label| label as i32).collect(),
    })
}

/// Reads the catalog written by ingest.
pub fn read_catalog(path: &Path) -> Result<CatalogTable, IngestError> {
    let frame = read_parquet(path)?;
    let table = Table { frame: &frame, path };
    Ok(CatalogTable {
        product_ids: required(table.text("product_id", "product id", INGEST_FIX, false)?),
        product_titles: required(table.text("product_title", "product title", INGEST_FIX, false)?),
    })
}

/// Writes a token table: `text_column` (query or product_title), optionally product_id,
/// token_ids (list of u32), length_tokens (u32) and truncated (bool).
pub fn write_token_table(path: &Path, text_column: &str, table: &TokenTable) -> Result<(), IngestError> {
    let write_error = |message: String| IngestError::Write { path: path.to_path_buf(), message };
    let total_tokens = table.token_ids.iter().map(Vec::len).sum();
    let mut builder = ListPrimitiveChunkedBuilder::<UInt32Type>::new("token_ids".into(), table.token_ids.len(), total_tokens, DataType::UInt32);
    for ids in &table.token_ids {
        builder.append_slice(ids);
    }
    let token_ids = builder.finish().into_series().into_column();
    let lengths: Vec<u32> = table.token_ids.iter().map(|ids| ids.len() as u32).collect();
    let truncated: Vec<bool> = table
        .token_ids
        .iter()
        .zip(&table.original_lengths)
        .map(|(ids, original)| (ids.len() as u32) < *original)
        .collect();

    let mut columns = Vec::new();
    if !table.product_ids.is_empty() {
        columns.push(Column::new("product_id".into(), table.product_ids.as_slice()));
    }
    columns.push(Column::new(text_column.into(), table.texts.as_slice()));
    columns.push(token_ids);
    columns.push(Column::new("length_tokens".into(), lengths));
    columns.push(Column::new("original_length_tokens".into(), table.original_lengths.as_slice()));
    columns.push(Column::new("truncated".into(), truncated));
    if let Some(catalog_rows) = table.catalog_rows {
        let in_catalog: Vec<bool> = (0..table.token_ids.len()).map(|row| row < catalog_rows).collect();
        columns.push(Column::new("in_catalog".into(), in_catalog));
    }
    write(path, columns).map_err(|error| write_error(error.to_string()))
}

/// Reads a token table written by tokenize; `text_column` is query or product_title.
pub fn read_token_table(path: &Path, text_column: &str) -> Result<TokenTable, IngestError> {
    let frame = read_parquet(path)?;
    let table = Table { frame: &frame, path };
    let texts = required(table.text(text_column, "text", TOKENIZE_FIX, false)?);
    let product_ids = if table.has_column("product_id") {
        required(table.text("product_id", "product id", TOKENIZE_FIX, false)?)
    } else {
        Vec::new()
    };
    let token_ids = table.token_lists("token_ids", TOKENIZE_FIX)?;
    let original_lengths = table.integers("original_length_tokens", TOKENIZE_FIX)?.into_iter().map(|value| value as u32).collect();
    let catalog_rows = if table.has_column("in_catalog") {
        let flags = table.flags("in_catalog", "catalog flag", TOKENIZE_FIX)?;
        Some(flags.iter().take_while(|flag| **flag == Some(true)).count())
    } else {
        None
    };
    Ok(TokenTable { texts, product_ids, token_ids, original_lengths, catalog_rows })
}

/// Writes a pair index: query_index (u32), title_index (u32), relevance_label (i32).
pub fn write_pair_index(path: &Path, index: &PairIndex) -> Result<(), IngestError> {
    let columns = vec![
        Column::new("query_index".into(), index.query_index.as_slice()),
        Column::new("title_index".into(), index.title_index.as_slice()),
        Column::new("relevance_label".into(), index.relevance_labels.as_slice()),
    ];
    write(path, columns).map_err(|error| IngestError::Write { path: path.to_path_buf(), message: error.to_string() })
}

/// Reads a pair index written by tokenize.
pub fn read_pair_index(path: &Path) -> Result<PairIndex, IngestError> {
    let frame = read_parquet(path)?;
    let table = Table { frame: &frame, path };
    let to_u32 = |values: Vec<i64>| values.into_iter().map(|value| value as u32).collect();
    Ok(PairIndex {
        query_index: to_u32(table.integers("query_index", TOKENIZE_FIX)?),
        title_index: to_u32(table.integers("title_index", TOKENIZE_FIX)?),
        relevance_labels: table.integers("relevance_label", TOKENIZE_FIX)?.into_iter().map(|value| value as i32).collect(),
    })
}

fn write(path: &Path, columns: Vec<Column>) -> PolarsResult<()> {
    let mut frame = DataFrame::new_infer_height(columns)?;
    let file = File::create(path).map_err(|error| PolarsError::IO { error: error.into(), msg: None })?;
    ParquetWriter::new(file).finish(&mut frame)?;
    Ok(())
}

/// Reads the index stage's `id_map.parquet`: the product id of each index row, in row order.
pub fn read_id_map(path: &Path) -> Result<Vec<String>, IngestError> {
    let frame = read_parquet(path)?;
    let table = Table { frame: &frame, path };
    let fix = "The file should come from lorasearch-index; rerun it with --force.";
    Ok(required(table.text("product_id", "product id", fix, false)?))
}
