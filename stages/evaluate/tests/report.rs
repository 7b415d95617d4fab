//! The evaluate stage's report, charts and manifest with an untuned and a tuned model.

mod common;

use common::{EVALUATE, PAIRS_CSV, cosine_scores, encoder, report, run_ok, split_pairs, tokenized_project, write_adapter};
use lorasearch_e2e::Project;
use serde_json::Value;

const SPLITS: [&str; 2] = ["validation", "test"];
const MODELS: [&str; 2] = ["untuned", "tuned"];

/// Creates a project with both splits tokenized and an adapter in artifacts/train, and runs
/// evaluate once.
fn evaluated_project() -> Project {
    let project = tokenized_project(PAIRS_CSV, "");
    write_adapter(&project, 7);
    run_ok(&project, EVALUATE);
    project
}

fn labels(split: &str) -> Vec<u8> {
    split_pairs(PAIRS_CSV, split).iter().map(|pair| pair.relevance_label).collect()
}

#[test]
fn report_json_has_documented_fields() {
    let project = evaluated_project();
    let report = report(&project);

    assert_eq!(report["format"], "lorasearch-evaluate-report/1");
    assert!(report["model_path"].is_string(), "{report:#}");
    assert!(report["adapter_path"].as_str().is_some_and(|path| path.ends_with("train")), "{report:#}");
    assert!(report["tuned_note"].is_null(), "{report:#}");
    assert_eq!(report["batch_size"], 128);
    assert_eq!(report["max_pairs"], 0);
    assert!(report["gate"].is_null(), "{report:#}");
    for model in MODELS {
        let entry = &report["models"][model];
        assert_eq!(entry["pairs_evaluated"], 24, "{model}");
        assert!(entry["elapsed_ms"].is_u64(), "{model}: {entry:#}");
        assert!(entry["pairs_per_second"].as_f64().is_some_and(|speed| speed > 0.0), "{model}: {entry:#}");
        for split in SPLITS {
            let row = &entry["splits"][split];
            assert_eq!(row["status"], "evaluated", "{model} {split}");
            assert_eq!(row["pairs"], 12, "{model} {split}");
            assert_eq!(row["pairs_available"], 12, "{model} {split}");
            let positives = labels(split).iter().filter(|label| **label == 1).count();
            assert_eq!(row["positives"], positives, "{model} {split}");
            assert_eq!(row["negatives"], 12 - positives, "{model} {split}");
            for metric in ["roc_auc", "average_precision"] {
                assert!(row[metric].as_f64().is_some_and(|value| (0.0..=1.0).contains(&value)), "{model} {split} {metric}: {row:#}");
            }
            for metric in ["best_accuracy", "best_f1"] {
                assert!(row[metric]["threshold"].is_f64(), "{model} {split} {metric}: {row:#}");
                assert!(row[metric]["value"].is_f64(), "{model} {split} {metric}: {row:#}");
            }
            assert!(row["note"].is_null(), "{model} {split}: {row:#}");
        }
    }
    assert!(report["models"]["untuned"]["adapter_path"].is_null(), "{report:#}");
    assert_eq!(report["models"]["tuned"]["adapter_path"], report["adapter_path"]);
}

#[test]
fn report_roc_auc_matches_encoder_scores() {
    let project = evaluated_project();
    let report = report(&project);

    let adapter_dir = project.path("artifacts/train");
    for (model, adapter) in [("untuned", None), ("tuned", Some(adapter_dir.as_path()))] {
        let encoder = encoder(adapter);
        for split in SPLITS {
            let scores = cosine_scores(&encoder, &split_pairs(PAIRS_CSV, split));
            let expected = lorasearch_metrics::roc_auc(&scores, &labels(split)).expect("both classes");
            let reported = report["models"][model]["splits"][split]["roc_auc"].as_f64().expect("a ROC-AUC");
            assert!((reported - expected).abs() < 1e-9, "{model} {split}: reported {reported}, recomputed {expected}");
        }
    }
}

#[test]
fn report_thresholds_are_cosine_scores_of_the_pairs() {
    let project = evaluated_project();
    let report = report(&project);

    let scores = cosine_scores(&encoder(None), &split_pairs(PAIRS_CSV, "test"));
    let threshold = report["models"]["untuned"]["splits"]["test"]["best_f1"]["threshold"].as_f64().expect("a threshold");
    assert!(scores.iter().any(|score| (score - threshold).abs() < 1e-5), "threshold {threshold} is not among the scores {scores:?}");
}

