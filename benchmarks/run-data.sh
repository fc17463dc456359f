#!/usr/bin/env bash
# Row-data figures (capture overhead, commit of 10k changes, diff/time travel 1M vs 10K rows), side by
# side in one run, on a private PostgreSQL with fsync on; then merges (1K changes each side into 1M vs
# 10K rows, 100K changed rows into the default branch, listing 10K conflicts); then revert and reset of
# a 1K-row commit on 1M vs 10K rows.
# Usage: benchmarks/run-data.sh [rows-of-large-table] [merges | history: those figures only]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -DskipTests package
echo "Strata $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $(nproc) cores"
java -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" io.strata.benchmarks.DataBench \
  services/server/target/quarkus-app/quarkus-run.jar "${1:-1000000}" ${2:-}
