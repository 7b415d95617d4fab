"""Write sklearn_reference.json: a fixed pseudo-random scoring case and scikit-learn's metrics on it.

The Rust test `sklearn_reference.rs` reads the JSON, so Python is only needed to regenerate it:

    pip install scikit-learn numpy
    python crates/metrics/tests/data/make_sklearn_reference.py

Scores are rounded to two decimals so that many pairs tie, which exercises the tie handling.
"""

import json
from pathlib import Path

import numpy as np
import sklearn
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    f1_score,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

PAIRS = 500
SEED = 20240611
OUTPUT = Path(__file__).with_name("sklearn_reference.json")


def make_case():
    rng = np.random.default_rng(SEED)
    labels = rng.integers(0, 2, size=PAIRS)
    # Positives score higher on average, with a large overlap, like cosine similarities.
    scores = 0.3 + 0.25 * labels + rng.normal(0.0, 0.25, size=PAIRS)
    scores = np.round(np.clip(scores, -1.0, 1.0), 2)
    return scores, labels


def best_threshold(scores, labels, metric):
    """Try every distinct score as "positive when score >= threshold". Ties go to the highest."""
    best = None
    for threshold in np.unique(scores)[::-1]:
        value = metric(labels, (scores >= threshold).astype(int))
        if best is None or value > best[1]:
            best = (float(threshold), float(value))
    return best


def main():
    scores, labels = make_case()

    fpr, tpr, roc_thresholds = roc_curve(labels, scores, drop_intermediate=False)
    precision, recall, pr_thresholds = precision_recall_curve(labels, scores)
    best_f1 = best_threshold(scores, labels, f1_score)
    best_accuracy = best_threshold(scores, labels, accuracy_score)

    reference = {
        "generator": "make_sklearn_reference.py",
        "sklearn_version": sklearn.__version__,
        "scores": [float(score) for score in scores],
        "labels": [int(label) for label in labels],
        "roc_auc": float(roc_auc_score(labels, scores)),
        "average_precision": float(average_precision_score(labels, scores)),
        # Highest threshold first, including the first point at an infinite threshold, which
        # JSON cannot represent, so only the rates are stored.
        "roc_false_positive_rate": [float(value) for value in fpr],
        "roc_true_positive_rate": [float(value) for value in tpr],
        "roc_finite_thresholds": [float(value) for value in roc_thresholds[1:]],
        # scikit-learn lists these lowest threshold first and ends with recall 0, precision 1.
        "pr_precision": [float(value) for value in precision],
        "pr_recall": [float(value) for value in recall],
        "pr_thresholds": [float(value) for value in pr_thresholds],
        # Over distinct scores only, so predicting everything negative is not a candidate.
        "best_f1": {"threshold": best_f1[0], "value": best_f1[1]},
        "best_accuracy_over_scores": {"threshold": best_accuracy[0], "value": best_accuracy[1]},
    }
    OUTPUT.write_text(json.dumps(reference, indent=1) + "\n")


if __name__ == "__main__":
    main()
