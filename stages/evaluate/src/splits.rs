//! The labelled pairs of one evaluation split, as rows of the tokenized query and title tables.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use lorasearch_data::tables::{TokenTable, read_pair_index};

/// The splits the stage evaluates, in report order.
pub const SPLIT_NAMES: [&str; 2] = ["validation", "test"];

/// The pairs of one split that are evaluated.
#[derive(Debug, Clone)]
pub struct EvaluationSplit {
    pub name: &'static str,
    /// Pairs in the split, before `max_pairs`.
    pub pairs_available: usize,
    /// Row in the query token table, per pair.
    pub query_rows: Vec<u32>,
    /// Row in the title token table, per pair.
    pub title_rows: Vec<u32>,
    /// 1 relevant, 0 not, per pair.
    pub relevance_labels: Vec<u8>,
}

impl EvaluationSplit {
    /// Reads a pair index written by tokenize and keeps its first `max_pairs` pairs (all of them
    /// when `max_pairs` is 0). Every row must point into the token tables and carry label 0 or 1.
    pub fn load(path: &Path, name: &'static str, max_pairs: usize, query_count: usize, title_count: usize) -> anyhow::Result<Self> {
        let index = read_pair_index(path).with_context(|| format!("reading the {name} pairs"))?;
        let pairs_available = index.len();
        let kept_pairs = if max_pairs == 0 { pairs_available } else { pairs_available.min(max_pairs) };

        let mut relevance_labels = Vec::with_capacity(kept_pairs);
        for row in 0..kept_pairs {
            let query_row = index.query_index[row] as usize;
            let title_row = index.title_index[row] as usize;
            let label = index.relevance_labels[row];
            anyhow::ensure!(
                query_row < query_count && title_row < title_count,
                "{} row {}: query_index {query_row} or title_index {title_row} is outside the token tables ({query_count} queries, {title_count} titles); rerun lorasearch-tokenize --force",
                path.display(),
                row + 1
            );
            let label = u8::try_from(label).ok().filter(|label| *label <= 1).with_context(|| {
                format!("{} row {}: relevance_label is {label}, not 0 or 1; rerun lorasearch-ingest --force", path.display(), row + 1)
            })?;
            relevance_labels.push(label);
        }

        let mut query_rows = index.query_index;
        let mut title_rows = index.title_index;
        query_rows.truncate(kept_pairs);
        title_rows.truncate(kept_pairs);
        Ok(Self { name, pairs_available, query_rows, title_rows, relevance_labels })
    }

    pub fn pairs(&self) -> usize {
        self.relevance_labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.relevance_labels.is_empty()
    }

    /// Collects the distinct texts this split uses, each once, and the positions of each pair's
    /// query and title among them.
    pub fn used_texts(&self, queries: &TokenTable, titles: &TokenTable) -> UsedTexts {
        let mut used = UsedTexts::default();
        let mut query_position: HashMap<u32, usize> = HashMap::new();
        let mut title_position: HashMap<u32, usize> = HashMap::new();

        for (&query_row, &title_row) in self.query_rows.iter().zip(&self.title_rows) {
            let query = *query_position.entry(query_row).or_insert_with(|| {
                used.token_ids.push(queries.token_ids[query_row as usize].clone());
                used.token_ids.len() - 1
            });
            let title = *title_position.entry(title_row).or_insert_with(|| {
                used.token_ids.push(titles.token_ids[title_row as usize].clone());
                used.token_ids.len() - 1
            });
            used.pair_positions.push((query, title));
        }
        used.distinct_queries = query_position.len();
        used.distinct_titles = title_position.len();
        used
    }
}

/// Token ids of the distinct queries and titles of a split, in one list.
#[derive(Debug, Clone, Default)]
pub struct UsedTexts {
    pub token_ids: Vec<Vec<u32>>,
    /// Per pair: the positions of its query and of its title in `token_ids`.
    pub pair_positions: Vec<(usize, usize)>,
    pub distinct_queries: usize,
    pub distinct_titles: usize,
}
