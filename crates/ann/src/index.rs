//! A FAISS index over unit embeddings with inner-product (cosine) scores.

use std::path::Path;

use faiss::index::IndexImpl;
use faiss::index::autotune::ParameterSpace;
use faiss::{Index, MetricType, index_factory, read_index, write_index};
use serde::{Deserialize, Serialize};

use crate::error::{AnnError, faiss_error};

/// How to build and search the index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexSettings {
    /// FAISS factory string, for example "HNSW32,Flat", "IVF256,Flat" or "Flat".
    pub factory: String,
    /// HNSW: candidate list size while building.
    pub ef_construction: usize,
    /// HNSW: candidate list size while searching.
    pub ef_search: usize,
    /// IVF: inverted lists visited per query.
    pub nprobe: usize,
}

impl Default for IndexSettings {
    fn default() -> Self {
        Self { factory: "HNSW32,Flat".into(), ef_construction: 200, ef_search: 100, nprobe: 16 }
    }
}

/// One search result: the row of the vector in the order it was added, and its inner product.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub row: u64,
    pub score: f32,
}

/// A built or loaded FAISS index.
pub struct VectorIndex {
    index: IndexImpl,
    dimension: usize,
}

impl VectorIndex {
    /// Builds an index over row-major `vectors` of `dimension` values each.
    pub fn build(vectors: &[f32], dimension: usize, settings: &IndexSettings) -> Result<Self, AnnError> {
        if dimension == 0 || vectors.len() % dimension != 0 {
            return Err(AnnError::Shape { values: vectors.len(), dimension });
        }
        if vectors.is_empty() {
            return Err(AnnError::Empty);
        }

        let mut index = index_factory(dimension as u32, &settings.factory, MetricType::InnerProduct)
            .map_err(faiss_error(format!("creating the index {:?}", settings.factory)))?;
        let is_hnsw = settings.factory.contains("HNSW");
        let parameters = ParameterSpace::new().map_err(faiss_error("creating a parameter space"))?;
        if is_hnsw {
            // efConstruction only has an effect while vectors are added.
            parameters
                .set_index_parameter(&index, "efConstruction", settings.ef_construction as f64)
                .map_err(faiss_error("setting efConstruction"))?;
        }
        if !index.is_trained() {
            index.train(vectors).map_err(faiss_error(format!(
                "training {:?} on {} vectors (IVF needs at least as many vectors as lists)",
                settings.factory,
                vectors.len() / dimension
            )))?;
        }
        index.add(vectors).map_err(faiss_error("adding vectors"))?;

        let mut built = Self { index, dimension };
        built.set_search_parameters(settings)?;
        Ok(built)
    }

    /// Loads an index file and applies the search parameters of `settings`.
    pub fn load(path: &Path, settings: &IndexSettings) -> Result<Self, AnnError> {
        if !path.is_file() {
            return Err(AnnError::MissingFile { path: path.to_path_buf() });
        }
        let name = path.to_str().ok_or_else(|| AnnError::NonUtf8Path { path: path.to_path_buf() })?;
        let index = read_index(name).map_err(faiss_error(format!("reading {}", path.display())))?;
        let dimension = index.d() as usize;
        let mut loaded = Self { index, dimension };
        loaded.set_search_parameters(settings)?;
        Ok(loaded)
    }

    /// Writes the index in FAISS's own format.
    pub fn save(&self, path: &Path) -> Result<(), AnnError> {
        let name = path.to_str().ok_or_else(|| AnnError::NonUtf8Path { path: path.to_path_buf() })?;
        write_index(&self.index, name).map_err(faiss_error(format!("writing {}", path.display())))
    }

    fn set_search_parameters(&mut self, settings: &IndexSettings) -> Result<(), AnnError> {
        let parameters = ParameterSpace::new().map_err(faiss_error("creating a parameter space"))?;
        if settings.factory.contains("HNSW") {
            parameters
                .set_index_parameter(&self.index, "efSearch", settings.ef_search as f64)
                .map_err(faiss_error("setting efSearch"))?;
        }
        if settings.factory.contains("IVF") {
            parameters
                .set_index_parameter(&self.index, "nprobe", settings.nprobe as f64)
                .map_err(faiss_error("setting nprobe"))?;
        }
        Ok(())
    }

    pub fn dimension(&self) -> usize {
        self.dimension
    }

    pub fn len(&self) -> usize {
        self.index.ntotal() as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fails with both numbers when the model's embedding size differs from the index's.
    pub fn check_dimension(&self, model_dimension: usize) -> Result<(), AnnError> {
        if model_dimension != self.dimension {
            return Err(AnnError::DimensionMismatch { index_dimension: self.dimension, model_dimension });
        }
        Ok(())
    }

    /// Returns the `k` best hits for each row-major query, best first; FAISS's empty slots
    /// (fewer than `k` vectors reachable) are left out.
    pub fn search(&mut self, queries: &[f32], k: usize) -> Result<Vec<Vec<Hit>>, AnnError> {
        if queries.len() % self.dimension != 0 {
            return Err(AnnError::Shape { values: queries.len(), dimension: self.dimension });
        }
        if queries.is_empty() || k == 0 {
            return Ok(vec![Vec::new(); queries.len() / self.dimension]);
        }
        let result = self.index.search(queries, k).map_err(faiss_error("searching"))?;
        let hits = result
            .labels
            .chunks(k)
            .zip(result.distances.chunks(k))
            .map(|(labels, scores)| {
                labels
                    .iter()
                    .zip(scores)
                    .filter_map(|(label, &score)| label.get().map(|row| Hit { row, score }))
                    .collect()
            })
            .collect();
        Ok(hits)
    }
}
