//! The ingest stage on real and hand-made inputs, run through its binary.

use std::collections::{HashMap, HashSet};

use lorasearch_e2e::{Project, flat_pairs_csv, pairs_settings, stderr};
use polars::prelude::*;

const INGEST: &str = "lorasearch-ingest";

fn column_strings(frame: &DataFrame, name: &str) -> Vec<String> {
    let column = frame.column(name).expect("column exists");
    column.str().expect("text column").iter().map(|value| value.unwrap_or_default().to_string()).collect()
}

fn label_sum(frame: &DataFrame) -> i64 {
    let column = frame.column("relevance_label").expect("label column");
    column.i32().expect("i32 labels").iter().map(|value| i64::from(value.unwrap_or(0))).sum()
}

#[test]
fn esci_sample_split_counts() {
    let project = Project::with_esci_sample();
    let output = project.run(INGEST, &[]);
    assert!(output.status.success(), "{}", stderr(&output));

    assert_eq!(project.parquet("artifacts/ingest/train.parquet").height(), 16);
    assert_eq!(project.parquet("artifacts/ingest/validation.parquet").height(), 0);
    assert_eq!(project.parquet("artifacts/ingest/test.parquet").height(), 0);
    assert_eq!(project.parquet("artifacts/ingest/catalog.parquet").height(), 16);
}

#[test]
fn esci_sample_maps_exact_to_one() {
    let project = Project::with_esci_sample();
    let output = project.run(INGEST, &[]);
    assert!(output.status.success(), "{}", stderr(&output));

    let train = project.parquet("artifacts/ingest/train.parquet");
    assert_eq!(label_sum(&train), 3, "the sample has three E labels");
}

#[test]
fn esci_sample_manifest_records_counts() {
    let project = Project::with_esci_sample();
    let output = project.run(INGEST, &[]);
    assert!(output.status.success(), "{}", stderr(&output));

    let manifest = project.manifest("ingest");
    assert_eq!(manifest["metrics"]["rows_read"], 16);
    assert_eq!(manifest["metrics"]["pairs_train"], 16);
    assert_eq!(manifest["metrics"]["catalog_products"], 16);
    assert_eq!(manifest["outputs"].as_array().map(Vec::len), Some(4));
    assert_eq!(manifest["inputs"].as_array().map(Vec::len), Some(2));
}

#[test]
fn esci_locale_filter_is_counted() {
    let project = Project::with_esci_sample();
    project.set_settings(&format!("{}product_locale = \"es\"\n", lorasearch_e2e::ESCI_SETTINGS));
    let output = project.run(INGEST, &[]);

    assert!(!output.status.success(), "every row has locale us, so nothing is kept");
    assert!(stderr(&output).contains("product_locale: 16"), "{}", stderr(&output));
}

#[test]
fn pairs_keep_each_query_in_one_split() {
    let project = Project::new(&pairs_settings("pairs.csv", ""));
    project.write("pairs.csv", flat_pairs_csv(60));
    let output = project.run(INGEST, &[]);
    assert!(output.status.success(), "{}", stderr(&output));

    let mut split_of: HashMap<String, HashSet<&str>> = HashMap::new();
    for split in ["train", "validation", "test"] {
        let frame = project.parquet(&format!("artifacts/ingest/{split}.parquet"));
        assert!(frame.height() > 0, "split {split} is empty");
        for query in column_strings(&frame, "query") {
            split_of.entry(query).or_default().insert(split);
        }
    }
    assert_eq!(split_of.len(), 60);
    assert!(split_of.values().all(|splits| splits.len() == 1), "a query is in two splits");
}

#[test]
fn pairs_split_is_deterministic() {
    let first = Project::new(&pairs_settings("pairs.csv", ""));
    first.write("pairs.csv", flat_pairs_csv(40));
    let second = Project::new(&pairs_settings("pairs.csv", ""));
    second.write("pairs.csv", flat_pairs_csv(40));
    assert!(first.run(INGEST, &[]).status.success());
    assert!(second.run(INGEST, &[]).status.success());

    for file in ["train.parquet", "validation.parquet", "test.parquet", "catalog.parquet"] {
        let a = std::fs::read(first.path(&format!("artifacts/ingest/{file}"))).unwrap();
        let b = std::fs::read(second.path(&format!("artifacts/ingest/{file}"))).unwrap();
        assert_eq!(a, b, "{file} differs between two runs");
    }
}

