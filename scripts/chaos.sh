#!/usr/bin/env bash
# Fault tests against the real portico binary (RELIABILITY.md): load with
# no fault, kill -9 under load and restart (SQLite and PostgreSQL),
# PostgreSQL stopped under load, two instances with one killed. Every
# PostgreSQL scenario runs on a private cluster (initdb into a temporary
# directory, a free port on 127.0.0.1), never on the shared server.
#
#   scripts/chaos.sh --short     what the test command runs (16 connections, about 90 s)
#   scripts/chaos.sh             the full run (64 connections, 60 s of load, longer faults; about 5.5 minutes)
#   scripts/chaos.sh --release   the full run against the server-release build
#
# Other flags go to the driver: --only kill,pg-outage  --conns 32  --keep
# (keeps logs and databases). Results: $CARGO_TARGET_DIR/chaos/results.json
# (target/ by default). Exit status 1 when an expectation is violated.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
args=()
profile=debug
for a in "$@"; do
  case "$a" in
    --release) profile=server-release ;;
    *) args+=("$a") ;;
  esac
done

# One invocation for both, as the test command builds them (the same
# features, so nothing is built twice).
cargo build -p portico-server -p portico-bench
if [ "$profile" != debug ]; then
  cargo build -p portico-server --profile "$profile"
fi
"$target/debug/portico-chaos" --portico "$target/$profile/portico" \
  --out "$target/chaos/results.json" ${args[@]+"${args[@]}"}
