//! `lorasearch-bench`: throughput of the encoder and the FAISS index on this machine, printed as
//! Markdown rows for BENCHMARKS.md. `make bench` runs it with the thread count fixed.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Parser;
use lorasearch_ann::{IndexSettings, VectorIndex, recall_at_k};
use lorasearch_data::read::read_table;
use lorasearch_encoder::{Encoder, EncoderOptions};
use lorasearch_runtime::config::{FileType, TextEncoding};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Measure encoder throughput on real product titles and FAISS build and search speed.
#[derive(Debug, Parser)]
#[command(name = "lorasearch-bench", version)]
struct Args {
    /// Hugging Face model folder.
    #[arg(long, value_name = "PATH", default_value = "models/all-MiniLM-L6-v2")]
    model: PathBuf,

    /// ESCI products file whose titles are embedded.
    #[arg(long, value_name = "PATH", default_value = "data/esci-sample/shopping_queries_dataset_products.parquet")]
    products: PathBuf,

    /// Titles embedded per measurement (the file's titles repeated as needed).
    #[arg(long, value_name = "TEXTS", default_value_t = 1024)]
    texts: usize,

    /// Texts per forward batch.
    #[arg(long, value_name = "TEXTS", default_value_t = 64)]
    batch_size: usize,

    /// Synthetic unit vectors in the index benchmark.
    #[arg(long, value_name = "VECTORS", default_value_t = 10_000)]
    vectors: usize,

    /// Queries in the index benchmark.
    #[arg(long, value_name = "QUERIES", default_value_t = 1_000)]
    queries: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // The same allocator settings as the stage binaries, so the figures describe what they do.
    lorasearch_runtime::memory::keep_freed_memory();
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all cores".into());
    println!("| benchmark | setting | result |");
    println!("|---|---|---|");
    encoder_throughput(&args, &threads)?;
    training_and_evaluation_throughput(&args, &threads)?;
    index_speed(&args, &threads)?;
    Ok(())
}

fn encoder_throughput(args: &Args, threads: &str) -> anyhow::Result<()> {
    let frame = read_table(&args.products, FileType::Auto, TextEncoding::Utf8)?;
    let titles: Vec<String> = frame
        .column("product_title")
        .context("the products file has no product_title column")?
        .str()?
        .iter()
        .flatten()
        .map(str::to_string)
        .collect();
    anyhow::ensure!(!titles.is_empty(), "{} has no titles", args.products.display());
    let texts: Vec<&str> = titles.iter().cycle().take(args.texts).map(String::as_str).collect();

    let encoder = Encoder::load(&args.model, EncoderOptions::default())?;
    let token_ids = encoder.tokenizer().encode_batch(&texts)?;
    let mean_tokens = token_ids.iter().map(Vec::len).sum::<usize>() as f64 / token_ids.len() as f64;

    // One warm-up batch, then the timed pass in input order (batches padded to their longest).
    encoder.embed_token_ids(&token_ids[..args.batch_size.min(token_ids.len())])?;
    let started = Instant::now();
    for batch in token_ids.chunks(args.batch_size) {
        encoder.embed_token_ids(batch)?;
    }
    let per_second = texts.len() as f64 / started.elapsed().as_secs_f64();
    println!(
        "| encoder forward, all-MiniLM-L6-v2, real ESCI titles (mean {mean_tokens:.1} tokens) | batch {}, {} texts, threads {threads} | {per_second:.1} texts/s |",
        args.batch_size,
        texts.len()
    );
    Ok(())
}

