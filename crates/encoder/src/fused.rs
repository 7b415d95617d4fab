//! CPU kernels for the encoder's element-wise steps, each with a hand-written backward pass.
//!
//! Written out from candle operations, a layer normalisation is nine tensor operations, a softmax
//! five and the GELU derivative ten. Each one allocates its result, keeps it alive for the
//! backward pass and runs on a single thread. candle's `matmul` backward also computes the
//! gradient of both operands, even a frozen weight that never needs one. Replacing these steps,
//! together with the allocator settings of `lorasearch_runtime::memory`, took a 6-step training
//! run on the Home Depot set from 16 to 31 pairs/s. The kernels here do each step in
//! one pass over the rows, split across the rayon thread pool, and keep only what their backward
//! pass reads: the input, the softmax's output, or a dropout mask of one byte per element.
//!
//! Every kernel runs on the CPU with `f32` tensors. On another device, another dtype, or when a
//! parameter is itself being trained (full fine-tuning), the callers fall back to the written-out
//! operations, which compute the same values.
//!
//! NOTE: the fallback has only run on the CPU, in the tests that compare it with these kernels.
//! No CUDA build has been made, so the GPU path is untested.

use std::sync::Mutex;

use candle_core::{CpuStorage, CustomOp1, CustomOp2, DType, Layout, Shape, Tensor};
use rayon::prelude::*;

use crate::error::Result;
use crate::ops::DropoutRng;

#[cfg(test)]
mod tests;

/// Elements one rayon task handles in the element-wise kernels: large enough that scheduling
/// costs nothing next to the work, small enough to spread a layer's activations over the pool.
const ELEMENTS_PER_TASK: usize = 16 * 1024;

/// `1 / sqrt(2 pi)`, the normal density at zero.
const INV_SQRT_TWO_PI: f32 = 0.398_942_3;

/// Checks whether the fused kernels can run on `xs`: a CPU tensor of `f32`.
pub(crate) fn supports(xs: &Tensor) -> bool {
    xs.device().is_cpu() && xs.dtype() == DType::F32
}

/// Returns the contiguous `f32` values a storage and layout describe.
fn values<'a>(
    storage: &'a CpuStorage,
    layout: &Layout,
    op: &'static str,
) -> candle_core::Result<&'a [f32]> {
    let all = storage.as_slice::<f32>()?;
    let (start, end) = layout
        .contiguous_offsets()
        .ok_or(candle_core::Error::RequiresContiguous { op })?;
    Ok(&all[start..end])
}

/// Returns the length of the last dimension, which the row-wise kernels work along.
fn row_width(layout: &Layout) -> usize {
    layout.dims().last().copied().unwrap_or(1).max(1)
}

/// Fills a new buffer the size of `first` chunk by chunk across the thread pool.
/// `fill(index, output, first, second)` gets the `index`-th chunk of `chunk` values of the output
/// and of both inputs.
fn fill_chunks<T: Sync>(
    first: &[f32],
    second: &[T],
    chunk: usize,
    fill: impl Fn(usize, &mut [f32], &[f32], &[T]) + Sync + Send,
) -> Vec<f32> {
    let mut output = vec![0.0f32; first.len()];
    output
        .par_chunks_mut(chunk)
        .zip(first.par_chunks(chunk))
        .zip(second.par_chunks(chunk))
        .enumerate()
        .for_each(|(index, ((out, a), b))| fill(index, out, a, b));
    output
}

/// `xs W^T + b` for a frozen `[out, in]` weight and `[out]` bias, recording a backward pass that
/// computes the gradient of `xs` only.
///
/// The product itself is candle's matrix multiplication. The bias is added while the product is
/// moved into the result, so the graph keeps only `xs`.
pub(crate) fn frozen_linear(xs: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
    let product = crate::linear::matmul_transposed(&xs.detach(), weight)?;
    let op = BiasedProduct {
        product: Mutex::new(Some(product)),
        bias: bias.to_vec1::<f32>()?,
        weight: weight.clone(),
    };
    if xs.track_op() {
        Ok(xs.apply_op1(op)?)
    } else {
        Ok(xs.apply_op1_no_bwd(&op)?)
    }
}

