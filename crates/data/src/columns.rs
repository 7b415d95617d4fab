//! Typed access to the columns of an input table, with errors that list what the file has.

use std::path::Path;

use polars::prelude::*;

use crate::error::IngestError;

/// A raw relevance label as the file stores it.
#[derive(Debug, Clone, PartialEq)]
pub enum RawLabel {
    Text(String),
    Number(f64),
    Missing,
}

impl RawLabel {
    /// Returns the label as text, for the `relevance_raw` output column and error messages.
    pub fn to_text(&self) -> Option<String> {
        match self {
            Self::Text(text) => Some(text.clone()),
            Self::Number(number) => Some(number.to_string()),
            Self::Missing => None,
        }
    }
}

/// One table and the path it came from, for error messages.
pub struct Table<'a> {
    pub frame: &'a DataFrame,
    pub path: &'a Path,
}

impl Table<'_> {
    pub fn has_column(&self, name: &str) -> bool {
        self.frame.column(name).is_ok()
    }

    fn column(&self, name: &str, role: &'static str, fix: &str) -> Result<&Column, IngestError> {
        self.frame.column(name).map_err(|_| IngestError::MissingColumn {
            path: self.path.to_path_buf(),
            column: name.to_string(),
            role,
            found: self.frame.get_column_names().iter().map(|name| name.as_str()).collect::<Vec<_>>().join(", "),
            fix: fix.to_string(),
        })
    }

    /// Reads a text column; integer columns are accepted where `allow_integers` (ids stored as numbers).
    pub fn text(&self, name: &str, role: &'static str, fix: &str, allow_integers: bool) -> Result<Vec<Option<String>>, IngestError> {
        let column = self.column(name, role, fix)?;
        let dtype = column.dtype();
        let is_text = matches!(dtype, DataType::String);
        if !is_text && !(allow_integers && dtype.is_integer()) {
            return Err(self.wrong_type(name, dtype, if allow_integers { "text or integers" } else { "text" }));
        }
        let column = column.cast(&DataType::String).map_err(|_| self.wrong_type(name, dtype, "text"))?;
        let strings = column.str().map_err(|_| self.wrong_type(name, dtype, "text"))?;
        Ok(strings.iter().map(|value| value.map(str::to_string)).collect())
    }

    /// Reads a label column: text (ESCI letters or numbers written as text) or numbers.
    pub fn labels(&self, name: &str, fix: &str) -> Result<Vec<RawLabel>, IngestError> {
        let column = self.column(name, "relevance label", fix)?;
        let dtype = column.dtype().clone();
        if dtype == DataType::String {
            let strings = column.str().map_err(|_| self.wrong_type(name, &dtype, "text or numbers"))?;
            return Ok(strings
                .iter()
                .map(|value| value.map_or(RawLabel::Missing, |text| RawLabel::Text(text.to_string())))
                .collect());
        }
        if !(dtype.is_primitive_numeric() || dtype == DataType::Boolean) {
            return Err(self.wrong_type(name, &dtype, "text or numbers"));
        }
        let numbers = column.cast(&DataType::Float64).map_err(|_| self.wrong_type(name, &dtype, "numbers"))?;
        let numbers = numbers.f64().map_err(|_| self.wrong_type(name, &dtype, "numbers"))?;
        Ok(numbers.iter().map(|value| value.map_or(RawLabel::Missing, RawLabel::Number)).collect())
    }

    /// Reads a flag column (booleans, or integers where non-zero is true).
    pub fn flags(&self, name: &str, role: &'static str, fix: &str) -> Result<Vec<Option<bool>>, IngestError> {
        let column = self.column(name, role, fix)?;
        let dtype = column.dtype().clone();
        if !(dtype.is_integer() || dtype == DataType::Boolean) {
            return Err(self.wrong_type(name, &dtype, "booleans or 0/1 integers"));
        }
        let flags = column.cast(&DataType::Boolean).map_err(|_| self.wrong_type(name, &dtype, "booleans"))?;
        let flags = flags.bool().map_err(|_| self.wrong_type(name, &dtype, "booleans"))?;
        Ok(flags.iter().collect())
    }

    /// Reads an integer column; a null value reads as 0.
    pub fn integers(&self, name: &str, fix: &str) -> Result<Vec<i64>, IngestError> {
        let column = self.column(name, "integers", fix)?;
        let dtype = column.dtype().clone();
        if !dtype.is_integer() {
            return Err(self.wrong_type(name, &dtype, "integers"));
        }
        let values = column.cast(&DataType::Int64).map_err(|_| self.wrong_type(name, &dtype, "integers"))?;
        let values = values.i64().map_err(|_| self.wrong_type(name, &dtype, "integers"))?;
        Ok(values.iter().map(Option::unwrap_or_default).collect())
    }

    /// Reads a list-of-u32 column of token ids.
    pub fn token_lists(&self, name: &str, fix: &str) -> Result<Vec<Vec<u32>>, IngestError> {
        let column = self.column(name, "token ids", fix)?;
        let dtype = column.dtype().clone();
        let lists = column.list().map_err(|_| self.wrong_type(name, &dtype, "lists of u32"))?;
        let mut rows = Vec::with_capacity(lists.len());
        for list in lists.amortized_iter() {
            let Some(list) = list else {
                rows.push(Vec::new());
                continue;
            };
            let ids = list.as_ref().u32().map_err(|_| self.wrong_type(name, &dtype, "lists of u32"))?;
            rows.push(ids.iter().map(Option::unwrap_or_default).collect());
        }
        Ok(rows)
    }

    /// Reads a fixed-size list column of f32, flattened row-major, with its width.
    pub fn float_arrays(&self, name: &str, fix: &str) -> Result<(Vec<f32>, usize), IngestError> {
        let column = self.column(name, "embeddings", fix)?;
        let dtype = column.dtype().clone();
        let DataType::Array(inner, width) = &dtype else {
            return Err(self.wrong_type(name, &dtype, "fixed-size lists of f32"));
        };
        if **inner != DataType::Float32 {
            return Err(self.wrong_type(name, &dtype, "fixed-size lists of f32"));
        }
        let arrays = column.array().map_err(|_| self.wrong_type(name, &dtype, "fixed-size lists of f32"))?;
        let values = arrays.get_inner();
        let values = values.f32().map_err(|_| self.wrong_type(name, &dtype, "fixed-size lists of f32"))?;
        Ok((values.iter().map(|value| value.unwrap_or(f32::NAN)).collect(), *width))
    }

    fn wrong_type(&self, name: &str, found: &DataType, expected: &'static str) -> IngestError {
        IngestError::WrongType { path: self.path.to_path_buf(), column: name.to_string(), found: found.to_string(), expected }
    }
}
