//! Resumable checkpoints, kept outside the stage's staging folder so that they survive a killed
//! run.
//!
//! A store is one folder per stage key (`artifacts/.checkpoints/train/<stage_key>/`):
//!
//! ```text
//! step-000120/state.json              ResumeState: position in the run, history so far
//! step-000120/weights.safetensors     the trainable tensors under their keys
//! step-000120/optimizer.safetensors   Adam's moments (exp_avg.<key>, exp_avg_sq.<key>)
//! LATEST                              name of the newest complete step folder
//! epochs/epoch-1/                     the trained weights at the end of epoch 1, in the
//!                                     stage's output format (adapter or model folder)
//! ```
//!
//! A step folder is complete before `LATEST` names it, and `LATEST` is replaced by a rename, so
//! a kill at any moment leaves the previous checkpoint usable.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainingError};
use crate::history::HistoryRow;
use crate::trainer::EpochSummary;

/// Version of the checkpoint layout; a store of another version is not resumed.
pub const CHECKPOINT_FORMAT: u32 = 1;

const LATEST_FILE: &str = "LATEST";
const STATE_FILE: &str = "state.json";
const WEIGHTS_FILE: &str = "weights.safetensors";
const OPTIMIZER_FILE: &str = "optimizer.safetensors";
const EPOCHS_DIR: &str = "epochs";

/// Position of a run, which with the weights and the optimiser moments is enough to continue
/// exactly.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResumeState {
    pub format: u32,
    /// Optimiser steps applied so far.
    pub completed_steps: usize,
    /// The epoch to continue in, counting from 0.
    pub epoch: usize,
    /// The next step of that epoch, counting from 0.
    pub next_step_in_epoch: usize,
    /// Every step so far.
    pub history: Vec<HistoryRow>,
    /// Every finished epoch so far.
    pub epochs: Vec<EpochSummary>,
    /// Keys of the trainable tensors, in optimiser order.
    pub trainable_keys: Vec<String>,
}

/// A checkpoint read back from disk.
#[derive(Debug)]
pub struct Checkpoint {
    pub state: ResumeState,
    pub weights: HashMap<String, Tensor>,
    pub optimizer: HashMap<String, Tensor>,
    pub path: PathBuf,
}

/// The checkpoint folder of one stage key.
#[derive(Debug, Clone)]
pub struct CheckpointStore {
    dir: PathBuf,
}

