//! LoRA, as Hugging Face PEFT defines it.
//!
//! A [`LoraLinear`] wraps a frozen dense layer and, once an adapter is attached, computes
//! `y = W x + b + scaling * B (A (dropout(x)))` with `scaling = lora_alpha / r`. `A` (`lora_a`,
//! shape `[r, in]`) starts Kaiming-uniform with `a = sqrt(5)`, which is uniform on
//! `[-1/sqrt(in), 1/sqrt(in)]`. `B` (`lora_b`, shape `[out, r]`) starts at zero, so a fresh
//! adapter leaves the model's output unchanged. Only `A` and `B` are trainable [`Var`]s.
//!
//! Target modules are matched as PEFT matches a list of names: a module is adapted when its full
//! name (for example `encoder.layer.3.attention.self.query`) equals a target or ends with
//! `.` followed by the target. So `"output.dense"` also matches `attention.output.dense`, exactly as
//! it does in PEFT; name `"attention.output.dense"` alone to adapt only the attention output.

use candle_core::{Tensor, Var};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::error::{EncoderError, Result};
use crate::linear::{FrozenLinear, matmul_transposed};
use crate::ops::{DropoutRng, dropout};

/// The dense layers of one transformer layer that LoRA can adapt, as suffixes of their module
/// names, in the order the encoder visits them.
pub const ADAPTABLE_MODULES: [&str; 6] = [
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
];

/// The hyper-parameters of a LoRA adapter, with PEFT's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoraConfig {
    /// Rank of the update.
    pub r: usize,
    /// Numerator of the scaling `lora_alpha / r`.
    pub lora_alpha: f64,
    /// Dropout on the adapter's input while training.
    pub lora_dropout: f32,
    /// Module names or name suffixes to adapt, such as `"query"` or `"attention.output.dense"`.
    pub target_modules: Vec<String>,
    /// PEFT's rank-stabilised variant: scaling `lora_alpha / sqrt(r)` instead of `lora_alpha / r`.
    #[serde(default)]
    pub use_rslora: bool,
}

impl Default for LoraConfig {
    /// Returns the settings of PEFT's semantic-similarity example: r 8, alpha 16, dropout 0.1,
    /// targets query, key and value.
    fn default() -> Self {
        Self {
            r: 8,
            lora_alpha: 16.0,
            lora_dropout: 0.1,
            target_modules: vec!["query".to_owned(), "key".to_owned(), "value".to_owned()],
            use_rslora: false,
        }
    }
}

impl LoraConfig {
    /// Returns the factor in front of `B A`.
    #[must_use]
    pub fn scaling(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let rank = self.r as f64;
        if self.use_rslora {
            self.lora_alpha / rank.sqrt()
        } else {
            self.lora_alpha / rank
        }
    }

    /// Checks whether the module with this full name is a target.
    #[must_use]
    pub fn targets(&self, module_name: &str) -> bool {
        self.target_modules
            .iter()
            .any(|target| module_matches_target(module_name, target))
    }

    /// Checks rank, alpha, dropout and that some target is named.
    ///
    /// # Errors
    /// Names the field that is out of range.
    pub fn validate(&self) -> Result<()> {
        if self.r == 0 {
            return Err(EncoderError::InvalidLoraConfig(
                "r must be positive".to_owned(),
            ));
        }
        if !self.lora_alpha.is_finite() {
            return Err(EncoderError::InvalidLoraConfig(format!(
                "lora_alpha must be finite, got {}",
                self.lora_alpha
            )));
        }
        if !(0.0..1.0).contains(&self.lora_dropout) {
            return Err(EncoderError::InvalidLoraConfig(format!(
                "lora_dropout must be in [0, 1), got {}",
                self.lora_dropout
            )));
        }
        if self.target_modules.is_empty() {
            return Err(EncoderError::InvalidLoraConfig(format!(
                "target_modules is empty; choose among {ADAPTABLE_MODULES:?}"
            )));
        }
        Ok(())
    }
}

