# Sourced by the runners: starts packaged Strata servers, each on a fresh embedded PostgreSQL (fsync on,
# as a user gets it) in a temporary data directory, and stops them and removes the directories on exit.
# Expects to run from the repository's root after `mvn package`.
dirs=()
servers=()
trap 'for s in "${servers[@]}"; do kill $s 2>/dev/null; wait $s 2>/dev/null || true; done; rm -rf "${dirs[@]}"' EXIT

# free_port: prints a free TCP port on loopback
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
    || echo $((18000 + RANDOM % 2000))
}

# start <auth> [env...]: starts a server with a fresh data directory; sets $url. The variable app may name
# another build's quarkus-app directory (default: this tree's); STRATA_JAVA_OPTS is passed to java.
start() {
  local auth=$1; shift
  local data port log
  data=$(mktemp -d); dirs+=("$data")
  port=$(free_port)
  log="$data/server.log"
  env STRATA_DATA_DIR="$data" STRATA_PORT="$port" STRATA_HOST=127.0.0.1 STRATA_AUTH="$auth" "$@" \
    java ${STRATA_JAVA_OPTS:-} -jar "${app:-services/server/target/quarkus-app}/quarkus-run.jar" >"$log" 2>&1 &
  servers+=($!)
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break
    kill -0 ${servers[-1]} 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.1
  done
  url="http://127.0.0.1:$port"
}
