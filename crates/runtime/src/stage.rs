//! Runs one stage: lock, decide whether work is needed, write outputs atomically, record them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;

use crate::atomic::{create_staging_dir, remove_leftovers, swap_into_place, sync_tree, write_file_atomically};
use crate::hashing::{FileDigest, StatCache};
use crate::lock::StageLock;
use crate::manifest::{FileRecord, MANIFEST_FILE, MANIFEST_FORMAT, Manifest};
use crate::plan::StagePlan;

/// Result of a stage run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The recorded outputs match the current key; nothing was touched.
    UpToDate,
    /// The stage ran and its new outputs are in place.
    Completed,
}

/// The staging folder and the records a stage body fills in while it works.
#[derive(Debug)]
pub struct StageWork {
    staging_dir: PathBuf,
    stage_key: String,
    metrics: BTreeMap<String, serde_json::Value>,
    timings_ms: BTreeMap<String, u128>,
    summary: String,
}

impl StageWork {
    /// Path of an output file inside the staging folder.
    pub fn output_path(&self, relative: &str) -> PathBuf {
        self.staging_dir.join(relative)
    }

    pub fn staging_dir(&self) -> &Path {
        &self.staging_dir
    }

    /// Returns the key of this run, under which state kept across runs (such as checkpoints) can be filed.
    pub fn stage_key(&self) -> &str {
        &self.stage_key
    }

    /// Records a row count or headline metric in the manifest.
    pub fn record_metric(&mut self, name: &str, value: impl Into<serde_json::Value>) {
        self.metrics.insert(name.to_string(), value.into());
    }

    /// Runs one named step and records its wall time in the manifest.
    pub fn timed<T>(&mut self, step: &str, run: impl FnOnce(&mut Self) -> anyhow::Result<T>) -> anyhow::Result<T> {
        let started = Instant::now();
        let result = run(self);
        self.timings_ms.insert(step.to_string(), started.elapsed().as_millis());
        result
    }

    /// Sets the one-line summary logged when the stage finishes.
    pub fn set_summary(&mut self, summary: impl Into<String>) {
        self.summary = summary.into();
    }
}

/// Files and folders of the runtime itself inside the artifacts folder.
pub fn stat_cache_path(artifacts_dir: &Path) -> PathBuf {
    artifacts_dir.join(".cache").join("hashes.json")
}

/// Runs `body` for `plan` unless the recorded outputs are up to date (or `force` is set).
///
/// The body writes its outputs through [`StageWork::output_path`]; they become visible, together
/// with the manifest, only when the body returns `Ok`. An error leaves the previous artifacts as
/// they were.
pub fn run_stage(
    plan: &StagePlan,
    artifacts_dir: &Path,
    force: bool,
    body: impl FnOnce(&mut StageWork) -> anyhow::Result<()>,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let started_at_unix_ms = unix_ms();
    let _lock = StageLock::acquire(artifacts_dir, &plan.lock_name())?;
    let mut cache = StatCache::open(&stat_cache_path(artifacts_dir));

    plan.check_inputs_exist()?;
    let inputs = plan.digest_inputs(&mut cache)?;
    let stage_key = plan.stage_key(&inputs);
    let hashing_ms = started.elapsed().as_millis();

    if !force && outputs_up_to_date(plan, &stage_key, &mut cache)? {
        cache.save();
        tracing::info!(
            "{}: up to date (stage key {}), nothing to do; use --force to rerun",
            plan.stage,
            &stage_key[..12]
        );
        return Ok(Outcome::UpToDate);
    }
    cache.save();

    remove_leftovers(&plan.output_dir)?;
    let staging_dir = create_staging_dir(&plan.output_dir)?;
    let mut work = StageWork {
        staging_dir: staging_dir.clone(),
        stage_key: stage_key.clone(),
        metrics: BTreeMap::new(),
        timings_ms: BTreeMap::from([("hash_inputs".to_string(), hashing_ms)]),
        summary: String::new(),
    };

    tracing::info!("{}: running (stage key {})", plan.stage, &stage_key[..12]);
    if let Err(error) = body(&mut work) {
        let _ = std::fs::remove_dir_all(&staging_dir);
        return Err(error);
    }

    let result = finish(plan, work, stage_key, inputs, started, started_at_unix_ms, &mut cache);
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging_dir);
    }
    cache.save();
    result.map(|()| Outcome::Completed)
}

