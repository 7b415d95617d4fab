//! The BERT encoder stack (also XLM-RoBERTa's, which differs only in how positions are numbered).
//!
//! Layer by layer it follows `transformers`' `BertModel`: embeddings, then per layer self-attention,
//! attention output, intermediate and output blocks, each a struct with `load` and `forward`.
//! Every dense layer is a [`LoraLinear`], so an adapter can sit beside any of them. The pooler is
//! not loaded: sentence embeddings pool the last hidden states instead.
//!
//! Every forward takes an optional dropout generator: `None` runs inference, `Some` runs training
//! with the dropouts of `config.json` and of the adapters active, as PyTorch's `model.train()` does.

use candle_core::Tensor;
use tracing::{Span, span};

use crate::config::{Activation, ModelConfig, ModelFamily};
use crate::error::Result;
use crate::fused;
use crate::layer_norm::LayerNorm;
use crate::linear::FrozenLinear;
use crate::lora::LoraLinear;
use crate::ops::{DropoutRng, dropout, softmax_last_dim};
use crate::weights::Weights;

/// Added to the attention score of a padded key; after the softmax its weight is exactly zero.
const MASKED_KEY_SCORE: f64 = -1.0e9;

fn load_lora_linear(
    weights: &Weights,
    name: &str,
    in_features: usize,
    out_features: usize,
) -> Result<LoraLinear> {
    Ok(LoraLinear::new(FrozenLinear::load(
        weights,
        name,
        in_features,
        out_features,
    )?))
}

/// Word, position and token type embeddings, summed and normalised.
#[derive(Debug, Clone)]
struct Embeddings {
    word_embeddings: Tensor,
    position_embeddings: Tensor,
    token_type_embeddings: Tensor,
    layer_norm: LayerNorm,
    dropout_prob: f32,
    span: Span,
}

impl Embeddings {
    fn load(weights: &Weights, config: &ModelConfig) -> Result<Self> {
        let hidden = config.hidden_size;
        Ok(Self {
            word_embeddings: weights.get(
                "embeddings.word_embeddings.weight",
                &[config.vocab_size, hidden],
            )?,
            position_embeddings: weights.get(
                "embeddings.position_embeddings.weight",
                &[config.max_position_embeddings, hidden],
            )?,
            token_type_embeddings: weights.get(
                "embeddings.token_type_embeddings.weight",
                &[config.type_vocab_size, hidden],
            )?,
            layer_norm: LayerNorm::load(
                weights,
                "embeddings.LayerNorm",
                hidden,
                config.layer_norm_eps,
            )?,
            dropout_prob: config.hidden_dropout_prob,
            span: span!(tracing::Level::TRACE, "embeddings"),
        })
    }

    /// Lists every weight with its Hugging Face name.
    fn parameters_mut(&mut self) -> Vec<(String, &mut Tensor)> {
        let mut parameters = vec![
            ("embeddings.word_embeddings.weight".to_owned(), &mut self.word_embeddings),
            ("embeddings.position_embeddings.weight".to_owned(), &mut self.position_embeddings),
            ("embeddings.token_type_embeddings.weight".to_owned(), &mut self.token_type_embeddings),
        ];
        for (suffix, tensor) in self.layer_norm.parameters_mut() {
            parameters.push((format!("embeddings.LayerNorm.{suffix}"), tensor));
        }
        parameters
    }

    /// Maps `[batch, seq]` ids and positions to `[batch, seq, hidden]`. Every token has type 0.
    fn forward(
        &self,
        input_ids: &Tensor,
        position_ids: &Tensor,
        rng: Option<&mut DropoutRng>,
    ) -> Result<Tensor> {
        let _entered = self.span.enter();
        let (batch_size, seq_len) = input_ids.dims2()?;
        let hidden = self.word_embeddings.dim(1)?;

        let words = self
            .word_embeddings
            .embedding(&input_ids.flatten_all()?)?
            .reshape((batch_size, seq_len, hidden))?;
        let positions = self
            .position_embeddings
            .embedding(&position_ids.flatten_all()?)?
            .reshape((batch_size, seq_len, hidden))?;
        let token_type = self.token_type_embeddings.get(0)?;

        let summed = words.add(&positions)?.broadcast_add(&token_type)?;
        let normalised = self.layer_norm.forward(&summed)?;
        dropout(&normalised, self.dropout_prob, rng)
    }
}

