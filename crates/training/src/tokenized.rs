//! The tokenize stage's artifacts, read back for training.
//!
//! `queries.parquet` and `titles.parquet` contain one `token_ids` list per distinct text, and each
//! split file contains (`query_index`, `title_index`, `relevance_label`) rows that point into them. The
//! reader checks every index and label, so a bad row is reported here with its file and row
//! number, not later as a failed tensor operation.

use std::fs::File;
use std::path::{Path, PathBuf};

use lorasearch_runtime::stages::tokenize_outputs;
use polars::prelude::*;

use crate::error::{Result, TrainingError};

/// One labelled (query, product title) pair, as row numbers into the token id tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelledPair {
    pub query_index: u32,
    pub title_index: u32,
    /// 1 relevant, 0 not.
    pub relevance_label: i32,
}

/// Token ids of every query and title, and the labelled pairs of the train and validation splits.
#[derive(Debug, Clone, Default)]
pub struct TokenizedPairs {
    pub queries: Vec<Vec<u32>>,
    pub titles: Vec<Vec<u32>>,
    pub train: Vec<LabelledPair>,
    pub validation: Vec<LabelledPair>,
}

impl TokenizedPairs {
    /// Reads `queries.parquet`, `titles.parquet`, `train.parquet` and `validation.parquet` from
    /// the tokenize stage's folder.
    ///
    /// # Errors
    /// When a file is unreadable, a column is missing or has another type, an index points past
    /// its table, a label is not 0 or 1, a token list is empty, or the train split has no pairs.
    pub fn read(tokenize_dir: &Path) -> Result<Self> {
        let queries = read_token_ids(&tokenize_dir.join(tokenize_outputs::QUERIES))?;
        let titles = read_token_ids(&tokenize_dir.join(tokenize_outputs::TITLES))?;

        let train_path = tokenize_dir.join(tokenize_outputs::TRAIN);
        let train = read_pairs(&train_path, queries.len(), titles.len())?;
        if train.is_empty() {
            return Err(TrainingError::EmptyTrainSplit { path: train_path });
        }
        let validation_path = tokenize_dir.join(tokenize_outputs::VALIDATION);
        let validation = read_pairs(&validation_path, queries.len(), titles.len())?;

        Ok(Self { queries, titles, train, validation })
    }

    /// Tokens of a pair, query and title together; the measure `bucket_by_length` sorts by.
    #[must_use]
    pub fn pair_length_tokens(&self, pair: &LabelledPair) -> usize {
        let query = self.queries.get(pair.query_index as usize).map_or(0, Vec::len);
        let title = self.titles.get(pair.title_index as usize).map_or(0, Vec::len);
        query + title
    }

    /// Token ids of the queries, the titles and the labels of `pairs`, in order.
    pub(crate) fn gather(&self, pairs: &[LabelledPair]) -> (Vec<Vec<u32>>, Vec<Vec<u32>>, Vec<f32>) {
        let mut query_ids = Vec::with_capacity(pairs.len());
        let mut title_ids = Vec::with_capacity(pairs.len());
        let mut labels = Vec::with_capacity(pairs.len());
        for pair in pairs {
            // `read` checked every index, so the lookups cannot miss.
            query_ids.push(self.queries[pair.query_index as usize].clone());
            title_ids.push(self.titles[pair.title_index as usize].clone());
            #[allow(clippy::cast_precision_loss)]
            labels.push(pair.relevance_label as f32);
        }
        (query_ids, title_ids, labels)
    }
}

fn read_frame(path: &Path) -> Result<DataFrame> {
    let read_error = |message: String| TrainingError::Read { path: path.to_path_buf(), message };
    let file = File::open(path).map_err(|source| TrainingError::io("opening", path, source))?;
    ParquetReader::new(file).finish().map_err(|error| read_error(error.to_string()))
}

fn missing_column(path: &Path, name: &str, expected: &str, error: &PolarsError) -> TrainingError {
    TrainingError::Read {
        path: path.to_path_buf(),
        message: format!("column `{name}` ({expected}) is missing or has another type: {error}"),
    }
}

/// Reads the `token_ids` column of a queries or titles file.
fn read_token_ids(path: &Path) -> Result<Vec<Vec<u32>>> {
    let frame = read_frame(path)?;
    let column = frame.column("token_ids").map_err(|error| missing_column(path, "token_ids", "list of u32", &error))?;
    let lists = column.list().map_err(|error| missing_column(path, "token_ids", "list of u32", &error))?;

    let mut token_ids = Vec::with_capacity(lists.len());
    if lists.is_empty() {
        return Ok(token_ids);
    }
    for (row, list) in lists.amortized_iter().enumerate() {
        let invalid = |message: String| TrainingError::InvalidData { path: path.to_path_buf(), message };
        let Some(list) = list else {
            return Err(invalid(format!("row {row}: token_ids is null")));
        };
        let values = list.as_ref().u32().map_err(|error| missing_column(path, "token_ids", "list of u32", &error))?;
        let ids: Vec<u32> = values.iter().flatten().collect();
        if ids.len() != values.len() || ids.is_empty() {
            return Err(invalid(format!("row {row}: token_ids is empty or holds nulls; rerun the tokenize stage")));
        }
        token_ids.push(ids);
    }
    Ok(token_ids)
}

/// Reads the rows of one split file, checking every index and label.
fn read_pairs(path: &Path, query_count: usize, title_count: usize) -> Result<Vec<LabelledPair>> {
    let frame = read_frame(path)?;
    let column = |name: &str, expected: &str| {
        frame.column(name).map_err(|error| missing_column(path, name, expected, &error))
    };
    let query_index = column("query_index", "u32")?;
    let title_index = column("title_index", "u32")?;
    let labels = column("relevance_label", "i32")?;
    let query_index = query_index.u32().map_err(|error| missing_column(path, "query_index", "u32", &error))?;
    let title_index = title_index.u32().map_err(|error| missing_column(path, "title_index", "u32", &error))?;
    let labels = labels.i32().map_err(|error| missing_column(path, "relevance_label", "i32", &error))?;

    let mut pairs = Vec::with_capacity(frame.height());
    let rows = query_index.iter().zip(title_index.iter()).zip(labels.iter());
    for (row, ((query, title), label)) in rows.enumerate() {
        let invalid = |message: String| TrainingError::InvalidData { path: PathBuf::from(path), message };
        let (Some(query), Some(title), Some(label)) = (query, title, label) else {
            return Err(invalid(format!("row {row}: query_index, title_index or relevance_label is null")));
        };
        if query as usize >= query_count {
            return Err(invalid(format!("row {row}: query_index {query} is past the {query_count} queries")));
        }
        if title as usize >= title_count {
            return Err(invalid(format!("row {row}: title_index {title} is past the {title_count} titles")));
        }
        if label != 0 && label != 1 {
            return Err(invalid(format!("row {row}: relevance_label is {label}, expected 0 or 1")));
        }
        pairs.push(LabelledPair { query_index: query, title_index: title, relevance_label: label });
    }
    Ok(pairs)
}