/// PEFT's rule for a list of target names: the whole name, or a suffix after a dot.
pub(crate) fn module_matches_target(module_name: &str, target: &str) -> bool {
    module_name == target
        || module_name
            .strip_suffix(target)
            .is_some_and(|head| head.ends_with('.'))
}

/// The trainable pair `A`, `B` of one adapted layer.
#[derive(Debug, Clone)]
pub(crate) struct LoraAdapter {
    pub(crate) lora_a: Var,
    pub(crate) lora_b: Var,
    pub(crate) scaling: f64,
    pub(crate) dropout: f32,
}

/// A frozen dense layer with an optional LoRA adapter beside it.
#[derive(Debug, Clone)]
pub(crate) struct LoraLinear {
    base: FrozenLinear,
    adapter: Option<LoraAdapter>,
}

impl LoraLinear {
    /// Wraps a frozen layer, without an adapter.
    pub(crate) fn new(base: FrozenLinear) -> Self {
        Self {
            base,
            adapter: None,
        }
    }

    pub(crate) fn in_features(&self) -> usize {
        self.base.in_features()
    }

    pub(crate) fn out_features(&self) -> usize {
        self.base.out_features()
    }

    /// The frozen layer under the adapter.
    pub(crate) fn base_mut(&mut self) -> &mut FrozenLinear {
        &mut self.base
    }

    pub(crate) fn adapter(&self) -> Option<&LoraAdapter> {
        self.adapter.as_ref()
    }

    /// Attaches a fresh adapter: `A` Kaiming-uniform drawn from `rng`, `B` zero.
    pub(crate) fn attach_initialised(
        &mut self,
        config: &LoraConfig,
        rng: &mut StdRng,
    ) -> Result<()> {
        let in_features = self.in_features();
        #[allow(clippy::cast_precision_loss)]
        let bound = 1.0 / (in_features as f32).sqrt();
        let a_values: Vec<f32> = (0..config.r * in_features)
            .map(|_| rng.random_range(-bound..bound))
            .collect();

        let device = self.base.weight().device();
        let lora_a = Var::from_vec(a_values, (config.r, in_features), device)?;
        let lora_b = Var::zeros(
            (self.out_features(), config.r),
            candle_core::DType::F32,
            device,
        )?;
        self.adapter = Some(LoraAdapter {
            lora_a,
            lora_b,
            scaling: config.scaling(),
            dropout: config.lora_dropout,
        });
        Ok(())
    }

    /// Attaches an adapter from given `A` and `B`, whose shapes the caller has checked.
    pub(crate) fn attach(&mut self, adapter: LoraAdapter) {
        self.adapter = Some(adapter);
    }

    /// Removes the adapter, leaving the frozen layer alone.
    pub(crate) fn detach_adapter(&mut self) {
        self.adapter = None;
    }

    /// Folds the adapter into the frozen weight, `W += scaling * B A`, and drops the adapter.
    pub(crate) fn merge(&mut self) -> Result<()> {
        let Some(adapter) = self.adapter.take() else {
            return Ok(());
        };
        let update = adapter
            .lora_b
            .as_tensor()
            .matmul(adapter.lora_a.as_tensor())?
            .affine(adapter.scaling, 0.0)?
            .detach();
        let merged = self.base.weight().add(&update)?.detach();
        self.base.set_weight(merged);
        Ok(())
    }

    /// The layer's output; with a generator, adapter dropout is active (training).
    pub(crate) fn forward(&self, xs: &Tensor, rng: Option<&mut DropoutRng>) -> Result<Tensor> {
        let base_output = self.base.forward(xs)?;
        let Some(adapter) = &self.adapter else {
            return Ok(base_output);
        };

        let dropped = dropout(xs, adapter.dropout, rng)?;
        let down = matmul_transposed(&dropped, adapter.lora_a.as_tensor())?;
        let up = matmul_transposed(&down, adapter.lora_b.as_tensor())?;
        Ok(base_output.add(&up.affine(adapter.scaling, 0.0)?)?)
    }
}

/// A generator for adapter initialisation that depends only on `seed`.
pub(crate) fn initialisation_rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}