/// Multi-head scaled dot-product self-attention.
#[derive(Debug, Clone)]
struct SelfAttention {
    query: LoraLinear,
    key: LoraLinear,
    value: LoraLinear,
    num_heads: usize,
    head_size: usize,
    dropout_prob: f32,
    span: Span,
}

impl SelfAttention {
    fn load(weights: &Weights, config: &ModelConfig, prefix: &str) -> Result<Self> {
        let hidden = config.hidden_size;
        Ok(Self {
            query: load_lora_linear(weights, &format!("{prefix}.query"), hidden, hidden)?,
            key: load_lora_linear(weights, &format!("{prefix}.key"), hidden, hidden)?,
            value: load_lora_linear(weights, &format!("{prefix}.value"), hidden, hidden)?,
            num_heads: config.num_attention_heads,
            head_size: config.head_size(),
            dropout_prob: config.attention_probs_dropout_prob,
            span: span!(tracing::Level::TRACE, "self_attention"),
        })
    }

    /// Reshapes `[batch, seq, hidden]` to `[batch, heads, seq, head_size]`.
    fn split_heads(&self, xs: &Tensor) -> Result<Tensor> {
        let (batch_size, seq_len, _) = xs.dims3()?;
        Ok(xs
            .reshape((batch_size, seq_len, self.num_heads, self.head_size))?
            .transpose(1, 2)?
            .contiguous()?)
    }

    /// Attends over the sequence. `key_mask` is `[batch, 1, 1, seq]`, 0 for real keys and a large
    /// negative score for padded ones.
    fn forward(
        &self,
        hidden_states: &Tensor,
        key_mask: &Tensor,
        mut rng: Option<&mut DropoutRng>,
    ) -> Result<Tensor> {
        let _entered = self.span.enter();
        let (batch_size, seq_len, hidden) = hidden_states.dims3()?;

        let query = self.split_heads(&self.query.forward(hidden_states, rng.as_deref_mut())?)?;
        let key = self.split_heads(&self.key.forward(hidden_states, rng.as_deref_mut())?)?;
        let value = self.split_heads(&self.value.forward(hidden_states, rng.as_deref_mut())?)?;

        #[allow(clippy::cast_precision_loss)]
        let score_scale = 1.0 / (self.head_size as f64).sqrt();
        let scores = query.matmul(&key.t()?.contiguous()?)?;
        let probabilities = if fused::supports(&scores) {
            fused::masked_softmax(&scores, key_mask, score_scale)?
        } else {
            softmax_last_dim(&scores.affine(score_scale, 0.0)?.broadcast_add(key_mask)?)?
        };
        let probabilities = dropout(&probabilities, self.dropout_prob, rng)?;

        Ok(probabilities
            .matmul(&value)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((batch_size, seq_len, hidden))?)
    }
}

/// Dense projection of the attention result, dropout, residual connection and normalisation.
/// The same shape serves the layer's final output block.
#[derive(Debug, Clone)]
struct ResidualOutput {
    dense: LoraLinear,
    layer_norm: LayerNorm,
    dropout_prob: f32,
    span: Span,
}

impl ResidualOutput {
    fn load(
        weights: &Weights,
        config: &ModelConfig,
        prefix: &str,
        in_features: usize,
        span: Span,
    ) -> Result<Self> {
        Ok(Self {
            dense: load_lora_linear(
                weights,
                &format!("{prefix}.dense"),
                in_features,
                config.hidden_size,
            )?,
            layer_norm: LayerNorm::load(
                weights,
                &format!("{prefix}.LayerNorm"),
                config.hidden_size,
                config.layer_norm_eps,
            )?,
            dropout_prob: config.hidden_dropout_prob,
            span,
        })
    }

    fn forward(
        &self,
        xs: &Tensor,
        residual: &Tensor,
        mut rng: Option<&mut DropoutRng>,
    ) -> Result<Tensor> {
        let _entered = self.span.enter();
        let projected = self.dense.forward(xs, rng.as_deref_mut())?;
        let projected = dropout(&projected, self.dropout_prob, rng)?;
        self.layer_norm.forward(&projected.add(residual)?)
    }
}

