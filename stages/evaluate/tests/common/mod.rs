//! Shared set-up for the evaluate stage's tests: a project with labelled pairs in three splits,
//! the real ingest and tokenize binaries, and a LoRA adapter written with the encoder's own API.

#![allow(dead_code)]

use std::path::Path;

use candle_core::Tensor;
use lorasearch_e2e::{Project, model_dir, pairs_settings, stderr};
use lorasearch_encoder::{Encoder, EncoderOptions, LoraConfig};

pub const EVALUATE: &str = "lorasearch-evaluate";

/// Product search pairs over eight queries: two in train, three in validation, three in test.
/// One relevant pair of each evaluation split is a deliberate mismatch ("amazon gift card" for
/// "coffee maker", a novel for "led desk lamp"), so no sensible model reaches a ROC-AUC of 1.
pub const PAIRS_CSV: &str = "\
query,product_title,relevance_label,split
usb c charging cable,USB-C to USB-C fast charging cable 2 m braided,1,train
usb c charging cable,stainless steel insulated water bottle,0,train
usb c charging cable,wireless optical mouse with usb receiver,0,train
mens running shoes,men's lightweight breathable running shoes,1,train
mens running shoes,women's leather shoulder handbag,0,train
mens running shoes,ceramic non-stick frying pan 28 cm,0,train
wireless headphones,bluetooth over-ear wireless headphones with noise cancelling,1,validation
wireless headphones,true wireless earbuds with charging case,1,validation
wireless headphones,aluminium headphone stand for desk,0,validation
wireless headphones,chef knife set with wooden block,0,validation
coffee maker,12 cup programmable drip coffee maker,1,validation
coffee maker,single serve pod coffee machine,1,validation
coffee maker,coffee mug ceramic 350 ml,0,validation
coffee maker,amazon gift card,1,validation
dog food,grain free dry dog food for adult dogs 12 kg,1,validation
dog food,stainless steel dog food bowl,0,validation
dog food,cat litter clumping unscented,0,validation
dog food,yoga mat non slip,0,validation
laptop backpack,water resistant laptop backpack fits 15.6 inch,1,test
laptop backpack,anti theft travel backpack with usb port,1,test
laptop backpack,laptop stand adjustable aluminium,0,test
laptop backpack,garden hose 30 m,0,test
led desk lamp,dimmable led desk lamp with usb charging port,1,test
led desk lamp,led light bulbs e27 warm white 6 pack,0,test
led desk lamp,office desk chair ergonomic,0,test
led desk lamp,paperback novel mystery thriller,1,test
phone case,shockproof silicone phone case for iphone 13,1,test
phone case,tempered glass screen protector,0,test
phone case,phone car mount holder,0,test
phone case,hiking boots waterproof,0,test
";

/// One labelled pair of the fixture.
#[derive(Debug, Clone)]
pub struct Pair {
    pub query: String,
    pub product_title: String,
    pub relevance_label: u8,
    pub split: String,
}

/// Parses the pairs of `csv` (the fixture's layout, without quoted commas) in file order.
pub fn parse_pairs(csv: &str) -> Vec<Pair> {
    csv.lines()
        .skip(1)
        .filter(|line| !line.is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            Pair {
                query: fields[0].to_string(),
                product_title: fields[1].to_string(),
                relevance_label: fields[2].parse().expect("label 0 or 1"),
                split: fields[3].to_string(),
            }
        })
        .collect()
}

/// Returns the pairs of one split of `csv`.
pub fn split_pairs(csv: &str, split: &str) -> Vec<Pair> {
    parse_pairs(csv).into_iter().filter(|pair| pair.split == split).collect()
}

/// Settings for a project whose `pairs.csv` has a split column, with `extra` appended.
pub fn settings(extra: &str) -> String {
    let ingest = pairs_settings("pairs.csv", "[ingest.split]\nmethod = \"column\"");
    format!("[model]\npath = \"{}\"\n{ingest}\n{extra}\n", model_dir().display())
}

/// Creates a project with `csv` as its pairs file and runs the real ingest and tokenize binaries.
pub fn tokenized_project(csv: &str, extra_settings: &str) -> Project {
    let project = Project::new(&settings(extra_settings));
    project.write("pairs.csv", csv);
    run_ok(&project, "lorasearch-ingest");
    run_ok(&project, "lorasearch-tokenize");
    project
}

/// Runs a binary in the project and returns its log; fails the test when it fails.
pub fn run_ok(project: &Project, binary: &str) -> String {
    let output = project.run(binary, &[]);
    assert!(output.status.success(), "{binary} failed: {}", stderr(&output));
    stderr(&output)
}

/// Writes a LoRA adapter in `artifacts/train/` as the train stage would, with `lora_B` set to
/// non-zero values that follow from `seed`, and a `manifest.json` beside it.
pub fn write_adapter(project: &Project, seed: u64) {
    let mut encoder = Encoder::load(&model_dir(), EncoderOptions::default()).expect("load the model");
    encoder.add_lora(&LoraConfig::default(), seed).expect("attach adapters");
    for (key, var) in encoder.trainable_vars() {
        if !key.contains("lora_B") {
            continue;
        }
        let count = var.elem_count();
        let values: Vec<f32> = (0..count).map(|index| pseudo_random(seed, index) * 0.4).collect();
        let tensor = Tensor::from_vec(values, var.shape(), var.device()).expect("tensor of the adapter's shape");
        var.set(&tensor).expect("set lora_B");
    }

    let train_dir = project.path("artifacts/train");
    encoder.save_adapter(&train_dir, None).expect("save the adapter");
    let manifest = serde_json::json!({"format": "lorasearch-manifest/1", "stage": "train", "outputs": []});
    std::fs::write(train_dir.join("manifest.json"), manifest.to_string()).expect("write the train manifest");
}

/// Returns a value in -0.5..0.5 from a seed and an index (SplitMix64), so adapters are reproducible.
fn pseudo_random(seed: u64, index: usize) -> f32 {
    let mut state = seed.wrapping_add((index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    state = (state ^ (state >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    state = (state ^ (state >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    state ^= state >> 31;
    (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
}

/// Reads `artifacts/evaluate/report.json`.
pub fn report(project: &Project) -> serde_json::Value {
    let path = project.path("artifacts/evaluate/report.json");
    let bytes = std::fs::read(&path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    serde_json::from_slice(&bytes).expect("report.json is JSON")
}

/// Cosine similarity of each pair's query and title, embedded one text at a time by `encoder`.
pub fn cosine_scores(encoder: &Encoder, pairs: &[Pair]) -> Vec<f64> {
    pairs
        .iter()
        .map(|pair| {
            let embeddings = encoder.embed_texts(&[pair.query.as_str(), pair.product_title.as_str()]).expect("embed a pair");
            embeddings[0].iter().zip(&embeddings[1]).map(|(a, b)| f64::from(*a) * f64::from(*b)).sum()
        })
        .collect()
}

/// Loads the untuned encoder, or the encoder with the adapter in `adapter_dir` merged.
pub fn encoder(adapter_dir: Option<&Path>) -> Encoder {
    let mut encoder = Encoder::load(&model_dir(), EncoderOptions::default()).expect("load the model");
    if let Some(adapter_dir) = adapter_dir {
        encoder.load_adapter(adapter_dir).expect("load the adapter");
        encoder.merge_adapters().expect("merge the adapter");
    }
    encoder
}
