//! The train stage through its binary, on a tokenize folder built from the shipped ESCI sample
//! with the real all-MiniLM-L6-v2 tokenizer and weights.

#[path = "../../../crates/training/tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TRAIN_BINARY: &str = env!("CARGO_BIN_EXE_lorasearch-train");
const MAX_LENGTH_TOKENS: usize = 32;

/// A temporary project: settings, and a tokenize folder in its artifacts.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    /// Creates a project whose `[train]` section is `train_settings`.
    fn new(train_settings: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let project = Self { dir };
        project.set_train_settings(train_settings);
        common::write_tokenized(
            &project.path("artifacts/tokenize"),
            MAX_LENGTH_TOKENS,
            &common::train_pairs(),
            &common::validation_pairs(),
        );
        project
    }

    fn set_train_settings(&self, train_settings: &str) {
        let settings = format!(
            "[pipeline]\nseed = 7\n\n[model]\npath = {:?}\nmax_length_tokens = {MAX_LENGTH_TOKENS}\n\n[train]\n{train_settings}\n",
            common::model_folder().display().to_string()
        );
        std::fs::write(self.path("pipeline.toml"), settings).unwrap();
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(TRAIN_BINARY);
        command.current_dir(self.dir.path()).args(args).env_remove("LORASEARCH_LOG").env_remove("LORASEARCH_FAILPOINT");
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn manifest(&self) -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(self.path("artifacts/train/manifest.json")).unwrap()).unwrap()
    }

    fn adapter_bytes(&self) -> Vec<u8> {
        std::fs::read(self.path("artifacts/train/adapter_model.safetensors")).unwrap()
    }

    fn has_manifest(&self) -> bool {
        self.path("artifacts/train/manifest.json").exists()
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const THREE_STEPS: &str = "epochs = 1\nbatch_size = 16\nlearning_rate = 1e-3";
const RESUMABLE: &str = "epochs = 2\nbatch_size = 24\nlearning_rate = 1e-3\ncheckpoint_every_steps = 1";

fn is_file(path: &Path) -> bool {
    path.is_file()
}

#[test]
fn train_stage_writes_outputs_and_manifest() {
    let project = Project::new(THREE_STEPS);
    let output = project.run(&[]);
    assert!(output.status.success(), "{}", stderr(&output));

    assert!(is_file(&project.path("artifacts/train/adapter_config.json")));
    assert!(is_file(&project.path("artifacts/train/adapter_model.safetensors")));
    assert!(is_file(&project.path("artifacts/train/checkpoints/epoch-1/adapter_model.safetensors")));
    let history = common::read_parquet(&project.path("artifacts/train/history.parquet"));
    assert_eq!(history.height(), 3);
    let manifest = project.manifest();
    assert_eq!(manifest["metrics"]["steps"], 3);
    assert_eq!(manifest["metrics"]["trainable_parameters"], 6 * 3 * 2 * 8 * 384);
    assert!(manifest["metrics"]["validation_loss_per_epoch"][0].is_f64());
    assert!(stderr(&output).contains("epoch 1/1: mean training loss"), "{}", stderr(&output));
    assert!(!project.path("artifacts/.checkpoints/train").join(manifest["stage_key"].as_str().unwrap()).exists());

    let rerun = project.run(&[]);
    assert!(stderr(&rerun).contains("up to date"), "{}", stderr(&rerun));
}

#[test]
fn train_stage_runs_give_identical_adapter_bytes() {
    let first = Project::new(THREE_STEPS);
    let second = Project::new(THREE_STEPS);
    assert!(first.run(&[]).status.success());
    assert!(second.run(&[]).status.success());
    assert_eq!(first.adapter_bytes(), second.adapter_bytes());
}

#[test]
fn train_stage_resume_matches_uninterrupted_run() {
    let uninterrupted = Project::new(RESUMABLE);
    let output = uninterrupted.run(&[]);
    assert!(output.status.success(), "{}", stderr(&output));

    let interrupted = Project::new(RESUMABLE);
    let killed = interrupted.command(&[]).env("LORASEARCH_FAILPOINT", "train-after-checkpoint:abort").output().unwrap();
    assert!(!killed.status.success(), "the failpoint did not stop the run");
    assert!(!interrupted.has_manifest(), "a killed run left a manifest");

    let resumed = interrupted.run(&["--resume"]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert_eq!(interrupted.manifest()["metrics"]["resumed_from_step"], 1);
    assert_eq!(interrupted.adapter_bytes(), uninterrupted.adapter_bytes());
    assert!(is_file(&interrupted.path("artifacts/train/checkpoints/epoch-2/adapter_model.safetensors")));
}

#[test]
fn train_stage_unknown_target_module_exits_2() {
    let project = Project::new(&format!("{THREE_STEPS}\ntarget_modules = [\"qkv_proj\"]"));
    let output = project.run(&[]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("qkv_proj"), "{}", stderr(&output));
    assert!(!project.has_manifest());
}

#[test]
fn train_stage_exploding_loss_fails_naming_step() {
    let project = Project::new("epochs = 1\nbatch_size = 16\nlearning_rate = 1e30");
    let output = project.run(&[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("at step 2"), "{}", stderr(&output));
    assert!(!project.has_manifest());
}

#[test]
fn train_stage_empty_train_split_exits_2() {
    let project = Project::new(THREE_STEPS);
    common::write_tokenized(&project.path("artifacts/tokenize"), MAX_LENGTH_TOKENS, &[], &common::validation_pairs());
    let output = project.run(&[]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("ingest.split"), "{}", stderr(&output));
}

#[test]
fn train_stage_missing_tokenize_output_names_stage() {
    let project = Project::new(THREE_STEPS);
    std::fs::remove_file(project.path("artifacts/tokenize/train.parquet")).unwrap();
    let output = project.run(&[]);
    assert!(stderr(&output).contains("lorasearch-tokenize"), "{}", stderr(&output));
}

#[test]
fn train_stage_help_lists_settings_with_defaults() {
    let output = Command::new(TRAIN_BINARY).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("learning_rate                peak learning rate [5e-4]"), "{help}");
    assert!(help.contains("--resume"), "{help}");
}
