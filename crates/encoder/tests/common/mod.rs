//! What the encoder tests share: where the real model lives, and a tiny random BERT written to a
//! temporary folder in Hugging Face's layout.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

/// Returns the all-MiniLM-L6-v2 folder that `make model` fills, or `LORASEARCH_MODEL_DIR`.
///
/// Panics with the command to run when the folder is missing: the parity tests must fail, not
/// skip, on a machine without the model.
pub fn real_model_folder() -> PathBuf {
    let folder = match std::env::var_os("LORASEARCH_MODEL_DIR") {
        Some(folder) => PathBuf::from(folder),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/all-MiniLM-L6-v2"),
    };
    assert!(
        folder.join("model.safetensors").is_file(),
        "the model is missing at {}: run `make model` in the workspace (or set \
         LORASEARCH_MODEL_DIR to an all-MiniLM-L6-v2 folder)",
        folder.display()
    );
    folder
}

/// Shape of the tiny model.
pub const TINY_VOCAB: usize = 100;
pub const TINY_HIDDEN: usize = 32;
pub const TINY_LAYERS: usize = 2;
pub const TINY_HEADS: usize = 4;
pub const TINY_INTERMEDIATE: usize = 64;
pub const TINY_MAX_POSITIONS: usize = 160;

/// How to write the tiny model.
#[derive(Debug, Clone)]
pub struct TinyModelSpec {
    /// Prefix before every tensor name, such as `"bert."`.
    pub tensor_prefix: &'static str,
    /// Dropout of `config.json` (hidden states and attention probabilities).
    pub dropout_prob: f64,
    /// Seed of the random weights.
    pub seed: u64,
}

impl Default for TinyModelSpec {
    fn default() -> Self {
        Self {
            tensor_prefix: "",
            dropout_prob: 0.0,
            seed: 1,
        }
    }
}

pub fn tiny_config() -> serde_json::Value {
    json!({
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": TINY_VOCAB,
        "hidden_size": TINY_HIDDEN,
        "num_hidden_layers": TINY_LAYERS,
        "num_attention_heads": TINY_HEADS,
        "intermediate_size": TINY_INTERMEDIATE,
        "hidden_act": "gelu",
        "max_position_embeddings": TINY_MAX_POSITIONS,
        "type_vocab_size": 2,
        "layer_norm_eps": 1e-12,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0,
    })
}

fn random_tensor(rng: &mut StdRng, shape: &[usize], scale: f32) -> Tensor {
    let count: usize = shape.iter().product();
    let values: Vec<f32> = (0..count)
        .map(|_| rng.random_range(-scale..scale))
        .collect();
    Tensor::from_vec(values, shape, &Device::Cpu).unwrap()
}

/// Builds every tensor of a tiny BERT, named as `BertModel` names them.
pub fn tiny_tensors(seed: u64) -> HashMap<String, Tensor> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut tensors = HashMap::new();
    let mut add = |name: String, shape: &[usize], scale: f32, offset: f32| {
        let tensor = (random_tensor(&mut rng, shape, scale) + f64::from(offset)).unwrap();
        tensors.insert(name, tensor);
    };

    add(
        "embeddings.word_embeddings.weight".into(),
        &[TINY_VOCAB, TINY_HIDDEN],
        0.5,
        0.0,
    );
    add(
        "embeddings.position_embeddings.weight".into(),
        &[TINY_MAX_POSITIONS, TINY_HIDDEN],
        0.5,
        0.0,
    );
    add(
        "embeddings.token_type_embeddings.weight".into(),
        &[2, TINY_HIDDEN],
        0.5,
        0.0,
    );
    add(
        "embeddings.LayerNorm.weight".into(),
        &[TINY_HIDDEN],
        0.1,
        1.0,
    );
    add("embeddings.LayerNorm.bias".into(), &[TINY_HIDDEN], 0.1, 0.0);
    for layer in 0..TINY_LAYERS {
        let p = format!("encoder.layer.{layer}");
        for (name, out_features, in_features) in [
            ("attention.self.query", TINY_HIDDEN, TINY_HIDDEN),
            ("attention.self.key", TINY_HIDDEN, TINY_HIDDEN),
            ("attention.self.value", TINY_HIDDEN, TINY_HIDDEN),
            ("attention.output.dense", TINY_HIDDEN, TINY_HIDDEN),
            ("intermediate.dense", TINY_INTERMEDIATE, TINY_HIDDEN),
            ("output.dense", TINY_HIDDEN, TINY_INTERMEDIATE),
        ] {
            #[allow(clippy::cast_precision_loss)]
            let scale = 1.0 / (in_features as f32).sqrt();
            add(
                format!("{p}.{name}.weight"),
                &[out_features, in_features],
                scale,
                0.0,
            );
            add(format!("{p}.{name}.bias"), &[out_features], 0.1, 0.0);
        }
        for norm in ["attention.output.LayerNorm", "output.LayerNorm"] {
            add(format!("{p}.{norm}.weight"), &[TINY_HIDDEN], 0.1, 1.0);
            add(format!("{p}.{norm}.bias"), &[TINY_HIDDEN], 0.1, 0.0);
        }
    }
    tensors
}

