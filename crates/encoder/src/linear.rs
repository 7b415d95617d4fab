//! A frozen dense layer, `y = x W^T + b`, with PyTorch's `[out, in]` weight layout.

use candle_core::Tensor;

use crate::error::Result;
use crate::fused;
use crate::weights::Weights;

/// A dense layer whose weight and bias are plain tensors: no gradient is ever computed for them.
#[derive(Debug, Clone)]
pub(crate) struct FrozenLinear {
    weight: Tensor,
    bias: Tensor,
}

impl FrozenLinear {
    /// Loads `{name}.weight` with shape `[out_features, in_features]` and `{name}.bias`.
    pub(crate) fn load(
        weights: &Weights,
        name: &str,
        in_features: usize,
        out_features: usize,
    ) -> Result<Self> {
        let weight = weights.get(&format!("{name}.weight"), &[out_features, in_features])?;
        let bias = weights.get(&format!("{name}.bias"), &[out_features])?;
        Ok(Self { weight, bias })
    }

    pub(crate) fn in_features(&self) -> usize {
        self.weight.dims()[1]
    }

    pub(crate) fn out_features(&self) -> usize {
        self.weight.dims()[0]
    }

    pub(crate) fn weight(&self) -> &Tensor {
        &self.weight
    }

    /// The weight and the bias with their Hugging Face name suffixes, for full fine-tuning.
    pub(crate) fn parameters_mut(&mut self) -> [(&'static str, &mut Tensor); 2] {
        [("weight", &mut self.weight), ("bias", &mut self.bias)]
    }

    /// Replaces the weight, keeping its shape; used when a LoRA update is merged in.
    pub(crate) fn set_weight(&mut self, weight: Tensor) {
        self.weight = weight;
    }

    /// Applies the layer to the last dimension of `xs`, whatever the leading dimensions.
    pub(crate) fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        if fused::supports(xs) && !self.weight.track_op() && !self.bias.track_op() {
            return fused::frozen_linear(xs, &self.weight, &self.bias);
        }
        Ok(matmul_transposed(xs, &self.weight)?.broadcast_add(&self.bias)?)
    }
}

/// `xs W^T` over the last dimension of `xs`, for a `[out, in]` matrix `W`.
pub(crate) fn matmul_transposed(xs: &Tensor, weight: &Tensor) -> Result<Tensor> {
    let dims = xs.dims();
    let in_features = dims.last().copied().unwrap_or(0);
    let rows = xs.elem_count() / in_features.max(1);
    let flat = xs.reshape((rows, in_features))?;
    let product = flat.matmul(&weight.t()?)?;

    let mut out_dims = dims.to_vec();
    if let Some(last) = out_dims.last_mut() {
        *last = weight.dims()[0];
    }
    Ok(product.reshape(out_dims)?)
}
