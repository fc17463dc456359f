#!/usr/bin/env bash
# The time from a source commit to its promotion merged with three SQL checks (issue 30), on a packaged server with
# a private PostgreSQL (fsync on): each step, the checks' own time, and the rest.
# Usage: benchmarks/run-promotion.sh [rows, default 1000000] [rounds, default 5]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -DskipTests package
echo "Strata $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $(nproc) cores; $(uptime)"
java -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" io.strata.benchmarks.PromotionBench \
  services/server/target/quarkus-app/quarkus-run.jar "${1:-1000000}" "${2:-5}"
echo "after the run: $(uptime)"
