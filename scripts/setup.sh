#!/usr/bin/env bash
# Install what Portico's build and tests need, skipping what is present.
#   scripts/setup.sh          build tools (wasm target, trunk, wasm-bindgen, wasm-opt, brotli)
#   scripts/setup.sh --test   the same plus Chromium, chromedriver, wrk, cargo-fuzz and schemathesis
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=false
[ "${1:-}" = "--test" ] && want_browser=true

say() { printf '==> %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root to run: $*" >&2; exit 1; fi
}

export PATH="$HOME/.cargo/bin:$PATH"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# Trunk 0.21.14: 0.22 needs a newer rustc than this toolchain.
if [ "$(trunk --version 2>/dev/null || true)" != "trunk 0.21.14" ]; then
  say "installing trunk 0.21.14 (takes ~15 minutes once)"
  cargo install --locked trunk --version 0.21.14
fi

# wasm-bindgen-cli must match the wasm-bindgen in Cargo.lock exactly. Not
# --locked: its own lock file names a crate version the registry lacks.
wbg=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $wbg" ] \
   || ! command -v wasm-bindgen-test-runner >/dev/null; then
  say "installing wasm-bindgen-cli $wbg"
  cargo install wasm-bindgen-cli --version "$wbg" --force
fi

# wasm-opt from npm's binaryen 132 (Debian's older binaryen breaks the app).
if [ ! -x node_modules/.bin/wasm-opt ]; then
  say "installing binaryen (wasm-opt) from npm"
  npm ci --no-audit --no-fund
fi

# brotli: scripts/build-ui.sh stores compressed copies of the UI's assets.
if ! command -v brotli >/dev/null; then
  say "installing brotli"
  for i in 1 2 3 4 5 6; do
    if as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q \
       && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q brotli; then
      break
    fi
    say "apt is busy or failed; retrying in 10 s"
    sleep 10
  done
  command -v brotli >/dev/null || { echo "brotli did not install" >&2; exit 1; }
fi

if $want_browser && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || ! command -v wrk >/dev/null; }; then
  say "installing chromium, chromedriver and wrk (the benchmark's load generator)"
  for i in 1 2 3 4 5 6; do
    if as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q \
       && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver wrk; then
      break
    fi
    say "apt is busy or failed; retrying in 10 s"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get --fix-broken install -y -q || true
    sleep 10
  done
  [ -x /usr/bin/chromedriver ] || { echo "chromium-driver did not install" >&2; exit 1; }
fi

# The fuzz targets (fuzz/) build with the nightly toolchain and cargo-fuzz.
# The nightly comes with the machine (rustup cannot download here).
if $want_browser; then
  if ! rustup toolchain list | grep -q '^nightly'; then
    echo "the nightly Rust toolchain is missing (rustup toolchain install nightly); the fuzz smoke run needs it" >&2
    exit 1
  fi
  if [ "$(cargo fuzz --version 2>/dev/null || true)" != "cargo-fuzz 0.13.2" ]; then
    say "installing cargo-fuzz 0.13.2"
    cargo install --locked cargo-fuzz --version 0.13.2
  fi
fi

# The admin API's fuzz run (scripts/fuzz-api.sh): schemathesis from PyPI,
# in the project's own virtual environment.
if $want_browser && [ "$(.venv-test/bin/st --version 2>/dev/null || true)" != "st, version 4.32.5" ]; then
  say "installing schemathesis 4.32.5 into .venv-test"
  python3 -m venv .venv-test
  .venv-test/bin/pip install -q --disable-pip-version-check schemathesis==4.32.5
fi
