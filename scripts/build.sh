#!/usr/bin/env bash
# Configures and builds into DIR (default build/). Extra arguments go to cmake.
#   scripts/build.sh [DIR] [-DCMAKE_BUILD_TYPE=Debug] [-DLVS_SANITIZE=ON] ...
# LVS_TARGETS="t1 t2" builds only those targets (default: all).
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache may reuse compilations that include the precompiled headers (CMakeLists.txt, LVS_PCH).
export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}
DIR=${1:-build}
shift || true
cmake -S . -B "$DIR" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
# shellcheck disable=SC2086 # a list of target names
cmake --build "$DIR" -j"$(nproc)" ${LVS_TARGETS:+--target $LVS_TARGETS}
