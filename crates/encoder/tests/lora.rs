//! LoRA on a tiny random BERT: the identity at initialisation, merging, gradients, and PEFT's
//! adapter files.

mod common;

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};
use lorasearch_encoder::{
    ADAPTABLE_MODULES, AdapterConfig, DropoutRng, Encoder, EncoderError, EncoderOptions, LoraConfig,
};

use common::{TinyModelSpec, max_abs_diff, randomise_lora_b, tiny_batch, write_tiny_model};

fn tiny_encoder(folder: &Path, spec: &TinyModelSpec) -> Encoder {
    write_tiny_model(folder, spec);
    let options = EncoderOptions {
        max_length_tokens: 16,
        pooling: None,
    };
    Encoder::load(folder, options).unwrap()
}

fn all_modules_config(lora_dropout: f32) -> LoraConfig {
    LoraConfig {
        r: 4,
        lora_alpha: 8.0,
        lora_dropout,
        target_modules: ADAPTABLE_MODULES
            .iter()
            .map(|name| (*name).to_owned())
            .collect(),
        use_rslora: false,
    }
}

/// Builds a fixed direction, so the scalar loss depends on every embedding component.
fn loss_weights(rows: usize) -> Tensor {
    let values: Vec<f32> = (0..rows * common::TINY_HIDDEN)
        .map(|index| ((index * 37 % 17) as f32 - 8.0) / 8.0)
        .collect();
    Tensor::from_vec(values, (rows, common::TINY_HIDDEN), &Device::Cpu).unwrap()
}

fn scalar_loss(embeddings: &Tensor) -> Tensor {
    let weights = loss_weights(embeddings.dims()[0]);
    embeddings.mul(&weights).unwrap().sum_all().unwrap()
}

#[test]
fn lora_with_zero_b_equals_base_model() {
    let folder = tempfile::tempdir().unwrap();
    let mut encoder = tiny_encoder(folder.path(), &TinyModelSpec::default());
    let base = encoder.embed_token_ids(&tiny_batch()).unwrap();

    encoder.add_lora(&all_modules_config(0.0), 3).unwrap();
    let adapted = encoder.embed_token_ids(&tiny_batch()).unwrap();

    assert_eq!(max_abs_diff(&base, &adapted), 0.0);
}

#[test]
fn lora_with_random_b_changes_output() {
    let folder = tempfile::tempdir().unwrap();
    let mut encoder = tiny_encoder(folder.path(), &TinyModelSpec::default());
    let base = encoder.embed_token_ids(&tiny_batch()).unwrap();

    encoder.add_lora(&all_modules_config(0.0), 3).unwrap();
    randomise_lora_b(&encoder, 4);
    let adapted = encoder.embed_token_ids(&tiny_batch()).unwrap();

    assert!(max_abs_diff(&base, &adapted) > 1e-3);
}

#[test]
fn lora_initialisation_is_deterministic_per_seed() {
    let folder = tempfile::tempdir().unwrap();
    let mut first = tiny_encoder(folder.path(), &TinyModelSpec::default());
    let mut second = Encoder::load(folder.path(), EncoderOptions::default()).unwrap();
    first.add_lora(&LoraConfig::default(), 11).unwrap();
    second.add_lora(&LoraConfig::default(), 11).unwrap();

    for ((key, first_var), (_, second_var)) in first
        .trainable_vars()
        .iter()
        .zip(second.trainable_vars().iter())
    {
        let difference = max_abs_diff(first_var.as_tensor(), second_var.as_tensor());
        assert_eq!(
            difference, 0.0,
            "{key} differs between two loads with one seed"
        );
    }
}

