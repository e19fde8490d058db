#!/usr/bin/env bash
# Bounded storage, measured (issue 15; results in BENCHMARKS.md): anonymous
# floods of authorize requests against a release build on SQLite, each
# leaving a pending request row behind, then the sweeper. It prints the
# database's size (file, WAL, pages in use) fresh, after each flood and
# after each sweep, and the client_credentials rate and latency with the
# database idle and while the sweeper deletes a flood's rows.
#   bench/sweep.sh                 two floods of 100,000 requests
#   FLOOD=20000 bench/sweep.sh     smaller floods
# Everything runs on 127.0.0.1 and stops when the script does.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
command -v wrk >/dev/null || { echo "wrk is needed (scripts/setup.sh --test installs it)" >&2; exit 1; }

flood=${FLOOD:-100000}
ttl=${TTL:-150}
port=${PORT:-18090}
base="http://127.0.0.1:$port"
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build -q --profile server-release -p portico-server
secret=sweep-bench-secret-sweep-bench-secret-0123456789
cat >"$work/portico.toml" <<EOF
[tokens]
auth_request_ttl_secs = $ttl
[retention]
sweep_interval_secs = 5
[[clients]]
id = "flooded"
secret = "$secret"
redirect_uris = ["https://app.example/cb"]
[[clients]]
id = "machine"
secret = "$secret"
grant_types = ["client_credentials"]
EOF
db="$work/portico.db"
RUST_LOG=info target/server-release/portico --database-url "$db" --config "$work/portico.toml" \
  serve --bind "127.0.0.1:$port" --ui-dir dist >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.2; done

size() { # label
  python3 - "$db" "$1" <<'PY'
import os, sqlite3, sys
db, label = sys.argv[1], sys.argv[2]
c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
pages, free, page = (c.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "freelist_count", "page_size"))
rows = c.execute("SELECT count(*) FROM auth_requests").fetchone()[0]
wal = os.path.getsize(db + "-wal") if os.path.exists(db + "-wal") else 0
print(f"| {label} | {os.path.getsize(db) / 1e6:.1f} MB | {wal / 1e6:.1f} MB | {(pages - free) * page / 1e6:.1f} MB | {rows} |")
PY
}

bench_line() { # wrk args... -> "requests rate p50 p99"
  wrk "$@" | awk '/^BENCH/ {sub(/^BENCH /, ""); print}' | python3 -c '
import json, sys
b = json.loads(sys.stdin.read())
secs = b["duration_us"] / 1e6
n, p50, p99 = b["requests"], b["p50_us"] / 1000, b["p99_us"] / 1000
print(n, round(n / secs), f"{p50:.2f}", f"{p99:.2f}", b["non_2xx_3xx"] + b["socket_errors"])'
}

basic=$(printf 'machine:%s' "$secret" | base64 -w0)
tokens() { # label
  read -r n rate p50 p99 errors < <(bench_line -t1 -c16 -d10s -s bench/wrk.lua \
    -H "Authorization: Basic $basic" "$base/oauth2/token" -- post "grant_type=client_credentials")
  echo "| $1 | $rate/s | $p50 ms | $p99 ms | $errors |" >>"$work/tokens"
}

authorize="$base/oauth2/authorize?client_id=flooded&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&response_type=code&scope=openid&state=flood&nonce=flood"
flood_once() { # -> requests sent
  local total=0
  while [ "$total" -lt "$flood" ]; do
    read -r n _ < <(bench_line -t2 -c32 -d5s -s bench/wrk.lua "$authorize" -- static)
    total=$((total + n))
  done
  echo "$total"
}

echo "| database | file | WAL | pages in use | pending requests |" >"$work/sizes"
echo "|---|---|---|---|---|" >>"$work/sizes"
echo "| client_credentials | rate | p50 | p99 | errors |" >"$work/tokens"
echo "|---|---|---|---|---|" >>"$work/tokens"

size "fresh" >>"$work/sizes"
tokens "idle, fresh database"
for round in 1 2; do
  sent=$(flood_once)
  size "after flood $round ($sent anonymous requests)" >>"$work/sizes"
  # Every request of the flood expires within $ttl s of its end; the
  # sweeper (every 5 s) deletes them while the token load runs.
  sleep "$ttl"
  tokens "while sweep $round deletes flood $round"
  sleep 6
  size "after sweep $round" >>"$work/sizes"
done
tokens "idle, after both sweeps"

echo "Sweeps logged by the server:"
sed 's/\x1b\[[0-9;]*m//g' "$work/server.log" | grep -o 'swept expired rows.*' | sed 's/^/  /' || true
echo
cat "$work/sizes"
echo
cat "$work/tokens"
