//! Test fixtures shared by the training crate's tests and the train stage's tests: the real
//! all-MiniLM-L6-v2 folder, and a tokenize-stage folder built from the shipped ESCI sample with
//! the model's own tokenizer.
//!
//! The sample contains one query and sixteen products. Besides its sixteen real (query, title,
//! label) pairs, the fixture makes a short query from each title (its first words), paired with
//! that title (label 1) and with another product's title (label 0), so the train split has
//! 48 pairs over 17 queries. The validation split uses the titles' last words the same way.

#![allow(dead_code)]

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use lorasearch_encoder::TextTokenizer;
use polars::prelude::*;

/// Root of the workspace.
pub fn workspace_root() -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    while !dir.join("models").is_dir() || !dir.join("data").is_dir() {
        assert!(dir.pop(), "the workspace root (with models/ and data/) was not found");
    }
    dir
}

/// Returns the all-MiniLM-L6-v2 folder that `make model` fills.
pub fn model_folder() -> PathBuf {
    let folder = workspace_root().join("models/all-MiniLM-L6-v2");
    assert!(
        folder.join("model.safetensors").is_file(),
        "the model is missing at {}: run `make model` in the workspace",
        folder.display()
    );
    folder
}

/// One (query, title, label) row of the fixture, by text.
#[derive(Debug, Clone)]
pub struct TextPair {
    pub query: String,
    pub product_id: String,
    pub relevance_label: i32,
}

/// Reads the sample's products as (product_id, product_title), in file order.
pub fn sample_products() -> Vec<(String, String)> {
    let frame = read_parquet(&workspace_root().join("data/esci-sample/shopping_queries_dataset_products.parquet"));
    let ids = strings(&frame, "product_id");
    let titles = strings(&frame, "product_title");
    ids.into_iter().zip(titles).collect()
}

/// Reads the sample's real pairs, with E mapped to 1 and the other letters to 0.
pub fn sample_pairs() -> Vec<TextPair> {
    let frame = read_parquet(&workspace_root().join("data/esci-sample/shopping_queries_dataset_examples.parquet"));
    let queries = strings(&frame, "query");
    let ids = strings(&frame, "product_id");
    let labels = strings(&frame, "esci_label");
    queries
        .into_iter()
        .zip(ids)
        .zip(labels)
        .map(|((query, product_id), label)| TextPair { query, product_id, relevance_label: i32::from(label == "E") })
        .collect()
}

/// Pairs whose query is `words` words of each title, taken from its start or its end, with the
/// title itself (1) and the title `offset` products further (0).
pub fn derived_pairs(products: &[(String, String)], words: usize, from_end: bool, offset: usize) -> Vec<TextPair> {
    let mut pairs = Vec::new();
    for (index, (product_id, title)) in products.iter().enumerate() {
        let all: Vec<&str> = title.split_whitespace().collect();
        let chosen: Vec<&str> = if from_end {
            all[all.len().saturating_sub(words)..].to_vec()
        } else {
            all.iter().take(words).copied().collect()
        };
        let query = chosen.join(" ").to_lowercase();
        let other = &products[(index + offset) % products.len()].0;
        pairs.push(TextPair { query: query.clone(), product_id: product_id.clone(), relevance_label: 1 });
        pairs.push(TextPair { query, product_id: other.clone(), relevance_label: 0 });
    }
    pairs
}

/// Builds the 48 train pairs described in the module documentation.
pub fn train_pairs() -> Vec<TextPair> {
    let mut pairs = sample_pairs();
    pairs.extend(derived_pairs(&sample_products(), 3, false, 5));
    pairs
}

/// Eight validation pairs from the last words of four titles.
pub fn validation_pairs() -> Vec<TextPair> {
    derived_pairs(&sample_products()[..4], 3, true, 7)
}

/// Writes a tokenize-stage folder (queries, titles, train, validation, test) into `dir`.
pub fn write_tokenized(dir: &Path, max_length_tokens: usize, train: &[TextPair], validation: &[TextPair]) {
    std::fs::create_dir_all(dir).unwrap();
    let tokenizer = TextTokenizer::load(&model_folder(), max_length_tokens).unwrap();
    let products = sample_products();
    let title_index: HashMap<&str, u32> =
        products.iter().enumerate().map(|(index, (id, _))| (id.as_str(), index as u32)).collect();

    let mut queries: Vec<String> = Vec::new();
    for pair in train.iter().chain(validation) {
        if !queries.contains(&pair.query) {
            queries.push(pair.query.clone());
        }
    }
    let query_tokens: Vec<_> = queries.iter().map(|query| tokenizer.encode_with_length(query).unwrap()).collect();
    let title_tokens: Vec<_> =
        products.iter().map(|(_, title)| tokenizer.encode_with_length(title).unwrap()).collect();

    let mut query_columns = vec![Column::new("query".into(), queries.clone())];
    query_columns.extend(token_columns(&query_tokens));
    write_parquet(&dir.join("queries.parquet"), query_columns);

    let mut title_columns = vec![
        Column::new("product_id".into(), products.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>()),
        Column::new("product_title".into(), products.iter().map(|(_, title)| title.clone()).collect::<Vec<_>>()),
    ];
    title_columns.extend(token_columns(&title_tokens));
    write_parquet(&dir.join("titles.parquet"), title_columns);

    let split_columns = |pairs: &[TextPair]| {
        let query_index: Vec<u32> =
            pairs.iter().map(|pair| queries.iter().position(|query| *query == pair.query).unwrap() as u32).collect();
        let titles: Vec<u32> = pairs.iter().map(|pair| title_index[pair.product_id.as_str()]).collect();
        let labels: Vec<i32> = pairs.iter().map(|pair| pair.relevance_label).collect();
        vec![
            Column::new("query_index".into(), query_index),
            Column::new("title_index".into(), titles),
            Column::new("relevance_label".into(), labels),
        ]
    };
    write_parquet(&dir.join("train.parquet"), split_columns(train));
    write_parquet(&dir.join("validation.parquet"), split_columns(validation));
    write_parquet(&dir.join("test.parquet"), split_columns(&[]));
}

fn token_columns(tokens: &[lorasearch_encoder::TokenizedText]) -> Vec<Column> {
    let lists: ListChunked = tokens
        .iter()
        .map(|text| Some(Series::new(PlSmallStr::EMPTY, text.token_ids.as_slice())))
        .collect();
    vec![
        lists.with_name("token_ids".into()).into_column(),
        Column::new("length_tokens".into(), tokens.iter().map(|text| text.token_ids.len() as u32).collect::<Vec<_>>()),
        Column::new("truncated".into(), tokens.iter().map(|text| text.is_truncated()).collect::<Vec<_>>()),
    ]
}

fn write_parquet(path: &Path, columns: Vec<Column>) {
    let mut frame = DataFrame::new_infer_height(columns).unwrap();
    ParquetWriter::new(File::create(path).unwrap()).finish(&mut frame).unwrap();
}

pub fn read_parquet(path: &Path) -> DataFrame {
    ParquetReader::new(File::open(path).unwrap()).finish().unwrap()
}

fn strings(frame: &DataFrame, name: &str) -> Vec<String> {
    let column = frame.column(name).unwrap();
    column.str().unwrap().iter().map(|value| value.unwrap_or_default().to_owned()).collect()
}
