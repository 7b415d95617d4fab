//! Dependencies of a stage: its parameters, its input files and the stage key derived from them.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::hashing::{FileDigest, StatCache};

/// One input file of a stage.
#[derive(Debug, Clone)]
pub struct StageInput {
    pub path: PathBuf,
    /// The stage that writes this file, when it is an artifact; its name goes into the error
    /// message when the file is missing.
    pub produced_by: Option<&'static str>,
    /// Advice for a missing file, for inputs that are not artifacts.
    pub missing_hint: Option<String>,
}

impl StageInput {
    pub fn file(path: PathBuf) -> Self {
        Self { path, produced_by: None, missing_hint: None }
    }

    pub fn artifact(path: PathBuf, stage: &'static str) -> Self {
        Self { path, produced_by: Some(stage), missing_hint: None }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.missing_hint = Some(hint.into());
        self
    }
}

/// Everything that decides whether a stage must run.
#[derive(Debug, Clone)]
pub struct StagePlan {
    pub stage: &'static str,
    /// Changes when the meaning of the stage's outputs changes, so old outputs become stale.
    pub version: u32,
    /// The stage's settings in canonical form (object keys sorted).
    pub parameters: serde_json::Value,
    pub inputs: Vec<StageInput>,
    pub output_dir: PathBuf,
    /// Stages whose outputs this stage reads.
    pub upstream: Vec<&'static str>,
}

/// An input that does not exist.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct MissingInput {
    pub path: PathBuf,
    pub message: String,
}

impl StagePlan {
    pub fn new(stage: &'static str, version: u32, parameters: &impl Serialize, output_dir: PathBuf) -> anyhow::Result<Self> {
        // serde_json's map is ordered by key, so this value prints in canonical form.
        let parameters = serde_json::to_value(parameters)?;
        Ok(Self { stage, version, parameters, inputs: Vec::new(), output_dir, upstream: Vec::new() })
    }

    /// Name of the stage's lock: its folder name, so that shards of one stage lock separately.
    pub fn lock_name(&self) -> String {
        self.output_dir
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.stage.to_string())
    }

    /// Returns an error naming the first missing input and what produces it.
    pub fn check_inputs_exist(&self) -> Result<(), MissingInput> {
        for input in &self.inputs {
            if input.path.is_file() {
                continue;
            }
            let path = input.path.display();
            let message = match (input.produced_by, &input.missing_hint) {
                (Some(stage), _) => format!(
                    "input {path} of stage `{}` not found: it is written by stage `{stage}`; run lorasearch-{stage} (or make pipeline) first",
                    self.stage
                ),
                (None, Some(hint)) => format!("input {path} of stage `{}` not found: {hint}", self.stage),
                (None, None) => format!("input {path} of stage `{}` not found; check the path in the settings", self.stage),
            };
            return Err(MissingInput { path: input.path.clone(), message });
        }
        Ok(())
    }

    /// Hashes every input (through the stat cache).
    pub fn digest_inputs(&self, cache: &mut StatCache) -> anyhow::Result<Vec<(String, FileDigest)>> {
        self.inputs
            .iter()
            .map(|input| Ok((display_path(&input.path), cache.digest(&input.path)?)))
            .collect()
    }

    /// blake3 over the stage name, its version, its canonical parameters and the content hash of
    /// every input in plan order. Paths are left out, so the same files reached through another
    /// working folder give the same key.
    pub fn stage_key(&self, inputs: &[(String, FileDigest)]) -> String {
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"lorasearch-stage-key/1\0");
        hasher.update(self.stage.as_bytes());
        hasher.update(b"\0");
        hasher.update(&self.version.to_le_bytes());
        hasher.update(self.parameters.to_string().as_bytes());
        hasher.update(b"\0");
        for (_path, digest) in inputs {
            hasher.update(digest.blake3.as_bytes());
            hasher.update(b"\0");
        }
        hasher.finalize().to_hex().to_string()
    }
}

/// Formats a path as manifests record it.
pub fn display_path(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}
