#!/usr/bin/env bash
# Runs the benchmark (W1 and W2 of perf.md) with one command:
#   bash scripts/bench.sh [flags]        (bash scripts/bench.sh --help for the flags)
# Provisions first (scripts/provision.sh: Node, npm ci, build, Envoy), plus
# ghz under $STEPUP_CACHE/go-bin and taskset (util-linux), then runs
# node dist/bench/run.js, which writes bench/results/latest.json,
# docs/benchmarks.md and docs/benchmarks-w1.svg.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

GHZ_VERSION="v0.121.0"

ensure_ghz() {
  local gobin="$STEPUP_CACHE/go-bin"
  local bin="$gobin/ghz"
  local stamp="$gobin/ghz.version"
  if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$GHZ_VERSION" ]; then
    log "ghz $GHZ_VERSION at $bin"
    return 0
  fi
  command -v go >/dev/null || die "go is needed to install ghz (apt-get install -y golang-go, or a Go toolchain on PATH)"
  log "installing ghz $GHZ_VERSION into $gobin (go install)"
  mkdir -p "$gobin"
  GOBIN="$gobin" go install "github.com/bojand/ghz/cmd/ghz@$GHZ_VERSION" >&2 \
    || die "go install github.com/bojand/ghz/cmd/ghz@$GHZ_VERSION failed; is the Go module proxy reachable?"
  echo "$GHZ_VERSION" > "$stamp"
}

ensure_taskset() {
  command -v taskset >/dev/null && return 0
  log "installing taskset (apt: util-linux)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq util-linux; } >&2 \
    || die "taskset is missing and apt-get install util-linux failed"
}

[ "$(nproc)" -ge 2 ] || die "the benchmark pins the server and the load generator to two different cores; this machine has $(nproc)"

eval "$(bash scripts/provision.sh | tail -n 1)"
ensure_ghz
ensure_taskset
exec node dist/bench/run.js "$@"
