#!/usr/bin/env bash
# What a branch's unique constraint costs its writes (issue 29): single-row inserts through a branch's view with and
# without a unique rule, side by side in one run, on a private PostgreSQL with fsync on.
# Usage: benchmarks/run-unique.sh [sizes, comma-separated; default 10000,1000000]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -DskipTests -pl benchmarks -am package
echo "Strata $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $(nproc) cores; $(uptime)"
cd benchmarks/target
java -Xmx4g -cp "classes:$(cat classpath.txt)" io.strata.benchmarks.UniqueWriteBench "${1:-10000,1000000}"
echo "after the run: $(uptime)"
