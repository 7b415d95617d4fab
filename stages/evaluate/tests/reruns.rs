//! Reruns: nothing changed, an adapter appears, the adapter changes.

mod common;

use common::{EVALUATE, PAIRS_CSV, report, run_ok, tokenized_project, write_adapter};

#[test]
fn rerun_without_changes_is_a_no_op() {
    let project = tokenized_project(PAIRS_CSV, "");
    write_adapter(&project, 7);
    run_ok(&project, EVALUATE);
    let report_path = project.path("artifacts/evaluate/report.json");
    let modified = std::fs::metadata(&report_path).and_then(|meta| meta.modified()).expect("report.json mtime");

    let log = run_ok(&project, EVALUATE);
    assert!(log.contains("up to date"), "{log}");
    assert!(!log.contains("scoring"), "{log}");
    assert_eq!(std::fs::metadata(&report_path).and_then(|meta| meta.modified()).expect("report.json mtime"), modified);
}

#[test]
fn rerun_after_adapter_change_evaluates_again() {
    let project = tokenized_project(PAIRS_CSV, "");
    write_adapter(&project, 7);
    run_ok(&project, EVALUATE);
    let before = report(&project)["models"]["tuned"]["splits"]["test"]["best_f1"]["threshold"].clone();

    write_adapter(&project, 8);
    let log = run_ok(&project, EVALUATE);
    assert!(log.contains("evaluate: running"), "{log}");
    assert_ne!(report(&project)["models"]["tuned"]["splits"]["test"]["best_f1"]["threshold"], before);
}

#[test]
fn evaluate_without_adapter_reports_the_untuned_model_only() {
    let project = tokenized_project(PAIRS_CSV, "");
    let log = run_ok(&project, EVALUATE);

    let report = report(&project);
    assert!(report["models"]["tuned"].is_null(), "{report:#}");
    assert!(report["adapter_path"].is_null(), "{report:#}");
    assert!(report["tuned_note"].as_str().is_some_and(|note| note.contains("only the untuned model")), "{report:#}");
    assert!(log.contains("only the untuned model is evaluated"), "{log}");
    assert_eq!(project.manifest("evaluate")["metrics"]["tuned_model_evaluated"], false);
}

#[test]
fn rerun_after_adapter_appears_evaluates_the_tuned_model() {
    let project = tokenized_project(PAIRS_CSV, "");
    run_ok(&project, EVALUATE);

    write_adapter(&project, 7);
    let log = run_ok(&project, EVALUATE);
    assert!(log.contains("evaluate: running"), "{log}");
    assert!(report(&project)["models"]["tuned"]["splits"]["test"]["roc_auc"].is_f64());
}
