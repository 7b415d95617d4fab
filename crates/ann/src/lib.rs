//! Approximate nearest-neighbour search over unit embeddings with FAISS: build an index from a
//! factory string, tune HNSW and IVF search parameters, measure recall against exact search,
//! and read and write index files that Python's `faiss.read_index` opens.
//!
//! The `faiss` crate has no HNSW-specific API, so HNSW is built through the factory string and
//! its `efConstruction` (before vectors are added) and `efSearch` are set through FAISS's
//! parameter space.
//!
//! ```no_run
//! use lorasearch_ann::{IndexSettings, VectorIndex};
//!
//! let vectors = vec![0.0f32; 384 * 100];
//! let mut index = VectorIndex::build(&vectors, 384, &IndexSettings::default())?;
//! let hits = index.search(&vectors[..384], 10)?;
//! assert_eq!(hits[0].len(), 10);
//! # Ok::<(), lorasearch_ann::AnnError>(())
//! ```

mod error;
mod index;
mod recall;

pub use error::AnnError;
pub use index::{Hit, IndexSettings, VectorIndex};
pub use recall::{RecallReport, exact_search, recall_at_k};