/// Builds a word-level `tokenizer.json` over `[PAD] [UNK] [CLS] [SEP] w4 ... w99` that wraps every text
/// in `[CLS] ... [SEP]`, with padding and truncation set as the real model's file sets them.
pub fn tiny_tokenizer_json() -> serde_json::Value {
    let specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"];
    let mut vocab = serde_json::Map::new();
    for (id, token) in specials.iter().enumerate() {
        vocab.insert((*token).to_owned(), json!(id));
    }
    for id in specials.len()..TINY_VOCAB {
        vocab.insert(format!("w{id}"), json!(id));
    }
    let added_tokens: Vec<_> = specials
        .iter()
        .enumerate()
        .map(|(id, token)| {
            json!({"id": id, "content": token, "single_word": false, "lstrip": false,
                   "rstrip": false, "normalized": false, "special": true})
        })
        .collect();
    json!({
        "version": "1.0",
        "truncation": {"direction": "Right", "max_length": 8, "strategy": "LongestFirst", "stride": 0},
        "padding": {"strategy": {"Fixed": 8}, "direction": "Right", "pad_to_multiple_of": null,
                    "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"},
        "added_tokens": added_tokens,
        "normalizer": null,
        "pre_tokenizer": {"type": "WhitespaceSplit"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}
            }
        },
        "decoder": null,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"}
    })
}

/// Writes a tiny BERT model folder into `folder`.
pub fn write_tiny_model(folder: &Path, spec: &TinyModelSpec) {
    std::fs::create_dir_all(folder).unwrap();
    let mut config = tiny_config();
    config["hidden_dropout_prob"] = json!(spec.dropout_prob);
    config["attention_probs_dropout_prob"] = json!(spec.dropout_prob);
    write_json(&folder.join("config.json"), &config);
    write_json(&folder.join("tokenizer.json"), &tiny_tokenizer_json());

    let tensors: HashMap<String, Tensor> = tiny_tensors(spec.seed)
        .into_iter()
        .map(|(name, tensor)| (format!("{}{name}", spec.tensor_prefix), tensor))
        .collect();
    candle_core::safetensors::save(&tensors, folder.join("model.safetensors")).unwrap();
}

pub fn write_json(path: &Path, value: &serde_json::Value) {
    std::fs::write(path, serde_json::to_string_pretty(value).unwrap()).unwrap();
}

/// Token id lists of mixed lengths for the tiny model.
pub fn tiny_batch() -> Vec<Vec<u32>> {
    vec![
        vec![2, 10, 11, 12, 3],
        vec![2, 40, 3],
        vec![2, 5, 6, 7, 8, 9, 20, 30, 99, 3],
        vec![2, 77, 3],
    ]
}

/// Largest absolute difference between two tensors of the same shape.
pub fn max_abs_diff(left: &Tensor, right: &Tensor) -> f32 {
    left.sub(right)
        .unwrap()
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

/// Gives every `lora_B` of the encoder random values, so that `A` receives gradients and the
/// adapters change the output.
pub fn randomise_lora_b(encoder: &lorasearch_encoder::Encoder, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    for (key, var) in encoder.trainable_vars() {
        if key.contains("lora_B") {
            let values = random_tensor(&mut rng, var.dims(), 0.2);
            var.set(&values).unwrap();
        }
    }
}
