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
source benchmarks/server.sh

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
