//! The ingest logic: read the configured source, map labels, drop what the rules drop (and count
//! it), assign splits, and build the pair tables and the product catalog.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use lorasearch_runtime::config::{IngestSection, SourceFormat, SplitMethod, UnknownLabelPolicy};

use crate::columns::{RawLabel, Table};
use crate::error::IngestError;
use crate::labels::{LabelProblem, map_label};
use crate::read::read_table;
use crate::split::{Split, blake2b_mod10_split, query_group_key, split_for_query};

/// One labelled (query, product) pair as ingest writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub query: String,
    pub product_id: String,
    pub product_title: String,
    /// 1 relevant, 0 not.
    pub relevance_label: i32,
    /// The label as the source stores it, so the mapping can be audited.
    pub relevance_raw: String,
    /// 1-based row of the pair in the source file (the examples file for ESCI).
    pub source_row: i64,
}

/// Everything ingest produces, before it is written.
#[derive(Debug, Default)]
pub struct Ingested {
    pub splits: BTreeMap<Split, Vec<Pair>>,
    /// Unique products of the kept pairs: (product_id, product_title), ordered by product_id.
    pub catalog: Vec<(String, String)>,
    pub rows_read: usize,
    /// Rows removed by a configured filter (locale, small_version), per filter.
    pub filtered: BTreeMap<&'static str, usize>,
    /// Rows dropped by a rule, per reason.
    pub dropped: BTreeMap<&'static str, usize>,
    /// Products whose id appears with more than one title; the first title is kept.
    pub catalog_title_conflicts: usize,
    /// Queries that an input split column puts in more than one split.
    pub queries_in_several_splits: usize,
}

/// A source row before the rules run.
struct SourceRow {
    row: usize,
    query: Option<String>,
    product_id: Option<String>,
    product_title: Option<String>,
    label: RawLabel,
    split: Option<String>,
}

/// Runs ingest for `settings`; relative paths in them are resolved with `resolve`.
pub fn ingest(settings: &IngestSection, seed: u64, resolve: impl Fn(&Path) -> PathBuf) -> Result<Ingested, IngestError> {
    let path = resolve(&settings.path);
    let mut ingested = Ingested::default();
    let rows = match settings.format {
        SourceFormat::Esci => {
            let products = settings.products_path.as_deref().map(&resolve).unwrap_or_default();
            read_esci(settings, &path, &products, &mut ingested)?
        }
        SourceFormat::Pairs => read_pairs(settings, &path, &mut ingested)?,
    };

    let pairs = apply_rules(settings, &path, rows, &mut ingested)?;
    if pairs.is_empty() {
        let reasons = ingested
            .filtered
            .iter()
            .chain(ingested.dropped.iter())
            .map(|(reason, count)| format!("{reason}: {count}"))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(IngestError::NothingKept { path, reasons });
    }

    assign_splits(settings, seed, pairs, &mut ingested);
    build_catalog(&mut ingested);
    Ok(ingested)
}

