//! Real FAISS indexes on clustered random unit vectors.

use lorasearch_ann::{IndexSettings, VectorIndex, exact_search, recall_at_k};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const DIMENSION: usize = 64;

/// `count` unit vectors around `clusters` random centres, the way product embeddings group by
/// category.
fn clustered_vectors(count: usize, clusters: usize, seed: u64) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    let centres: Vec<Vec<f32>> = (0..clusters)
        .map(|_| (0..DIMENSION).map(|_| rng.random_range(-1.0f32..1.0)).collect())
        .collect();
    let mut vectors = Vec::with_capacity(count * DIMENSION);
    for row in 0..count {
        let centre = &centres[row % clusters];
        let mut vector: Vec<f32> = centre.iter().map(|value| value + rng.random_range(-0.35f32..0.35)).collect();
        let norm = vector.iter().map(|value| value * value).sum::<f32>().sqrt();
        vector.iter_mut().for_each(|value| *value /= norm);
        vectors.extend(vector);
    }
    vectors
}

fn sample_queries(vectors: &[f32], every: usize) -> Vec<f32> {
    vectors.chunks(DIMENSION).step_by(every).flatten().copied().collect()
}

#[test]
fn hnsw_recall_at_10_is_high() {
    let vectors = clustered_vectors(4000, 40, 1);
    let mut index = VectorIndex::build(&vectors, DIMENSION, &IndexSettings::default()).unwrap();
    let queries = sample_queries(&vectors, 20);
    let report = recall_at_k(&mut index, &vectors, &queries, 10).unwrap();
    assert!(report.recall >= 0.95, "recall@10 {}", report.recall);
}

#[test]
fn flat_index_equals_exact_search() {
    let vectors = clustered_vectors(500, 5, 2);
    let settings = IndexSettings { factory: "Flat".into(), ..IndexSettings::default() };
    let mut index = VectorIndex::build(&vectors, DIMENSION, &settings).unwrap();
    let queries = sample_queries(&vectors, 50);
    let found: Vec<Vec<u64>> = index.search(&queries, 5).unwrap().iter().map(|hits| hits.iter().map(|hit| hit.row).collect()).collect();
    let expected: Vec<Vec<u64>> = exact_search(&vectors, DIMENSION, &queries, 5).iter().map(|hits| hits.iter().map(|hit| hit.row).collect()).collect();
    assert_eq!(found, expected);
}

#[test]
fn ivf_index_trains_and_searches() {
    let vectors = clustered_vectors(2000, 20, 3);
    let settings = IndexSettings { factory: "IVF16,Flat".into(), nprobe: 16, ..IndexSettings::default() };
    let mut index = VectorIndex::build(&vectors, DIMENSION, &settings).unwrap();
    let queries = sample_queries(&vectors, 40);
    let report = recall_at_k(&mut index, &vectors, &queries, 10).unwrap();
    assert!(report.recall >= 0.95, "recall@10 {}", report.recall);
}

#[test]
fn saved_index_loads_with_same_results() {
    let vectors = clustered_vectors(1000, 10, 4);
    let settings = IndexSettings::default();
    let mut index = VectorIndex::build(&vectors, DIMENSION, &settings).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.faiss");
    index.save(&path).unwrap();

    let mut loaded = VectorIndex::load(&path, &settings).unwrap();
    let queries = sample_queries(&vectors, 100);
    assert_eq!(loaded.search(&queries, 10).unwrap(), index.search(&queries, 10).unwrap());
}

#[test]
fn dimension_mismatch_names_both() {
    let vectors = clustered_vectors(100, 2, 5);
    let index = VectorIndex::build(&vectors, DIMENSION, &IndexSettings { factory: "Flat".into(), ..IndexSettings::default() }).unwrap();
    let message = index.check_dimension(384).unwrap_err().to_string();
    assert!(message.contains("dimension 64"), "{message}");
    assert!(message.contains("have 384"), "{message}");
}

#[test]
fn missing_index_file_names_the_stage() {
    let message = VectorIndex::load("no/such/index.faiss".as_ref(), &IndexSettings::default()).err().unwrap().to_string();
    assert!(message.contains("run lorasearch-index"), "{message}");
}
