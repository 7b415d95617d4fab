//! The `[evaluate] min_roc_auc` gate.

mod common;

use common::{EVALUATE, PAIRS_CSV, report, run_ok, settings, tokenized_project, write_adapter};
use lorasearch_e2e::{Project, stderr};

/// Runs evaluate once without the gate to learn the tuned test ROC-AUC, then removes its outputs
/// and sets `min_roc_auc`. Returns the project and that ROC-AUC.
fn gated_project(min_roc_auc: f64) -> (Project, f64) {
    let project = tokenized_project(PAIRS_CSV, "");
    write_adapter(&project, 7);
    run_ok(&project, EVALUATE);
    let roc_auc = report(&project)["models"]["tuned"]["splits"]["test"]["roc_auc"].as_f64().expect("a test ROC-AUC");
    std::fs::remove_dir_all(project.path("artifacts/evaluate")).expect("remove the first run's outputs");

    project.set_settings(&settings(&format!("[evaluate]\nmin_roc_auc = {min_roc_auc}")));
    (project, roc_auc)
}

#[test]
fn gate_failure_names_both_numbers() {
    let (project, roc_auc) = gated_project(0.999);
    assert!(roc_auc < 0.999, "the fixture should score below the gate, got {roc_auc}");

    let output = project.run(EVALUATE, &[]);
    let log = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{log}");
    let message = log.lines().last().unwrap_or_default();
    assert!(message.contains("min_roc_auc = 0.999"), "{log}");
    assert!(message.contains(&format!("{roc_auc:.6}")), "{log}");
    assert!(message.contains("tuned model's test ROC-AUC"), "{log}");
}

#[test]
fn gate_failure_leaves_no_evaluate_manifest() {
    let (project, _) = gated_project(0.999);

    let output = project.run(EVALUATE, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(!project.path("artifacts/evaluate/manifest.json").exists());
    assert!(!project.path("artifacts/evaluate/report.json").exists());
}

#[test]
fn gate_failure_prints_the_report_in_the_log() {
    let (project, roc_auc) = gated_project(0.999);

    let log = stderr(&project.run(EVALUATE, &[]));
    assert!(log.contains("| test | tuned | 12 |"), "{log}");
    assert!(log.contains(&format!("{roc_auc:.4}")), "{log}");
}

#[test]
fn gate_pass_is_reported() {
    let (project, roc_auc) = gated_project(0.5);
    assert!(roc_auc >= 0.5, "the fixture should pass a gate of 0.5, got {roc_auc}");

    run_ok(&project, EVALUATE);
    let gate = &report(&project)["gate"];
    assert_eq!(gate["passed"], true);
    assert_eq!(gate["model"], "tuned");
    assert_eq!(gate["split"], "test");
    assert_eq!(gate["roc_auc"].as_f64(), Some(roc_auc));
}

#[test]
fn gate_without_any_roc_auc_fails() {
    // Every validation and test pair is relevant, so no split has a ROC-AUC to compare.
    let csv = "query,product_title,relevance_label,split\n\
               usb c cable,usb c cable 1 m,1,train\n\
               usb c cable,garden hose,0,train\n\
               coffee maker,drip coffee maker,1,validation\n\
               dog food,dry dog food,1,test\n";
    let project = tokenized_project(csv, "[evaluate]\nmin_roc_auc = 0.6");

    let output = project.run(EVALUATE, &[]);
    let log = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{log}");
    assert!(log.contains("cannot be checked"), "{log}");
}
