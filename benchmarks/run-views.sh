#!/usr/bin/env bash
# Branch views against their floor (issue 28, "Speed at every size"): base tables of each size with a
# 1 000-row and a 100 000-row overlay, SELECT * / sum,count / GROUP BY / 5 000 point lookups through
# the view and through the cheapest hand-written equivalent, side by side in one run, on a private
# PostgreSQL with fsync on; the plans' shapes inline, the full plans in benchmarks/target/view-plans.txt.
# Usage: benchmarks/run-views.sh [sizes, comma-separated; default 10000,100000,1000000]
#   10M rows only when asked: benchmarks/run-views.sh 10000000 (see docs/branch-view-performance.md for its time)
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -DskipTests -pl benchmarks -am package
echo "Strata $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $(nproc) cores; $(uptime)"
cd benchmarks/target
java -Xmx6g -cp "classes:$(cat classpath.txt)" io.strata.benchmarks.ViewBench "${1:-10000,100000,1000000}"
echo "after the run: $(uptime)"
