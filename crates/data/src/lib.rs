//! Labelled query–product pairs: reading them from ESCI or any table, mapping labels, splitting
//! by query, and writing the Parquet files the later stages read.
//!
//! ```no_run
//! use lorasearch_data::{ingest, write_pairs};
//! use lorasearch_runtime::config::IngestSection;
//!
//! let settings = IngestSection::default();
//! let ingested = ingest(&settings, 42, |path| path.to_path_buf())?;
//! for (split, pairs) in &ingested.splits {
//!     write_pairs(format!("{}.parquet", split.name()).as_ref(), pairs)?;
//! }
//! # Ok::<(), lorasearch_data::IngestError>(())
//! ```

pub mod columns;
pub mod embeddings;
pub mod error;
pub mod ingest;
pub mod labels;
pub mod read;
pub mod split;
pub mod tables;
pub mod write;

pub use error::IngestError;
pub use ingest::{Ingested, Pair, ingest, title_product_id};
pub use split::Split;
pub use write::{write_catalog, write_pairs};
