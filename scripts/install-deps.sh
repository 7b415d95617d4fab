#!/usr/bin/env bash
# Installs the system packages the build needs, when they are missing (Debian or Ubuntu).
set -euo pipefail

packages=()
need() {
    local command="$1" package="$2"
    if ! command -v "$command" >/dev/null 2>&1; then
        packages+=("$package")
    fi
}

need cc gcc
need python3 python3
if ! python3 -m pip --version >/dev/null 2>&1; then
    packages+=(python3-pip)
fi

if ! command -v cargo >/dev/null 2>&1; then
    echo "error: cargo not found; install Rust (https://rustup.rs) and run make again" >&2
    exit 1
fi

if [ "${#packages[@]}" -eq 0 ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: missing ${packages[*]} and no apt-get to install them; install them by hand" >&2
    exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
echo "installing ${packages[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${packages[@]}"
