//! Layer normalisation with a backward pass.
//!
//! candle-nn's `LayerNorm` (0.11.1) runs a fused kernel without a backward pass. On the CPU this
//! one runs [`fused::layer_norm`], which has a backward pass. On other devices, or when the scale
//! and shift are trained, it is written out from differentiable operations. Either way gradients
//! reach the LoRA weights before it.

use candle_core::{D, Tensor};

use crate::error::Result;
use crate::fused;
use crate::weights::Weights;

/// `(x - mean) / sqrt(variance + eps) * weight + bias` over the last dimension, with the biased
/// variance, as PyTorch's `nn.LayerNorm` computes it.
#[derive(Debug, Clone)]
pub(crate) struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f64,
}

impl LayerNorm {
    /// Loads `{name}.weight` and `{name}.bias` (or the older `gamma` and `beta`).
    pub(crate) fn load(weights: &Weights, name: &str, size: usize, eps: f64) -> Result<Self> {
        let weight = weights.get_first_of(
            &[&format!("{name}.weight"), &format!("{name}.gamma")],
            &[size],
        )?;
        let bias =
            weights.get_first_of(&[&format!("{name}.bias"), &format!("{name}.beta")], &[size])?;
        Ok(Self { weight, bias, eps })
    }

    /// The scale and the shift with their Hugging Face name suffixes, for full fine-tuning.
    pub(crate) fn parameters_mut(&mut self) -> [(&'static str, &mut Tensor); 2] {
        [("weight", &mut self.weight), ("bias", &mut self.bias)]
    }

    pub(crate) fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        if fused::supports(xs) && !self.weight.track_op() && !self.bias.track_op() {
            return fused::layer_norm(xs, &self.weight, &self.bias, self.eps);
        }
        written_out(xs, &self.weight, &self.bias, self.eps)
    }
}

/// Computes layer normalisation with candle operations, for other devices and for a trained scale
/// and shift. [`fused::layer_norm`] computes the same values on the CPU.
pub(crate) fn written_out(xs: &Tensor, weight: &Tensor, bias: &Tensor, eps: f64) -> Result<Tensor> {
    let mean = xs.mean_keepdim(D::Minus1)?;
    let centred = xs.broadcast_sub(&mean)?;
    let variance = centred.sqr()?.mean_keepdim(D::Minus1)?;
    let normalised = centred.broadcast_div(&(variance + eps)?.sqrt()?)?;
    Ok(normalised.broadcast_mul(weight)?.broadcast_add(bias)?)
}
