#!/usr/bin/env bash
# Build the Leptos UI into dist/ (release: opt-level z, LTO, wasm-opt -Oz).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
unset RUST_BACKTRACE  # makes Trunk's errors unreadably long
trunk build --release
# The account bundle (feature `account`): the account page and the mail
# screens, kept out of the sign-in bundle the login page loads.
trunk build account.html --release --dist dist/account --public-url /account/
# The cockpit (feature `admin`): the admin console at /admin.
trunk build admin.html --release --dist dist/admin --public-url /admin/

# Compressed copies beside each asset; the server sends the one the browser
# accepts (brotli, then gzip), so the first load moves the smallest bytes;
# dist/public holds the passkey glue, imported when a passkey is used.
find dist dist/account dist/admin dist/public -maxdepth 1 -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' \) | while read -r f; do
  brotli -f -q 11 -o "$f.br" "$f"
  gzip -f -9 -k "$f"
done
