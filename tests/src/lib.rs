//! Helpers for end-to-end tests: a throw-away project folder with its own `pipeline.toml`, and
//! the real stage binaries built by `cargo build --release --bins` (which `make test` runs first).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use polars::prelude::*;

/// Root of the lorasearch repository.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Path of a workspace binary, next to the folder of the running test executable.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable has a path");
    let release_dir = exe.parent().and_then(Path::parent).expect("tests run from <target>/release/deps");
    let path = release_dir.join(name);
    assert!(path.is_file(), "{} not found: run `cargo build --release --bins` (or make test) first", path.display());
    path
}

/// Returns the default model folder that `make model` fetches. Tests that need it fail with the fix.
pub fn model_dir() -> PathBuf {
    let dir = std::env::var_os("LORASEARCH_MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("models/all-MiniLM-L6-v2"));
    assert!(dir.join("model.safetensors").is_file(), "{} has no model: run `make model` first", dir.display());
    dir
}

/// ESCI sample settings with the default model, plus `extra` lines.
pub fn esci_model_settings(extra: &str) -> String {
    format!("[model]\npath = \"{}\"\n{extra}\n{ESCI_SETTINGS}", model_dir().display())
}

/// A temporary project folder.
pub struct Project {
    pub dir: tempfile::TempDir,
}

/// Settings that point ingest at the shipped ESCI sample, copied into the project folder.
pub const ESCI_SETTINGS: &str = r#"
[ingest]
format = "esci"
path = "data/esci-sample/shopping_queries_dataset_examples.parquet"
products_path = "data/esci-sample/shopping_queries_dataset_products.parquet"
"#;

impl Project {
    /// Creates a project with `settings` as its `pipeline.toml`.
    pub fn new(settings: &str) -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(dir.path().join("pipeline.toml"), settings).expect("write pipeline.toml");
        Self { dir }
    }

    /// Creates a project with a copy of the shipped ESCI sample and settings that read it.
    pub fn with_esci_sample() -> Self {
        let project = Self::new(ESCI_SETTINGS);
        let target = project.path("data/esci-sample");
        std::fs::create_dir_all(&target).expect("create data folder");
        for name in ["shopping_queries_dataset_examples.parquet", "shopping_queries_dataset_products.parquet"] {
            std::fs::copy(repo_root().join("data/esci-sample").join(name), target.join(name)).expect("copy the ESCI sample");
        }
        project
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) {
        let path = self.path(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent folder");
        }
        std::fs::write(path, contents).expect("write test file");
    }

    pub fn set_settings(&self, settings: &str) {
        self.write("pipeline.toml", settings);
    }

    /// Runs a workspace binary in the project folder.
    pub fn run(&self, binary_name: &str, args: &[&str]) -> Output {
        self.command(binary_name, args).output().expect("run the binary")
    }

    /// Builds a command for a workspace binary in the project folder, for tests that change it.
    pub fn command(&self, binary_name: &str, args: &[&str]) -> Command {
        let mut command = Command::new(binary(binary_name));
        command.current_dir(self.dir.path()).args(args).env_remove("LORASEARCH_LOG").env_remove("LORASEARCH_FAILPOINT");
        command
    }

    /// Reads a stage's manifest.
    pub fn manifest(&self, stage: &str) -> serde_json::Value {
        let path = self.path(&format!("artifacts/{stage}/manifest.json"));
        let bytes = std::fs::read(&path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
        serde_json::from_slice(&bytes).expect("manifest is JSON")
    }

    /// Reads a Parquet artifact.
    pub fn parquet(&self, relative: &str) -> DataFrame {
        let file = std::fs::File::open(self.path(relative)).expect("open Parquet artifact");
        ParquetReader::new(file).finish().expect("read Parquet artifact")
    }
}

/// Standard error of a finished command as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Standard output of a finished command as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Writes a CSV of pairs in the PEFT example's flat layout: `queries` queries with three
/// products each, the first product labelled 1.
pub fn flat_pairs_csv(queries: usize) -> String {
    let mut csv = String::from("query,product_title,relevance_label\n");
    for query in 0..queries {
        for product in 0..3 {
            let label = u8::from(product == 0);
            csv.push_str(&format!("query number {query},product {product} for query {query},{label}\n"));
        }
    }
    csv
}

/// Settings that read a pairs table at `path`, with extra lines appended to `[ingest]`.
pub fn pairs_settings(path: &str, extra_ingest_lines: &str) -> String {
    format!("[ingest]\nformat = \"pairs\"\npath = \"{path}\"\n{extra_ingest_lines}\n")
}