#[test]
fn lora_initialisation_follows_kaiming_uniform_and_zero_b() {
    let folder = tempfile::tempdir().unwrap();
    let mut encoder = tiny_encoder(folder.path(), &TinyModelSpec::default());
    encoder.add_lora(&all_modules_config(0.0), 5).unwrap();

    for (key, var) in encoder.trainable_vars() {
        let values: Vec<f32> = var.as_tensor().flatten_all().unwrap().to_vec1().unwrap();
        if key.contains("lora_A") {
            let fan_in = var.dims()[1] as f32;
            let bound = 1.0 / fan_in.sqrt();
            let largest = values.iter().fold(0f32, |max, value| max.max(value.abs()));
            assert!(
                largest <= bound,
                "{key}: |value| {largest} above bound {bound}"
            );
            assert!(
                largest > bound * 0.5,
                "{key}: values {largest} do not spread to the bound"
            );
        } else {
            assert!(
                values.iter().all(|value| *value == 0.0),
                "{key} is not zero"
            );
        }
    }
}

#[test]
fn lora_trainable_vars_cover_every_target_module() {
    let folder = tempfile::tempdir().unwrap();
    let mut encoder = tiny_encoder(folder.path(), &TinyModelSpec::default());
    encoder.add_lora(&all_modules_config(0.1), 5).unwrap();

    let keys: Vec<String> = encoder
        .trainable_vars()
        .into_iter()
        .map(|(key, _)| key)
        .collect();

    assert_eq!(
        keys.len(),
        common::TINY_LAYERS * ADAPTABLE_MODULES.len() * 2
    );
    assert_eq!(
        keys[0],
        "base_model.model.encoder.layer.0.attention.self.query.lora_A.weight"
    );
}

#[test]
fn lora_output_dense_matches_both_outputs() {
    let folder = tempfile::tempdir().unwrap();
    let mut encoder = tiny_encoder(folder.path(), &TinyModelSpec::default());
    let config = LoraConfig {
        target_modules: vec!["output.dense".to_owned()],
        ..LoraConfig::default()
    };
    encoder.add_lora(&config, 5).unwrap();

    let keys: Vec<String> = encoder
        .trainable_vars()
        .into_iter()
        .map(|(key, _)| key)
        .collect();

    assert!(keys.contains(
        &"base_model.model.encoder.layer.1.attention.output.dense.lora_A.weight".to_owned()
    ));
    assert!(
        keys.contains(&"base_model.model.encoder.layer.1.output.dense.lora_A.weight".to_owned())
    );
}

#[test]
fn lora_unknown_target_module_is_rejected() {
    let folder = tempfile::tempdir().unwrap();
    let mut encoder = tiny_encoder(folder.path(), &TinyModelSpec::default());
    let config = LoraConfig {
        target_modules: vec!["q_proj".to_owned()],
        ..LoraConfig::default()
    };

    let error = encoder.add_lora(&config, 5).unwrap_err();

    assert!(error.to_string().contains("q_proj"), "{error}");
}

#[test]
fn lora_merged_equals_unmerged() {
    let folder = tempfile::tempdir().unwrap();
    let mut encoder = tiny_encoder(folder.path(), &TinyModelSpec::default());
    encoder.add_lora(&all_modules_config(0.1), 3).unwrap();
    randomise_lora_b(&encoder, 4);
    let unmerged = encoder.embed_token_ids(&tiny_batch()).unwrap();

    encoder.merge_adapters().unwrap();
    let merged = encoder.embed_token_ids(&tiny_batch()).unwrap();

    assert!(max_abs_diff(&unmerged, &merged) < 1e-5);
    assert!(encoder.trainable_vars().is_empty());
}

