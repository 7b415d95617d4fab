//! Loading model folders that are incomplete, unsafe or do not fit their configuration, and the
//! checks on what the model is given to run.

mod common;

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};
use lorasearch_encoder::{Encoder, EncoderError, EncoderOptions, Pooling};

use common::{TinyModelSpec, max_abs_diff, tiny_batch, write_tiny_model};

fn load(folder: &Path) -> Result<Encoder, EncoderError> {
    Encoder::load(folder, EncoderOptions::default())
}

fn change_config(folder: &Path, field: &str, value: serde_json::Value) {
    let path = folder.join("config.json");
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    config[field] = value;
    common::write_json(&path, &config);
}

#[test]
fn model_folder_missing_names_make_model() {
    let folder = tempfile::tempdir().unwrap();
    let missing = folder.path().join("all-MiniLM-L6-v2");

    let error = load(&missing).unwrap_err();

    assert!(
        matches!(error, EncoderError::MissingModelFile { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("make model"), "{error}");
    assert!(error.to_string().contains("all-MiniLM-L6-v2"), "{error}");
}

#[test]
fn model_folder_without_tokenizer_names_file() {
    let folder = tempfile::tempdir().unwrap();
    write_tiny_model(folder.path(), &TinyModelSpec::default());
    std::fs::remove_file(folder.path().join("tokenizer.json")).unwrap();

    let error = load(folder.path()).unwrap_err();

    assert!(
        matches!(&error, EncoderError::MissingModelFile { path, .. } if path.ends_with("tokenizer.json")),
        "{error}"
    );
    assert!(error.to_string().contains("make model"), "{error}");
}

#[test]
fn model_folder_with_only_pickle_weights_is_rejected() {
    let folder = tempfile::tempdir().unwrap();
    write_tiny_model(folder.path(), &TinyModelSpec::default());
    std::fs::remove_file(folder.path().join("model.safetensors")).unwrap();
    std::fs::write(folder.path().join("pytorch_model.bin"), b"not loaded").unwrap();

    let error = load(folder.path()).unwrap_err();

    assert!(matches!(error, EncoderError::PickleOnly { .. }), "{error}");
    assert!(error.to_string().contains("safetensors"), "{error}");
}

#[test]
fn model_folder_wrong_shape_names_tensor() {
    let folder = tempfile::tempdir().unwrap();
    write_tiny_model(folder.path(), &TinyModelSpec::default());
    let mut tensors = common::tiny_tensors(1);
    tensors.insert(
        "encoder.layer.1.attention.self.value.weight".to_owned(),
        Tensor::zeros(
            (common::TINY_HIDDEN, 7),
            candle_core::DType::F32,
            &Device::Cpu,
        )
        .unwrap(),
    );
    candle_core::safetensors::save(&tensors, folder.path().join("model.safetensors")).unwrap();

    let error = load(folder.path()).unwrap_err();

    assert!(
        matches!(&error, EncoderError::WrongTensorShape { name, .. }
            if name == "encoder.layer.1.attention.self.value.weight"),
        "{error}"
    );
}

#[test]
fn model_folder_missing_tensor_names_tensor() {
    let folder = tempfile::tempdir().unwrap();
    write_tiny_model(folder.path(), &TinyModelSpec::default());
    let mut tensors = common::tiny_tensors(1);
    tensors.remove("encoder.layer.0.intermediate.dense.bias");
    candle_core::safetensors::save(&tensors, folder.path().join("model.safetensors")).unwrap();

    let error = load(folder.path()).unwrap_err();

    assert!(
        matches!(&error, EncoderError::MissingTensor { name, .. }
            if name == "encoder.layer.0.intermediate.dense.bias"),
        "{error}"
    );
}

#[test]
fn model_folder_with_relative_position_embeddings_is_rejected() {
    let folder = tempfile::tempdir().unwrap();
    write_tiny_model(folder.path(), &TinyModelSpec::default());
    change_config(
        folder.path(),
        "position_embedding_type",
        "relative_key".into(),
    );

    let error = load(folder.path()).unwrap_err();

    assert!(
        matches!(
            error,
            EncoderError::UnsupportedConfig {
                field: "position_embedding_type",
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn model_folder_with_relu_activation_is_rejected() {
    let folder = tempfile::tempdir().unwrap();
    write_tiny_model(folder.path(), &TinyModelSpec::default());
    change_config(folder.path(), "hidden_act", "relu".into());

    let error = load(folder.path()).unwrap_err();

    assert!(
        matches!(
            error,
            EncoderError::UnsupportedConfig {
                field: "hidden_act",
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn model_folder_with_unknown_model_type_is_rejected() {
    let folder = tempfile::tempdir().unwrap();
    write_tiny_model(folder.path(), &TinyModelSpec::default());
    change_config(folder.path(), "model_type", "distilbert".into());

    let error = load(folder.path()).unwrap_err();

    assert!(
        matches!(
            error,
            EncoderError::UnsupportedConfig {
                field: "model_type",
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn model_folder_bert_prefix_loads() {
    let plain = tempfile::tempdir().unwrap();
    let prefixed = tempfile::tempdir().unwrap();
    write_tiny_model(plain.path(), &TinyModelSpec::default());
    let spec = TinyModelSpec {
        tensor_prefix: "bert.",
        ..TinyModelSpec::default()
    };
    write_tiny_model(prefixed.path(), &spec);

    let expected = load(plain.path())
        .unwrap()
        .embed_token_ids(&tiny_batch())
        .unwrap();
    let actual = load(prefixed.path())
        .unwrap()
        .embed_token_ids(&tiny_batch())
        .unwrap();

    assert_eq!(max_abs_diff(&expected, &actual), 0.0);
}

#[test]
fn model_folder_pooling_file_selects_cls() {
    let folder = tempfile::tempdir().unwrap();
    write_tiny_model(folder.path(), &TinyModelSpec::default());
    std::fs::create_dir_all(folder.path().join("1_Pooling")).unwrap();
    common::write_json(
        &folder.path().join("1_Pooling/config.json"),
        &serde_json::json!({"pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}),
    );

    assert_eq!(load(folder.path()).unwrap().pooling(), Pooling::Cls);
}

#[test]
fn model_folder_pooling_option_overrides_the_file() {
    let folder = tempfile::tempdir().unwrap();
    write_tiny_model(folder.path(), &TinyModelSpec::default());
    std::fs::create_dir_all(folder.path().join("1_Pooling")).unwrap();
    common::write_json(
        &folder.path().join("1_Pooling/config.json"),
        &serde_json::json!({"pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}),
    );
    let options = EncoderOptions {
        pooling: Some(Pooling::Mean),
        ..EncoderOptions::default()
    };

    assert_eq!(
        Encoder::load(folder.path(), options).unwrap().pooling(),
        Pooling::Mean
    );
}

#[test]
fn tokenizer_builtin_padding_and_truncation_are_off() {
    let folder = tempfile::tempdir().unwrap();
    write_tiny_model(folder.path(), &TinyModelSpec::default());
    let options = EncoderOptions {
        max_length_tokens: 12,
        pooling: None,
    };
    let encoder = Encoder::load(folder.path(), options).unwrap();

    let short = encoder.tokenizer().encode("w10").unwrap();
    let long = encoder.tokenizer().encode(&"w10 ".repeat(20)).unwrap();

    assert_eq!(short, vec![2, 10, 3]);
    assert_eq!(long.len(), 12);
    assert_eq!(long.last(), Some(&3));
}

#[test]
fn padding_does_not_change_embeddings() {
    let folder = tempfile::tempdir().unwrap();
    write_tiny_model(folder.path(), &TinyModelSpec::default());
    let encoder = load(folder.path()).unwrap();
    let batch = tiny_batch();

    let batched = encoder.embed_token_ids(&batch).unwrap();
    for (row, ids) in batch.iter().enumerate() {
        let alone = encoder.embed_token_ids(std::slice::from_ref(ids)).unwrap();
        let difference = max_abs_diff(&batched.get(row).unwrap(), &alone.get(0).unwrap());
        assert!(difference <= 1e-6, "row {row} differs by {difference}");
    }
}

#[test]
fn xlm_roberta_positions_start_after_padding_id() {
    let folder = tempfile::tempdir().unwrap();
    write_tiny_model(folder.path(), &TinyModelSpec::default());
    let bert = load(folder.path()).unwrap();
    // Shifting the position table down by pad_token_id + 1 = 2 rows must give, under
    // xlm-roberta numbering, the same embeddings as BERT numbering on the original table.
    let mut tensors: HashMap<String, Tensor> = common::tiny_tensors(1);
    let positions = &tensors["embeddings.position_embeddings.weight"];
    let rows = common::TINY_MAX_POSITIONS;
    let shifted = Tensor::cat(
        &[
            positions.narrow(0, rows - 2, 2).unwrap(),
            positions.narrow(0, 0, rows - 2).unwrap(),
        ],
        0,
    )
    .unwrap();
    tensors.insert("embeddings.position_embeddings.weight".to_owned(), shifted);
    candle_core::safetensors::save(&tensors, folder.path().join("model.safetensors")).unwrap();
    change_config(folder.path(), "model_type", "xlm-roberta".into());
    change_config(folder.path(), "pad_token_id", 1.into());
    let roberta = load(folder.path()).unwrap();
    let batch: Vec<Vec<u32>> = vec![vec![2, 10, 11, 3], vec![2, 40, 3]];

    let difference = max_abs_diff(
        &bert.embed_token_ids(&batch).unwrap(),
        &roberta.embed_token_ids(&batch).unwrap(),
    );

    assert!(difference <= 1e-6, "differs by {difference}");
}

#[test]
fn embed_rejects_token_id_outside_vocabulary() {
    let folder = tempfile::tempdir().unwrap();
    write_tiny_model(folder.path(), &TinyModelSpec::default());
    let encoder = load(folder.path()).unwrap();

    let error = encoder.embed_token_ids(&[vec![2, 100, 3]]).unwrap_err();

    assert!(matches!(error, EncoderError::InvalidInput(_)), "{error}");
}

#[test]
fn embed_rejects_empty_sequence() {
    let folder = tempfile::tempdir().unwrap();
    write_tiny_model(folder.path(), &TinyModelSpec::default());
    let encoder = load(folder.path()).unwrap();

    let error = encoder.embed_token_ids(&[vec![2, 3], vec![]]).unwrap_err();

    assert!(matches!(error, EncoderError::InvalidInput(_)), "{error}");
}

#[test]
fn embed_empty_batch_gives_no_rows() {
    let folder = tempfile::tempdir().unwrap();
    write_tiny_model(folder.path(), &TinyModelSpec::default());
    let encoder = load(folder.path()).unwrap();

    let embeddings = encoder.embed_token_ids(&[]).unwrap();

    assert_eq!(embeddings.dims(), &[0, common::TINY_HIDDEN]);
}
