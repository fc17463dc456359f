#!/usr/bin/env bash
# How to branch a Delta table (issue 32, docs/delta.md): a pointer to the base version (an overlay design) against a
# shallow clone (a Delta log of the branch's own whose first commit adds the base's files by absolute path), by the
# base's file count, side by side in one run; then a shallow clone's read throughput against its base, through Kernel.
# Then the diff and the merge of 1 000 changed rows by table size (O(changes): only the changed files are read).
# Usage: benchmarks/run-delta-branch.sh [file counts, comma-separated; default 1000,10000,100000]
#        [data files of the read test; default 200] [rows per data file; default 5000]
#        [table sizes of the diff and merge test, rows; default 1000000,4000000] [changed rows; default 1000]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -DskipTests -pl benchmarks -am package
echo "Strata $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $(nproc) cores; $(uptime)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd benchmarks/target
java -Xmx4g -cp "classes:$(cat classpath.txt)" io.strata.benchmarks.delta.DeltaBranchBench "$work" \
  "${1:-1000,10000,100000}" "${2:-200}" "${3:-5000}" "${4:-1000000,4000000}" "${5:-1000}" 2>&1 | grep -v -E '^SLF4J|StatusLogger|log4j'
echo "after the run: $(uptime)"