#[test]
fn lora_gradient_matches_finite_difference() {
    let folder = tempfile::tempdir().unwrap();
    let mut encoder = tiny_encoder(folder.path(), &TinyModelSpec::default());
    encoder.add_lora(&all_modules_config(0.0), 3).unwrap();
    randomise_lora_b(&encoder, 4);
    let batch = tiny_batch();

    let mut rng = DropoutRng::seeded(0);
    let loss = scalar_loss(
        &encoder
            .embed_token_ids_for_training(&batch, &mut rng)
            .unwrap(),
    );
    let gradients = loss.backward().unwrap();

    let step = 1e-2f32;
    let vars = encoder.trainable_vars();
    let checked_keys = [
        "base_model.model.encoder.layer.0.attention.self.query.lora_A.weight",
        "base_model.model.encoder.layer.0.attention.self.value.lora_B.weight",
        "base_model.model.encoder.layer.0.intermediate.dense.lora_A.weight",
        "base_model.model.encoder.layer.1.output.dense.lora_B.weight",
        "base_model.model.encoder.layer.1.attention.output.dense.lora_A.weight",
    ];
    for key in checked_keys {
        let var = &vars.iter().find(|(name, _)| name == key).unwrap().1;
        let analytic: Vec<f32> = gradients
            .get(var.as_tensor())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let original: Vec<f32> = var.as_tensor().flatten_all().unwrap().to_vec1().unwrap();

        for element in [0, original.len() / 2, original.len() - 1] {
            let loss_at = |delta: f32| {
                let mut moved = original.clone();
                moved[element] += delta;
                var.set(&Tensor::from_vec(moved, var.dims(), &Device::Cpu).unwrap())
                    .unwrap();
                let embeddings = encoder.embed_token_ids(&batch).unwrap();
                scalar_loss(&embeddings).to_scalar::<f32>().unwrap()
            };
            let numeric = (loss_at(step) - loss_at(-step)) / (2.0 * step);
            var.set(&Tensor::from_vec(original.clone(), var.dims(), &Device::Cpu).unwrap())
                .unwrap();

            let tolerance = 1e-4 + 1e-3 * analytic[element].abs();
            assert!(
                (numeric - analytic[element]).abs() <= tolerance,
                "{key}[{element}]: analytic {} vs finite difference {numeric}",
                analytic[element]
            );
        }
    }
}

#[test]
fn lora_every_trainable_parameter_receives_gradient() {
    let folder = tempfile::tempdir().unwrap();
    let spec = TinyModelSpec {
        dropout_prob: 0.1,
        ..TinyModelSpec::default()
    };
    let mut encoder = tiny_encoder(folder.path(), &spec);
    encoder.add_lora(&all_modules_config(0.1), 3).unwrap();
    randomise_lora_b(&encoder, 4);

    let mut rng = DropoutRng::seeded(9);
    let embeddings = encoder
        .embed_token_ids_for_training(&tiny_batch(), &mut rng)
        .unwrap();
    let gradients = scalar_loss(&embeddings).backward().unwrap();

    for (key, var) in encoder.trainable_vars() {
        let gradient = gradients.get(var.as_tensor());
        let largest = gradient
            .map(|gradient| {
                gradient
                    .abs()
                    .unwrap()
                    .max_all()
                    .unwrap()
                    .to_scalar::<f32>()
                    .unwrap()
            })
            .unwrap_or(0.0);
        assert!(largest > 0.0, "{key} received no gradient");
    }
}

#[test]
fn lora_optimizer_step_lowers_loss() {
    use candle_nn::Optimizer;

    let folder = tempfile::tempdir().unwrap();
    let mut encoder = tiny_encoder(folder.path(), &TinyModelSpec::default());
    encoder.add_lora(&all_modules_config(0.0), 3).unwrap();
    let vars: Vec<_> = encoder.trainable_vars().into_iter().map(|(_, var)| var).collect();
    let mut optimizer = candle_nn::AdamW::new_lr(vars, 1e-2).unwrap();
    let mut rng = DropoutRng::seeded(0);
    let batch = tiny_batch();
    let loss_before = scalar_loss(&encoder.embed_token_ids(&batch).unwrap());

    for _ in 0..5 {
        let embeddings = encoder.embed_token_ids_for_training(&batch, &mut rng).unwrap();
        optimizer.backward_step(&scalar_loss(&embeddings)).unwrap();
    }
    let loss_after = scalar_loss(&encoder.embed_token_ids(&batch).unwrap());

    let before = loss_before.to_scalar::<f32>().unwrap();
    let after = loss_after.to_scalar::<f32>().unwrap();
    assert!(after < before - 1e-3, "loss went from {before} to {after}");
}

