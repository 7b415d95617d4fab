//! The training loop of lorasearch: it fine-tunes the sentence encoder on labelled (query,
//! product title) pairs with the PEFT semantic-similarity example's recipe. It reads the
//! tokenize stage's token ids ([`TokenizedPairs`]), makes the encoder trainable (LoRA adapters or
//! every weight, [`make_trainable`]), and runs epochs of seeded, optionally length-bucketed
//! batches through the pair loss, gradient accumulation, global-norm clipping, Adam or AdamW and
//! a linear or constant learning-rate schedule ([`train`]). At each epoch's end it computes the
//! validation loss and, given a [`CheckpointStore`], writes a snapshot of the weights and a
//! resumable checkpoint; a run resumed from it ends with exactly the weights of an uninterrupted
//! run. Nothing here knows about stage folders or manifests: the train stage binary does.
//!
//! ```no_run
//! use std::path::Path;
//!
//! use lorasearch_encoder::{Encoder, EncoderOptions};
//! use lorasearch_runtime::config::TrainSection;
//! use lorasearch_training::{SilentObserver, TokenizedPairs, TrainingJob, make_trainable, save_trained, train};
//!
//! # fn main() -> Result<(), lorasearch_training::TrainingError> {
//! let data = TokenizedPairs::read(Path::new("artifacts/tokenize"))?;
//! let settings = TrainSection::default();
//! let mut encoder = Encoder::load(Path::new("models/all-MiniLM-L6-v2"), EncoderOptions::default())?;
//! let trainable = make_trainable(&mut encoder, &settings, 42)?;
//! let job = TrainingJob { encoder: &encoder, data: &data, settings: &settings, seed: 42, checkpoints: None };
//! let report = train(&job, trainable, None, &mut SilentObserver)?;
//! println!("{} steps, final loss {:?}", report.completed_steps, report.final_loss());
//! save_trained(&encoder, settings.method, Path::new("adapter"))?;
//! # Ok(())
//! # }
//! ```

pub mod batching;
pub mod checkpoint;
pub mod error;
pub mod gradients;
pub mod history;
pub mod loss;
pub mod model;
pub mod optimizer;
pub mod schedule;
pub mod tokenized;
pub mod trainer;

pub use checkpoint::{Checkpoint, CheckpointStore, ResumeState};
pub use error::{Result, TrainingError};
pub use history::{HistoryRow, write_history};
pub use loss::pair_loss;
pub use model::{check_token_ids, lora_config, make_trainable, parameter_count, save_trained};
pub use optimizer::AdamOptimizer;
pub use schedule::LearningRateSchedule;
pub use tokenized::{LabelledPair, TokenizedPairs};
pub use trainer::{EpochSummary, SilentObserver, StepPlan, TrainingJob, TrainingObserver, TrainingReport, train, validation_loss};
