#!/usr/bin/env bash
# Run Portico's fuzz targets with the nightly toolchain (cargo-fuzz).
#   fuzz/run.sh SECONDS [TARGET...]   (default: every target, one after another)
# Finds go to fuzz/artifacts/TARGET/; the grown corpus stays in
# fuzz/corpus/TARGET (not committed); fuzz/seeds/TARGET holds the seeds.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:?seconds per target}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(authorize_query token_form client_auth_header jwt)
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  echo "==> fuzzing $t for ${secs}s"
  cargo +nightly fuzz run "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=4096 -print_final_stats=1
done
