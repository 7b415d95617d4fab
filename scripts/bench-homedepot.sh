#!/usr/bin/env bash
# Runs the pipeline on the Home Depot Product Search Relevance training set and appends the
# measured figures to BENCHMARKS.md.
#
# Usage: scripts/bench-homedepot.sh DATA [quick|full]
#   DATA   train.csv.zip or train.csv from the Kaggle competition (Latin-1 CSV with columns id,
#          product_uid, product_title, search_term, relevance). Its terms forbid redistribution:
#          everything derived from it stays under bench-data/, which git ignores.
#   quick  64 optimiser steps of batch 64 (4,096 training pairs), the like-for-like comparison.
#   full   3 epochs over every training pair.
#
# Protocol: relevance_label = 1 when relevance >= 2.5; split by the blake2b-mod10 rule on the
# search term; all-MiniLM-L6-v2; r 8, alpha 16, query/key/value; Adam 5e-4; batch 64; linear
# schedule without warmup; max_length 70; 2 threads.
set -euo pipefail

if [[ $# -lt 1 ]]; then
    echo "usage: $0 DATA [quick|full]" >&2
    exit 2
fi
data="$1"
mode="${2:-quick}"
# The full mode writes a checkpoint every 100 steps and its train stage runs with --resume, so
# a run cut short (a closed session, a reboot) continues where it stopped when run again.
case "$mode" in
    quick) max_steps=64; checkpoint_every_steps=0 ;;
    full) max_steps=0; checkpoint_every_steps=100 ;;
    *) echo "error: mode must be quick or full, not $mode" >&2; exit 2 ;;
esac
if [[ ! -f "$data" ]]; then
    echo "error: $data not found; pass the path of train.csv.zip or train.csv" >&2
    exit 2
fi

root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${CARGO_TARGET_DIR:-$root/target}/release"
work="$root/bench-data/homedepot-$mode"
mkdir -p "$work"

case "$data" in
    *.zip) python3 -m zipfile -e "$data" "$work" ;;
    *) cp "$data" "$work/train.csv" ;;
esac
[[ -f "$work/train.csv" ]] || { echo "error: $data contains no train.csv" >&2; exit 2; }

cat > "$work/pipeline.toml" <<TOML
[pipeline]
artifacts_dir = "artifacts"
seed = 42
threads = 2

[model]
path = "$root/models/all-MiniLM-L6-v2"
max_length_tokens = 70

[ingest]
format = "pairs"
path = "train.csv"
text_encoding = "latin-1"

[ingest.columns]
query = "search_term"
product_title = "product_title"
relevance_label = "relevance"
product_id = "product_uid"

[ingest.labels]
threshold = 2.5

[ingest.split]
method = "blake2b-mod10"

[train]
epochs = 3
batch_size = 64
learning_rate = 5e-4
lora_r = 8
lora_alpha = 16.0
target_modules = ["query", "key", "value"]
max_steps = $max_steps
checkpoint_every_steps = $checkpoint_every_steps

[evaluate]
batch_size = 128
TOML

export RAYON_NUM_THREADS=2 OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1
timings="$work/timings.tsv"
: > "$timings"
for stage in ingest tokenize train evaluate embed index; do
    echo "== $stage"
    flags=(--config "$work/pipeline.toml" --force)
    [[ $stage == train ]] && flags+=(--resume)
    /usr/bin/time -f "%e\t%M" -o "$work/time-$stage.txt" "$bin/lorasearch-$stage" "${flags[@]}"
    printf '%s\t%s\n' "$stage" "$(cat "$work/time-$stage.txt")" >> "$timings"
done

python3 "$root/scripts/homedepot_summary.py" "$work" "$mode" "$data" >> "$root/BENCHMARKS.md"
echo "appended the $mode results to BENCHMARKS.md"