/// The feed-forward expansion with its GELU.
#[derive(Debug, Clone)]
struct Intermediate {
    dense: LoraLinear,
    activation: Activation,
    span: Span,
}

impl Intermediate {
    fn load(
        weights: &Weights,
        config: &ModelConfig,
        prefix: &str,
        activation: Activation,
    ) -> Result<Self> {
        Ok(Self {
            dense: load_lora_linear(
                weights,
                &format!("{prefix}.dense"),
                config.hidden_size,
                config.intermediate_size,
            )?,
            activation,
            span: span!(tracing::Level::TRACE, "intermediate"),
        })
    }

    fn forward(&self, xs: &Tensor, rng: Option<&mut DropoutRng>) -> Result<Tensor> {
        let _entered = self.span.enter();
        let expanded = self.dense.forward(xs, rng)?;
        Ok(match self.activation {
            Activation::GeluErf if fused::supports(&expanded) => fused::gelu_erf(&expanded)?,
            Activation::GeluErf => expanded.gelu_erf()?,
            Activation::GeluTanh => expanded.gelu()?,
        })
    }
}

/// One transformer layer.
#[derive(Debug, Clone)]
struct EncoderLayer {
    attention: SelfAttention,
    attention_output: ResidualOutput,
    intermediate: Intermediate,
    output: ResidualOutput,
    span: Span,
}

impl EncoderLayer {
    fn load(
        weights: &Weights,
        config: &ModelConfig,
        index: usize,
        activation: Activation,
    ) -> Result<Self> {
        let prefix = format!("encoder.layer.{index}");
        Ok(Self {
            attention: SelfAttention::load(weights, config, &format!("{prefix}.attention.self"))?,
            attention_output: ResidualOutput::load(
                weights,
                config,
                &format!("{prefix}.attention.output"),
                config.hidden_size,
                span!(tracing::Level::TRACE, "attention_output"),
            )?,
            intermediate: Intermediate::load(
                weights,
                config,
                &format!("{prefix}.intermediate"),
                activation,
            )?,
            output: ResidualOutput::load(
                weights,
                config,
                &format!("{prefix}.output"),
                config.intermediate_size,
                span!(tracing::Level::TRACE, "output"),
            )?,
            span: span!(tracing::Level::TRACE, "layer", index),
        })
    }

    fn forward(
        &self,
        hidden_states: &Tensor,
        key_mask: &Tensor,
        mut rng: Option<&mut DropoutRng>,
    ) -> Result<Tensor> {
        let _entered = self.span.enter();
        let attended = self
            .attention
            .forward(hidden_states, key_mask, rng.as_deref_mut())?;
        let attention_output =
            self.attention_output
                .forward(&attended, hidden_states, rng.as_deref_mut())?;
        let expanded = self
            .intermediate
            .forward(&attention_output, rng.as_deref_mut())?;
        self.output.forward(&expanded, &attention_output, rng)
    }

