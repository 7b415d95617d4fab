//! Splits that are empty, hold one class only, or are cut by `max_pairs`.

mod common;

use common::{EVALUATE, PAIRS_CSV, report, run_ok, tokenized_project};

/// The fixture without its test rows.
fn without_test_split() -> String {
    PAIRS_CSV.lines().filter(|line| !line.ends_with(",test")).map(|line| format!("{line}\n")).collect()
}

#[test]
fn empty_test_split_is_skipped() {
    let project = tokenized_project(&without_test_split(), "");
    let log = run_ok(&project, EVALUATE);

    let test = &report(&project)["models"]["untuned"]["splits"]["test"];
    assert_eq!(test["status"], "skipped");
    assert_eq!(test["pairs"], 0);
    assert!(test["roc_auc"].is_null(), "{test:#}");
    assert!(log.contains("test split has no pairs"), "{log}");
    assert!(!project.path("artifacts/evaluate/roc_test.svg").exists());
}

#[test]
fn one_class_split_explains_roc_auc() {
    // The validation split keeps only its relevant pairs.
    let csv: String = PAIRS_CSV
        .lines()
        .filter(|line| !(line.ends_with(",0,validation")))
        .map(|line| format!("{line}\n"))
        .collect();
    let project = tokenized_project(&csv, "");
    run_ok(&project, EVALUATE);

    let validation = &report(&project)["models"]["untuned"]["splits"]["validation"];
    assert_eq!(validation["status"], "one_class");
    assert!(validation["roc_auc"].is_null(), "{validation:#}");
    assert_eq!(validation["average_precision"], 1.0);
    assert!(validation["best_accuracy"]["value"].is_f64(), "{validation:#}");
    assert!(validation["note"].as_str().is_some_and(|note| note.contains("negative")), "{validation:#}");
    assert!(!project.path("artifacts/evaluate/roc_validation.svg").exists());
    assert!(project.path("artifacts/evaluate/pr_validation.svg").exists());
}

#[test]
fn max_pairs_limits_each_split() {
    let project = tokenized_project(PAIRS_CSV, "[evaluate]\nmax_pairs = 5");
    run_ok(&project, EVALUATE);

    let untuned = &report(&project)["models"]["untuned"];
    for split in ["validation", "test"] {
        assert_eq!(untuned["splits"][split]["pairs"], 5, "{split}");
        assert_eq!(untuned["splits"][split]["pairs_available"], 12, "{split}");
    }
    assert_eq!(untuned["pairs_evaluated"], 10);
}
