//! Errors of index building and search.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AnnError {
    #[error("FAISS failed while {doing}: {source}")]
    Faiss { doing: String, source: faiss::error::Error },

    #[error("cannot build an index over 0 vectors; the embed stage wrote no embeddings")]
    Empty,

    #[error("the vector buffer holds {values} values, which is not a multiple of the dimension {dimension}")]
    Shape { values: usize, dimension: usize },

    #[error(
        "the index has dimension {index_dimension} but the model's embeddings have {model_dimension}; \
         rebuild the index with the current model (lorasearch-embed --force, then lorasearch-index --force)"
    )]
    DimensionMismatch { index_dimension: usize, model_dimension: usize },

    #[error("index file {path} not found; run lorasearch-index (or make pipeline) first")]
    MissingFile { path: PathBuf },

    #[error("the path {path} is not valid UTF-8, which FAISS needs for file names")]
    NonUtf8Path { path: PathBuf },
}

/// Wraps a FAISS error with what was being done.
pub(crate) fn faiss_error(doing: impl Into<String>) -> impl FnOnce(faiss::error::Error) -> AnnError {
    let doing = doing.into();
    move |source| AnnError::Faiss { doing, source }
}
