#!/usr/bin/env bash
# Scripted brute-force attacks on one account, for SECURITY.md. Two parts,
# against a fresh `portico serve --demo` (release build, SQLite):
#
#  1. The burst: BURST (default 300) guesses for a fresh account
#     (victim@example.com, signed up first) sent all at once, the right
#     password last among them. It prints how many guesses
#     were verified (the audit log's "wrong password" rows: argon2 ran) and
#     how many were refused unchecked (locked), and whether the right
#     password got in. The policy allows 5 checks before the first lock.
#  2. The paced attack: 1,000 wrong passwords from one address (RATE per
#     second, default 200; RATE=burst: 8 at a time) while another user keeps
#     signing in from another loopback address: the attacker's answers, the
#     victim's lock, and the other user's sign-in latency before, during and
#     after.
#
#   scripts/attack.sh                 both parts
#   BURST=500 RATE=100 scripts/attack.sh
#
# Everything stays on 127.0.0.1/127.0.0.2 and ends when the attack does.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
port=${PORT:-18089}
base="http://127.0.0.1:$port"
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build -q --profile server-release -p portico-server
portico=target/server-release/portico
db="$work/portico.db"
RUST_LOG=warn "$portico" --database-url "$db" \
  serve --demo --bind "127.0.0.1:$port" --ui-dir dist >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.2; done

post() { # address json -> "status seconds"
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --interface "$1" \
    -H 'content-type: application/json' -H 'x-portico-csrf: 1' \
    -d "$2" "$base/api/ui/login"
}

# A pending sign-in request of the demo app (sign-up needs one).
request_id() {
  curl -s -o /dev/null -w '%{redirect_url}' --interface "$1" \
    "$base/oauth2/authorize?client_id=portico-demo&redirect_uri=$base/demo/callback&response_type=code&scope=openid&x_method=sign_up&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256" \
    | sed 's/.*request=//'
}

sign_up() { # address email password
  local req
  req=$(request_id "$1")
  curl -s -o /dev/null -H 'content-type: application/json' -H 'x-portico-csrf: 1' \
    -d "{\"request\":\"$req\",\"name\":\"Someone\",\"email\":\"$2\",\"password\":\"$3\"}" \
    --interface "$1" "$base/api/ui/sign-up"
}

# curl config lines for one sign-in attempt.
attempt() { # password [write-out] [email]
  local fmt='%{http_code} %{time_total}'
  [ -z "${2:-}" ] || fmt=$2
  printf 'url = "%s/api/ui/login"\nheader = "content-type: application/json"\nheader = "x-portico-csrf: 1"\ndata = "{\\"email\\":\\"%s\\",\\"password\\":\\"%s\\"}"\noutput = "/dev/null"\nwrite-out = "%s\\n"\n' \
    "$base" "${3:-demo@example.com}" "$1" "$fmt"
}

# ---------------------------------------------------------------- 1. burst
burst=${BURST:-300}
sign_up 127.0.0.3 victim@example.com "the victim's own password"
for i in $(seq "$burst"); do
  [ "$i" = 1 ] || echo next
  # %{urlnum} names each answer: they come back in whatever order.
  if [ "$i" = "$burst" ]; then pw="the victim's own password"; else pw="wrong guess $i"; fi
  attempt "$pw" '%{http_code} %{time_total} %{urlnum}' victim@example.com

done >"$work/burst.curl"
curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max "$burst" \
  --interface 127.0.0.1 -K "$work/burst.curl" >"$work/burst"
verified=$("$portico" --database-url "$db" audit --limit 100000 --json \
  | grep -c '"detail":"wrong password"' || true)
refused=$(awk '$1==429' "$work/burst" | wc -l)
right=$(awk -v n=$((burst - 1)) '$3==n {print $1}' "$work/burst")
echo "burst: $burst guesses at once for victim@example.com, the right password last"
awk '{c[$1]++} END {for (s in c) printf "  HTTP %s: %d\n", s, c[s]}' "$work/burst" | sort
echo "  verified (argon2 ran): $verified of $((burst - 1)) wrong guesses"
echo "  answered 429 (locked; all but the lock-setting one refused unchecked): $refused"
echo "  the right password, sent last: HTTP $right (200 = signed in, 429 = refused)"

# ---------------------------------------------------------------- 2. paced
other='{"email":"other@example.com","password":"the other user password"}'
sign_up 127.0.0.2 other@example.com "the other user password"

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
  attempt "wrong guess"
done >"$work/attack.curl"
start=$(date +%s.%N)
if [ "${RATE:-200}" = burst ]; then pace=(--parallel --parallel-max 8); else pace=(--rate "${RATE:-200}/s"); fi
curl -s --no-progress-meter "${pace[@]}" --interface 127.0.0.1 -K "$work/attack.curl" >"$work/attack" &
attack=$!
: >"$work/during"
while kill -0 $attack 2>/dev/null; do post 127.0.0.2 "$other" | awk '$1==200 {print $2}' >>"$work/during"; done
wait $attack
secs=$(echo "$(date +%s.%N) - $start" | bc)

echo "paced: 1000 wrong passwords for demo@example.com in ${secs%???????} s from 127.0.0.1"
awk '{c[$1]++} END {for (s in c) printf "  HTTP %s: %d\n", s, c[s]}' "$work/attack" | sort
victim=$(post 127.0.0.1 '{"email":"demo@example.com","password":"portico-demo"}' | cut -d' ' -f1)
echo "the right password for demo@example.com right after: HTTP $victim (429 = still locked)"
latency "other user, before:" "$work/before"
latency "other user, during attack:" "$work/during"
for _ in $(seq 20); do post 127.0.0.2 "$other"; done | awk '$1==200 {print $2}' >"$work/after"
latency "other user, after:" "$work/after"