#[test]
fn lora_training_dropout_is_reproducible_per_seed() {
    let folder = tempfile::tempdir().unwrap();
    let spec = TinyModelSpec {
        dropout_prob: 0.1,
        ..TinyModelSpec::default()
    };
    let mut encoder = tiny_encoder(folder.path(), &spec);
    encoder.add_lora(&all_modules_config(0.1), 3).unwrap();

    let first = encoder
        .embed_token_ids_for_training(&tiny_batch(), &mut DropoutRng::seeded(5))
        .unwrap();
    let second = encoder
        .embed_token_ids_for_training(&tiny_batch(), &mut DropoutRng::seeded(5))
        .unwrap();
    let inference = encoder.embed_token_ids(&tiny_batch()).unwrap();

    assert_eq!(max_abs_diff(&first, &second), 0.0);
    assert!(
        max_abs_diff(&first, &inference) > 1e-4,
        "dropout had no effect"
    );
}

fn saved_adapter(encoder: &Encoder, folder: &Path) -> HashMap<String, Tensor> {
    encoder.save_adapter(folder, Some("tiny-bert")).unwrap();
    candle_core::safetensors::load(folder.join("adapter_model.safetensors"), &Device::Cpu).unwrap()
}

#[test]
fn adapter_saved_keys_and_shapes_follow_peft() {
    let folder = tempfile::tempdir().unwrap();
    let mut encoder = tiny_encoder(&folder.path().join("model"), &TinyModelSpec::default());
    encoder.add_lora(&all_modules_config(0.1), 3).unwrap();

    let tensors = saved_adapter(&encoder, &folder.path().join("adapter"));

    assert_eq!(
        tensors.len(),
        common::TINY_LAYERS * ADAPTABLE_MODULES.len() * 2
    );
    let query_a = &tensors["base_model.model.encoder.layer.0.attention.self.query.lora_A.weight"];
    assert_eq!(query_a.dims(), &[4, common::TINY_HIDDEN]);
    let intermediate_b =
        &tensors["base_model.model.encoder.layer.1.intermediate.dense.lora_B.weight"];
    assert_eq!(intermediate_b.dims(), &[common::TINY_INTERMEDIATE, 4]);
    let output_a = &tensors["base_model.model.encoder.layer.1.output.dense.lora_A.weight"];
    assert_eq!(output_a.dims(), &[4, common::TINY_INTERMEDIATE]);
}

#[test]
fn adapter_saved_config_follows_peft() {
    let folder = tempfile::tempdir().unwrap();
    let mut encoder = tiny_encoder(&folder.path().join("model"), &TinyModelSpec::default());
    encoder.add_lora(&all_modules_config(0.1), 3).unwrap();
    encoder
        .save_adapter(&folder.path().join("adapter"), Some("tiny-bert"))
        .unwrap();

    let text = std::fs::read_to_string(folder.path().join("adapter/adapter_config.json")).unwrap();
    let config: serde_json::Value = serde_json::from_str(&text).unwrap();

    assert_eq!(config["peft_type"], "LORA");
    assert_eq!(config["r"], 4);
    assert_eq!(config["lora_alpha"], 8.0);
    assert_eq!(config["bias"], "none");
    assert_eq!(config["fan_in_fan_out"], false);
    assert_eq!(config["inference_mode"], true);
    assert_eq!(config["task_type"], "FEATURE_EXTRACTION");
    assert_eq!(config["base_model_name_or_path"], "tiny-bert");
    assert_eq!(config["target_modules"].as_array().map(Vec::len), Some(6));
}

