#!/usr/bin/env bash
# The README's run command: install what is missing, build the UI, and start
# Portico on embedded SQLite (./portico.db) with a demo client and user.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build-ui.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo build -p portico-server --bin portico
exec target/debug/portico serve --demo "$@"
