//! One lock file per stage, so two runs (two cron ticks, say) never write the same artifacts.
//!
//! The lock is an advisory `flock` on `<artifacts>/.locks/<stage>.lock`. The kernel drops it when
//! the holding process exits, however it exits, so a lock whose process is gone is taken over
//! without any clean-up. The file stores the holder's pid for the error message.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::error::LockedError;

/// A held stage lock; dropping it releases the lock.
#[derive(Debug)]
pub struct StageLock {
    file: File,
    path: PathBuf,
}

impl StageLock {
    /// Takes the lock of `stage` without waiting; fails with [`LockedError`] when another process
    /// holds it.
    pub fn acquire(artifacts_dir: &Path, stage: &str) -> anyhow::Result<Self> {
        let dir = artifacts_dir.join(".locks");
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let path = dir.join(format!("{stage}.lock"));
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;

        // SAFETY: the descriptor belongs to `file`, which is open for the whole call.
        let status = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if status != 0 {
            let error = std::io::Error::last_os_error();
            if error.raw_os_error() == Some(libc::EWOULDBLOCK) {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let pid = if pid.trim().is_empty() { "unknown".to_string() } else { pid.trim().to_string() };
                return Err(LockedError { stage: stage.to_string(), pid, path }.into());
            }
            return Err(error).with_context(|| format!("cannot lock {}", path.display()));
        }

        file.set_len(0).and_then(|()| file.seek(SeekFrom::Start(0))).with_context(|| format!("cannot write {}", path.display()))?;
        write!(file, "{}", std::process::id()).with_context(|| format!("cannot write {}", path.display()))?;
        file.flush().with_context(|| format!("cannot write {}", path.display()))?;
        Ok(Self { file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for StageLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        // SAFETY: the descriptor is still open; unlocking cannot affect memory safety.
        unsafe { libc::flock(self.file.as_raw_fd(), libc::LOCK_UN) };
    }
}