#[test]
fn adapter_save_then_load_reproduces_outputs_exactly() {
    let folder = tempfile::tempdir().unwrap();
    let model_folder = folder.path().join("model");
    let mut trained = tiny_encoder(&model_folder, &TinyModelSpec::default());
    trained.add_lora(&all_modules_config(0.1), 3).unwrap();
    randomise_lora_b(&trained, 4);
    trained
        .save_adapter(&folder.path().join("adapter"), None)
        .unwrap();
    let expected = trained.embed_token_ids(&tiny_batch()).unwrap();

    let mut reloaded = Encoder::load(&model_folder, EncoderOptions::default()).unwrap();
    reloaded
        .load_adapter(&folder.path().join("adapter"))
        .unwrap();
    let actual = reloaded.embed_token_ids(&tiny_batch()).unwrap();

    assert_eq!(max_abs_diff(&expected, &actual), 0.0);
    assert_eq!(reloaded.lora_config(), trained.lora_config());
}

/// Saves an adapter, then rewrites its keys with `rename` as another wrapper would name them.
fn adapter_with_renamed_keys(encoder: &Encoder, folder: &Path, rename: impl Fn(&str) -> String) {
    let tensors: HashMap<String, Tensor> = saved_adapter(encoder, folder)
        .into_iter()
        .map(|(key, tensor)| (rename(&key), tensor))
        .collect();
    candle_core::safetensors::save(&tensors, folder.join("adapter_model.safetensors")).unwrap();
}

#[test]
fn adapter_with_extra_model_prefix_loads() {
    let folder = tempfile::tempdir().unwrap();
    let model_folder = folder.path().join("model");
    let adapter_folder = folder.path().join("adapter");
    let mut trained = tiny_encoder(&model_folder, &TinyModelSpec::default());
    trained.add_lora(&all_modules_config(0.0), 3).unwrap();
    randomise_lora_b(&trained, 4);
    adapter_with_renamed_keys(&trained, &adapter_folder, |key| {
        key.replacen("base_model.model.", "base_model.model.model.", 1)
    });
    let expected = trained.embed_token_ids(&tiny_batch()).unwrap();

    let mut reloaded = Encoder::load(&model_folder, EncoderOptions::default()).unwrap();
    reloaded.load_adapter(&adapter_folder).unwrap();

    assert_eq!(
        max_abs_diff(&expected, &reloaded.embed_token_ids(&tiny_batch()).unwrap()),
        0.0
    );
}

#[test]
fn adapter_with_bert_prefix_loads() {
    let folder = tempfile::tempdir().unwrap();
    let model_folder = folder.path().join("model");
    let adapter_folder = folder.path().join("adapter");
    let mut trained = tiny_encoder(&model_folder, &TinyModelSpec::default());
    trained.add_lora(&all_modules_config(0.0), 3).unwrap();
    randomise_lora_b(&trained, 4);
    adapter_with_renamed_keys(&trained, &adapter_folder, |key| {
        key.replacen("base_model.model.", "base_model.model.bert.", 1)
    });
    let expected = trained.embed_token_ids(&tiny_batch()).unwrap();

    let mut reloaded = Encoder::load(&model_folder, EncoderOptions::default()).unwrap();
    reloaded.load_adapter(&adapter_folder).unwrap();

    assert_eq!(
        max_abs_diff(&expected, &reloaded.embed_token_ids(&tiny_batch()).unwrap()),
        0.0
    );
}

fn rewrite_adapter_config(folder: &Path, change: impl Fn(&mut serde_json::Value)) {
    let path = folder.join("adapter_config.json");
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    change(&mut config);
    common::write_json(&path, &config);
}

fn invalid_adapter_message(error: EncoderError) -> String {
    match error {
        EncoderError::InvalidAdapter { message, .. } => message,
        other => panic!("expected InvalidAdapter, got {other}"),
    }
}

#[test]
fn adapter_wrong_rank_names_key() {
    let folder = tempfile::tempdir().unwrap();
    let model_folder = folder.path().join("model");
    let adapter_folder = folder.path().join("adapter");
    let mut trained = tiny_encoder(&model_folder, &TinyModelSpec::default());
    trained.add_lora(&all_modules_config(0.0), 3).unwrap();
    trained.save_adapter(&adapter_folder, None).unwrap();
    rewrite_adapter_config(&adapter_folder, |config| config["r"] = 8.into());

    let mut reloaded = Encoder::load(&model_folder, EncoderOptions::default()).unwrap();
    let message = invalid_adapter_message(reloaded.load_adapter(&adapter_folder).unwrap_err());

    assert!(
        message.contains(
            "key `base_model.model.encoder.layer.0.attention.output.dense.lora_A.weight`"
        ),
        "{message}"
    );
}

