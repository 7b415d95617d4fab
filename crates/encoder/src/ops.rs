//! Tensor functions the layers share, each with a backward pass, so that gradients reach the
//! LoRA weights through every layer.
//!
//! candle-nn's fused `softmax_last_dim` and `LayerNorm` kernels have no backward pass, which is
//! why the softmax here is written out from `exp`, `sum` and a division. On the CPU the encoder
//! runs the kernels of `fused` instead; these versions serve other devices.

use candle_core::{D, Tensor};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::error::Result;

/// The random source of dropout while training.
///
/// Dropout draws its masks from this seeded generator rather than from candle's global one, so a
/// training run with the same seed and data draws the same masks.
#[derive(Debug, Clone)]
pub struct DropoutRng {
    rng: StdRng,
}

impl DropoutRng {
    /// A generator whose masks depend only on `seed`.
    #[must_use]
    pub fn seeded(seed: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// Returns the next draw, uniform on `[0, 1)`. One draw per element decides whether it is
    /// dropped.
    pub(crate) fn draw(&mut self) -> f32 {
        self.rng.random::<f32>()
    }
}

/// Zeroes each element with probability `probability` and scales the rest by
/// `1 / (1 - probability)`, as PyTorch's `Dropout` does in training mode.
///
/// Without a generator (inference) it returns the input unchanged.
pub(crate) fn dropout(
    xs: &Tensor,
    probability: f32,
    rng: Option<&mut DropoutRng>,
) -> Result<Tensor> {
    let Some(rng) = rng else {
        return Ok(xs.clone());
    };
    if probability <= 0.0 {
        return Ok(xs.clone());
    }

    if crate::fused::supports(xs) {
        return crate::fused::dropout(xs, probability, rng);
    }
    written_out_dropout(xs, probability, rng)
}

/// Applies dropout with candle operations, for other devices. On the CPU,
/// [`crate::fused::dropout`] draws the same masks from the same generator.
pub(crate) fn written_out_dropout(
    xs: &Tensor,
    probability: f32,
    rng: &mut DropoutRng,
) -> Result<Tensor> {
    let keep_scale = 1.0 / (1.0 - probability);
    let mask: Vec<f32> = (0..xs.elem_count())
        .map(|_| {
            if rng.draw() < probability {
                0.0
            } else {
                keep_scale
            }
        })
        .collect();
    let mask = Tensor::from_vec(mask, xs.shape(), xs.device())?.to_dtype(xs.dtype())?;
    Ok(xs.mul(&mask)?)
}

/// Softmax over the last dimension.
///
/// The row maximum is subtracted for numerical safety and detached: softmax does not change when
/// a constant is subtracted from a row, so no gradient flows through it.
pub(crate) fn softmax_last_dim(xs: &Tensor) -> Result<Tensor> {
    let row_max = xs.max_keepdim(D::Minus1)?.detach();
    let exponentials = xs.broadcast_sub(&row_max)?.exp()?;
    let row_sum = exponentials.sum_keepdim(D::Minus1)?;
    Ok(exponentials.broadcast_div(&row_sum)?)
}
