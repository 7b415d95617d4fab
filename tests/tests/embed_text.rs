//! `lorasearch-embed --text/--stdin` against the stored sentence-transformers reference.

use std::io::Write;
use std::process::Stdio;

use lorasearch_e2e::{Project, esci_model_settings, repo_root, stderr, stdout};

/// (text, embedding) cases of the reference file shipped with the encoder's tests.
fn reference_cases() -> Vec<(String, Vec<f64>)> {
    let path = repo_root().join("crates/encoder/tests/data/all-MiniLM-L6-v2-embeddings.json");
    let reference: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    reference["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| {
            let text = case["text"].as_str().unwrap().to_string();
            let embedding = case["embedding"].as_array().unwrap().iter().map(|value| value.as_f64().unwrap()).collect();
            (text, embedding)
        })
        .collect()
}

fn parse_lines(output: &str) -> Vec<(String, Vec<f64>)> {
    output
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            let embedding = value["embedding"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
            (value["text"].as_str().unwrap().to_string(), embedding)
        })
        .collect()
}

fn max_abs_difference(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

#[test]
fn embed_text_matches_reference() {
    let project = Project::new(&esci_model_settings(""));
    let cases = reference_cases();
    let mut args = Vec::new();
    for (text, _) in &cases {
        args.push("--text");
        args.push(text.as_str());
    }
    let output = project.run("lorasearch-embed", &args);
    assert!(output.status.success(), "{}", stderr(&output));

    let lines = parse_lines(&stdout(&output));
    assert_eq!(lines.len(), cases.len());
    for ((text, expected), (printed_text, embedding)) in cases.iter().zip(&lines) {
        assert_eq!(printed_text, text);
        assert!(max_abs_difference(expected, embedding) < 1e-5, "{text:?} differs from the reference");
    }
}

#[test]
fn embed_stdin_reads_one_text_per_line() {
    let project = Project::new(&esci_model_settings(""));
    let mut child = project
        .command("lorasearch-embed", &["--stdin", "--base"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"usb cable\n\nwireless mouse\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));

    let texts: Vec<String> = parse_lines(&stdout(&output)).into_iter().map(|(text, _)| text).collect();
    assert_eq!(texts, vec!["usb cable".to_string(), "wireless mouse".to_string()]);
}

#[test]
fn embed_empty_stdin_is_a_usage_error() {
    let project = Project::new(&esci_model_settings(""));
    let output = project.command("lorasearch-embed", &["--stdin"]).stdin(Stdio::null()).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("stdin contained no texts"), "{}", stderr(&output));
}