#[test]
fn report_tuned_scores_differ_from_untuned() {
    let project = evaluated_project();
    let report = report(&project);

    for split in SPLITS {
        let untuned = &report["models"]["untuned"]["splits"][split];
        let tuned = &report["models"]["tuned"]["splits"][split];
        assert_ne!(untuned["best_f1"]["threshold"], tuned["best_f1"]["threshold"], "{split}");
    }
}

#[test]
fn report_markdown_lists_every_row() {
    let project = evaluated_project();
    let markdown = std::fs::read_to_string(project.path("artifacts/evaluate/report.md")).expect("report.md");
    let report = report(&project);

    for split in SPLITS {
        for model in MODELS {
            let roc_auc = report["models"][model]["splits"][split]["roc_auc"].as_f64().expect("a ROC-AUC");
            let row = format!("| {split} | {model} | 12 |");
            let line = markdown.lines().find(|line| line.starts_with(&row));
            assert!(line.is_some_and(|line| line.contains(&format!("{roc_auc:.4}"))), "no row {row} with {roc_auc:.4}:\n{markdown}");
        }
        let untuned = report["models"]["untuned"]["splits"][split]["roc_auc"].as_f64().expect("a ROC-AUC");
        let tuned = report["models"]["tuned"]["splits"][split]["roc_auc"].as_f64().expect("a ROC-AUC");
        assert!(markdown.contains(&format!("{:+.4}", tuned - untuned)), "no change in ROC-AUC for {split}:\n{markdown}");
    }
}

#[test]
fn report_charts_decode_as_svg_and_png() {
    let project = evaluated_project();

    for split in SPLITS {
        for chart in ["roc", "pr"] {
            let svg_path = project.path(&format!("artifacts/evaluate/{chart}_{split}.svg"));
            let svg = std::fs::read_to_string(&svg_path).unwrap_or_else(|error| panic!("{}: {error}", svg_path.display()));
            let document = roxmltree::Document::parse(&svg).unwrap_or_else(|error| panic!("{}: {error}", svg_path.display()));
            assert_eq!(document.root_element().tag_name().name(), "svg");
            for model in MODELS {
                assert!(svg.contains(model), "{} has no curve named {model}", svg_path.display());
            }

            let png_path = project.path(&format!("artifacts/evaluate/{chart}_{split}.png"));
            let file = std::fs::File::open(&png_path).unwrap_or_else(|error| panic!("{}: {error}", png_path.display()));
            let mut reader = png::Decoder::new(std::io::BufReader::new(file)).read_info().expect("a PNG header");
            let mut pixels = vec![0; reader.output_buffer_size().expect("a buffer size")];
            let frame = reader.next_frame(&mut pixels).expect("PNG pixels");
            assert!(frame.width > 100, "{}: width {}", png_path.display(), frame.width);
            assert!(frame.height > 100, "{}: height {}", png_path.display(), frame.height);
        }
    }
}

#[test]
fn manifest_records_roc_auc_metrics() {
    let project = evaluated_project();
    let manifest = project.manifest("evaluate");
    let report = report(&project);

    let metrics = &manifest["metrics"];
    for model in MODELS {
        for split in SPLITS {
            assert_eq!(metrics[format!("roc_auc_{model}_{split}")], report["models"][model]["splits"][split]["roc_auc"]);
        }
        assert!(metrics[format!("pairs_per_second_{model}")].as_f64().is_some_and(|speed| speed > 0.0), "{metrics:#}");
    }
    assert_eq!(metrics["tuned_model_evaluated"], Value::Bool(true));
}

#[test]
fn report_summary_line_compares_untuned_and_tuned() {
    let project = tokenized_project(PAIRS_CSV, "");
    write_adapter(&project, 7);
    let log = run_ok(&project, EVALUATE);

    let summary = log.lines().find(|line| line.contains("evaluate: done")).unwrap_or_default();
    for split in SPLITS {
        assert!(summary.contains(&format!("{split} ROC-AUC untuned")), "{log}");
    }
    assert!(summary.contains("-> tuned"), "{log}");
}
