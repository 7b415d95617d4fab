//! Binary-classification metrics for scored query–product pairs, and charts that compare models.
//!
//! The `evaluate` stage scores each labelled pair (cosine similarity, `relevance_label` 0 or 1)
//! with the untuned and the tuned model. This crate turns each model's scores into ROC-AUC,
//! average precision, the best accuracy and F1 thresholds, and the ROC and precision-recall
//! curves, and draws both models' curves on one chart as SVG or PNG. ROC-AUC and average
//! precision follow scikit-learn's `roc_auc_score` and `average_precision_score`, tied scores
//! included. A predicted positive always means `score >= threshold`.
//!
//! ```
//! use lorasearch_metrics::{CurveSeries, binary_report, roc_chart_svg};
//!
//! let labels = [1_u8, 0, 1, 0];
//! let untuned = [0.9_f32, 0.8, 0.4, 0.3];
//! let tuned = [0.9_f32, 0.2, 0.7, 0.1];
//!
//! let report = binary_report(&tuned, &labels)?;
//! assert_eq!(report.roc_auc, 1.0);
//!
//! let chart = roc_chart_svg(&[
//!     CurveSeries::roc("untuned", &untuned, &labels)?,
//!     CurveSeries::roc("tuned", &tuned, &labels)?,
//! ]);
//! assert!(chart.contains("tuned (AUC=1.0000)"));
//! # Ok::<(), lorasearch_metrics::MetricsError>(())
//! ```

mod canvas;
mod chart;
pub mod chart_png;
pub mod chart_svg;
pub mod counts;
pub mod error;
mod font;
pub mod input;
pub mod precision_recall;
pub mod report;
pub mod retrieval;
pub mod roc;
pub mod series;
mod sweep;
pub mod threshold;

pub use chart_png::{pr_chart_png, roc_chart_png};
pub use chart_svg::{pr_chart_svg, roc_chart_svg};
pub use counts::{PairCounts, count_pairs};
pub use error::{ChartError, Class, MetricsError};
pub use input::{BinaryLabel, Score};
pub use precision_recall::{PrecisionRecallPoint, average_precision, precision_recall_curve};
pub use report::{BinaryReport, binary_report};
pub use retrieval::{RetrievalReport, retrieval_report};
pub use roc::{RocPoint, roc_auc, roc_curve};
pub use series::{CurvePoint, CurveSeries};
pub use threshold::{ThresholdMetric, best_accuracy, best_f1};
