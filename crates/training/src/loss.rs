//! The pair loss of the PEFT semantic-similarity example.
//!
//! With `cos` the dot product of a query's and a title's unit-length embeddings, a relevant pair
//! (label 1) costs `(1 - cos)^2` and an irrelevant pair (label 0) costs `max(cos, 0)^2`: relevant
//! pairs are pulled to cosine 1, irrelevant ones pushed to cosine 0 or below. The batch loss is
//! the mean over pairs.

use candle_core::{D, Tensor};

use crate::error::Result;

/// Mean pair loss of a batch: `query_embeddings` and `title_embeddings` are `[n, hidden]` with
/// unit-length rows, `labels` is `[n]` with values 0 or 1. Returns a scalar tensor.
///
/// # Errors
/// When the shapes disagree.
pub fn pair_loss(query_embeddings: &Tensor, title_embeddings: &Tensor, labels: &Tensor) -> Result<Tensor> {
    let cosine = query_embeddings.mul(title_embeddings)?.sum(D::Minus1)?;
    let relevant_cost = labels.mul(&cosine.affine(-1.0, 1.0)?)?;
    let irrelevant_cost = labels.affine(-1.0, 1.0)?.mul(&cosine)?.relu()?;
    Ok(relevant_cost.add(&irrelevant_cost)?.sqr()?.mean_all()?)
}

#[cfg(test)]
mod tests {
    use candle_core::Device;

    use super::*;

    fn unit_rows(rows: &[[f32; 2]]) -> Tensor {
        let values: Vec<f32> = rows.iter().flatten().copied().collect();
        Tensor::from_vec(values, (rows.len(), 2), &Device::Cpu).unwrap()
    }

    fn loss_of(query: [f32; 2], title: [f32; 2], label: f32) -> f32 {
        let labels = Tensor::new(&[label], &Device::Cpu).unwrap();
        pair_loss(&unit_rows(&[query]), &unit_rows(&[title]), &labels).unwrap().to_scalar::<f32>().unwrap()
    }

    #[test]
    fn pair_loss_relevant_identical_is_zero() {
        assert_eq!(loss_of([1.0, 0.0], [1.0, 0.0], 1.0), 0.0);
    }

    #[test]
    fn pair_loss_relevant_orthogonal_is_one() {
        assert_eq!(loss_of([1.0, 0.0], [0.0, 1.0], 1.0), 1.0);
    }

    #[test]
    fn pair_loss_irrelevant_identical_is_one() {
        assert_eq!(loss_of([1.0, 0.0], [1.0, 0.0], 0.0), 1.0);
    }

    #[test]
    fn pair_loss_irrelevant_opposite_is_zero() {
        assert_eq!(loss_of([1.0, 0.0], [-1.0, 0.0], 0.0), 0.0);
    }

    #[test]
    fn pair_loss_is_mean_over_pairs() {
        let labels = Tensor::new(&[1.0f32, 0.0], &Device::Cpu).unwrap();
        let query = unit_rows(&[[1.0, 0.0], [1.0, 0.0]]);
        let title = unit_rows(&[[0.0, 1.0], [-1.0, 0.0]]);
        let loss = pair_loss(&query, &title, &labels).unwrap().to_scalar::<f32>().unwrap();
        assert_eq!(loss, 0.5);
    }
}
