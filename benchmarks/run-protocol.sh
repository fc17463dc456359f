#!/usr/bin/env bash
# What the atomicity protocol of a command's data work costs (issue 28, "one atomicity protocol"): the
# same commits and merges on a table tracked as 'local' (data work in the append's transaction) and on a
# table in the same database tracked through a registered storage (the cross-storage protocol), side by
# side in one run, on a private PostgreSQL with fsync on.
# Usage: benchmarks/run-protocol.sh [rows, default 1000000] [rounds, default 9]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -DskipTests package
echo "Strata $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $(nproc) cores; $(uptime)"
java -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" io.strata.benchmarks.ProtocolBench \
  services/server/target/quarkus-app/quarkus-run.jar "${1:-1000000}" "${2:-9}"
