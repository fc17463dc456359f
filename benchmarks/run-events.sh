#!/usr/bin/env bash
# Events out: the Kafka relay and webhooks. Builds Strata, starts two servers on fresh embedded
# PostgreSQLs (fsync on): one relaying to a Kafka broker that the driver starts later (a child JVM,
# KRaft, from the benchmarks module's classpath) and allowing webhooks to loopback, one with neither.
# Then EventsOut prints: the events/s the relay sends to drain a backlog; the lag from a commit's 201 to
# its record read from the topic under 8 committing clients; commit -> webhook delivery latency at 100
# paced commits/s to 10 endpoints (each commit must reach each endpoint); the CPU time per webhook
# delivery of the events-on server and its PostgreSQL (DeliveryCost); and commits/s (8 clients)
# with the relay and the 10 webhooks on vs neither, median of 5 alternating rounds, and their ratio, with
# the CPU time per commit each process spent in those rounds (the servers, their PostgreSQLs, the driver
# with its receiver, the broker: all share this machine's cores).
#
# Usage: benchmarks/run-events.sh [seconds-per-step]
#        benchmarks/run-events.sh [seconds-per-round] deliveries [rounds]
# The second form measures only the CPU time per webhook delivery (DeliveryCost), on a server of this
# tree and, when STRATA_BASELINE_APP names another build's quarkus-app directory, on a server of that
# build too, their rounds alternating (side by side on the same machine).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
mode=${2:-all}
if [ "$mode" = deliveries ]; then
  mvn -B -ntp -q -o -DskipTests -pl services/server,benchmarks -am package
else
  mvn -B -ntp -q -DskipTests package
fi
source benchmarks/server.sh
classpath="benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)"

if [ "$mode" = deliveries ]; then
  echo "Strata $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $(nproc) cores, embedded PostgreSQL (fsync on); $(uptime)"
  start none STRATA_WEBHOOKS_ALLOWED_HOSTS=127.0.0.0/8
  args=("this-tree" "$url" "${servers[-1]}" "${dirs[-1]}")
  if [ -n "${STRATA_BASELINE_APP:-}" ]; then
    app=$STRATA_BASELINE_APP start none STRATA_WEBHOOKS_ALLOWED_HOSTS=127.0.0.0/8
    args+=("baseline" "$url" "${servers[-1]}" "${dirs[-1]}")
  fi
  java -Dslf4j.internal.verbosity=ERROR -cp "$classpath" io.strata.benchmarks.DeliveryCost "$seconds" "${3:-3}" "${args[@]}"
  echo "after: $(uptime)"
  exit 0
fi

kafka_port=$(free_port)
controller_port=$(free_port)
echo "Strata $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $(nproc) cores, embedded PostgreSQL (fsync on), ${seconds}s per step; relay and webhook settings at their defaults"
start none STRATA_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$kafka_port" STRATA_WEBHOOKS_ALLOWED_HOSTS=127.0.0.0/8
on_url=$url; on_pid=${servers[-1]}; on_dir=${dirs[-1]}
start none; off_url=$url; off_pid=${servers[-1]}; off_dir=${dirs[-1]}
java -Dslf4j.internal.verbosity=ERROR -cp "$classpath" io.strata.benchmarks.EventsOut \
  "$on_url" "$off_url" "$kafka_port" "$controller_port" "$seconds" "$on_pid" "$on_dir" "$off_pid" "$off_dir"
