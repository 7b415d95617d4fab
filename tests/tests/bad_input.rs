//! Bad input makes ingest fail with a named error, a non-zero exit code and no artifacts.

use std::process::Output;

use lorasearch_e2e::{ESCI_SETTINGS, Project, pairs_settings, stderr};
use polars::prelude::*;

const INGEST: &str = "lorasearch-ingest";

/// Runs ingest and checks the three properties every bad input shares.
fn run_failing(project: &Project) -> (Output, String) {
    let output = project.run(INGEST, &[]);
    let message = stderr(&output);
    assert!(!output.status.success(), "ingest succeeded: {message}");
    assert!(!project.path("artifacts/ingest").exists(), "an output folder was left behind");
    let leftovers: Vec<_> = std::fs::read_dir(project.path("artifacts"))
        .map(|entries| entries.flatten().map(|entry| entry.file_name()).collect())
        .unwrap_or_default();
    assert!(
        leftovers.iter().all(|name| name.to_string_lossy().starts_with('.')),
        "artifacts left behind: {leftovers:?}"
    );
    (output, message)
}

#[test]
fn missing_file_is_named() {
    let project = Project::new(&pairs_settings("nowhere.csv", ""));
    let (output, message) = run_failing(&project);
    assert!(message.contains("nowhere.csv"), "{message}");
    assert!(message.contains("not found"), "{message}");
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn missing_column_lists_columns_found() {
    let project = Project::new(&pairs_settings("pairs.csv", ""));
    project.write("pairs.csv", "search_term,product_title,relevance_label\na,b,1\n");
    let (_, message) = run_failing(&project);
    assert!(message.contains("no column `query`"), "{message}");
    assert!(message.contains("columns found: search_term, product_title, relevance_label"), "{message}");
    assert!(message.contains("ingest.columns.query"), "{message}");
}

#[test]
fn wrong_column_type_is_named() {
    let project = Project::new(&pairs_settings("pairs.parquet", ""));
    let mut frame = df!(
        "query" => [1i64, 2],
        "product_title" => ["a", "b"],
        "relevance_label" => [1i32, 0],
    )
    .unwrap();
    let file = std::fs::File::create(project.path("pairs.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut frame).unwrap();

    let (_, message) = run_failing(&project);
    assert!(message.contains("column `query`"), "{message}");
    assert!(message.contains("expected text"), "{message}");
}

#[test]
fn empty_file_is_rejected() {
    let project = Project::new(&pairs_settings("pairs.csv", ""));
    project.write("pairs.csv", "");
    let (_, message) = run_failing(&project);
    assert!(message.contains("pairs.csv is empty"), "{message}");
}

#[test]
fn header_only_file_is_rejected() {
    let project = Project::new(&pairs_settings("pairs.csv", ""));
    project.write("pairs.csv", "query,product_title,relevance_label\n");
    let (_, message) = run_failing(&project);
    assert!(message.contains("no rows"), "{message}");
}

#[test]
fn invalid_utf8_names_the_row() {
    let project = Project::new(&pairs_settings("pairs.csv", ""));
    let mut bytes = b"query,product_title,relevance_label\na,b,1\ncaf".to_vec();
    bytes.push(0xE9);
    bytes.extend_from_slice(b",c,0\n");
    project.write("pairs.csv", bytes);

    let (_, message) = run_failing(&project);
    assert!(message.contains("line 3 (data row 2)"), "{message}");
    assert!(message.contains("latin-1"), "{message}");
}

#[test]
fn label_outside_set_names_row_and_value() {
    let project = Project::new(&pairs_settings("pairs.csv", ""));
    project.write("pairs.csv", "query,product_title,relevance_label\na,b,1\nc,d,maybe\n");
    let (_, message) = run_failing(&project);
    assert!(message.contains("row 2"), "{message}");
    assert!(message.contains("\"maybe\""), "{message}");
}

#[test]
fn graded_label_without_threshold_is_rejected() {
    let project = Project::new(&pairs_settings("pairs.csv", ""));
    project.write("pairs.csv", "query,product_title,relevance_label\na,b,2.67\n");
    let (_, message) = run_failing(&project);
    assert!(message.contains("ingest.labels.threshold"), "{message}");
}

#[test]
fn join_without_products_is_rejected() {
    let project = Project::with_esci_sample();
    let mut products = df!("product_id" => ["X1", "X2"], "product_title" => ["a", "b"], "product_locale" => ["us", "us"]).unwrap();
    let file = std::fs::File::create(project.path("data/esci-sample/shopping_queries_dataset_products.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut products).unwrap();

    let (_, message) = run_failing(&project);
    assert!(message.contains("found no products"), "{message}");
}

#[test]
fn unknown_setting_exits_with_two() {
    let project = Project::with_esci_sample();
    project.set_settings(&format!("{ESCI_SETTINGS}formt = \"csv\"\n"));
    let (output, message) = run_failing(&project);
    assert!(message.contains("formt"), "{message}");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn out_of_range_setting_names_the_key() {
    let project = Project::with_esci_sample();
    project.set_settings(&format!("{ESCI_SETTINGS}[ingest.split]\ntrain = 1.5\n"));
    let (output, message) = run_failing(&project);
    assert!(message.contains("ingest.split.train"), "{message}");
    assert_eq!(output.status.code(), Some(2));
}
