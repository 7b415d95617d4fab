//! `manifest.json`: the record a stage writes last into its artifacts folder.
//!
//! The format is documented in `docs/manifest.md`. A folder without a manifest, or whose manifest
//! does not match the current stage key and output hashes, is never trusted.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::hashing::FileDigest;

/// Name and version of the manifest layout itself.
pub const MANIFEST_FORMAT: &str = "lorasearch-manifest/1";
pub const MANIFEST_FILE: &str = "manifest.json";

/// One file a stage read or wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Inputs: the path as the settings resolve it. Outputs: relative to the stage folder.
    pub path: String,
    pub size: u64,
    pub blake3: String,
}

impl FileRecord {
    pub fn new(path: String, digest: FileDigest) -> Self {
        Self { path, size: digest.size, blake3: digest.blake3 }
    }
}

/// The contents of `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub stage: String,
    pub stage_version: u32,
    pub stage_key: String,
    pub lorasearch_version: String,
    pub parameters: serde_json::Value,
    pub inputs: Vec<FileRecord>,
    pub outputs: Vec<FileRecord>,
    pub started_at_unix_ms: u128,
    pub finished_at_unix_ms: u128,
    /// Wall time of named steps in milliseconds; `total` covers the whole run.
    pub timings_ms: BTreeMap<String, u128>,
    /// Row counts and headline metrics of the stage.
    pub metrics: BTreeMap<String, serde_json::Value>,
}

impl Manifest {
    /// Reads the manifest of a stage folder; `Ok(None)` when the folder has none.
    pub fn read(stage_dir: &Path) -> anyhow::Result<Option<Self>> {
        let path = stage_dir.join(MANIFEST_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(error).with_context(|| format!("cannot read {}", path.display())),
        };
        let manifest = serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a valid manifest; rerun the stage with --force", path.display()))?;
        Ok(Some(manifest))
    }
}