    /// Lists the dense layers with their module-name suffixes, in [`crate::ADAPTABLE_MODULES`] order.
    fn linears_mut(&mut self) -> [(&'static str, &mut LoraLinear); 6] {
        [
            ("attention.self.query", &mut self.attention.query),
            ("attention.self.key", &mut self.attention.key),
            ("attention.self.value", &mut self.attention.value),
            ("attention.output.dense", &mut self.attention_output.dense),
            ("intermediate.dense", &mut self.intermediate.dense),
            ("output.dense", &mut self.output.dense),
        ]
    }

    /// Lists every weight of the layer with its name below `encoder.layer.{i}.`.
    fn parameters_mut(&mut self) -> Vec<(String, &mut Tensor)> {
        let mut parameters = Vec::new();
        let Self { attention, attention_output, intermediate, output, .. } = self;
        let linears = [
            ("attention.self.query", &mut attention.query),
            ("attention.self.key", &mut attention.key),
            ("attention.self.value", &mut attention.value),
            ("attention.output.dense", &mut attention_output.dense),
            ("intermediate.dense", &mut intermediate.dense),
            ("output.dense", &mut output.dense),
        ];
        for (module, linear) in linears {
            for (suffix, tensor) in linear.base_mut().parameters_mut() {
                parameters.push((format!("{module}.{suffix}"), tensor));
            }
        }
        for (module, layer_norm) in [
            ("attention.output.LayerNorm", &mut attention_output.layer_norm),
            ("output.LayerNorm", &mut output.layer_norm),
        ] {
            for (suffix, tensor) in layer_norm.parameters_mut() {
                parameters.push((format!("{module}.{suffix}"), tensor));
            }
        }
        parameters
    }

    fn linears(&self) -> [(&'static str, &LoraLinear); 6] {
        [
            ("attention.self.query", &self.attention.query),
            ("attention.self.key", &self.attention.key),
            ("attention.self.value", &self.attention.value),
            ("attention.output.dense", &self.attention_output.dense),
            ("intermediate.dense", &self.intermediate.dense),
            ("output.dense", &self.output.dense),
        ]
    }
}

/// Embeddings and the stack of transformer layers.
#[derive(Debug, Clone)]
pub(crate) struct BertModel {
    embeddings: Embeddings,
    layers: Vec<EncoderLayer>,
    family: ModelFamily,
    span: Span,
}

impl BertModel {
    /// Loads every tensor the configuration implies, checking names and shapes.
    pub(crate) fn load(
        weights: &Weights,
        config: &ModelConfig,
        family: ModelFamily,
        activation: Activation,
    ) -> Result<Self> {
        let embeddings = Embeddings::load(weights, config)?;
        let layers = (0..config.num_hidden_layers)
            .map(|index| EncoderLayer::load(weights, config, index, activation))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            embeddings,
            layers,
            family,
            span: span!(tracing::Level::TRACE, "bert"),
        })
    }

    pub(crate) fn family(&self) -> ModelFamily {
        self.family
    }

    /// Computes the last hidden states, `[batch, seq, hidden]`. `attention_mask` is `[batch, seq]`,
    /// 1 for real tokens and 0 for padding.
    pub(crate) fn forward(
        &self,
        input_ids: &Tensor,
        position_ids: &Tensor,
        attention_mask: &Tensor,
        mut rng: Option<&mut DropoutRng>,
    ) -> Result<Tensor> {
        let _entered = self.span.enter();
        let key_mask = attention_mask
            .affine(-MASKED_KEY_SCORE, MASKED_KEY_SCORE)?
            .unsqueeze(1)?
            .unsqueeze(1)?;

        let mut hidden_states =
            self.embeddings
                .forward(input_ids, position_ids, rng.as_deref_mut())?;
        for layer in &self.layers {
            hidden_states = layer.forward(&hidden_states, &key_mask, rng.as_deref_mut())?;
        }
        Ok(hidden_states)
    }

    /// Lists every dense layer with its full module name, such as
    /// `encoder.layer.0.attention.self.query`.
    pub(crate) fn linears_mut(&mut self) -> Vec<(String, &mut LoraLinear)> {
        self.layers
            .iter_mut()
            .enumerate()
            .flat_map(|(index, layer)| {
                layer
                    .linears_mut()
                    .map(|(suffix, linear)| (format!("encoder.layer.{index}.{suffix}"), linear))
            })
            .collect()
    }

    /// Lists every weight of the model (embeddings, dense layers, layer norms) with its Hugging
    /// Face name, such as `encoder.layer.0.attention.self.query.weight`.
    pub(crate) fn parameters_mut(&mut self) -> Vec<(String, &mut Tensor)> {
        let mut parameters = self.embeddings.parameters_mut();
        for (index, layer) in self.layers.iter_mut().enumerate() {
            for (name, tensor) in layer.parameters_mut() {
                parameters.push((format!("encoder.layer.{index}.{name}"), tensor));
            }
        }
        parameters
    }

    /// Lists every dense layer with its full module name.
    pub(crate) fn linears(&self) -> Vec<(String, &LoraLinear)> {
        self.layers
            .iter()
            .enumerate()
            .flat_map(|(index, layer)| {
                layer
                    .linears()
                    .map(|(suffix, linear)| (format!("encoder.layer.{index}.{suffix}"), linear))
            })
            .collect()
    }
}
