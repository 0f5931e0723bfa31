#!/usr/bin/env bash
# Configures and builds into DIR (default build/). Extra arguments go to cmake.
#   scripts/build.sh [DIR] [-DCMAKE_BUILD_TYPE=Debug] [-DLVS_SANITIZE=ON] ...
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-build}
shift || true
cmake -S . -B "$DIR" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$DIR" -j"$(nproc)"
