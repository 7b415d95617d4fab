#!/usr/bin/env bash
# Runs lorasearch-bench with 2 threads and appends its table to BENCHMARKS.md with the command
# and the machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${CARGO_TARGET_DIR:-$root/target}/release"
cd "$root"

export RAYON_NUM_THREADS=2 OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1
table="$("$bin/lorasearch-bench")"
model="$(lscpu | sed -n 's/^Model name:[[:space:]]*//p')"
{
    echo
    echo "## make bench ($(date -u +%Y-%m-%d))"
    echo
    echo "- Command: \`make bench\` (lorasearch-bench, RAYON_NUM_THREADS=2 OMP_NUM_THREADS=2)"
    echo "- Machine: ${model:-unknown processor}, $(nproc) logical CPUs, $(free -g | awk '/^Mem:/ {print $2}') GiB"
    echo
    echo "$table"
} >> BENCHMARKS.md
echo "$table"
