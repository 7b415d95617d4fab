//! The tokenize stage on the shipped ESCI sample with the real model's tokenizer.

use lorasearch_e2e::{Project, esci_model_settings, stderr};
use polars::prelude::*;

fn run_ok(project: &Project, binary: &str) -> String {
    let output = project.run(binary, &[]);
    assert!(output.status.success(), "{binary}: {}", stderr(&output));
    stderr(&output)
}

fn sample_project(extra: &str) -> Project {
    let project = Project::with_esci_sample();
    project.set_settings(&esci_model_settings(extra));
    project
}

fn first_token_ids(frame: &DataFrame) -> Vec<u32> {
    let lists = frame.column("token_ids").unwrap().list().unwrap().clone();
    let first = lists.get_as_series(0).unwrap();
    first.u32().unwrap().iter().map(|id| id.unwrap()).collect()
}

#[test]
fn tokenize_sample_writes_each_text_once() {
    let project = sample_project("");
    run_ok(&project, "lorasearch-ingest");
    run_ok(&project, "lorasearch-tokenize");

    assert_eq!(project.parquet("artifacts/tokenize/queries.parquet").height(), 1);
    assert_eq!(project.parquet("artifacts/tokenize/titles.parquet").height(), 16);
    assert_eq!(project.parquet("artifacts/tokenize/train.parquet").height(), 16);
}

#[test]
fn tokenize_query_ids_match_the_tokenizer() {
    let project = sample_project("");
    run_ok(&project, "lorasearch-ingest");
    run_ok(&project, "lorasearch-tokenize");

    // "06 bmw 325i radio oem not navigation system" under the all-MiniLM-L6-v2 WordPiece vocabulary.
    let expected = vec![101, 5757, 13154, 19652, 2072, 2557, 1051, 6633, 2025, 9163, 2291, 102];
    assert_eq!(first_token_ids(&project.parquet("artifacts/tokenize/queries.parquet")), expected);
}

#[test]
fn tokenize_reports_length_distribution() {
    let project = sample_project("");
    run_ok(&project, "lorasearch-ingest");
    run_ok(&project, "lorasearch-tokenize");

    let lengths = &project.manifest("tokenize")["metrics"]["lengths_queries"];
    assert_eq!(lengths["p50_tokens"], 12);
    assert_eq!(lengths["max_tokens"], 12);
    assert_eq!(lengths["truncated"], 0);
}

#[test]
fn tokenize_truncates_at_max_length() {
    let project = sample_project("max_length_tokens = 8");
    run_ok(&project, "lorasearch-ingest");
    let log = run_ok(&project, "lorasearch-tokenize");

    assert!(log.contains("truncated"), "{log}");
    assert_eq!(first_token_ids(&project.parquet("artifacts/tokenize/queries.parquet")).len(), 8);
    assert_eq!(project.manifest("tokenize")["metrics"]["lengths_titles"]["truncated"], 16);
}

#[test]
fn tokenize_prefix_change_reruns_only_tokenize() {
    let project = sample_project("");
    run_ok(&project, "lorasearch-ingest");
    run_ok(&project, "lorasearch-tokenize");

    project.set_settings(&esci_model_settings("query_prefix = \"query: \""));
    assert!(run_ok(&project, "lorasearch-ingest").contains("up to date"));
    assert!(run_ok(&project, "lorasearch-tokenize").contains("running"));
}

#[test]
fn tokenize_without_ingest_names_the_stage() {
    let project = sample_project("");
    let output = project.run("lorasearch-tokenize", &[]);
    let message = stderr(&output);

    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("run lorasearch-ingest"), "{message}");
    assert!(!project.path("artifacts/tokenize").exists());
}

#[test]
fn tokenize_without_model_says_make_model() {
    let project = Project::with_esci_sample();
    project.set_settings(&format!("[model]\npath = \"no-model-here\"\n{}", lorasearch_e2e::ESCI_SETTINGS));
    run_ok(&project, "lorasearch-ingest");
    let output = project.run("lorasearch-tokenize", &[]);
    let message = stderr(&output);

    assert!(!output.status.success());
    assert!(message.contains("make model"), "{message}");
}
