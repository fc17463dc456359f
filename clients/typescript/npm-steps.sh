#!/usr/bin/env bash
# The build's npm steps: lint the OpenAPI document (Redocly CLI, recommended rules: any error fails the
# build) and compile the TypeScript client generated from it. A machine with only a JDK and Maven skips
# them with a notice; CI (CI=true) never does.
set -euo pipefail
document="$1"
cd "$(dirname "$0")"

if ! command -v npm >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ]; then
    echo "[ERROR] npm is not on PATH, and CI=true: the OpenAPI lint and the TypeScript client cannot be skipped on CI" >&2
    exit 1
  fi
  echo "[WARNING] SKIPPED the OpenAPI lint and the TypeScript client's compilation: npm is not on PATH"
  echo "[WARNING] (install Node.js 20.19+ with npm to run them; CI runs them on every build)"
  exit 0
fi

# the pinned tools of package-lock.json, installed once into node_modules
if [ ! -x node_modules/.bin/redocly ] || [ ! -x node_modules/.bin/tsc ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "Linting $document (Redocly recommended rules)"
node_modules/.bin/redocly lint --config redocly.yaml "$document"

echo "Compiling the generated TypeScript client (tsconfig.json: strict)"
node_modules/.bin/tsc -p tsconfig.json
