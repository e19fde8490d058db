#!/usr/bin/env bash
# A scripted brute-force attack on one account, for SECURITY.md: 1,000 wrong
# passwords against the demo user from one address (8 at a time), while
# another user keeps signing in from another loopback address.
#   RATE=200 scripts/attack.sh     (attempts per second; RATE=burst: 8 at a time) Prints what
# the attacker got, whether the victim is locked, and the other user's
# sign-in latency before and during the attack. Everything stays on
# 127.0.0.1/127.0.0.2 and ends when the attack does.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
port=${PORT:-18089}
base="http://127.0.0.1:$port"
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build -q --profile server-release -p portico-server
RUST_LOG=warn target/server-release/portico --database-url "$work/portico.db" \
  serve --demo --bind "127.0.0.1:$port" --ui-dir dist >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.2; done

post() { # address json -> "status seconds"
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --interface "$1" \
    -H 'content-type: application/json' -H 'x-portico-csrf: 1' \
    -d "$2" "$base/api/ui/login"
}
other='{"email":"other@example.com","password":"the other user password"}'
curl -s -o /dev/null -H 'content-type: application/json' -H 'x-portico-csrf: 1' \
  -d '{"name":"Other","email":"other@example.com","password":"the other user password"}' \
  --interface 127.0.0.2 "$base/api/ui/sign-up"

latency() { # label file
  sort -n "$2" | awk -v l="$1" '{v[NR]=$1} END {printf "%-28s n=%d p50=%.0f ms p95=%.0f ms max=%.0f ms\n", l, NR, v[int(NR*0.5)+1]*1000, v[int(NR*0.95)]*1000, v[NR]*1000}'
}

for _ in $(seq 20); do post 127.0.0.2 "$other"; done | awk '$1==200 {print $2}' >"$work/before"

# One curl process sends the whole attack, so the load generator does not
# eat the CPU the server needs: RATE attempts per second (default 200, five
# seconds of attack to measure the other user against), or RATE=burst for
# all of them at once, 8 at a time.
for i in $(seq 1000); do
  [ "$i" = 1 ] || echo next
  printf 'url = "%s/api/ui/login"\nheader = "content-type: application/json"\nheader = "x-portico-csrf: 1"\ndata = "{\\"email\\":\\"demo@example.com\\",\\"password\\":\\"wrong guess\\"}"\noutput = "/dev/null"\nwrite-out = "%%{http_code} %%{time_total}\\n"\n' "$base"
done >"$work/attack.curl"
start=$(date +%s.%N)
if [ "${RATE:-200}" = burst ]; then pace=(--parallel --parallel-max 8); else pace=(--rate "${RATE:-200}/s"); fi
curl -s --no-progress-meter "${pace[@]}" --interface 127.0.0.1 -K "$work/attack.curl" >"$work/attack" &
attack=$!
: >"$work/during"
while kill -0 $attack 2>/dev/null; do post 127.0.0.2 "$other" | awk '$1==200 {print $2}' >>"$work/during"; done
wait $attack
secs=$(echo "$(date +%s.%N) - $start" | bc)

echo "attack: 1000 wrong passwords for demo@example.com in ${secs%???????} s from 127.0.0.1"
awk '{c[$1]++} END {for (s in c) printf "  HTTP %s: %d\n", s, c[s]}' "$work/attack" | sort
victim=$(post 127.0.0.1 '{"email":"demo@example.com","password":"portico-demo"}' | cut -d' ' -f1)
echo "the right password for the victim right after: HTTP $victim (429 = still locked)"
latency "other user, before:" "$work/before"
latency "other user, during attack:" "$work/during"
for _ in $(seq 20); do post 127.0.0.2 "$other"; done | awk '$1==200 {print $2}' >"$work/after"
latency "other user, after:" "$work/after"
