//! Crash-safe writes: files through a temporary name, stage folders through a staging folder.
//!
//! A stage writes every output into a staging folder beside its final folder, flushes it, writes
//! the manifest last, and then swaps the staging folder into place in one `renameat2` call with
//! `RENAME_EXCHANGE`. A kill at any moment leaves either the previous complete folder or the new
//! complete one. Leftover staging folders are removed by the next run of the stage.

use std::ffi::CString;
use std::fs::{self, File};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// Writes `bytes` to `path` through a temporary file in the same folder, flushed before the rename.
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let parent = parent_of(path);
    fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let temporary = sibling(path, &format!(".tmp-{}", std::process::id()));
    let mut file = File::create(&temporary).with_context(|| format!("cannot create {}", temporary.display()))?;
    file.write_all(bytes).with_context(|| format!("cannot write {}", temporary.display()))?;
    file.sync_all().with_context(|| format!("cannot flush {}", temporary.display()))?;
    drop(file);
    fs::rename(&temporary, path).with_context(|| format!("cannot rename {} to {}", temporary.display(), path.display()))?;
    sync_dir(parent);
    Ok(())
}

/// Flushes every file below `dir` and the folders themselves to disk.
pub fn sync_tree(dir: &Path) -> anyhow::Result<()> {
    for entry in fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            sync_tree(&path)?;
        } else {
            File::open(&path)
                .and_then(|file| file.sync_all())
                .with_context(|| format!("cannot flush {}", path.display()))?;
        }
    }
    sync_dir(dir);
    Ok(())
}

/// Puts the complete folder `staged` at `target`, replacing any previous `target` atomically.
pub fn swap_into_place(staged: &Path, target: &Path) -> anyhow::Result<()> {
    if !target.exists() {
        fs::rename(staged, target)
            .with_context(|| format!("cannot rename {} to {}", staged.display(), target.display()))?;
        sync_dir(parent_of(target));
        return Ok(());
    }

    match exchange(staged, target) {
        Ok(()) => {
            // `staged` now contains the previous outputs.
            fs::remove_dir_all(staged).with_context(|| format!("cannot remove the previous outputs in {}", staged.display()))?;
        }
        Err(error) if error.raw_os_error() == Some(libc::EINVAL) || error.raw_os_error() == Some(libc::ENOSYS) => {
            // A file system without RENAME_EXCHANGE: move the old folder aside first. A kill
            // between the two renames leaves no trusted folder, and the next run starts over.
            let previous = sibling(target, &format!(".old-{}", std::process::id()));
            fs::rename(target, &previous).with_context(|| format!("cannot move {} aside", target.display()))?;
            fs::rename(staged, target)
                .with_context(|| format!("cannot rename {} to {}", staged.display(), target.display()))?;
            fs::remove_dir_all(&previous).with_context(|| format!("cannot remove {}", previous.display()))?;
        }
        Err(error) => {
            bail!("cannot swap {} into {}: {error}", staged.display(), target.display());
        }
    }
    sync_dir(parent_of(target));
    Ok(())
}

/// Removes staging and old folders that a killed run of the stage at `target` left behind.
pub fn remove_leftovers(target: &Path) -> anyhow::Result<()> {
    let parent = parent_of(target);
    let Some(name) = target.file_name().and_then(|name| name.to_str()) else { return Ok(()) };
    let Ok(entries) = fs::read_dir(parent) else { return Ok(()) };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else { continue };
        let is_leftover = [".staging-", ".old-"]
            .iter()
            .any(|marker| file_name.starts_with(&format!("{name}{marker}")));
        if is_leftover {
            tracing::debug!("removing {} left by an interrupted run", entry.path().display());
            fs::remove_dir_all(entry.path()).with_context(|| format!("cannot remove {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Creates a fresh staging folder beside `target`.
pub fn create_staging_dir(target: &Path) -> anyhow::Result<PathBuf> {
    let staged = sibling(target, &format!(".staging-{}", std::process::id()));
    if staged.exists() {
        fs::remove_dir_all(&staged).with_context(|| format!("cannot remove {}", staged.display()))?;
    }
    fs::create_dir_all(&staged).with_context(|| format!("cannot create {}", staged.display()))?;
    Ok(staged)
}

fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    let a = CString::new(a.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
    let b = CString::new(b.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
    // SAFETY: both arguments are valid NUL-terminated strings that outlive the call.
    let status = unsafe {
        libc::renameat2(libc::AT_FDCWD, a.as_ptr(), libc::AT_FDCWD, b.as_ptr(), libc::RENAME_EXCHANGE)
    };
    if status == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().map(|name| name.to_os_string()).unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
}
