//! The training loop on real model weights and a real tokenized sample: it learns, repeats
//! itself byte for byte, resumes exactly, and refuses bad settings by name.

mod common;

use std::ops::ControlFlow;
use std::path::Path;

use lorasearch_encoder::{Encoder, EncoderOptions};
use lorasearch_runtime::config::{OptimizerKind, TrainMethod, TrainSection};
use lorasearch_training::{
    CheckpointStore, SilentObserver, TokenizedPairs, TrainingError, TrainingJob, TrainingObserver, TrainingReport,
    make_trainable, save_trained, train, validation_loss,
};

const MAX_LENGTH_TOKENS: usize = 32;
const SEED: u64 = 42;

fn settings() -> TrainSection {
    TrainSection {
        epochs: 1,
        batch_size: 8,
        learning_rate: 1e-3,
        max_steps: 4,
        ..TrainSection::default()
    }
}

fn load_encoder() -> Encoder {
    let options = EncoderOptions { max_length_tokens: MAX_LENGTH_TOKENS, pooling: None };
    Encoder::load(&common::model_folder(), options).unwrap()
}

fn tokenized(dir: &Path) -> TokenizedPairs {
    common::write_tokenized(dir, MAX_LENGTH_TOKENS, &common::train_pairs(), &common::validation_pairs());
    TokenizedPairs::read(dir).unwrap()
}

/// Trains a fresh encoder and returns it with the report.
fn run(data: &TokenizedPairs, settings: &TrainSection, store: Option<&CheckpointStore>) -> (Encoder, TrainingReport) {
    let mut encoder = load_encoder();
    let trainable = make_trainable(&mut encoder, settings, SEED).unwrap();
    let job = TrainingJob { encoder: &encoder, data, settings, seed: SEED, checkpoints: store };
    let report = train(&job, trainable, None, &mut SilentObserver).unwrap();
    (encoder, report)
}

/// Computes the loss over the train split without dropout, so that two models compare fairly.
fn train_split_loss(encoder: &Encoder, data: &TokenizedPairs, settings: &TrainSection) -> f64 {
    let as_validation = TokenizedPairs { validation: data.train.clone(), ..data.clone() };
    let job = TrainingJob { encoder, data: &as_validation, settings, seed: SEED, checkpoints: None };
    validation_loss(&job).unwrap().unwrap()
}

fn adapter_bytes(encoder: &Encoder, dir: &Path) -> Vec<u8> {
    save_trained(encoder, TrainMethod::Lora, dir).unwrap();
    std::fs::read(dir.join("adapter_model.safetensors")).unwrap()
}

#[test]
fn training_lowers_train_split_loss() {
    let temp = tempfile::tempdir().unwrap();
    let data = tokenized(&temp.path().join("tokenize"));
    let settings = TrainSection { max_steps: 6, ..settings() };
    let before = train_split_loss(&load_encoder(), &data, &settings);

    let (encoder, _) = run(&data, &settings, None);
    let after = train_split_loss(&encoder, &data, &settings);
    assert!(after < before, "loss before {before}, after {after}");
}

#[test]
fn training_report_counts_steps() {
    let temp = tempfile::tempdir().unwrap();
    let data = tokenized(&temp.path().join("tokenize"));
    let (_, report) = run(&data, &settings(), None);
    assert_eq!(report.completed_steps, 4);
}

#[test]
fn training_report_has_validation_loss() {
    let temp = tempfile::tempdir().unwrap();
    let data = tokenized(&temp.path().join("tokenize"));
    let (_, report) = run(&data, &settings(), None);
    assert!(report.epochs[0].validation_loss.is_some_and(f64::is_finite));
}

#[test]
fn trained_adapter_reloads_with_same_embeddings() {
    let temp = tempfile::tempdir().unwrap();
    let data = tokenized(&temp.path().join("tokenize"));
    let (trained, _) = run(&data, &settings(), None);
    save_trained(&trained, TrainMethod::Lora, &temp.path().join("adapter")).unwrap();

    let mut reloaded = load_encoder();
    reloaded.load_adapter(&temp.path().join("adapter")).unwrap();
    let text = ["bmw radio harness"];
    let expected = trained.embed_texts(&text).unwrap();
    let actual = reloaded.embed_texts(&text).unwrap();
    let difference = expected[0].iter().zip(&actual[0]).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(difference < 1e-6, "largest difference {difference}");
}

#[test]
fn trained_adapter_changes_embeddings() {
    let temp = tempfile::tempdir().unwrap();
    let data = tokenized(&temp.path().join("tokenize"));
    let (trained, _) = run(&data, &settings(), None);
    let text = ["bmw radio harness"];
    let base = load_encoder().embed_texts(&text).unwrap();
    let tuned = trained.embed_texts(&text).unwrap();
    let difference = base[0].iter().zip(&tuned[0]).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(difference > 1e-4, "largest difference {difference}");
}

#[test]
fn training_twice_gives_identical_adapter_bytes() {
    let temp = tempfile::tempdir().unwrap();
    let data = tokenized(&temp.path().join("tokenize"));
    let settings = TrainSection { bucket_by_length: true, ..settings() };
    let (first, _) = run(&data, &settings, None);
    let (second, _) = run(&data, &settings, None);
    assert_eq!(adapter_bytes(&first, &temp.path().join("first")), adapter_bytes(&second, &temp.path().join("second")));
}

/// Stops the run at its first checkpoint.
struct StopAtFirstCheckpoint;

impl TrainingObserver for StopAtFirstCheckpoint {
    fn checkpoint_saved(&mut self, _completed_steps: usize) -> ControlFlow<()> {
        ControlFlow::Break(())
    }
}

