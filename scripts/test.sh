#!/usr/bin/env bash
# The README's test command: install what is missing, then run every test:
# lints, unit tests, the storage contracts and the integration suite on
# SQLite and PostgreSQL (real servers on 127.0.0.1:0), browser end-to-end
# tests and the wasm component tests in headless Chromium, a 1-second smoke
# run of the benchmark harness, a schemathesis run against the admin API,
# and a few seconds of each fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
host=(-p portico-api-types -p portico-core -p portico-store -p portico-server -p portico-bench)

echo "==> formatting, lints and layering"
cargo fmt --all -- --check
# The layer rules of crates/core/src/lib.rs and of the server (handlers
# import the http layer and never each other); no import cycles.
python3 scripts/check-cycles.py crates/core/src --layers protocol,model,infra,services,endpoints --apart endpoints
python3 scripts/check-cycles.py crates/server/src --layers http,handlers --apart handlers
cargo clippy "${host[@]}" --all-targets -- -D warnings
# The UI bundles: the sign-in one, the account one (feature `account`) and
# the cockpit (feature `admin`).
cargo clippy --target wasm32-unknown-unknown -p portico-ui --all-targets -- -D warnings
cargo clippy --target wasm32-unknown-unknown -p portico-ui --all-targets --features account -- -D warnings
cargo clippy --target wasm32-unknown-unknown -p portico-ui --all-targets --features admin -- -D warnings
# The component tests need both (they cover the account and cockpit parts).
cargo clippy --target wasm32-unknown-unknown -p portico-ui --all-targets --features account,admin -- -D warnings

echo "==> building the UI (the browser tests need dist/)"
scripts/build-ui.sh

# PostgreSQL tests create a fresh database per test; drop those of earlier
# runs. PORTICO_TEST_PG=off skips the PostgreSQL tests (each says so).
if [ "${PORTICO_TEST_PG:-on}" != off ]; then
  pg_url=${PORTICO_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432}
  if ! psql "$pg_url/postgres" -Atqc 'select 1' >/dev/null 2>&1; then
    echo "PostgreSQL is not reachable at $pg_url; start it (see README) or set PORTICO_TEST_PG=off" >&2
    exit 1
  fi
  psql "$pg_url/postgres" -Atqc "select datname from pg_database where datname like 'portico_test_%'" \
    | while read -r db; do psql "$pg_url/postgres" -qc "drop database if exists \"$db\"" >/dev/null || true; done
fi

echo "==> unit, integration and browser tests"
cargo test "${host[@]}"

echo "==> admin API fuzz run: schemathesis against its OpenAPI document (about 90 s)"
scripts/fuzz-api.sh
scripts/chaos.sh --short

echo "==> benchmark harness smoke run (1 s; the benchmark itself is bench/run.sh)"
cargo test -p portico-core --bench token_hot_path
cargo build -p portico-bench
target/debug/portico-bench --smoke --portico target/debug/portico

echo "==> wasm component tests in headless Chromium"
CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown -p portico-ui --features account,admin --test components

echo "==> fuzz smoke run: each target a few seconds, so they keep building"
fuzz/run.sh 3

echo "==> all tests passed"