/// The result of a frozen dense layer: a product computed beforehand plus the bias. In the
/// backward pass it multiplies the incoming gradient by the frozen weight, `dL/dxs = dL/dy W`.
struct BiasedProduct {
    /// `xs W^T`, taken out by the forward pass.
    product: Mutex<Option<Tensor>>,
    bias: Vec<f32>,
    weight: Tensor,
}

impl CustomOp1 for BiasedProduct {
    fn name(&self) -> &'static str {
        "frozen-linear"
    }

    fn cpu_fwd(
        &self,
        _xs: &CpuStorage,
        _xs_layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let product = self
            .product
            .lock()
            .map_err(|_| candle_core::Error::Msg("frozen-linear: a poisoned lock".to_owned()))?
            .take()
            .ok_or_else(|| {
                candle_core::Error::Msg("frozen-linear: the product was already used".to_owned())
            })?;
        let shape = product.shape().clone();
        let width = self.bias.len().max(1);
        let mut output = product.flatten_all()?.to_vec1::<f32>()?;
        drop(product);
        output.par_chunks_mut(width).for_each(|row| {
            for (value, &bias) in row.iter_mut().zip(&self.bias) {
                *value += bias;
            }
        });
        Ok((CpuStorage::F32(output), shape))
    }

    fn bwd(
        &self,
        xs: &Tensor,
        _output: &Tensor,
        output_gradient: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        let out_features = self.weight.dim(0)?;
        let rows = output_gradient.elem_count() / out_features.max(1);
        let gradient = output_gradient
            .reshape((rows, out_features))?
            .matmul(&self.weight)?
            .reshape(xs.shape())?;
        Ok(Some(gradient))
    }
}

/// Dropout as PyTorch's `Dropout` computes it in training mode: each element is zeroed with
/// probability `probability`, the others are scaled by `1 / (1 - probability)`.
///
/// The draws come from `rng` one per element in order, so a seed gives the same masks as the
/// written-out version. The mask is kept as one byte per element for the backward pass.
pub(crate) fn dropout(xs: &Tensor, probability: f32, rng: &mut DropoutRng) -> Result<Tensor> {
    let keep: Vec<bool> = (0..xs.elem_count())
        .map(|_| rng.draw() >= probability)
        .collect();
    let op = Dropout {
        keep,
        keep_scale: 1.0 / (1.0 - probability),
    };
    Ok(xs.contiguous()?.apply_op1(op)?)
}

struct Dropout {
    keep: Vec<bool>,
    keep_scale: f32,
}

impl Dropout {
    /// `values` with the dropped elements zeroed and the kept ones scaled.
    fn apply(&self, values: &[f32]) -> Vec<f32> {
        fill_chunks(values, &self.keep, ELEMENTS_PER_TASK, |_, out, inp, keep| {
            for ((o, &x), &kept) in out.iter_mut().zip(inp).zip(keep) {
                *o = if kept { x * self.keep_scale } else { 0.0 };
            }
        })
    }
}

impl CustomOp1 for Dropout {
    fn name(&self) -> &'static str {
        "dropout"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let input = values(storage, layout, self.name())?;
        Ok((CpuStorage::F32(self.apply(input)), layout.shape().clone()))
    }

    fn bwd(
        &self,
        _xs: &Tensor,
        _output: &Tensor,
        output_gradient: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        let gradient = output_gradient.contiguous()?.apply_op1_no_bwd(&DropoutBackward(self))?;
        Ok(Some(gradient))
    }
}

/// `dL/dx = dL/dy * mask`: the same zeroing and scaling applied to the incoming gradient.
struct DropoutBackward<'a>(&'a Dropout);

impl CustomOp1 for DropoutBackward<'_> {
    fn name(&self) -> &'static str {
        "dropout-backward"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let incoming = values(storage, layout, self.name())?;
        Ok((CpuStorage::F32(self.0.apply(incoming)), layout.shape().clone()))
    }
}

