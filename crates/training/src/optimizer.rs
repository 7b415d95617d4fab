//! Adam and AdamW with their moment estimates in the open, so that a checkpoint can store and
//! restore them and a resumed run continues with exactly the same updates.
//!
//! For each parameter `p` with gradient `g`, at step `t` (counting from 1):
//! `m = beta1 m + (1 - beta1) g`, `v = beta2 v + (1 - beta2) g^2`,
//! `p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)`.
//! AdamW first shrinks the parameter, `p *= 1 - lr * weight_decay` (decoupled weight decay).
//! These are PyTorch's `torch.optim.Adam` and `AdamW` updates with their default betas and eps.

use std::collections::{BTreeMap, HashMap};

use candle_core::{Tensor, Var};
use lorasearch_runtime::config::OptimizerKind;

use crate::error::{Result, TrainingError};

/// Decay of the first moment estimate.
pub const BETA1: f64 = 0.9;
/// Decay of the second moment estimate.
pub const BETA2: f64 = 0.999;
/// Added to the denominator for numerical safety.
pub const EPSILON: f64 = 1e-8;

/// Key prefix of the first moments in [`AdamOptimizer::state_tensors`].
const FIRST_MOMENT_PREFIX: &str = "exp_avg.";
/// Key prefix of the second moments.
const SECOND_MOMENT_PREFIX: &str = "exp_avg_sq.";

/// One trainable tensor with its two moment estimates.
#[derive(Debug)]
struct Parameter {
    key: String,
    var: Var,
    first_moment: Tensor,
    second_moment: Tensor,
}

/// Adam or AdamW over a fixed list of named trainable tensors.
#[derive(Debug)]
pub struct AdamOptimizer {
    parameters: Vec<Parameter>,
    decoupled_weight_decay: f64,
    steps_taken: usize,
}

impl AdamOptimizer {
    /// Starts with zero moments. `weight_decay` applies to AdamW only; plain Adam ignores it, as
    /// the `[train]` settings document.
    ///
    /// # Errors
    /// When a moment tensor cannot be allocated.
    pub fn new(trainable: Vec<(String, Var)>, kind: OptimizerKind, weight_decay: f64) -> Result<Self> {
        let parameters = trainable
            .into_iter()
            .map(|(key, var)| {
                let zeros = var.as_tensor().zeros_like()?;
                Ok(Parameter { key, var, first_moment: zeros.clone(), second_moment: zeros })
            })
            .collect::<Result<Vec<_>>>()?;
        let decoupled_weight_decay = match kind {
            OptimizerKind::Adam => 0.0,
            OptimizerKind::Adamw => weight_decay,
        };
        Ok(Self { parameters, decoupled_weight_decay, steps_taken: 0 })
    }

    /// Number of updates applied so far.
    #[must_use]
    pub fn steps_taken(&self) -> usize {
        self.steps_taken
    }

    /// Returns the trainable tensors in their fixed order, with their keys.
    pub fn vars(&self) -> impl Iterator<Item = (&str, &Var)> {
        self.parameters.iter().map(|parameter| (parameter.key.as_str(), &parameter.var))
    }

    /// Applies one update. `gradients` are in the order of [`AdamOptimizer::vars`].
    ///
    /// # Errors
    /// When the gradient count or a shape does not match.
    pub fn step(&mut self, gradients: &[Tensor], learning_rate: f64) -> Result<()> {
        if gradients.len() != self.parameters.len() {
            return Err(TrainingError::InvalidSettings(format!(
                "{} gradients for {} trainable tensors",
                gradients.len(),
                self.parameters.len()
            )));
        }
        self.steps_taken += 1;
        let step = i32::try_from(self.steps_taken).unwrap_or(i32::MAX);
        let first_correction = 1.0 - BETA1.powi(step);
        let second_correction_sqrt = (1.0 - BETA2.powi(step)).sqrt();
        let step_size = learning_rate / first_correction;

        for (parameter, gradient) in self.parameters.iter_mut().zip(gradients) {
            let gradient = gradient.detach();
            // m + (1 - beta1) (g - m) equals beta1 m + (1 - beta1) g.
            let first_moment = (&parameter.first_moment + (gradient.sub(&parameter.first_moment)? * (1.0 - BETA1))?)?;
            let second_moment = ((&parameter.second_moment * BETA2)? + (gradient.sqr()? * (1.0 - BETA2))?)?;

            let mut value = parameter.var.as_tensor().detach();
            if self.decoupled_weight_decay > 0.0 {
                value = (value * (1.0 - learning_rate * self.decoupled_weight_decay))?;
            }
            let denominator = ((second_moment.sqrt()? / second_correction_sqrt)? + EPSILON)?;
            let update = (first_moment.div(&denominator)? * step_size)?;
            parameter.var.set(&value.sub(&update)?)?;

            parameter.first_moment = first_moment;
            parameter.second_moment = second_moment;
        }
        Ok(())
    }

