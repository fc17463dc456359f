#!/usr/bin/env bash
# Commands on one branch while another branch of the same repository does long data work (issue 28,
# "short appends"): 10-row commits on one branch while the default branch merges 100 000 rows, against
# the same commits alone, in one run, on a private PostgreSQL with fsync on.
# Usage: benchmarks/run-sidebyside.sh [rows, default 1000000] [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -DskipTests package
echo "Strata $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $(nproc) cores; $(uptime)"
java -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" io.strata.benchmarks.SideBySideBench \
  services/server/target/quarkus-app/quarkus-run.jar "${1:-1000000}" "${2:-3}"