fn read_esci(settings: &IngestSection, examples_path: &Path, products_path: &Path, ingested: &mut Ingested) -> Result<Vec<SourceRow>, IngestError> {
    let examples_frame = read_table(examples_path, settings.file_type, settings.text_encoding)?;
    let examples = Table { frame: &examples_frame, path: examples_path };
    let fix = "The ESCI examples file (shopping_queries_dataset_examples.parquet) has this column as released.";
    let queries = examples.text("query", "query text", fix, false)?;
    let product_ids = examples.text("product_id", "product id", fix, true)?;
    let labels = examples.labels("esci_label", fix)?;
    let locales = if examples.has_column("product_locale") || settings.product_locale.is_some() {
        Some(examples.text("product_locale", "product locale", fix, false)?)
    } else {
        None
    };
    let small_flags = match settings.small_version {
        Some(_) => Some(examples.flags("small_version", "small_version flag", fix)?),
        None => None,
    };
    let splits = match settings.split.method {
        SplitMethod::Column => Some(examples.text("split", "split", fix, false)?),
        SplitMethod::Hash | SplitMethod::Blake2bMod10 => None,
    };

    let products_frame = read_table(products_path, settings.file_type, settings.text_encoding)?;
    let products = Table { frame: &products_frame, path: products_path };
    let fix = "The ESCI products file (shopping_queries_dataset_products.parquet) has this column as released.";
    let product_keys = products.text("product_id", "product id", fix, true)?;
    let titles = products.text("product_title", "product title", fix, false)?;
    let product_locales = match (&locales, products.has_column("product_locale")) {
        (Some(_), true) => Some(products.text("product_locale", "product locale", fix, false)?),
        _ => None,
    };

    // ESCI products are keyed by (product_id, product_locale): one ASIN has a title per locale.
    let mut title_of: HashMap<(String, String), Option<String>> = HashMap::with_capacity(product_keys.len());
    for (index, product_id) in product_keys.iter().enumerate() {
        let Some(product_id) = product_id else { continue };
        let locale = product_locales.as_ref().and_then(|column| column[index].clone()).unwrap_or_default();
        title_of.entry((product_id.clone(), locale)).or_insert_with(|| titles[index].clone());
    }

    ingested.rows_read = queries.len();
    let mut rows = Vec::with_capacity(queries.len());
    let mut candidates = 0usize;
    let mut joined = 0usize;
    for index in 0..queries.len() {
        let locale = locales.as_ref().and_then(|column| column[index].clone());
        if let Some(wanted) = &settings.product_locale {
            if locale.as_deref() != Some(wanted.as_str()) {
                *ingested.filtered.entry("product_locale").or_default() += 1;
                continue;
            }
        }
        if let (Some(wanted), Some(flags)) = (settings.small_version, &small_flags) {
            if flags[index] != Some(wanted) {
                *ingested.filtered.entry("small_version").or_default() += 1;
                continue;
            }
        }
        candidates += 1;

        let join_locale = if product_locales.is_some() { locale.unwrap_or_default() } else { String::new() };
        let title = product_ids[index]
            .as_ref()
            .and_then(|product_id| title_of.get(&(product_id.clone(), join_locale)));
        let Some(title) = title else {
            *ingested.dropped.entry("product_not_found").or_default() += 1;
            continue;
        };
        joined += 1;
        rows.push(SourceRow {
            row: index + 1,
            query: queries[index].clone(),
            product_id: product_ids[index].clone(),
            product_title: title.clone(),
            label: labels[index].clone(),
            split: splits.as_ref().and_then(|column| column[index].clone()),
        });
    }

    if candidates > 0 && joined == 0 {
        return Err(IngestError::EmptyJoin {
            examples: examples_path.to_path_buf(),
            products: products_path.to_path_buf(),
            rows: candidates,
        });
    }
    Ok(rows)
}

fn read_pairs(settings: &IngestSection, path: &Path, ingested: &mut Ingested) -> Result<Vec<SourceRow>, IngestError> {
    let frame = read_table(path, settings.file_type, settings.text_encoding)?;
    let table = Table { frame: &frame, path };
    let columns = &settings.columns;
    let queries = table.text(&columns.query, "query", "Set `ingest.columns.query` to the column that holds the query.", false)?;
    let titles = table.text(
        &columns.product_title,
        "product title",
        "Set `ingest.columns.product_title` to the column that holds the product title.",
        false,
    )?;
    let labels = table.labels(
        &columns.relevance_label,
        "Set `ingest.columns.relevance_label` to the column that holds the relevance label.",
    )?;
    let product_ids = match &columns.product_id {
        Some(name) => Some(table.text(name, "product id", "Set `ingest.columns.product_id` to the product id column, or remove it to derive ids from titles.", true)?),
        None => None,
    };
    let splits = match settings.split.method {
        SplitMethod::Column => {
            let name = columns.split.as_deref().unwrap_or("split");
            Some(table.text(name, "split", "Set `ingest.columns.split` to the column with train/validation/test, or use `ingest.split.method = \"hash\"`.", false)?)
        }
        SplitMethod::Hash | SplitMethod::Blake2bMod10 => None,
    };

    ingested.rows_read = queries.len();
    let rows = (0..queries.len())
        .map(|index| {
            let product_title = titles[index].clone();
            let product_id = match &product_ids {
                Some(ids) => ids[index].clone(),
                None => product_title.as_deref().map(title_product_id),
            };
            SourceRow {
                row: index + 1,
                query: queries[index].clone(),
                product_id,
                product_title,
                label: labels[index].clone(),
                split: splits.as_ref().and_then(|column| column[index].clone()),
            }
        })
        .collect();
    Ok(rows)
}

/// Id for a product known only by its title: "t" and 16 hex digits of the title's blake3.
pub fn title_product_id(title: &str) -> String {
    let digest = blake3::hash(title.as_bytes());
    format!("t{}", &digest.to_hex()[..16])
}

struct KeptPair {
    pair: Pair,
    split: Option<Split>,
}

