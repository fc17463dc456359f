#!/usr/bin/env bash
# Feed lag while another repository does long data work (issue 28): builds Strata, starts it on a private
# PostgreSQL (fsync on), and prints, side by side, the lag from repository B's commits to B's SSE
# subscriber with nothing else running and while repository A merges 100 000 changed rows into its
# default branch, with B's commit latency in both phases and the merge's duration (FeedLag).
# Usage: benchmarks/run-feed-lag.sh [rows-of-A's-table, default 1000000] [seconds quiet, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -DskipTests package
echo "Strata $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $(nproc) cores"
java -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" io.strata.benchmarks.FeedLag \
  services/server/target/quarkus-app/quarkus-run.jar "${1:-1000000}" "${2:-10}"
