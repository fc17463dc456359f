#!/usr/bin/env bash
# What the DDL guard costs (issue 29): Strata's own DDL (a branch's objects for every tracked table), an
# application's index created and dropped on a tracked table, and DDL on a table nobody tracks, with the
# guard's event triggers enabled and disabled in alternating rounds, on a private PostgreSQL (fsync on).
# Usage: benchmarks/run-ddl.sh [tables, default 20] [rounds, default 9]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -DskipTests -pl benchmarks -am package
echo "Strata $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $(nproc) cores; $(uptime)"
cd benchmarks/target
java -Xmx2g -cp "classes:$(cat classpath.txt)" io.strata.benchmarks.DdlGuardBench "${1:-20}" "${2:-9}"
echo "after the run: $(uptime)"