fn apply_rules(settings: &IngestSection, path: &Path, rows: Vec<SourceRow>, ingested: &mut Ingested) -> Result<Vec<KeptPair>, IngestError> {
    let label_column = match settings.format {
        SourceFormat::Esci => "esci_label".to_string(),
        SourceFormat::Pairs => settings.columns.relevance_label.clone(),
    };
    let split_column = match settings.format {
        SourceFormat::Esci => "split".to_string(),
        SourceFormat::Pairs => settings.columns.split.clone().unwrap_or_else(|| "split".to_string()),
    };
    let mut seen: HashSet<(String, String)> = HashSet::with_capacity(rows.len());
    let mut kept = Vec::with_capacity(rows.len());

    for row in rows {
        let Some(query) = row.query.filter(|query| !query.trim().is_empty()) else {
            *ingested.dropped.entry("empty_query").or_default() += 1;
            continue;
        };
        let Some(product_title) = row.product_title.filter(|title| !title.trim().is_empty()) else {
            *ingested.dropped.entry("empty_title").or_default() += 1;
            continue;
        };
        let Some(product_id) = row.product_id.filter(|id| !id.trim().is_empty()) else {
            *ingested.dropped.entry("empty_product_id").or_default() += 1;
            continue;
        };

        let relevance_label = match map_label(&row.label, &settings.labels) {
            Ok(label) => label,
            Err(LabelProblem::Missing) => {
                *ingested.dropped.entry("missing_label").or_default() += 1;
                continue;
            }
            Err(LabelProblem::Unknown { expected }) => {
                if settings.on_unknown_label == UnknownLabelPolicy::Drop {
                    *ingested.dropped.entry("unknown_label").or_default() += 1;
                    continue;
                }
                return Err(IngestError::UnknownLabel {
                    path: path.to_path_buf(),
                    row: row.row,
                    column: label_column,
                    value: row.label.to_text().unwrap_or_default(),
                    expected,
                });
            }
        };

        let split = match (&settings.split.method, &row.split) {
            (SplitMethod::Hash | SplitMethod::Blake2bMod10, _) => None,
            (SplitMethod::Column, None) => {
                *ingested.dropped.entry("missing_split").or_default() += 1;
                continue;
            }
            (SplitMethod::Column, Some(value)) => Some(Split::parse(value).ok_or_else(|| IngestError::UnknownSplit {
                path: path.to_path_buf(),
                row: row.row,
                column: split_column.clone(),
                value: value.clone(),
            })?),
        };

        if !seen.insert((query_group_key(&query), product_id.clone())) {
            *ingested.dropped.entry("duplicate_pair").or_default() += 1;
            continue;
        }

        let relevance_raw = row.label.to_text().unwrap_or_default();
        let source_row = i64::try_from(row.row).unwrap_or(i64::MAX);
        let pair = Pair { query, product_id, product_title, relevance_label, relevance_raw, source_row };
        kept.push(KeptPair { pair, split });
    }
    Ok(kept)
}

fn assign_splits(settings: &IngestSection, seed: u64, pairs: Vec<KeptPair>, ingested: &mut Ingested) {
    let mut splits_of_query: HashMap<String, HashSet<Split>> = HashMap::new();
    for split in Split::ALL {
        ingested.splits.insert(split, Vec::new());
    }
    for kept in pairs {
        let split = kept.split.unwrap_or_else(|| match settings.split.method {
            SplitMethod::Blake2bMod10 => blake2b_mod10_split(&kept.pair.query),
            _ => split_for_query(&kept.pair.query, seed, &settings.split),
        });
        splits_of_query.entry(query_group_key(&kept.pair.query)).or_default().insert(split);
        ingested.splits.entry(split).or_default().push(kept.pair);
    }
    ingested.queries_in_several_splits = splits_of_query.values().filter(|splits| splits.len() > 1).count();
}

fn build_catalog(ingested: &mut Ingested) {
    let mut catalog: BTreeMap<String, String> = BTreeMap::new();
    let mut conflicts: HashSet<String> = HashSet::new();
    for pair in ingested.splits.values().flatten() {
        match catalog.get(&pair.product_id) {
            None => {
                catalog.insert(pair.product_id.clone(), pair.product_title.clone());
            }
            Some(title) if *title != pair.product_title => {
                conflicts.insert(pair.product_id.clone());
            }
            Some(_) => {}
        }
    }
    ingested.catalog_title_conflicts = conflicts.len();
    ingested.catalog = catalog.into_iter().collect();
}
