#!/usr/bin/env bash
# The promotion service's steady CPU with idle pipelines, and the time from a commit to its promotion merged by
# the service (issue 30), on a packaged server with a private PostgreSQL and the packaged promotion service.
# Usage: benchmarks/run-promotion-service.sh [pipelines, default 100] [idle window in seconds, default 60]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -DskipTests package
echo "Strata $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $(nproc) cores; $(uptime)"
java -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" io.strata.benchmarks.PromotionServiceBench \
  services/server/target/quarkus-app/quarkus-run.jar services/promotion/target/quarkus-app/quarkus-run.jar \
  "${1:-100}" "${2:-60}"
echo "after the run: $(uptime)"
