#!/usr/bin/env bash
# REST API throughput and latency on the embedded defaults: builds Strata, starts it with a fresh
# private PostgreSQL (fsync on, as a user gets it), runs the load driver, stops it.
# Usage: benchmarks/run-api.sh [seconds-per-step]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
mvn -q -B -DskipTests package
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18000)
log="$data/server.log"
STRATA_DATA_DIR="$data" STRATA_PORT="$port" STRATA_HOST=127.0.0.1 \
  java -jar services/server/target/quarkus-app/quarkus-run.jar >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
echo "Strata $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $(nproc) cores, embedded PostgreSQL (fsync on), ${seconds}s per step"
java -cp benchmarks/target/classes io.strata.benchmarks.ApiLoad "http://127.0.0.1:$port" "$seconds"
