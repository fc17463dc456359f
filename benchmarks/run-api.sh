#!/usr/bin/env bash
# REST API throughput and latency on the embedded defaults: builds Strata, starts it with a fresh
# private PostgreSQL (fsync on, as a user gets it), runs the load driver, stops it.
# Usage: benchmarks/run-api.sh [seconds-per-step] [auth|events]
#   auth: instead, start a second server with STRATA_AUTH=token and print a cheap read and commits
#   with authentication off and on, side by side (3 alternating rounds of seconds-per-step each).
#   events: instead, commits with no subscriber, with 100 SSE subscribers and with none again, side by
#   side, the events/s delivered to the subscribers and their lag (EventsLoad).
# STRATA_TOKEN, if set, is sent as Authorization: Bearer (for a server started with STRATA_AUTH=token).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
mode=${2:-}
mvn -q -B -DskipTests package
dirs=()
servers=()
trap 'for s in "${servers[@]}"; do kill $s 2>/dev/null; wait $s 2>/dev/null; done; rm -rf "${dirs[@]}"' EXIT

# start <auth> [env...]: starts a server with a fresh data directory; sets $url
start() {
  local auth=$1; shift
  local data port log
  data=$(mktemp -d); dirs+=("$data")
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((18000 + ${#servers[@]})))
  log="$data/server.log"
  env STRATA_DATA_DIR="$data" STRATA_PORT="$port" STRATA_HOST=127.0.0.1 STRATA_AUTH="$auth" "$@" \
    java -jar services/server/target/quarkus-app/quarkus-run.jar >"$log" 2>&1 &
  servers+=($!)
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break
    kill -0 ${servers[-1]} 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.1
  done
  url="http://127.0.0.1:$port"
}

echo "Strata $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $(nproc) cores, embedded PostgreSQL (fsync on), ${seconds}s per step"
if [ "$mode" = auth ]; then
  admin="strata_bench-$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
  start none; open_url=$url
  start token STRATA_ADMIN_TOKEN="$admin"; token_url=$url
  java -cp benchmarks/target/classes io.strata.benchmarks.ApiLoad --auth "$open_url" "$token_url" "$admin" "$seconds"
elif [ "$mode" = events ]; then
  start none
  java -cp benchmarks/target/classes io.strata.benchmarks.EventsLoad sse "$url" "$seconds" 100
else
  start none
  java -cp benchmarks/target/classes io.strata.benchmarks.ApiLoad "$url" "$seconds"
fi