#[test]
fn pairs_split_column_is_honoured() {
    let project = Project::new(&pairs_settings("pairs.tsv", "[ingest.split]\nmethod = \"column\""));
    project.write(
        "pairs.tsv",
        "query\tproduct_title\trelevance_label\tsplit\na\tx\t1\ttrain\nb\ty\t0\tdev\nc\tz\t1\ttest\n",
    );
    let output = project.run(INGEST, &[]);
    assert!(output.status.success(), "{}", stderr(&output));

    assert_eq!(column_strings(&project.parquet("artifacts/ingest/validation.parquet"), "query"), vec!["b"]);
    assert_eq!(column_strings(&project.parquet("artifacts/ingest/test.parquet"), "query"), vec!["c"]);
}

#[test]
fn graded_labels_use_threshold() {
    let project = Project::new(&pairs_settings(
        "graded.csv",
        "[ingest.split]\ntrain = 1.0\nvalidation = 0.0\ntest = 0.0\n[ingest.labels]\nthreshold = 2.5",
    ));
    project.write("graded.csv", "query,product_title,relevance_label\na,x,3\nb,y,2.33\nc,z,2.5\n");
    let output = project.run(INGEST, &[]);
    assert!(output.status.success(), "{}", stderr(&output));

    assert_eq!(label_sum(&project.parquet("artifacts/ingest/train.parquet")), 2);
}

#[test]
fn dropped_rows_are_counted_per_reason() {
    let project = Project::new(&pairs_settings("pairs.csv", "on_unknown_label = \"drop\""));
    project.write(
        "pairs.csv",
        "query,product_title,relevance_label\n\
         a,x,1\n\
         ,y,0\n\
         b,,1\n\
         a,x,0\n\
         c,z,7\n\
         d,w,0\n",
    );
    let output = project.run(INGEST, &[]);
    assert!(output.status.success(), "{}", stderr(&output));

    let dropped = &project.manifest("ingest")["metrics"]["rows_dropped"];
    assert_eq!(dropped["empty_query"], 1);
    assert_eq!(dropped["empty_title"], 1);
    assert_eq!(dropped["duplicate_pair"], 1);
    assert_eq!(dropped["unknown_label"], 1);
    assert_eq!(project.manifest("ingest")["metrics"]["pairs_kept"], 2);
}

#[test]
fn latin1_file_decodes_on_request() {
    let project = Project::new(&pairs_settings("latin.csv", "text_encoding = \"latin-1\""));
    let mut bytes = b"query,product_title,relevance_label\ncaf".to_vec();
    bytes.push(0xE9);
    bytes.extend_from_slice(b" table,chair,1\n");
    project.write("latin.csv", bytes);
    let output = project.run(INGEST, &[]);
    assert!(output.status.success(), "{}", stderr(&output));

    let catalog_queries: Vec<String> = ["train", "validation", "test"]
        .iter()
        .flat_map(|split| column_strings(&project.parquet(&format!("artifacts/ingest/{split}.parquet")), "query"))
        .collect();
    assert_eq!(catalog_queries, vec!["café table".to_string()]);
}

#[test]
fn jsonl_pairs_with_product_ids_load() {
    let project = Project::new(&pairs_settings(
        "pairs.jsonl",
        "[ingest.columns]\nquery = \"search_term\"\nproduct_id = \"product_uid\"\n[ingest.labels]\nthreshold = 2.5",
    ));
    project.write(
        "pairs.jsonl",
        "{\"search_term\": \"drill\", \"product_title\": \"Cordless drill\", \"product_uid\": 100001, \"relevance_label\": 3.0}\n\
         {\"search_term\": \"drill\", \"product_title\": \"Hammer\", \"product_uid\": 100002, \"relevance_label\": 1.0}\n",
    );
    let output = project.run(INGEST, &[]);
    assert!(output.status.success(), "{}", stderr(&output));

    let ids = column_strings(&project.parquet("artifacts/ingest/catalog.parquet"), "product_id");
    assert_eq!(ids, vec!["100001".to_string(), "100002".to_string()]);
}

#[test]
fn closed_stderr_does_not_crash_the_stage() {
    let project = Project::with_esci_sample();
    let mut child = project
        .command(INGEST, &[])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Close the read end before the stage logs anything, as `2>&1 | head -0` would.
    drop(child.stderr.take());
    let status = child.wait().unwrap();

    assert_eq!(status.code(), Some(0));
    assert!(project.path("artifacts/ingest/manifest.json").is_file());
}
