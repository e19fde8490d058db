#!/usr/bin/env bash
# Build the Leptos UI into dist/ (release: opt-level z, LTO, wasm-opt -Oz).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
unset RUST_BACKTRACE  # makes Trunk's errors unreadably long
trunk build --release