#[test]
fn resumed_training_equals_uninterrupted() {
    let temp = tempfile::tempdir().unwrap();
    let data = tokenized(&temp.path().join("tokenize"));
    let settings = TrainSection {
        epochs: 2,
        max_steps: 0,
        batch_size: 16,
        checkpoint_every_steps: 2,
        optimizer: OptimizerKind::Adamw,
        weight_decay: 0.01,
        ..settings()
    };
    let (uninterrupted, _) = run(&data, &settings, None);

    let store = CheckpointStore::new(temp.path().join("checkpoints"));
    let mut interrupted = load_encoder();
    let trainable = make_trainable(&mut interrupted, &settings, SEED).unwrap();
    let job = TrainingJob { encoder: &interrupted, data: &data, settings: &settings, seed: SEED, checkpoints: Some(&store) };
    let stopped = train(&job, trainable, None, &mut StopAtFirstCheckpoint).unwrap_err();
    assert!(matches!(stopped, TrainingError::Stopped { step: 2 }), "{stopped}");

    let mut resumed = load_encoder();
    let trainable = make_trainable(&mut resumed, &settings, SEED).unwrap();
    let checkpoint = store.load_latest(resumed.device()).unwrap();
    let job = TrainingJob { encoder: &resumed, data: &data, settings: &settings, seed: SEED, checkpoints: Some(&store) };
    train(&job, trainable, checkpoint, &mut SilentObserver).unwrap();

    assert_eq!(
        adapter_bytes(&resumed, &temp.path().join("resumed")),
        adapter_bytes(&uninterrupted, &temp.path().join("uninterrupted"))
    );
}

#[test]
fn epoch_snapshots_are_written_to_store() {
    let temp = tempfile::tempdir().unwrap();
    let data = tokenized(&temp.path().join("tokenize"));
    let store = CheckpointStore::new(temp.path().join("checkpoints"));
    let settings = TrainSection { epochs: 2, max_steps: 0, batch_size: 24, ..settings() };
    run(&data, &settings, Some(&store));
    let names: Vec<String> = store.epoch_snapshots().unwrap().into_iter().map(|(name, _)| name).collect();
    assert_eq!(names, vec!["epoch-1", "epoch-2"]);
}

#[test]
fn unknown_target_module_is_named() {
    let mut encoder = load_encoder();
    let settings = TrainSection { target_modules: vec!["qkv_proj".to_owned()], ..settings() };
    let error = make_trainable(&mut encoder, &settings, SEED).unwrap_err();
    assert!(error.to_string().contains("qkv_proj"), "{error}");
}

#[test]
fn unknown_target_module_is_settings_problem() {
    let mut encoder = load_encoder();
    let settings = TrainSection { target_modules: vec!["qkv_proj".to_owned()], ..settings() };
    assert!(make_trainable(&mut encoder, &settings, SEED).unwrap_err().is_settings_problem());
}

#[test]
fn exploding_learning_rate_stops_with_step() {
    let temp = tempfile::tempdir().unwrap();
    let data = tokenized(&temp.path().join("tokenize"));
    let settings = TrainSection { learning_rate: 1e30, ..settings() };
    let mut encoder = load_encoder();
    let trainable = make_trainable(&mut encoder, &settings, SEED).unwrap();
    let job = TrainingJob { encoder: &encoder, data: &data, settings: &settings, seed: SEED, checkpoints: None };
    let error = train(&job, trainable, None, &mut SilentObserver).unwrap_err();
    assert!(matches!(error, TrainingError::NotFinite { step: 2.., .. }), "{error}");
}

#[test]
fn empty_train_split_is_rejected() {
    let temp = tempfile::tempdir().unwrap();
    common::write_tokenized(temp.path(), MAX_LENGTH_TOKENS, &[], &common::validation_pairs());
    let error = TokenizedPairs::read(temp.path()).unwrap_err();
    assert!(matches!(error, TrainingError::EmptyTrainSplit { .. }), "{error}");
}

#[test]
fn tokenized_pairs_read_fixture_counts() {
    let temp = tempfile::tempdir().unwrap();
    let data = tokenized(temp.path());
    assert_eq!((data.train.len(), data.validation.len(), data.titles.len()), (48, 8, 16));
}

#[test]
fn full_fine_tuning_saves_reloadable_model_folder() {
    let temp = tempfile::tempdir().unwrap();
    let data = tokenized(&temp.path().join("tokenize"));
    let settings = TrainSection { method: TrainMethod::Full, max_steps: 1, batch_size: 4, learning_rate: 1e-4, ..settings() };
    let (trained, _) = run(&data, &settings, None);
    let folder = temp.path().join("model");
    save_trained(&trained, TrainMethod::Full, &folder).unwrap();

    let options = EncoderOptions { max_length_tokens: MAX_LENGTH_TOKENS, pooling: None };
    let reloaded = Encoder::load(&folder, options).unwrap();
    let text = ["bmw radio harness"];
    let expected = trained.embed_texts(&text).unwrap();
    let actual = reloaded.embed_texts(&text).unwrap();
    let difference = expected[0].iter().zip(&actual[0]).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(difference < 1e-6, "largest difference {difference}");
}

#[test]
fn full_fine_tuning_changes_embeddings() {
    let temp = tempfile::tempdir().unwrap();
    let data = tokenized(&temp.path().join("tokenize"));
    let settings = TrainSection { method: TrainMethod::Full, max_steps: 1, batch_size: 4, learning_rate: 1e-4, ..settings() };
    let (trained, _) = run(&data, &settings, None);
    let text = ["bmw radio harness"];
    let base = load_encoder().embed_texts(&text).unwrap();
    let tuned = trained.embed_texts(&text).unwrap();
    let difference = base[0].iter().zip(&tuned[0]).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(difference > 1e-5, "largest difference {difference}");
}