/// `x * Phi(x)` with the exact normal CDF, as PyTorch's `gelu` and candle's `gelu_erf` compute it.
pub(crate) fn gelu_erf(xs: &Tensor) -> Result<Tensor> {
    Ok(xs.contiguous()?.apply_op1(GeluErf)?)
}

/// Returns `erf(z)` and `exp(-z^2)` together, from Abramowitz and Stegun's formula 7.1.26, whose
/// stated absolute error is below 1.5e-7 before `f32` rounding. The unit tests hold GELU within
/// 1e-6 of candle's libm-based version.
///
/// GELU needs both: `erf(x / sqrt 2)` for its value, and `exp(-x^2 / 2)`, the same exponential,
/// for its slope. One exponential per element replaces the two of libm's `erff` and `expf`.
fn erf_and_gaussian(z: f32) -> (f32, f32) {
    const P: f32 = 0.327_591_1;
    const A: [f32; 5] = [
        0.254_829_6,
        -0.284_496_72,
        1.421_413_8,
        -1.453_152,
        1.061_405_4,
    ];
    let gaussian = (-z * z).exp();
    let t = 1.0 / (1.0 + P * z.abs());
    let polynomial = t * (A[0] + t * (A[1] + t * (A[2] + t * (A[3] + t * A[4]))));
    let magnitude = 1.0 - polynomial * gaussian;
    (magnitude.copysign(z), gaussian)
}

/// Computes GELU at one point: `x * Phi(x)`.
fn gelu_erf_value(x: f32) -> f32 {
    let (erf, _) = erf_and_gaussian(x * std::f32::consts::FRAC_1_SQRT_2);
    0.5 * x * (1.0 + erf)
}

/// Computes the derivative of GELU at one point: `Phi(x) + x phi(x)`.
fn gelu_erf_slope(x: f32) -> f32 {
    let (erf, gaussian) = erf_and_gaussian(x * std::f32::consts::FRAC_1_SQRT_2);
    0.5 * (1.0 + erf) + x * INV_SQRT_TWO_PI * gaussian
}

struct GeluErf;

impl CustomOp1 for GeluErf {
    fn name(&self) -> &'static str {
        "gelu-erf"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let input = values(storage, layout, self.name())?;
        let output = fill_chunks(input, input, ELEMENTS_PER_TASK, |_, out, inp, _| {
            for (o, &x) in out.iter_mut().zip(inp) {
                *o = gelu_erf_value(x);
            }
        });
        Ok((CpuStorage::F32(output), layout.shape().clone()))
    }

    fn bwd(
        &self,
        xs: &Tensor,
        _output: &Tensor,
        output_gradient: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        let gradient = xs.apply_op2_no_bwd(&output_gradient.contiguous()?, &GeluErfBackward)?;
        Ok(Some(gradient))
    }
}

/// `dL/dx = dL/dy * gelu'(x)`, with `x` first and `dL/dy` second.
struct GeluErfBackward;

impl CustomOp2 for GeluErfBackward {
    fn name(&self) -> &'static str {
        "gelu-erf-backward"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xs_layout: &Layout,
        gradient: &CpuStorage,
        gradient_layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let input = values(xs, xs_layout, self.name())?;
        let incoming = values(gradient, gradient_layout, self.name())?;
        let output = fill_chunks(input, incoming, ELEMENTS_PER_TASK, |_, out, inp, inc| {
            for ((o, &x), &g) in out.iter_mut().zip(inp).zip(inc) {
                *o = g * gelu_erf_slope(x);
            }
        });
        Ok((CpuStorage::F32(output), xs_layout.shape().clone()))
    }
}

/// Layer normalisation over the last dimension with a frozen scale and shift:
/// `(x - mean) / sqrt(variance + eps) * weight + bias`, the biased variance as in PyTorch.
pub(crate) fn layer_norm(xs: &Tensor, weight: &Tensor, bias: &Tensor, eps: f64) -> Result<Tensor> {
    let op = LayerNormOp {
        weight: weight.to_vec1::<f32>()?,
        bias: bias.to_vec1::<f32>()?,
        #[allow(clippy::cast_possible_truncation)]
        eps: eps as f32,
    };
    Ok(xs.contiguous()?.apply_op1(op)?)
}

