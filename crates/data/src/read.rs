//! Reads an input table (Parquet, CSV, TSV or JSON lines) into a polars `DataFrame`.
//!
//! Text files are checked for valid UTF-8 before polars parses them, so that an invalid byte is
//! reported with its line; `text_encoding = "latin-1"` decodes them on purpose instead.

use std::fs::File;
use std::io::Cursor;
use std::path::Path;

use lorasearch_runtime::config::{FileType, TextEncoding};
use polars::prelude::*;

use crate::error::IngestError;

/// Reads `path` with every CSV/TSV column as text, so that ids and queries such as "0123" keep
/// their exact characters.
pub fn read_table(path: &Path, file_type: FileType, encoding: TextEncoding) -> Result<DataFrame, IngestError> {
    let file_type = resolve_file_type(path, file_type)?;
    let metadata = std::fs::metadata(path).map_err(|source| IngestError::Io { path: path.to_path_buf(), source })?;
    if metadata.len() == 0 {
        return Err(IngestError::EmptyFile { path: path.to_path_buf() });
    }

    let frame = match file_type {
        FileType::Parquet => read_parquet(path)?,
        FileType::Csv | FileType::Tsv | FileType::Jsonl => {
            let bytes = std::fs::read(path).map_err(|source| IngestError::Io { path: path.to_path_buf(), source })?;
            let header_lines = usize::from(file_type != FileType::Jsonl);
            let text = decode_text(path, bytes, encoding, header_lines)?;
            read_text_table(path, file_type, text)?
        }
        FileType::Auto => unreachable!("resolve_file_type never returns Auto"),
    };

    if frame.height() == 0 {
        return Err(IngestError::NoRows { path: path.to_path_buf() });
    }
    Ok(frame)
}

fn read_parquet(path: &Path) -> Result<DataFrame, IngestError> {
    let file = File::open(path).map_err(|source| IngestError::Io { path: path.to_path_buf(), source })?;
    ParquetReader::new(file).finish().map_err(|error| parse_error(path, "Parquet", error))
}

fn read_text_table(path: &Path, file_type: FileType, text: String) -> Result<DataFrame, IngestError> {
    let cursor = Cursor::new(text.into_bytes());
    match file_type {
        FileType::Jsonl => JsonReader::new(cursor)
            .with_json_format(JsonFormat::JsonLines)
            .finish()
            .map_err(|error| parse_error(path, "JSON lines", error)),
        _ => {
            let (separator, name) = if file_type == FileType::Tsv { (b'\t', "TSV") } else { (b',', "CSV") };
            CsvReadOptions::default()
                .with_has_header(true)
                .with_infer_schema_length(Some(0))
                .with_parse_options(CsvParseOptions::default().with_separator(separator))
                .into_reader_with_file_handle(cursor)
                .finish()
                .map_err(|error| parse_error(path, name, error))
        }
    }
}

/// Returns the file's text, or an error naming the first line that is not valid UTF-8.
fn decode_text(path: &Path, bytes: Vec<u8>, encoding: TextEncoding, header_lines: usize) -> Result<String, IngestError> {
    match encoding {
        TextEncoding::Latin1 => Ok(bytes.iter().map(|&byte| char::from(byte)).collect()),
        TextEncoding::Utf8 => String::from_utf8(bytes).map_err(|error| {
            let offset = error.utf8_error().valid_up_to();
            let bytes = error.as_bytes();
            let line = bytes[..offset].iter().filter(|&&byte| byte == b'\n').count() + 1;
            let row = line.saturating_sub(header_lines);
            IngestError::InvalidUtf8 { path: path.to_path_buf(), line, row, offset }
        }),
    }
}

fn resolve_file_type(path: &Path, file_type: FileType) -> Result<FileType, IngestError> {
    if file_type != FileType::Auto {
        return Ok(file_type);
    }
    let extension = path.extension().and_then(|extension| extension.to_str()).unwrap_or("").to_ascii_lowercase();
    match extension.as_str() {
        "parquet" | "pq" => Ok(FileType::Parquet),
        "csv" => Ok(FileType::Csv),
        "tsv" | "tab" => Ok(FileType::Tsv),
        "jsonl" | "ndjson" => Ok(FileType::Jsonl),
        _ => Err(IngestError::UnknownFileType { path: path.to_path_buf() }),
    }
}

fn parse_error(path: &Path, file_type: &'static str, error: PolarsError) -> IngestError {
    IngestError::Parse { path: path.to_path_buf(), file_type, message: error.to_string() }
}
