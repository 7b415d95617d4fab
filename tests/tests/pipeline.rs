//! The whole pipeline on the shipped ESCI sample with the real model: every stage, in order.

use lorasearch_e2e::{Project, esci_model_settings, stderr, stdout};

const STAGES: [(&str, &str); 6] = [
    ("lorasearch-ingest", "ingest"),
    ("lorasearch-tokenize", "tokenize"),
    ("lorasearch-train", "train"),
    ("lorasearch-evaluate", "evaluate"),
    ("lorasearch-embed", "embed"),
    ("lorasearch-index", "index"),
];

fn run_pipeline(project: &Project) -> Vec<String> {
    STAGES
        .iter()
        .map(|(binary, _)| {
            let output = project.run(binary, &[]);
            assert!(output.status.success(), "{binary}: {}", stderr(&output));
            stderr(&output)
        })
        .collect()
}

fn sample_project() -> Project {
    let project = Project::with_esci_sample();
    project.set_settings(&esci_model_settings(""));
    project
}

#[test]
fn pipeline_writes_complete_manifests() {
    let project = sample_project();
    run_pipeline(&project);

    for (_, stage) in STAGES {
        let manifest = project.manifest(stage);
        assert_eq!(manifest["stage"], stage);
        assert_eq!(manifest["stage_key"].as_str().map(str::len), Some(64), "{stage} key");
        let outputs = manifest["outputs"].as_array().unwrap();
        assert!(!outputs.is_empty(), "{stage} lists no outputs");
        for output in outputs {
            let path = project.path(&format!("artifacts/{stage}/{}", output["path"].as_str().unwrap()));
            let size = std::fs::metadata(&path).unwrap().len();
            assert_eq!(Some(size), output["size"].as_u64(), "{}", path.display());
        }
    }
}

#[test]
fn pipeline_second_run_skips_every_stage() {
    let project = sample_project();
    run_pipeline(&project);
    let logs = run_pipeline(&project);

    for ((_, stage), log) in STAGES.iter().zip(&logs) {
        assert!(log.contains(&format!("{stage}: up to date")), "{stage}: {log}");
    }
}

#[test]
fn pipeline_search_returns_catalog_products() {
    let project = sample_project();
    run_pipeline(&project);
    let output = project.run("lorasearch", &["search", "bmw 325i radio", "-k", "3", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));

    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let catalog = project.parquet("artifacts/ingest/catalog.parquet");
    let ids: Vec<String> = catalog.column("product_id").unwrap().str().unwrap().iter().map(|id| id.unwrap().to_string()).collect();
    let results = value["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert!(results.iter().all(|hit| ids.contains(&hit["product_id"].as_str().unwrap().to_string())));
}

#[test]
fn train_setting_reruns_later_stages_only() {
    let project = sample_project();
    run_pipeline(&project);
    project.set_settings(&format!("{}[train]\nepochs = 1\n", esci_model_settings("")));
    let logs = run_pipeline(&project);

    let reran: Vec<&str> = STAGES.iter().zip(&logs).filter(|(_, log)| log.contains("running")).map(|((_, stage), _)| *stage).collect();
    assert_eq!(reran, vec!["train", "evaluate", "embed", "index"]);
}

#[test]
fn status_lists_every_stage_up_to_date() {
    let project = sample_project();
    run_pipeline(&project);
    let output = project.run("lorasearch", &["status", "--check"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = stdout(&output);
    for (_, stage) in STAGES {
        assert!(report.contains(&format!("{stage:<10} up to date")), "{report}");
    }
}

#[test]
fn search_after_retraining_without_reindexing_fails() {
    let project = sample_project();
    run_pipeline(&project);
    project.set_settings(&format!("{}[train]\nepochs = 1\n", esci_model_settings("")));
    let train = project.run("lorasearch-train", &[]);
    assert!(train.status.success(), "{}", stderr(&train));

    let output = project.run("lorasearch", &["search", "bmw 325i radio"]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("is stale"), "{message}");
    assert!(message.contains("adapter_model.safetensors changed"), "{message}");
}

#[test]
fn status_names_changed_train_parameter() {
    let project = sample_project();
    run_pipeline(&project);
    project.set_settings(&format!("{}[train]\nepochs = 1\n", esci_model_settings("")));
    let report = stdout(&project.run("lorasearch", &["status"]));

    assert!(report.contains("parameter `train.epochs` changed"), "{report}");
    assert!(report.contains("upstream stage `train` is not up to date"), "{report}");
}

#[test]
fn full_fine_tuning_feeds_later_stages() {
    let project = sample_project();
    project.set_settings(&format!("{}[train]\nmethod = \"full\"\nepochs = 1\n", esci_model_settings("")));
    let logs = run_pipeline(&project);

    assert!(logs[4].contains("(fully fine-tuned)"), "embed: {}", logs[4]);
    let output = project.run("lorasearch", &["search", "bmw 325i radio", "-k", "1", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
}