struct LayerNormOp {
    weight: Vec<f32>,
    bias: Vec<f32>,
    eps: f32,
}

/// Returns the mean and the reciprocal standard deviation of one row, accumulated in `f64`.
fn row_moments(row: &[f32], eps: f32) -> (f32, f32) {
    #[allow(clippy::cast_precision_loss)]
    let count = row.len() as f64;
    let mean = row.iter().map(|&x| f64::from(x)).sum::<f64>() / count;
    let variance = row
        .iter()
        .map(|&x| (f64::from(x) - mean).powi(2))
        .sum::<f64>()
        / count;
    #[allow(clippy::cast_possible_truncation)]
    let moments = (
        mean as f32,
        (1.0 / (variance + f64::from(eps)).sqrt()) as f32,
    );
    moments
}

impl LayerNormOp {
    fn check_width(&self, width: usize) -> candle_core::Result<()> {
        if width == self.weight.len() {
            Ok(())
        } else {
            Err(candle_core::Error::Msg(format!(
                "layer-norm: rows of {width} values, but a scale of {}",
                self.weight.len()
            )))
        }
    }
}

impl CustomOp1 for LayerNormOp {
    fn name(&self) -> &'static str {
        "layer-norm"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let input = values(storage, layout, self.name())?;
        let width = row_width(layout);
        self.check_width(width)?;
        let output = fill_chunks(input, input, width, |_, out, row, _| {
            let (mean, inverse_std) = row_moments(row, self.eps);
            for (((o, &x), &w), &b) in out.iter_mut().zip(row).zip(&self.weight).zip(&self.bias) {
                *o = (x - mean) * inverse_std * w + b;
            }
        });
        Ok((CpuStorage::F32(output), layout.shape().clone()))
    }

    fn bwd(
        &self,
        xs: &Tensor,
        _output: &Tensor,
        output_gradient: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        let backward = LayerNormBackward {
            weight: self.weight.clone(),
            eps: self.eps,
        };
        let gradient = xs.apply_op2_no_bwd(&output_gradient.contiguous()?, &backward)?;
        Ok(Some(gradient))
    }
}

/// `dL/dx` of layer normalisation, with `x` first and `dL/dy` second. With `r` the reciprocal
/// standard deviation of the row, `x^ = (x - mean) * r` and `g = dL/dy * weight`:
/// `dL/dx = r * (g - mean(g) - x^ * mean(g * x^))`.
struct LayerNormBackward {
    weight: Vec<f32>,
    eps: f32,
}

impl CustomOp2 for LayerNormBackward {
    fn name(&self) -> &'static str {
        "layer-norm-backward"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xs_layout: &Layout,
        gradient: &CpuStorage,
        gradient_layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let input = values(xs, xs_layout, self.name())?;
        let incoming = values(gradient, gradient_layout, self.name())?;
        let width = row_width(xs_layout);
        #[allow(clippy::cast_precision_loss)]
        let count = width as f32;
        let output = fill_chunks(input, incoming, width, |_, out, row, row_gradient| {
            let (mean, inverse_std) = row_moments(row, self.eps);
            let mut gradient_sum = 0.0f32;
            let mut projection_sum = 0.0f32;
            for ((&x, &g), &w) in row.iter().zip(row_gradient).zip(&self.weight) {
                let scaled = g * w;
                gradient_sum += scaled;
                projection_sum += scaled * (x - mean) * inverse_std;
            }
            let gradient_mean = gradient_sum / count;
            let projection_mean = projection_sum / count;
            for (((o, &x), &g), &w) in out.iter_mut().zip(row).zip(row_gradient).zip(&self.weight) {
                let normalised = (x - mean) * inverse_std;
                *o = inverse_std * (g * w - gradient_mean - normalised * projection_mean);
            }
        });
        Ok((CpuStorage::F32(output), xs_layout.shape().clone()))
    }
}

