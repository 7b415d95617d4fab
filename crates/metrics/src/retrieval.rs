//! Ranking quality of a retrieval run: Recall@k, nDCG@k and MRR@k with binary relevance.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

/// Mean ranking metrics over the queries that have at least one relevant item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetrievalReport {
    pub k: usize,
    /// Queries with at least one relevant item; the others are left out of every mean.
    pub queries: usize,
    pub recall_at_k: f64,
    pub ndcg_at_k: f64,
    pub mrr_at_k: f64,
}

/// Scores ranked lists against sets of relevant ids, query by query.
///
/// - Recall@k: relevant items in the top k over all relevant items of the query.
/// - nDCG@k: DCG with gain 1 per relevant item and discount 1 / log2(rank + 1), over the DCG of
///   an ideal ranking that puts min(k, relevant) relevant items first.
/// - MRR@k: 1 / rank of the first relevant item in the top k, 0 when there is none.
pub fn retrieval_report<T: Eq + std::hash::Hash>(ranked: &[Vec<T>], relevant: &[HashSet<T>], k: usize) -> RetrievalReport {
    let mut queries = 0usize;
    let (mut recall, mut ndcg, mut mrr) = (0.0, 0.0, 0.0);
    for (ranking, relevant) in ranked.iter().zip(relevant) {
        if relevant.is_empty() {
            continue;
        }
        queries += 1;
        let top = &ranking[..ranking.len().min(k)];
        let found = top.iter().filter(|item| relevant.contains(item)).count();
        recall += found as f64 / relevant.len() as f64;

        let dcg: f64 = top
            .iter()
            .enumerate()
            .filter(|(_, item)| relevant.contains(item))
            .map(|(position, _)| 1.0 / (position as f64 + 2.0).log2())
            .sum();
        let ideal: f64 = (0..relevant.len().min(k)).map(|position| 1.0 / (position as f64 + 2.0).log2()).sum();
        ndcg += dcg / ideal;

        if let Some(position) = top.iter().position(|item| relevant.contains(item)) {
            mrr += 1.0 / (position as f64 + 1.0);
        }
    }
    let mean = |total: f64| if queries == 0 { 0.0 } else { total / queries as f64 };
    RetrievalReport { k, queries, recall_at_k: mean(recall), ndcg_at_k: mean(ndcg), mrr_at_k: mean(mrr) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_query() -> RetrievalReport {
        // Relevant {b, d}; ranking a, b, c, d. Recall@3 = 1/2. DCG@3 = 1/log2(3);
        // ideal DCG@3 = 1 + 1/log2(3); MRR@3 = 1/2.
        let ranked = vec![vec!["a", "b", "c", "d"]];
        let relevant = vec![HashSet::from(["b", "d"])];
        retrieval_report(&ranked, &relevant, 3)
    }

    #[test]
    fn recall_counts_relevant_in_top_k() {
        assert_eq!(one_query().recall_at_k, 0.5);
    }

    #[test]
    fn ndcg_divides_by_ideal_ranking() {
        let expected = (1.0 / 3f64.log2()) / (1.0 + 1.0 / 3f64.log2());
        assert!((one_query().ndcg_at_k - expected).abs() < 1e-12);
    }

    #[test]
    fn mrr_uses_first_relevant_rank() {
        assert_eq!(one_query().mrr_at_k, 0.5);
    }

    #[test]
    fn queries_without_relevant_items_are_skipped() {
        let ranked = vec![vec![1, 2], vec![3, 4]];
        let relevant = vec![HashSet::new(), HashSet::from([3])];
        let report = retrieval_report(&ranked, &relevant, 2);
        assert_eq!(report.queries, 1);
        assert_eq!(report.mrr_at_k, 1.0);
    }
}
