#!/usr/bin/env bash
# The benchmark (see BENCHMARKS.md): Portico against node-oidc-provider under
# the same wrk load, on 127.0.0.1, one server at a time, bounded in time.
#   bench/run.sh                  every scenario, 10 s each (~4 minutes)
#   bench/run.sh --duration 5     shorter runs
#   bench/run.sh --only refresh   some scenarios (names contain the words)
#   bench/run.sh --no-anchor      Portico alone
# Installs what is missing (wrk, node-oidc-provider into bench/node, the
# UI's build tools), builds Portico and the UI in release mode, then writes
# the report to bench/results/latest.md as well as to the terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '==> %s\n' "$*"; }
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root to run: $*" >&2; exit 1; fi
}

# The UI's build tools (trunk, wasm-bindgen, wasm-opt, brotli).
scripts/setup.sh

if ! command -v wrk >/dev/null; then
  say "installing wrk"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk
fi
command -v node >/dev/null || { echo "node (Node.js 20 or newer) is needed for the anchor" >&2; exit 1; }
if [ ! -d bench/node/node_modules/oidc-provider ]; then
  say "installing node-oidc-provider into bench/node"
  (cd bench/node && npm ci --no-audit --no-fund)
fi

export PATH="$PWD/node_modules/.bin:$PATH"
say "building the UI (release: opt-level z, LTO, wasm-opt -Oz)"
bash scripts/build-ui.sh
say "building Portico (server-release profile)"
cargo build --profile server-release -p portico-server
cargo build -p portico-bench

mkdir -p bench/results
target/debug/portico-bench --portico target/server-release/portico --dist dist \
  --out bench/results/latest.md "$@"