impl CheckpointStore {
    #[must_use]
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Deletes the store and everything in it; a missing store is fine.
    ///
    /// # Errors
    /// When the folder exists and cannot be removed.
    pub fn remove(&self) -> Result<()> {
        match std::fs::remove_dir_all(&self.dir) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(TrainingError::io("removing checkpoint folder", &self.dir, source)),
        }
    }

    /// Writes a checkpoint and makes it the latest; older step folders are removed afterwards.
    ///
    /// # Errors
    /// When a file cannot be written.
    pub fn save(&self, state: &ResumeState, weights: &BTreeMap<String, Tensor>, optimizer: &BTreeMap<String, Tensor>) -> Result<()> {
        let name = format!("step-{:06}", state.completed_steps);
        let folder = self.dir.join(&name);
        let staging = self.dir.join(format!("{name}.tmp"));
        remove_if_present(&staging)?;
        std::fs::create_dir_all(&staging).map_err(|source| TrainingError::io("creating", &staging, source))?;

        let state_json = serde_json::to_vec_pretty(state).map_err(|error| TrainingError::Checkpoint {
            path: staging.clone(),
            message: error.to_string(),
        })?;
        write_synced(&staging.join(STATE_FILE), &state_json)?;
        save_tensors(&staging.join(WEIGHTS_FILE), weights)?;
        save_tensors(&staging.join(OPTIMIZER_FILE), optimizer)?;
        remove_if_present(&folder)?;
        std::fs::rename(&staging, &folder).map_err(|source| TrainingError::io("renaming into place", &folder, source))?;

        let latest = self.dir.join(LATEST_FILE);
        let latest_staging = self.dir.join(format!("{LATEST_FILE}.tmp"));
        write_synced(&latest_staging, name.as_bytes())?;
        std::fs::rename(&latest_staging, &latest).map_err(|source| TrainingError::io("renaming into place", &latest, source))?;

        self.remove_step_folders_except(&name)
    }

    /// Reads the checkpoint `LATEST` names, or `None` when the store has none.
    ///
    /// # Errors
    /// When `LATEST` names a folder that is missing or unreadable, or of another format.
    pub fn load_latest(&self, device: &Device) -> Result<Option<Checkpoint>> {
        let latest = self.dir.join(LATEST_FILE);
        let name = match std::fs::read_to_string(&latest) {
            Ok(name) => name.trim().to_owned(),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(TrainingError::io("reading", &latest, source)),
        };
        let folder = self.dir.join(&name);
        let invalid = |message: String| TrainingError::Checkpoint { path: folder.clone(), message };

        let state_path = folder.join(STATE_FILE);
        let state_json = std::fs::read(&state_path).map_err(|source| TrainingError::io("reading", &state_path, source))?;
        let state: ResumeState = serde_json::from_slice(&state_json).map_err(|error| invalid(error.to_string()))?;
        if state.format != CHECKPOINT_FORMAT {
            return Err(invalid(format!("format {} is not the supported {CHECKPOINT_FORMAT}", state.format)));
        }
        let weights = load_tensors(&folder.join(WEIGHTS_FILE), device)?;
        let optimizer = load_tensors(&folder.join(OPTIMIZER_FILE), device)?;
        Ok(Some(Checkpoint { state, weights, optimizer, path: folder }))
    }

    /// Returns the folder of the snapshot of epoch `epoch_number` (counting from 1).
    #[must_use]
    pub fn epoch_snapshot_dir(&self, epoch_number: usize) -> PathBuf {
        self.dir.join(EPOCHS_DIR).join(format!("epoch-{epoch_number}"))
    }

    /// Writes an epoch snapshot through `write` into a staging folder, then renames it into place.
    ///
    /// # Errors
    /// When `write` fails or the folder cannot be renamed.
    pub fn save_epoch_snapshot(&self, epoch_number: usize, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
        let folder = self.epoch_snapshot_dir(epoch_number);
        let mut staging_name = folder.as_os_str().to_owned();
        staging_name.push(".tmp");
        let staging = PathBuf::from(staging_name);
        remove_if_present(&staging)?;
        std::fs::create_dir_all(&staging).map_err(|source| TrainingError::io("creating", &staging, source))?;
        write(&staging)?;
        remove_if_present(&folder)?;
        std::fs::rename(&staging, &folder).map_err(|source| TrainingError::io("renaming into place", &folder, source))
    }

    /// Lists the epoch snapshots present, as (folder name, path), ordered by epoch.
    ///
    /// # Errors
    /// When the folder cannot be listed.
    pub fn epoch_snapshots(&self) -> Result<Vec<(String, PathBuf)>> {
        let epochs_dir = self.dir.join(EPOCHS_DIR);
        let entries = match std::fs::read_dir(&epochs_dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(TrainingError::io("listing", &epochs_dir, source)),
        };
        let mut snapshots = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| TrainingError::io("listing", &epochs_dir, source))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(number) = name.strip_prefix("epoch-").and_then(|number| number.parse::<usize>().ok()) else {
                continue;
            };
            snapshots.push((number, name, entry.path()));
        }
        snapshots.sort();
        Ok(snapshots.into_iter().map(|(_, name, path)| (name, path)).collect())
    }

    fn remove_step_folders_except(&self, keep: &str) -> Result<()> {
        let entries = std::fs::read_dir(&self.dir).map_err(|source| TrainingError::io("listing", &self.dir, source))?;
        for entry in entries {
            let entry = entry.map_err(|source| TrainingError::io("listing", &self.dir, source))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("step-") && name != keep {
                remove_if_present(&entry.path())?;
            }
        }
        Ok(())
    }
}

fn remove_if_present(folder: &Path) -> Result<()> {
    match std::fs::remove_dir_all(folder) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(TrainingError::io("removing", folder, source)),
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = std::fs::File::create(path).map_err(|source| TrainingError::io("creating", path, source))?;
    file.write_all(bytes).map_err(|source| TrainingError::io("writing", path, source))?;
    file.sync_all().map_err(|source| TrainingError::io("flushing", path, source))
}

fn save_tensors(path: &Path, tensors: &BTreeMap<String, Tensor>) -> Result<()> {
    let tensors: HashMap<String, Tensor> = tensors.iter().map(|(key, tensor)| (key.clone(), tensor.clone())).collect();
    candle_core::safetensors::save(&tensors, path).map_err(|error| TrainingError::Checkpoint {
        path: path.to_path_buf(),
        message: format!("writing: {error}"),
    })?;
    std::fs::File::open(path)
        .and_then(|file| file.sync_all())
        .map_err(|source| TrainingError::io("flushing", path, source))
}

fn load_tensors(path: &Path, device: &Device) -> Result<HashMap<String, Tensor>> {
    candle_core::safetensors::load(path, device).map_err(|error| TrainingError::Checkpoint {
        path: path.to_path_buf(),
        message: format!("reading: {error}"),
    })
}