/// Computes attention probabilities, the softmax over the last dimension of
/// `scores * scale + mask`.
///
/// `scores` is `[batch, heads, queries, keys]` and `mask` `[batch, 1, 1, keys]`, a score added to
/// every key (0 for real tokens, a large negative number for padding). The row maximum is
/// subtracted before the exponential, as in every stable softmax.
pub(crate) fn masked_softmax(scores: &Tensor, mask: &Tensor, scale: f64) -> Result<Tensor> {
    let (batch_size, _, _, keys) = scores.dims4()?;
    let mask = mask.contiguous()?;
    if mask.elem_count() != batch_size * keys {
        return Err(candle_core::Error::Msg(format!(
            "masked softmax: a mask of {} values for {batch_size} sequences of {keys} keys",
            mask.elem_count()
        ))
        .into());
    }
    #[allow(clippy::cast_possible_truncation)]
    let op = MaskedSoftmax {
        scale: scale as f32,
        batch_size,
    };
    Ok(scores.contiguous()?.apply_op2(&mask, op)?)
}

struct MaskedSoftmax {
    scale: f32,
    batch_size: usize,
}

impl CustomOp2 for MaskedSoftmax {
    fn name(&self) -> &'static str {
        "masked-softmax"
    }

    fn cpu_fwd(
        &self,
        scores: &CpuStorage,
        scores_layout: &Layout,
        mask: &CpuStorage,
        mask_layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let input = values(scores, scores_layout, self.name())?;
        let mask = values(mask, mask_layout, self.name())?;
        let width = row_width(scores_layout);
        let rows_per_sequence = (input.len() / width) / self.batch_size.max(1);
        let output = fill_chunks(input, input, width, |row_index, out, row, _| {
            let sequence = row_index / rows_per_sequence.max(1);
            let row_mask = &mask[sequence * width..(sequence + 1) * width];
            let mut maximum = f32::NEG_INFINITY;
            for ((o, &s), &m) in out.iter_mut().zip(row).zip(row_mask) {
                *o = s * self.scale + m;
                maximum = maximum.max(*o);
            }
            let mut sum = 0.0f32;
            for o in out.iter_mut() {
                *o = (*o - maximum).exp();
                sum += *o;
            }
            for o in out.iter_mut() {
                *o /= sum;
            }
        });
        Ok((CpuStorage::F32(output), scores_layout.shape().clone()))
    }

    fn bwd(
        &self,
        _scores: &Tensor,
        _mask: &Tensor,
        probabilities: &Tensor,
        output_gradient: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let backward = SoftmaxBackward { scale: self.scale };
        let gradient =
            probabilities.apply_op2_no_bwd(&output_gradient.contiguous()?, &backward)?;
        Ok((Some(gradient), None))
    }
}

/// `dL/ds = scale * p * (dL/dp - sum(dL/dp * p))` per row, with the probabilities `p` first and
/// `dL/dp` second.
struct SoftmaxBackward {
    scale: f32,
}

impl CustomOp2 for SoftmaxBackward {
    fn name(&self) -> &'static str {
        "masked-softmax-backward"
    }

    fn cpu_fwd(
        &self,
        probabilities: &CpuStorage,
        probabilities_layout: &Layout,
        gradient: &CpuStorage,
        gradient_layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let probabilities_values = values(probabilities, probabilities_layout, self.name())?;
        let incoming = values(gradient, gradient_layout, self.name())?;
        let width = row_width(probabilities_layout);
        let output = fill_chunks(probabilities_values, incoming, width, |_, out, row, row_gradient| {
            let dot: f32 = row.iter().zip(row_gradient).map(|(&p, &g)| p * g).sum();
            for ((o, &p), &g) in out.iter_mut().zip(row).zip(row_gradient) {
                *o = self.scale * p * (g - dot);
            }
        });
        Ok((
            CpuStorage::F32(output),
            probabilities_layout.shape().clone(),
        ))
    }
}