/// Training steps (forward, backward, Adam) and evaluation scoring on real ESCI pairs: the
/// sample's query with each product title, repeated to fill batches of `batch_size` pairs.
fn training_and_evaluation_throughput(args: &Args, threads: &str) -> anyhow::Result<()> {
    use candle_core::Tensor;
    use lorasearch_encoder::{DropoutRng, LoraConfig};
    use lorasearch_runtime::config::OptimizerKind;
    use lorasearch_training::{AdamOptimizer, pair_loss};

    let examples_path = args.products.with_file_name("shopping_queries_dataset_examples.parquet");
    let examples = read_table(&examples_path, FileType::Auto, TextEncoding::Utf8)?;
    let products = read_table(&args.products, FileType::Auto, TextEncoding::Utf8)?;
    let title_of: std::collections::HashMap<String, String> = products
        .column("product_id")?
        .str()?
        .iter()
        .zip(products.column("product_title")?.str()?.iter())
        .filter_map(|(id, title)| Some((id?.to_string(), title?.to_string())))
        .collect();
    let mut pairs: Vec<(String, String, f32)> = Vec::new();
    let queries = examples.column("query")?.str()?.clone();
    let ids = examples.column("product_id")?.str()?.clone();
    let labels = examples.column("esci_label")?.str()?.clone();
    for ((query, id), label) in queries.iter().zip(ids.iter()).zip(labels.iter()) {
        if let (Some(query), Some(title), Some(label)) = (query, id.and_then(|id| title_of.get(id)), label) {
            pairs.push((query.to_string(), title.clone(), f32::from(u8::from(label == "E"))));
        }
    }
    anyhow::ensure!(!pairs.is_empty(), "{} joined with {} gives no pairs", examples_path.display(), args.products.display());
    let batch: Vec<&(String, String, f32)> = pairs.iter().cycle().take(args.batch_size).collect();

    let mut encoder = Encoder::load(&args.model, EncoderOptions::default())?;
    let query_texts: Vec<&str> = batch.iter().map(|pair| pair.0.as_str()).collect();
    let title_texts: Vec<&str> = batch.iter().map(|pair| pair.1.as_str()).collect();
    let query_ids = encoder.tokenizer().encode_batch(&query_texts)?;
    let title_ids = encoder.tokenizer().encode_batch(&title_texts)?;
    let label_values: Vec<f32> = batch.iter().map(|pair| pair.2).collect();

    // Evaluation: embed both sides of every pair and take the dot products, without a graph.
    let steps = 3;
    let started = Instant::now();
    for _ in 0..steps {
        let queries = encoder.embed_token_ids(&query_ids)?;
        let titles = encoder.embed_token_ids(&title_ids)?;
        let _scores = queries.mul(&titles)?.sum(1)?.to_vec1::<f32>()?;
    }
    let evaluation_per_second = (steps * batch.len()) as f64 / started.elapsed().as_secs_f64();

    // Training: LoRA r 8, alpha 16 on query/key/value, the PEFT example's loss, Adam.
    let lora = LoraConfig { lora_dropout: 0.0, ..LoraConfig::default() };
    encoder.add_lora(&lora, 42)?;
    let mut optimizer = AdamOptimizer::new(encoder.trainable_vars(), OptimizerKind::Adam, 0.0)?;
    let labels = Tensor::new(label_values.as_slice(), encoder.device())?;
    let mut rng = DropoutRng::seeded(1);
    let started = Instant::now();
    for _ in 0..steps {
        let queries = encoder.embed_token_ids_for_training(&query_ids, &mut rng)?;
        let titles = encoder.embed_token_ids_for_training(&title_ids, &mut rng)?;
        let loss = pair_loss(&queries, &titles, &labels)?;
        let gradients = loss.backward()?;
        let per_parameter: Vec<Tensor> = optimizer
            .vars()
            .map(|(key, var)| {
                gradients.get(var.as_tensor()).cloned().ok_or_else(|| anyhow::anyhow!("no gradient for {key}"))
            })
            .collect::<anyhow::Result<_>>()?;
        optimizer.step(&per_parameter, 5e-4)?;
    }
    let training_per_second = (steps * batch.len()) as f64 / started.elapsed().as_secs_f64();

    let mean_tokens = (query_ids.iter().chain(&title_ids).map(Vec::len).sum::<usize>()) as f64 / (2 * batch.len()) as f64;
    println!(
        "| LoRA training step (forward, backward, Adam), real ESCI pairs (mean {mean_tokens:.1} tokens per text) | batch {}, {steps} steps, r 8, query/key/value, threads {threads} | {training_per_second:.1} pairs/s |",
        batch.len()
    );
    println!(
        "| evaluation scoring (both texts embedded per pair, no dedup), same pairs | batch {}, {steps} batches, threads {threads} | {evaluation_per_second:.1} pairs/s |",
        batch.len()
    );
    Ok(())
}

fn index_speed(args: &Args, threads: &str) -> anyhow::Result<()> {
    const DIMENSION: usize = 384;
    let vectors = clustered_unit_vectors(args.vectors, DIMENSION, 100, 7);
    let queries = clustered_unit_vectors(args.queries, DIMENSION, 100, 8);

    for settings in [
        IndexSettings { factory: "HNSW32,Flat".into(), ef_construction: 200, ef_search: 100, nprobe: 16 },
        IndexSettings { factory: "Flat".into(), ..IndexSettings::default() },
    ] {
        let started = Instant::now();
        let mut index = VectorIndex::build(&vectors, DIMENSION, &settings)?;
        let build_s = started.elapsed().as_secs_f64();
        let report = recall_at_k(&mut index, &vectors, &queries, 10)?;
        println!(
            "| FAISS {} (efConstruction {}, efSearch {}), synthetic clustered unit vectors | {} x {DIMENSION}, {} queries, k 10, threads {threads} | build {build_s:.2} s, recall@10 {:.4}, {:.0} queries/s (batched) |",
            settings.factory, settings.ef_construction, settings.ef_search, args.vectors, report.queries, report.recall, report.queries_per_second
        );
    }
    Ok(())
}

/// Unit vectors scattered around `clusters` random centres; the same seed gives the same data.
fn clustered_unit_vectors(count: usize, dimension: usize, clusters: usize, seed: u64) -> Vec<f32> {
    let mut centre_rng = StdRng::seed_from_u64(0);
    let centres: Vec<Vec<f32>> =
        (0..clusters).map(|_| (0..dimension).map(|_| centre_rng.random_range(-1.0f32..1.0)).collect()).collect();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut vectors = Vec::with_capacity(count * dimension);
    for _ in 0..count {
        let centre = &centres[rng.random_range(0..clusters)];
        let mut vector: Vec<f32> = centre.iter().map(|value| value + rng.random_range(-0.6f32..0.6)).collect();
        let norm = vector.iter().map(|value| value * value).sum::<f32>().sqrt();
        vector.iter_mut().for_each(|value| *value /= norm);
        vectors.extend(vector);
    }
    vectors
}