fn finish(
    plan: &StagePlan,
    work: StageWork,
    stage_key: String,
    inputs: Vec<(String, FileDigest)>,
    started: Instant,
    started_at_unix_ms: u128,
    cache: &mut StatCache,
) -> anyhow::Result<()> {
    sync_tree(&work.staging_dir)?;
    let output_files = list_files(&work.staging_dir)?;
    let mut outputs = Vec::with_capacity(output_files.len());
    for relative in &output_files {
        let digest = cache.digest(&work.staging_dir.join(relative))?;
        outputs.push(FileRecord::new(relative.clone(), digest));
    }

    let mut timings_ms = work.timings_ms;
    timings_ms.insert("total".to_string(), started.elapsed().as_millis());
    let manifest = Manifest {
        format: MANIFEST_FORMAT.to_string(),
        stage: plan.stage.to_string(),
        stage_version: plan.version,
        stage_key,
        lorasearch_version: env!("CARGO_PKG_VERSION").to_string(),
        parameters: plan.parameters.clone(),
        inputs: inputs.into_iter().map(|(path, digest)| FileRecord::new(path, digest)).collect(),
        outputs,
        started_at_unix_ms,
        finished_at_unix_ms: unix_ms(),
        timings_ms,
        metrics: work.metrics,
    };
    let bytes = serde_json::to_vec_pretty(&manifest)?;
    write_file_atomically(&work.staging_dir.join(MANIFEST_FILE), &bytes)?;

    failpoint("before-swap");
    swap_into_place(&work.staging_dir, &plan.output_dir)?;
    for record in &manifest.outputs {
        // Renaming keeps size, mtime and inode, so the hashes stay valid under the final path.
        cache.digest(&plan.output_dir.join(&record.path))?;
    }

    let total_s = started.elapsed().as_secs_f64();
    if work.summary.is_empty() {
        tracing::info!("{}: done in {total_s:.1} s", plan.stage);
    } else {
        tracing::info!("{}: done in {total_s:.1} s; {}", plan.stage, work.summary);
    }
    Ok(())
}

/// True when the stage folder's manifest has `stage_key` and every recorded output is intact.
pub fn outputs_up_to_date(plan: &StagePlan, stage_key: &str, cache: &mut StatCache) -> anyhow::Result<bool> {
    let Some(manifest) = Manifest::read(&plan.output_dir)? else { return Ok(false) };
    if manifest.stage_key != stage_key {
        return Ok(false);
    }
    Ok(first_changed_output(plan, &manifest, cache).is_none())
}

/// Names the first recorded output that is missing or whose content changed.
pub fn first_changed_output(plan: &StagePlan, manifest: &Manifest, cache: &mut StatCache) -> Option<String> {
    for record in &manifest.outputs {
        let path = plan.output_dir.join(&record.path);
        match cache.digest(&path) {
            Ok(digest) if digest.size == record.size && digest.blake3 == record.blake3 => {}
            Ok(_) => return Some(format!("output {} was modified", path.display())),
            Err(_) => return Some(format!("output {} is missing", path.display())),
        }
    }
    None
}

/// Relative paths of every file below `dir`, sorted, without the manifest.
fn list_files(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).with_context(|| format!("cannot list {}", current.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let relative = path.strip_prefix(dir).unwrap_or(&path).to_string_lossy().into_owned();
            if relative != MANIFEST_FILE {
                files.push(relative);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Environment variable that tests use to stop a run at a named point: `POINT:abort` kills the
/// process there, `POINT:sleep=MS` pauses it (to hold the lock).
pub const FAILPOINT_ENV: &str = "LORASEARCH_FAILPOINT";

fn failpoint(point: &str) {
    let Ok(value) = std::env::var(FAILPOINT_ENV) else { return };
    let Some(action) = value.strip_prefix(point).and_then(|rest| rest.strip_prefix(':')) else { return };
    if action == "abort" {
        tracing::warn!("{FAILPOINT_ENV}: aborting at {point}");
        std::process::abort();
    }
    if let Some(milliseconds) = action.strip_prefix("sleep=").and_then(|ms| ms.parse::<u64>().ok()) {
        tracing::warn!("{FAILPOINT_ENV}: sleeping {milliseconds} ms at {point}");
        std::thread::sleep(std::time::Duration::from_millis(milliseconds));
    }
}

fn unix_ms() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_millis()).unwrap_or(0)
}
