#!/usr/bin/env bash
# Columns added, altered, dropped and renamed, checks and indexes added on a branch and promoted (issue 29): each on a branch of a small and a large
# table (zero-copy: the same time), the branch's view after it against one before it, and the promotion's
# ALTER TABLE on the large table with a writer running, on a private PostgreSQL (fsync on).
# Usage: benchmarks/run-schema.sh [small rows, default 1000] [large rows, default 1000000] [rounds, default 9]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -DskipTests -pl benchmarks -am package
echo "Strata $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $(nproc) cores; $(uptime)"
cd benchmarks/target
java -Xmx4g -cp "classes:$(cat classpath.txt)" io.strata.benchmarks.AddColumnBench "${1:-1000}" "${2:-1000000}" "${3:-9}"
echo "after the run: $(uptime)"
