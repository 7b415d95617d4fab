//! Gradients between the backward passes and the optimiser: summed over the micro-batches of a
//! step (gradient accumulation), and scaled down when their global norm is too large.

use candle_core::{Tensor, Var};

use crate::error::Result;

/// Per-tensor sums of gradients over the micro-batches of one optimiser step.
#[derive(Debug)]
pub struct GradientSums {
    sums: Vec<Option<Tensor>>,
}

impl GradientSums {
    #[must_use]
    pub fn new(tensor_count: usize) -> Self {
        Self { sums: vec![None; tensor_count] }
    }

    /// Adds the gradient of every var from one backward pass. A var the loss does not reach gets
    /// a zero gradient.
    ///
    /// # Errors
    /// When shapes disagree.
    pub fn add<'a>(&mut self, store: &candle_core::backprop::GradStore, vars: impl Iterator<Item = &'a Var>) -> Result<()> {
        for (slot, var) in self.sums.iter_mut().zip(vars) {
            let gradient = match store.get(var.as_tensor()) {
                Some(gradient) => gradient.detach(),
                None => var.as_tensor().zeros_like()?,
            };
            *slot = Some(match slot.take() {
                Some(sum) => sum.add(&gradient)?,
                None => gradient,
            });
        }
        Ok(())
    }

    /// Returns the summed gradients, in var order.
    ///
    /// # Errors
    /// When a zero tensor cannot be made for a var that received no gradient.
    pub fn into_gradients<'a>(self, vars: impl Iterator<Item = &'a Var>) -> Result<Vec<Tensor>> {
        self.sums
            .into_iter()
            .zip(vars)
            .map(|(sum, var)| match sum {
                Some(sum) => Ok(sum),
                None => Ok(var.as_tensor().zeros_like()?),
            })
            .collect()
    }
}

/// Computes the L2 norm of all gradients together, as if they were one vector.
///
/// # Errors
/// When a tensor operation fails.
pub fn global_norm(gradients: &[Tensor]) -> Result<f64> {
    let mut squared_sum = 0.0f64;
    for gradient in gradients {
        squared_sum += f64::from(gradient.sqr()?.sum_all()?.to_scalar::<f32>()?);
    }
    Ok(squared_sum.sqrt())
}

/// Scales every gradient by `max_norm / (norm + 1e-6)` when `norm` is above `max_norm`, as
/// PyTorch's `clip_grad_norm_` does; leaves them alone otherwise.
///
/// # Errors
/// When a tensor operation fails.
pub fn clip_to_norm(gradients: Vec<Tensor>, norm: f64, max_norm: f64) -> Result<Vec<Tensor>> {
    let factor = max_norm / (norm + 1e-6);
    if factor >= 1.0 {
        return Ok(gradients);
    }
    gradients.into_iter().map(|gradient| Ok((gradient * factor)?)).collect()
}

#[cfg(test)]
mod tests {
    use candle_core::Device;

    use super::*;

    fn tensor(values: &[f32]) -> Tensor {
        Tensor::new(values, &Device::Cpu).unwrap()
    }

    #[test]
    fn global_norm_spans_all_tensors() {
        let norm = global_norm(&[tensor(&[3.0]), tensor(&[4.0])]).unwrap();
        assert!((norm - 5.0).abs() < 1e-9);
    }

    #[test]
    fn clip_to_norm_scales_down_to_max() {
        let clipped = clip_to_norm(vec![tensor(&[3.0]), tensor(&[4.0])], 5.0, 1.0).unwrap();
        assert!((global_norm(&clipped).unwrap() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn clip_to_norm_keeps_small_gradients() {
        let clipped = clip_to_norm(vec![tensor(&[0.3])], 0.3, 1.0).unwrap();
        assert_eq!(clipped[0].to_vec1::<f32>().unwrap(), vec![0.3]);
    }

    #[test]
    fn gradient_sums_add_backward_passes() {
        let var = Var::new(&[1.0f32, 2.0], &Device::Cpu).unwrap();
        let mut sums = GradientSums::new(1);
        for _ in 0..2 {
            let store = var.as_tensor().sqr().unwrap().sum_all().unwrap().backward().unwrap();
            sums.add(&store, std::iter::once(&var)).unwrap();
        }
        let gradients = sums.into_gradients(std::iter::once(&var)).unwrap();
        assert_eq!(gradients[0].to_vec1::<f32>().unwrap(), vec![4.0, 8.0]);
    }
}
