//! Embed, index and search on the shipped ESCI sample with the real model (untuned).

use lorasearch_e2e::{Project, esci_model_settings, stderr, stdout};
use polars::prelude::*;

const BASE_MODEL: &str = "[embed]\nmodel = \"base\"\n";

fn run_ok(project: &Project, binary: &str, args: &[&str]) -> String {
    let output = project.run(binary, args);
    assert!(output.status.success(), "{binary}: {}", stderr(&output));
    stderr(&output)
}

/// Creates a project with the sample ingested, tokenized, embedded and indexed with the base model.
fn indexed_project(extra: &str) -> Project {
    let project = Project::with_esci_sample();
    project.set_settings(&format!("{}{BASE_MODEL}{extra}", esci_model_settings("")));
    for binary in ["lorasearch-ingest", "lorasearch-tokenize", "lorasearch-embed", "lorasearch-index"] {
        run_ok(&project, binary, &[]);
    }
    project
}

fn search_json(project: &Project, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["search"];
    all.extend_from_slice(args);
    all.push("--json");
    let output = project.run("lorasearch", &all);
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).unwrap()
}

#[test]
fn embed_writes_fixed_size_vectors() {
    let project = indexed_project("");
    let frame = project.parquet("artifacts/embed/embeddings.parquet");
    assert_eq!(frame.height(), 16);
    assert_eq!(frame.column("embedding").unwrap().dtype(), &DataType::Array(Box::new(DataType::Float32), 384));
}

#[test]
fn embed_shards_cover_the_catalog_once() {
    let project = indexed_project("");
    let mut total = 0;
    for shard in ["0/3", "1/3", "2/3"] {
        run_ok(&project, "lorasearch-embed", &["--shard", shard]);
        let index = shard.split('/').next().unwrap();
        total += project.parquet(&format!("artifacts/embed-shard-{index}-of-3/embeddings.parquet")).height();
    }
    assert_eq!(total, 16);
}

#[test]
fn index_reads_shards_when_configured() {
    let project = indexed_project("");
    for shard in ["0/2", "1/2"] {
        run_ok(&project, "lorasearch-embed", &["--shard", shard]);
    }
    project.set_settings(&format!("{}{BASE_MODEL}[index]\nembed_shards = 2\n", esci_model_settings("")));
    run_ok(&project, "lorasearch-index", &[]);
    assert_eq!(project.manifest("index")["metrics"]["vectors"], 16);
}

#[test]
fn index_report_records_recall() {
    let project = indexed_project("");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(project.path("artifacts/index/report.json")).unwrap()).unwrap();
    assert_eq!(report["vectors"], 16);
    assert_eq!(report["recall"]["recall"], 1.0);
    assert_eq!(report["retrieval"]["status"], "skipped");
    assert_eq!(report["retrieval"]["reason"], "the test split is empty");
}

#[test]
fn search_returns_catalog_products() {
    let project = indexed_project("");
    let result = search_json(&project, &["bmw radio", "-k", "5"]);
    let results = result["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    assert_eq!(results[0]["product_id"], "B08PB9TTKT", "the BMW head unit ranks first");
    assert!(results.iter().all(|hit| !hit["product_title"].as_str().unwrap().is_empty()));
}

#[test]
fn search_min_score_drops_weak_matches() {
    let project = indexed_project("");
    let result = search_json(&project, &["bmw radio", "--min-score", "0.6"]);
    let scores: Vec<f64> = result["results"].as_array().unwrap().iter().map(|hit| hit["score"].as_f64().unwrap()).collect();
    assert!(!scores.is_empty());
    assert!(scores.iter().all(|&score| score >= 0.6), "{scores:?}");
}

#[test]
fn search_long_query_is_truncated_with_warning() {
    let project = indexed_project("");
    let long_query = "car radio ".repeat(200);
    let output = project.run("lorasearch", &["search", &long_query, "-k", "1"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("only the first 128 are used"), "{}", stderr(&output));
}

#[test]
fn search_without_index_names_the_stage() {
    let project = Project::with_esci_sample();
    project.set_settings(&format!("{}{BASE_MODEL}", esci_model_settings("")));
    let output = project.run("lorasearch", &["search", "bmw radio"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("run lorasearch-index"), "{}", stderr(&output));
}

#[test]
fn search_index_of_other_dimension_names_both() {
    let project = indexed_project("");
    // Replace the index with one built from 8-dimensional vectors.
    let table = eight_dimension_embeddings();
    std::fs::write(project.path("artifacts/embed/embeddings.parquet"), table).unwrap();
    run_ok(&project, "lorasearch-index", &["--force"]);

    let output = project.run("lorasearch", &["search", "bmw radio"]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("dimension 8"), "{message}");
    assert!(message.contains("have 384"), "{message}");
}

/// Parquet bytes of 16 products with 8-dimensional unit embeddings, written with polars.
fn eight_dimension_embeddings() -> Vec<u8> {
    let ids: Vec<String> = (0..16).map(|row| format!("P{row}")).collect();
    let mut values = Vec::new();
    for row in 0..16 {
        let mut vector = [0.0f32; 8];
        vector[row % 8] = 1.0;
        values.extend_from_slice(&vector);
    }
    let flat = Series::new("embedding".into(), values);
    let embedding = flat.reshape_array(&[ReshapeDimension::new(16), ReshapeDimension::new(8)]).unwrap();
    let mut frame = DataFrame::new(16, vec![Column::new("product_id".into(), ids), embedding.into_column()]).unwrap();
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes).finish(&mut frame).unwrap();
    bytes
}

#[test]
fn embed_tuned_without_train_names_the_stage() {
    let project = Project::with_esci_sample();
    project.set_settings(&esci_model_settings(""));
    run_ok(&project, "lorasearch-ingest", &[]);
    run_ok(&project, "lorasearch-tokenize", &[]);
    let output = project.run("lorasearch-embed", &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("run lorasearch-train"), "{}", stderr(&output));
}
