//! The encoder against sentence-transformers' own embeddings of all-MiniLM-L6-v2.
//!
//! `tests/data/all-MiniLM-L6-v2-embeddings.json` holds, for ten texts, the token ids and the
//! normalised mean-pooled embedding that sentence-transformers computed with `max_length` 128.
//! These tests need the model from `make model` and fail when it is missing.

mod common;

use std::sync::OnceLock;

use lorasearch_encoder::{Encoder, EncoderOptions};
use serde::Deserialize;

const EMBEDDING_TOLERANCE: f32 = 1e-5;
const BATCH_TOLERANCE: f32 = 1e-6;

#[derive(Debug, Deserialize)]
struct Reference {
    max_length: usize,
    cases: Vec<ReferenceCase>,
}

#[derive(Debug, Deserialize)]
struct ReferenceCase {
    text: String,
    input_ids: Vec<u32>,
    embedding: Vec<f32>,
}

fn reference() -> &'static Reference {
    static REFERENCE: OnceLock<Reference> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/all-MiniLM-L6-v2-embeddings.json"
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    })
}

fn encoder() -> &'static Encoder {
    static ENCODER: OnceLock<Encoder> = OnceLock::new();
    ENCODER.get_or_init(|| {
        let options = EncoderOptions {
            max_length_tokens: reference().max_length,
            pooling: None,
        };
        Encoder::load(&common::real_model_folder(), options).unwrap()
    })
}

#[test]
fn parity_token_ids_match_reference() {
    for case in &reference().cases {
        let token_ids = encoder().tokenizer().encode(&case.text).unwrap();
        assert_eq!(token_ids, case.input_ids, "token ids of {:?}", case.text);
    }
}

#[test]
fn parity_embeddings_match_reference_one_by_one() {
    for case in &reference().cases {
        let embedding = encoder()
            .embed_texts(&[case.text.as_str()])
            .unwrap()
            .remove(0);
        assert_eq!(
            embedding.len(),
            case.embedding.len(),
            "width for {:?}",
            case.text
        );
        for (index, (actual, expected)) in embedding.iter().zip(&case.embedding).enumerate() {
            assert!(
                (actual - expected).abs() <= EMBEDDING_TOLERANCE,
                "component {index} of {:?}: {actual} vs reference {expected}",
                case.text
            );
        }
    }
}

#[test]
fn parity_embeddings_match_reference_in_one_batch() {
    let texts: Vec<&str> = reference()
        .cases
        .iter()
        .map(|case| case.text.as_str())
        .collect();
    let embeddings = encoder().embed_texts(&texts).unwrap();
    for (case, embedding) in reference().cases.iter().zip(&embeddings) {
        for (index, (actual, expected)) in embedding.iter().zip(&case.embedding).enumerate() {
            assert!(
                (actual - expected).abs() <= EMBEDDING_TOLERANCE,
                "component {index} of {:?}: {actual} vs reference {expected}",
                case.text
            );
        }
    }
}

#[test]
fn batched_embeddings_match_one_by_one() {
    let token_ids: Vec<Vec<u32>> = reference()
        .cases
        .iter()
        .map(|case| case.input_ids.clone())
        .collect();
    let lengths: Vec<usize> = token_ids.iter().map(Vec::len).collect();
    assert!(
        lengths.iter().min() < lengths.iter().max(),
        "the batch must mix lengths"
    );

    let batched = encoder().embed_token_ids(&token_ids).unwrap();
    for (row, ids) in token_ids.iter().enumerate() {
        let alone = encoder()
            .embed_token_ids(std::slice::from_ref(ids))
            .unwrap();
        let difference = common::max_abs_diff(&batched.get(row).unwrap(), &alone.get(0).unwrap());
        assert!(
            difference <= BATCH_TOLERANCE,
            "row {row} ({} tokens) differs by {difference} between batch and alone",
            ids.len()
        );
    }
}

#[test]
fn embeddings_have_unit_length() {
    let embeddings = encoder().embed_texts(&["iphone charger", ""]).unwrap();
    for embedding in embeddings {
        let norm: f32 = embedding
            .iter()
            .map(|value| value * value)
            .sum::<f32>()
            .sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
    }
}

#[test]
fn tokenizer_truncation_keeps_special_tokens() {
    let long_case = reference()
        .cases
        .iter()
        .max_by_key(|case| case.input_ids.len())
        .unwrap();
    let tokenized = encoder()
        .tokenizer()
        .encode_with_length(&long_case.text)
        .unwrap();

    assert_eq!(tokenized.token_ids.len(), reference().max_length);
    assert_eq!(tokenized.token_ids.first(), Some(&101), "starts with [CLS]");
    assert_eq!(tokenized.token_ids.last(), Some(&102), "ends with [SEP]");
    assert!(tokenized.is_truncated());
    assert!(tokenized.original_length_tokens > reference().max_length);
}

#[test]
fn tokenizer_short_text_is_not_truncated() {
    let tokenized = encoder()
        .tokenizer()
        .encode_with_length("iphone charger")
        .unwrap();
    assert!(!tokenized.is_truncated());
    assert_eq!(tokenized.original_length_tokens, tokenized.token_ids.len());
}

#[test]
fn tokenizer_shorter_limit_cuts_text_tokens() {
    let tokenizer =
        lorasearch_encoder::TextTokenizer::load(&common::real_model_folder(), 4).unwrap();
    let tokenized = tokenizer.encode_with_length("deep learning books").unwrap();
    assert_eq!(tokenized.token_ids, vec![101, 2784, 4083, 102]);
    assert_eq!(tokenized.original_length_tokens, 5);
}
