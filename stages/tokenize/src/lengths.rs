//! The token-length distribution that tokenize reports.

use serde::Serialize;

/// Percentiles of token lengths before truncation, special tokens included.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LengthSummary {
    pub p50_tokens: u32,
    pub p95_tokens: u32,
    pub max_tokens: u32,
    pub mean_tokens: f64,
    /// Texts longer than max_length_tokens.
    pub truncated: usize,
    pub share_truncated: f64,
}

impl LengthSummary {
    /// Summarises `lengths`; percentiles use the nearest-rank method.
    pub fn from_lengths(lengths: &[u32], max_length_tokens: usize) -> Self {
        let mut sorted = lengths.to_vec();
        sorted.sort_unstable();
        let nearest_rank = |percent: usize| -> u32 {
            if sorted.is_empty() {
                return 0;
            }
            let rank = (percent * sorted.len()).div_ceil(100).max(1);
            sorted[rank - 1]
        };
        let truncated = lengths.iter().filter(|&&length| length as usize > max_length_tokens).count();
        let total: u64 = lengths.iter().map(|&length| u64::from(length)).sum();
        let count = lengths.len().max(1) as f64;
        Self {
            p50_tokens: nearest_rank(50),
            p95_tokens: nearest_rank(95),
            max_tokens: sorted.last().copied().unwrap_or(0),
            mean_tokens: total as f64 / count,
            truncated,
            share_truncated: truncated as f64 / count,
        }
    }
}

impl std::fmt::Display for LengthSummary {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "tokens p50 {}, p95 {}, max {}, {:.1}% truncated",
            self.p50_tokens,
            self.p95_tokens,
            self.max_tokens,
            self.share_truncated * 100.0
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let lengths: Vec<u32> = (1..=20).collect();
        let summary = LengthSummary::from_lengths(&lengths, 18);
        assert_eq!(summary.p50_tokens, 10);
        assert_eq!(summary.p95_tokens, 19);
        assert_eq!(summary.max_tokens, 20);
        assert_eq!(summary.truncated, 2);
    }
}
