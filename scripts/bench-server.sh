#!/usr/bin/env bash
# Measures the server on this machine, on a fresh SQLite database (or PostgreSQL with
# --db-url URL), with wrk:
#   - GET /flow from 100 connections as fast as they can (the most requests per second) and
#     at a steady load (--rate, default 2,000 requests/s in all: each connection waits a random
#     time between its requests, so arrivals do not come in waves), with latency percentiles;
#   - 3-step runs per second end to end through POST /api/v1/flows/<name>/runs (queued,
#     claimed, executed and recorded).
# Targets: p99 under 10 ms at the steady load; at least 1,000 runs/s on SQLite.
#   scripts/bench-server.sh [--seconds N] [--workers N] [--rate N] [--db-url URL] [--bin PATH-TO-RELEASE-workflow]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

seconds=10
workers=64
rate=2000
db_url=""
bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --workers) workers="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --db-url) db_url="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

case "$rate" in
  ''|*[!0-9]*) echo "--rate must be a whole number of requests per second, got '$rate'" >&2; exit 2 ;;
esac
if [ "$rate" -lt 10 ] || [ "$rate" -gt 100000 ]; then
  echo "--rate must be between 10 and 100000 requests per second, got $rate" >&2; exit 2
fi

ensure_build_dependencies
ensure_apt_packages wrk curl python3

if [ -z "$bin" ]; then
  echo "==> building workflow (release)"
  swift build -c release --product workflow >/dev/null
  bin="$(swift build -c release --show-bin-path)/workflow"
fi

home="$(mktemp -d /tmp/wf-bench-XXXXXX)"
port=$((20000 + RANDOM % 20000))
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$home"
}
trap cleanup EXIT
export WORKFLOW_HOME="$home" WORKFLOW_ADMIN_PASSWORD="bench-password-123" WORKFLOW_PASSWORD_COST=4
[ -n "$db_url" ] && export WORKFLOW_DB_URL="$db_url"

cat > "$home/three.json" <<'JSON'
{"procedures": [
  {"name": "a", "mod": "common.Kt", "method": "prt1", "params": {"msg": "one"}},
  {"name": "b", "mod": "common.Kt", "method": "prt1", "params": {"msg": "@a.msg"}},
  {"name": "c", "mod": "common.Kt", "method": "prt2", "params": {"msg": "@b.msg"}}
]}
JSON
"$bin" flow import "$home/three.json" --name three --replace >/dev/null

"$bin" serve --port "$port" --api-port 0 --workers "$workers" >"$home/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  grep -q "WorkFlow is listening" "$home/serve.log" 2>/dev/null && break
  sleep 0.1
done
key="$("$bin" apikey create bench | tail -n 1)"
base="http://127.0.0.1:$port"
# The server's CPU time so far in milliseconds (user + system): steadier than rates on a
# machine whose cores are shared, since time the host steals is not counted.
server_cpu_ms() {
  awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$server_pid/stat"
}

echo
echo "==> GET /flow, 100 connections as fast as they can, ${seconds} s"
cpu_before=$(server_cpu_ms)
wrk -t2 -c100 -d"${seconds}s" --latency -H "X-Api-Key: $key" "$base/flow" | tee "$home/get.txt"
cpu_get=$(( $(server_cpu_ms) - cpu_before ))
requests=$(awk '/requests in/ { print $1 }' "$home/get.txt")
echo "server CPU per request: $(( cpu_get * 1000 / (requests > 0 ? requests : 1) )) µs ($cpu_get ms for $requests requests)"

echo
# 100 connections offering $rate requests/s: each waits a uniformly random 0..2m ms between its
# requests (mean m = 100 000 / rate ms). wrk times each request from its sending, not the wait.
mean_wait_ms=$(( 100000 / rate ))
echo "==> GET /flow, 100 connections at a steady ${rate} requests/s (a random 0-$(( 2 * mean_wait_ms )) ms between each connection's requests), ${seconds} s"
cat > "$home/steady.lua" <<LUA
wrk.headers["X-Api-Key"] = "$key"
function delay() return math.random(0, $(( 2 * mean_wait_ms ))) end
LUA
wrk -t2 -c100 -d"${seconds}s" --latency -s "$home/steady.lua" "$base/flow" | tee "$home/steady.txt"

echo
echo "==> POST /api/v1/flows/three/runs, 32 connections, ${seconds} s, then until the queue is empty"
cat > "$home/post.lua" <<LUA
wrk.method = "POST"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Api-Key"] = "$key"
LUA
cpu_before=$(server_cpu_ms)
wrk -t2 -c32 -d"${seconds}s" --latency -s "$home/post.lua" "$base/api/v1/flows/three/runs" | tee "$home/post.txt"
# Wait until every queued run has been executed.
for _ in $(seq 1 600); do
  pending=$(curl -s -H "X-Api-Key: $key" "$base/api/v1/runs?status=queued&limit=1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
  running=$(curl -s -H "X-Api-Key: $key" "$base/api/v1/runs?status=running&limit=1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
  [ "$pending" = 0 ] && [ "$running" = 0 ] && break
  sleep 0.5
done
cpu_runs=$(( $(server_cpu_ms) - cpu_before ))
"$bin" runs list --flow three --limit 10000000 --json >"$home/runs.json"
python3 - "$home/runs.json" "$cpu_runs" <<'PY'
import json, sys
from datetime import datetime
runs = json.load(open(sys.argv[1]))
def t(s): return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
done = [r for r in runs if r["ended_at"]]
ok = sum(1 for r in done if r["status"] == "success")
span = max(t(r["ended_at"]) for r in done) - min(t(r["created_at"]) for r in done)
lat = sorted(t(r["ended_at"]) - t(r["created_at"]) for r in done)
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
print(f"runs: {len(done)} ended ({ok} success) in {span:.2f} s = {len(done) / span:.0f} runs/s end to end")
print(f"queued-to-ended latency: p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms")
cpu = int(sys.argv[2])
print(f"server CPU per run (queue, execute, record, and the polls above): {cpu * 1000 / len(done):.0f} µs ({cpu} ms for {len(done)} runs)")
PY
