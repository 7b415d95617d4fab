//! Errors of the ingest logic. Each names the file, and the row or column where it applies.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },

    #[error("{path} is empty (0 bytes); point `ingest.path` at a file with a header and rows")]
    EmptyFile { path: PathBuf },

    #[error("{path} has a header but no rows")]
    NoRows { path: PathBuf },

    #[error("cannot parse {path} as {file_type}: {message}")]
    Parse { path: PathBuf, file_type: &'static str, message: String },

    #[error(
        "cannot tell the file type of {path} from its extension; use .parquet, .csv, .tsv, .jsonl \
         or .ndjson, or set `ingest.file_type`"
    )]
    UnknownFileType { path: PathBuf },

    #[error(
        "{path} line {line} (data row {row}) is not valid UTF-8 at byte offset {offset}; if the file \
         is Latin-1 encoded, set `ingest.text_encoding = \"latin-1\"`"
    )]
    InvalidUtf8 { path: PathBuf, line: usize, row: usize, offset: usize },

    #[error("{path} has no column `{column}` ({role}); columns found: {found}. {fix}")]
    MissingColumn { path: PathBuf, column: String, role: &'static str, found: String, fix: String },

    #[error("column `{column}` in {path} has type {found}, expected {expected}")]
    WrongType { path: PathBuf, column: String, found: String, expected: &'static str },

    #[error(
        "{path} row {row}, column `{column}`: label {value:?} is not in the expected set ({expected}); \
         fix the data, adjust `[ingest.labels]`, or set `ingest.on_unknown_label = \"drop\"` to drop \
         and count such rows"
    )]
    UnknownLabel { path: PathBuf, row: usize, column: String, value: String, expected: String },

    #[error(
        "{path} row {row}, column `{column}`: split {value:?} is not one of train, validation \
         (or valid, val, dev) and test"
    )]
    UnknownSplit { path: PathBuf, row: usize, column: String, value: String },

    #[error(
        "the join of {examples} with {products} on product_id found no products for any of the \
         {rows} example rows; check that both files come from the same ESCI release and locale"
    )]
    EmptyJoin { examples: PathBuf, products: PathBuf, rows: usize },

    #[error("every row of {path} was dropped or filtered out ({reasons}); nothing is left to write")]
    NothingKept { path: PathBuf, reasons: String },

    #[error("cannot write {path}: {message}")]
    Write { path: PathBuf, message: String },
}
