#!/usr/bin/env python3
"""Prints a Markdown section for BENCHMARKS.md from one Home Depot benchmark run.

Usage: homedepot_summary.py WORK_DIR MODE DATA_PATH
Every number comes from the run's manifests, reports and /usr/bin/time output.
"""

import datetime
import json
import os
import platform
import subprocess
import sys


def read_json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def machine():
    model = "unknown processor"
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{model}, {os.cpu_count()} logical CPUs, {memory_gib:.0f} GiB, {platform.system()} {platform.release()}"


def fmt(value, digits=4):
    return "—" if value is None else f"{value:.{digits}f}"


def main():
    work, mode, data = sys.argv[1], sys.argv[2], sys.argv[3]
    artifacts = os.path.join(work, "artifacts")
    ingest = read_json(os.path.join(artifacts, "ingest", "manifest.json"))["metrics"]
    train = read_json(os.path.join(artifacts, "train", "manifest.json"))["metrics"]
    report = read_json(os.path.join(artifacts, "evaluate", "report.json"))
    timings = []
    with open(os.path.join(work, "timings.tsv"), encoding="utf-8") as handle:
        for line in handle:
            stage, seconds, peak_kib = line.rstrip("\n").split("\t")
            timings.append((stage, float(seconds), int(peak_kib)))

    models = report["models"]
    print()
    print(f"## Home Depot, {mode} mode ({datetime.date.today().isoformat()})")
    print()
    print(f"- Command: `make bench-homedepot DATA={os.path.basename(data)} MODE={mode}`")
    print(f"- Machine: {machine()}; 2 threads (RAYON_NUM_THREADS=2)")
    print(
        f"- Pairs: train {ingest['pairs_train']}, validation {ingest['pairs_validation']}, "
        f"test {ingest['pairs_test']}; {ingest['catalog_products']} catalog products"
    )
    print(f"- Training: {train['steps']} steps, {fmt(train['pairs_per_second'], 1)} pairs/s, final loss {fmt(train['final_loss'])}")
    if "resumed_from_step" in train:
        print(
            f"- The train stage resumed from the checkpoint of step {train['resumed_from_step']}: "
            "its wall time and pairs/s cover the steps after it only"
        )
    print()
    print("| stage | wall time (s) | peak resident memory (MiB) |")
    print("|---|---|---|")
    for stage, seconds, peak_kib in timings:
        print(f"| {stage} | {seconds:.1f} | {peak_kib / 1024:.0f} |")
    print()
    print("| model | validation ROC-AUC | test ROC-AUC | evaluation pairs/s |")
    print("|---|---|---|---|")
    for name in ("untuned", "tuned"):
        model = models.get(name)
        if model is None:
            continue
        splits = model["splits"]
        print(
            f"| {name} | {fmt(splits['validation']['roc_auc'])} ({splits['validation']['pairs']} pairs) "
            f"| {fmt(splits['test']['roc_auc'])} ({splits['test']['pairs']} pairs) | {fmt(model['pairs_per_second'], 1)} |"
        )

    embed_manifest = os.path.join(artifacts, "embed", "manifest.json")
    index_report = os.path.join(artifacts, "index", "report.json")
    if os.path.exists(embed_manifest) and os.path.exists(index_report):
        embed = read_json(embed_manifest)["metrics"]
        index = read_json(index_report)
        recall = index["recall"]
        settings = index["settings"]
        print()
        print("| catalog measurement | figure |")
        print("|---|---|")
        print(f"| embed, tuned model, length-sorted batches of 64 | {embed['products']} products, {fmt(embed['products_per_second'], 1)} products/s |")
        print(
            f"| FAISS {settings['factory']} (efConstruction {settings['ef_construction']}, efSearch {settings['ef_search']}): "
            f"build / recall@10 / queries per second (batched, {recall['queries']} catalog vectors as queries) "
            f"| {index['build_ms'] / 1000:.1f} s / {fmt(recall['recall'])} / {recall['queries_per_second']:.0f} |"
        )
        print(f"| exact search used as the recall reference (a brute-force scan in Rust over the thread pool, no BLAS), queries per second | {recall['exact_queries_per_second']:.0f} |")
        retrieval = index["retrieval"]
        if retrieval.get("status") == "measured":
            print(
                f"| test queries against the full catalog ({retrieval['queries']} queries with a relevant product) "
                f"| Recall@10 {fmt(retrieval['recall_at_k'])}, nDCG@10 {fmt(retrieval['ndcg_at_k'])}, MRR@10 {fmt(retrieval['mrr_at_k'])} |"
            )


if __name__ == "__main__":
    main()
