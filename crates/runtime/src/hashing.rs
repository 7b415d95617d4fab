//! Content hashes of files, with a stat cache so that unchanged files are not read again.
//!
//! The cache maps a path to (size, mtime in nanoseconds, inode, blake3). A file whose size, mtime
//! and inode all match its entry is trusted to have the recorded hash; anything else is hashed
//! again. `touch` changes the mtime, so it costs one re-hash but never a stage rerun, because the
//! stage key uses the content hash.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::atomic::write_file_atomically;
use crate::progress;

/// Size and content hash of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    pub size: u64,
    pub blake3: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StatEntry {
    size: u64,
    mtime_ns: i128,
    inode: u64,
    blake3: String,
}

/// Cache of file hashes keyed by absolute path, stored as JSON.
#[derive(Debug, Default)]
pub struct StatCache {
    path: Option<PathBuf>,
    entries: BTreeMap<PathBuf, StatEntry>,
    dirty: bool,
}

/// Files at least this large get a progress bar while they are hashed.
const PROGRESS_THRESHOLD_BYTES: u64 = 64 << 20;

impl StatCache {
    /// Opens the cache stored at `path`; a missing or unreadable cache starts empty.
    pub fn open(path: &Path) -> Self {
        let entries = std::fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        Self { path: Some(path.to_path_buf()), entries, dirty: false }
    }

    /// Creates a cache that is never stored.
    pub fn in_memory() -> Self {
        Self::default()
    }

    /// Returns the size and blake3 of `path`, reading the file only when its stat changed.
    pub fn digest(&mut self, path: &Path) -> anyhow::Result<FileDigest> {
        let metadata = std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        let key = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let mtime_ns = i128::from(metadata.mtime()) * 1_000_000_000 + i128::from(metadata.mtime_nsec());
        let stat = (metadata.len(), mtime_ns, metadata.ino());

        if let Some(entry) = self.entries.get(&key) {
            if (entry.size, entry.mtime_ns, entry.inode) == stat {
                return Ok(FileDigest { size: entry.size, blake3: entry.blake3.clone() });
            }
        }

        let blake3 = hash_file(path).with_context(|| format!("cannot hash {}", path.display()))?;
        let entry = StatEntry { size: stat.0, mtime_ns: stat.1, inode: stat.2, blake3: blake3.clone() };
        self.entries.insert(key, entry);
        self.dirty = true;
        Ok(FileDigest { size: stat.0, blake3 })
    }

    /// Writes the cache back if an entry changed. A failure only costs re-hashing next time, so
    /// it is logged and not returned.
    pub fn save(&mut self) {
        let Some(path) = &self.path else { return };
        if !self.dirty {
            return;
        }
        let result = serde_json::to_vec(&self.entries)
            .map_err(anyhow::Error::from)
            .and_then(|bytes| write_file_atomically(path, &bytes));
        match result {
            Ok(()) => self.dirty = false,
            Err(error) => tracing::warn!("cannot save the hash cache {}: {error:#}", path.display()),
        }
    }
}

/// Hashes the content of one file with blake3, with a progress bar for large files.
pub fn hash_file(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let size = file.metadata()?.len();
    let bar = (size >= PROGRESS_THRESHOLD_BYTES)
        .then(|| progress::bytes_bar(size, &format!("hashing {}", path.display())));

    let mut hasher = blake3::Hasher::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        if let Some(bar) = &bar {
            bar.inc(read as u64);
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(hasher.finalize().to_hex().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_changes_with_one_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, b"abc").unwrap();
        let mut cache = StatCache::in_memory();
        let before = cache.digest(&path).unwrap();
        std::fs::write(&path, b"abd").unwrap();
        let after = cache.digest(&path).unwrap();
        assert_ne!(before.blake3, after.blake3);
    }

    #[test]
    fn digest_survives_a_reload_of_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        let cache_path = dir.path().join("cache.json");
        std::fs::write(&path, b"abc").unwrap();
        let mut cache = StatCache::open(&cache_path);
        let first = cache.digest(&path).unwrap();
        cache.save();
        let mut reopened = StatCache::open(&cache_path);
        assert_eq!(reopened.digest(&path).unwrap(), first);
    }
}
