//! Errors of the stage runtime.

use std::path::PathBuf;

/// A problem with `pipeline.toml`: the stage exits with code 2 before doing any work.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the settings file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid settings in {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid settings in {path}: `{key}` must be {expected}, found {found}")]
    Invalid { path: PathBuf, key: String, expected: String, found: String },
}

/// Another run of the same stage holds its lock.
#[derive(Debug, thiserror::Error)]
#[error(
    "stage `{stage}` is already running (pid {pid}, lock file {path}); wait for that run to finish, \
     or stop it if it is stuck"
)]
pub struct LockedError {
    pub stage: String,
    pub pid: String,
    pub path: PathBuf,
}

/// Bad input or settings found by a stage after loading its configuration: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
