//! Each fused kernel against the candle operations it replaces: the same values forward, the
//! same gradient of the input backward.

use candle_core::backprop::GradStore;
use candle_core::{Device, Tensor, Var};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{dropout, frozen_linear, gelu_erf, layer_norm, masked_softmax};
use crate::layer_norm::written_out as written_out_layer_norm;
use crate::linear::matmul_transposed;
use crate::ops::{DropoutRng, softmax_last_dim, written_out_dropout};

/// Values drawn uniformly from `[-scale, scale)` with a fixed seed.
fn random(shape: &[usize], scale: f32, seed: u64) -> Tensor {
    let mut rng = StdRng::seed_from_u64(seed);
    let count = shape.iter().product();
    let values: Vec<f32> = (0..count).map(|_| rng.random_range(-scale..scale)).collect();
    Tensor::from_vec(values, shape, &Device::Cpu).unwrap()
}

fn max_abs_difference(left: &Tensor, right: &Tensor) -> f32 {
    left.sub(right)
        .unwrap()
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

/// Returns the output of `op` on a trainable copy of `input`, and the gradient of `sum(output * weights)`
/// with respect to the input, where `weights` are fixed random numbers.
fn output_and_input_gradient(
    input: &Tensor,
    op: impl Fn(&Tensor) -> Tensor,
) -> (Tensor, Tensor, GradStore) {
    let var = Var::from_tensor(input).unwrap();
    let output = op(var.as_tensor());
    let weights = random(output.dims(), 1.0, 99);
    let gradients = output.mul(&weights).unwrap().sum_all().unwrap().backward().unwrap();
    let input_gradient = gradients.get(var.as_tensor()).unwrap().clone();
    (output, input_gradient, gradients)
}

#[test]
fn frozen_linear_output_matches_written_out() {
    let xs = random(&[3, 5, 16], 1.0, 1);
    let weight = random(&[24, 16], 0.5, 2);
    let bias = random(&[24], 0.5, 3);
    let expected = matmul_transposed(&xs, &weight).unwrap().broadcast_add(&bias).unwrap();
    let fused = frozen_linear(&xs, &weight, &bias).unwrap();
    assert!(max_abs_difference(&fused, &expected) < 1e-6);
}

#[test]
fn frozen_linear_input_gradient_matches_written_out() {
    let xs = random(&[3, 5, 16], 1.0, 1);
    let weight = random(&[24, 16], 0.5, 2);
    let bias = random(&[24], 0.5, 3);
    let (_, expected, _) = output_and_input_gradient(&xs, |x| {
        matmul_transposed(x, &weight).unwrap().broadcast_add(&bias).unwrap()
    });
    let (_, fused, _) = output_and_input_gradient(&xs, |x| frozen_linear(x, &weight, &bias).unwrap());
    assert!(max_abs_difference(&fused, &expected) < 1e-5);
}

#[test]
fn frozen_linear_computes_no_weight_gradient() {
    let xs = random(&[2, 4, 8], 1.0, 4);
    let weight = random(&[6, 8], 0.5, 5);
    let bias = random(&[6], 0.5, 6);
    let (_, _, gradients) = output_and_input_gradient(&xs, |x| frozen_linear(x, &weight, &bias).unwrap());
    assert!(gradients.get(&weight).is_none());
}

#[test]
fn frozen_linear_of_untracked_input_records_no_operation() {
    let xs = random(&[2, 4, 8], 1.0, 4);
    let weight = random(&[6, 8], 0.5, 5);
    let bias = random(&[6], 0.5, 6);
    assert!(!frozen_linear(&xs, &weight, &bias).unwrap().track_op());
}

#[test]
fn gelu_erf_output_matches_candle() {
    let xs = random(&[4, 7, 32], 6.0, 7);
    let expected = xs.gelu_erf().unwrap();
    assert!(max_abs_difference(&gelu_erf(&xs).unwrap(), &expected) < 1e-6);
}

#[test]
fn gelu_erf_input_gradient_matches_candle() {
    let xs = random(&[4, 7, 32], 6.0, 7);
    let (_, expected, _) = output_and_input_gradient(&xs, |x| x.gelu_erf().unwrap());
    let (_, fused, _) = output_and_input_gradient(&xs, |x| gelu_erf(x).unwrap());
    assert!(max_abs_difference(&fused, &expected) < 1e-5);
}

#[test]
fn gelu_erf_of_zero_is_zero() {
    let xs = Tensor::zeros(4, candle_core::DType::F32, &Device::Cpu).unwrap();
    assert_eq!(gelu_erf(&xs).unwrap().to_vec1::<f32>().unwrap(), vec![0.0; 4]);
}

#[test]
fn layer_norm_output_matches_written_out() {
    let xs = random(&[3, 6, 48], 3.0, 8);
    let weight = random(&[48], 1.0, 9);
    let bias = random(&[48], 1.0, 10);
    let expected = written_out_layer_norm(&xs, &weight, &bias, 1e-12).unwrap();
    let fused = layer_norm(&xs, &weight, &bias, 1e-12).unwrap();
    assert!(max_abs_difference(&fused, &expected) < 1e-5);
}

#[test]
fn layer_norm_input_gradient_matches_written_out() {
    let xs = random(&[3, 6, 48], 3.0, 8);
    let weight = random(&[48], 1.0, 9);
    let bias = random(&[48], 1.0, 10);
    let (_, expected, _) =
        output_and_input_gradient(&xs, |x| written_out_layer_norm(x, &weight, &bias, 1e-12).unwrap());
    let (_, fused, _) = output_and_input_gradient(&xs, |x| layer_norm(x, &weight, &bias, 1e-12).unwrap());
    assert!(max_abs_difference(&fused, &expected) < 1e-4);
}

#[test]
fn layer_norm_rejects_a_scale_of_another_width() {
    let xs = random(&[2, 8], 1.0, 11);
    let weight = random(&[6], 1.0, 12);
    let bias = random(&[6], 1.0, 13);
    assert!(layer_norm(&xs, &weight, &bias, 1e-12).is_err());
}

/// Scores `[2, 3, 5, 5]` and a mask that pads the last two keys of the second sequence.
fn attention_case() -> (Tensor, Tensor) {
    let scores = random(&[2, 3, 5, 5], 4.0, 14);
    let mask = Tensor::from_vec(
        vec![0.0f32, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0e9, -1.0e9],
        (2, 1, 1, 5),
        &Device::Cpu,
    )
    .unwrap();
    (scores, mask)
}

fn written_out_attention(scores: &Tensor, mask: &Tensor, scale: f64) -> Tensor {
    softmax_last_dim(&scores.affine(scale, 0.0).unwrap().broadcast_add(mask).unwrap()).unwrap()
}

#[test]
fn masked_softmax_output_matches_written_out() {
    let (scores, mask) = attention_case();
    let expected = written_out_attention(&scores, &mask, 0.125);
    let fused = masked_softmax(&scores, &mask, 0.125).unwrap();
    assert!(max_abs_difference(&fused, &expected) < 1e-6);
}

#[test]
fn masked_softmax_input_gradient_matches_written_out() {
    let (scores, mask) = attention_case();
    let (_, expected, _) = output_and_input_gradient(&scores, |s| written_out_attention(s, &mask, 0.125));
    let (_, fused, _) = output_and_input_gradient(&scores, |s| masked_softmax(s, &mask, 0.125).unwrap());
    assert!(max_abs_difference(&fused, &expected) < 1e-6);
}

#[test]
fn masked_softmax_gives_padded_keys_zero_weight() {
    let (scores, mask) = attention_case();
    let fused = masked_softmax(&scores, &mask, 0.125).unwrap();
    let padded = fused.get(1).unwrap().narrow(2, 3, 2).unwrap();
    assert_eq!(padded.flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap(), 0.0);
}

#[test]
fn masked_softmax_rejects_a_mask_of_another_size() {
    let (scores, _) = attention_case();
    let mask = Tensor::zeros((2, 1, 1, 4), candle_core::DType::F32, &Device::Cpu).unwrap();
    assert!(masked_softmax(&scores, &mask, 0.125).is_err());
}

#[test]
fn dropout_output_equals_written_out() {
    let xs = random(&[4, 9, 16], 1.0, 15);
    let expected = written_out_dropout(&xs, 0.1, &mut DropoutRng::seeded(3)).unwrap();
    let fused = dropout(&xs, 0.1, &mut DropoutRng::seeded(3)).unwrap();
    assert_eq!(max_abs_difference(&fused, &expected), 0.0);
}

#[test]
fn dropout_input_gradient_equals_written_out() {
    let xs = random(&[4, 9, 16], 1.0, 15);
    let (_, expected, _) =
        output_and_input_gradient(&xs, |x| written_out_dropout(x, 0.1, &mut DropoutRng::seeded(3)).unwrap());
    let (_, fused, _) = output_and_input_gradient(&xs, |x| dropout(x, 0.1, &mut DropoutRng::seeded(3)).unwrap());
    assert_eq!(max_abs_difference(&fused, &expected), 0.0);
}