    /// Returns the moment estimates under `exp_avg.<key>` and `exp_avg_sq.<key>`, for a
    /// checkpoint.
    #[must_use]
    pub fn state_tensors(&self) -> BTreeMap<String, Tensor> {
        let mut tensors = BTreeMap::new();
        for parameter in &self.parameters {
            tensors.insert(format!("{FIRST_MOMENT_PREFIX}{}", parameter.key), parameter.first_moment.clone());
            tensors.insert(format!("{SECOND_MOMENT_PREFIX}{}", parameter.key), parameter.second_moment.clone());
        }
        tensors
    }

    /// Restores the moments written by [`AdamOptimizer::state_tensors`] and the step count.
    ///
    /// # Errors
    /// When a moment is missing or has another shape; the message names its key.
    pub fn restore(&mut self, tensors: &HashMap<String, Tensor>, steps_taken: usize) -> Result<()> {
        for parameter in &mut self.parameters {
            for (prefix, slot) in [
                (FIRST_MOMENT_PREFIX, &mut parameter.first_moment),
                (SECOND_MOMENT_PREFIX, &mut parameter.second_moment),
            ] {
                let key = format!("{prefix}{}", parameter.key);
                let Some(stored) = tensors.get(&key) else {
                    return Err(TrainingError::InvalidSettings(format!("optimiser state `{key}` is missing")));
                };
                if stored.dims() != slot.dims() {
                    return Err(TrainingError::InvalidSettings(format!(
                        "optimiser state `{key}` has shape {:?}, the parameter has {:?}",
                        stored.dims(),
                        slot.dims()
                    )));
                }
                *slot = stored.clone();
            }
        }
        self.steps_taken = steps_taken;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use candle_core::Device;

    use super::*;

    fn optimizer(kind: OptimizerKind, weight_decay: f64, start: f32) -> AdamOptimizer {
        let var = Var::from_vec(vec![start], 1, &Device::Cpu).unwrap();
        AdamOptimizer::new(vec![("w".to_owned(), var)], kind, weight_decay).unwrap()
    }

    fn value(optimizer: &AdamOptimizer) -> f32 {
        let (_, var) = optimizer.vars().next().unwrap();
        var.as_tensor().to_vec1::<f32>().unwrap()[0]
    }

    fn gradient(value: f32) -> Vec<Tensor> {
        vec![Tensor::new(&[value], &Device::Cpu).unwrap()]
    }

    #[test]
    fn adam_first_step_moves_by_learning_rate() {
        // After bias correction, the first update is lr * g / (|g| + eps), about lr.
        let mut adam = optimizer(OptimizerKind::Adam, 0.0, 1.0);
        adam.step(&gradient(0.5), 0.1).unwrap();
        assert!((value(&adam) - 0.9).abs() < 1e-6, "{}", value(&adam));
    }

    #[test]
    fn adam_matches_reference_after_two_steps() {
        // Computed by hand from the update formulas: gradients 0.5 then -0.25, lr 0.1.
        let mut adam = optimizer(OptimizerKind::Adam, 0.0, 1.0);
        adam.step(&gradient(0.5), 0.1).unwrap();
        adam.step(&gradient(-0.25), 0.1).unwrap();
        let m = 0.9 * 0.05 + 0.1 * -0.25;
        let v = 0.999 * (0.001 * 0.25) + 0.001 * 0.0625;
        let m_hat = m / (1.0 - 0.9f64.powi(2));
        let v_hat = v / (1.0 - 0.999f64.powi(2));
        let expected = 0.9 - 0.1 * m_hat / (v_hat.sqrt() + 1e-8);
        assert!((f64::from(value(&adam)) - expected).abs() < 1e-6, "{} vs {expected}", value(&adam));
    }

    #[test]
    fn adam_ignores_weight_decay() {
        let mut adam = optimizer(OptimizerKind::Adam, 0.5, 1.0);
        adam.step(&gradient(0.5), 0.1).unwrap();
        assert!((value(&adam) - 0.9).abs() < 1e-6);
    }

    #[test]
    fn adamw_shrinks_before_update() {
        let mut adamw = optimizer(OptimizerKind::Adamw, 0.5, 1.0);
        adamw.step(&gradient(0.5), 0.1).unwrap();
        assert!((value(&adamw) - 0.85).abs() < 1e-6, "{}", value(&adamw));
    }

    #[test]
    fn restored_optimizer_continues_identically() {
        let mut uninterrupted = optimizer(OptimizerKind::Adam, 0.0, 1.0);
        uninterrupted.step(&gradient(0.5), 0.1).unwrap();
        let saved: HashMap<String, Tensor> = uninterrupted.state_tensors().into_iter().collect();

        let mut resumed = optimizer(OptimizerKind::Adam, 0.0, value(&uninterrupted));
        resumed.restore(&saved, 1).unwrap();
        uninterrupted.step(&gradient(-0.25), 0.1).unwrap();
        resumed.step(&gradient(-0.25), 0.1).unwrap();
        assert_eq!(value(&resumed).to_bits(), value(&uninterrupted).to_bits());
    }

    #[test]
    fn restore_names_missing_moment() {
        let mut adam = optimizer(OptimizerKind::Adam, 0.0, 1.0);
        let message = adam.restore(&HashMap::new(), 1).unwrap_err().to_string();
        assert!(message.contains("exp_avg.w"), "{message}");
    }
}