#[test]
fn adapter_untargeted_module_names_key() {
    let folder = tempfile::tempdir().unwrap();
    let model_folder = folder.path().join("model");
    let adapter_folder = folder.path().join("adapter");
    let mut trained = tiny_encoder(&model_folder, &TinyModelSpec::default());
    trained.add_lora(&all_modules_config(0.0), 3).unwrap();
    trained.save_adapter(&adapter_folder, None).unwrap();
    rewrite_adapter_config(&adapter_folder, |config| {
        config["target_modules"] = serde_json::json!(["query", "key", "value"]);
    });

    let mut reloaded = Encoder::load(&model_folder, EncoderOptions::default()).unwrap();
    let message = invalid_adapter_message(reloaded.load_adapter(&adapter_folder).unwrap_err());

    assert!(
        message.contains("attention.output.dense.lora_A.weight"),
        "{message}"
    );
}

#[test]
fn adapter_missing_layer_names_key() {
    let folder = tempfile::tempdir().unwrap();
    let model_folder = folder.path().join("model");
    let adapter_folder = folder.path().join("adapter");
    let mut trained = tiny_encoder(&model_folder, &TinyModelSpec::default());
    trained.add_lora(&all_modules_config(0.0), 3).unwrap();
    adapter_with_renamed_keys(&trained, &adapter_folder, |key| {
        key.replace("encoder.layer.1.", "encoder.layer.7.")
    });

    let mut reloaded = Encoder::load(&model_folder, EncoderOptions::default()).unwrap();
    let message = invalid_adapter_message(reloaded.load_adapter(&adapter_folder).unwrap_err());

    assert!(message.contains("encoder.layer.7."), "{message}");
}

#[test]
fn adapter_with_regex_target_modules_is_rejected() {
    let folder = tempfile::tempdir().unwrap();
    let model_folder = folder.path().join("model");
    let adapter_folder = folder.path().join("adapter");
    let mut trained = tiny_encoder(&model_folder, &TinyModelSpec::default());
    trained.add_lora(&all_modules_config(0.0), 3).unwrap();
    trained.save_adapter(&adapter_folder, None).unwrap();
    rewrite_adapter_config(&adapter_folder, |config| {
        config["target_modules"] = ".*query".into();
    });

    let mut reloaded = Encoder::load(&model_folder, EncoderOptions::default()).unwrap();
    let message = invalid_adapter_message(reloaded.load_adapter(&adapter_folder).unwrap_err());

    assert!(message.contains("target_modules"), "{message}");
}

#[test]
fn adapter_config_round_trips_through_lora_config() {
    let lora = all_modules_config(0.05);
    let adapter_config = AdapterConfig::from_lora(&lora, Some("tiny-bert"));
    let parsed = adapter_config
        .lora_config(Path::new("adapter_config.json"))
        .unwrap();
    assert_eq!(parsed, lora);
}

#[test]
fn adapter_pickle_only_folder_is_rejected() {
    let folder = tempfile::tempdir().unwrap();
    let model_folder = folder.path().join("model");
    let adapter_folder = folder.path().join("adapter");
    let mut encoder = tiny_encoder(&model_folder, &TinyModelSpec::default());
    std::fs::create_dir_all(&adapter_folder).unwrap();
    std::fs::write(adapter_folder.join("adapter_model.bin"), b"pickle").unwrap();

    let error = encoder.load_adapter(&adapter_folder).unwrap_err();

    assert!(
        matches!(error, EncoderError::AdapterPickleOnly { .. }),
        "{error}"
    );
}
