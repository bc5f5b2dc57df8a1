#!/usr/bin/env bash
# Runs the benchmark (W1 and W2 of perf.md) with one command:
#   bash scripts/bench.sh [flags]        (bash scripts/bench.sh --help for the flags)
# Provisions first (scripts/provision.sh: Node, npm ci, build, Envoy), plus
# ghz under $STEPUP_CACHE/go-bin, opa-envoy-plugin (the W1 peer) under
# $STEPUP_CACHE, and taskset (util-linux), then runs
# node dist/bench/run.js, which writes bench/results/latest.json,
# docs/benchmarks.md and docs/benchmarks-w1.svg. `bash scripts/bench.sh w7`
# runs W7 instead (bench/w7-workers.ts; installs h2load).
# `bash scripts/bench.sh all [flags]` reproduces every figure of
# docs/benchmarks.md in one go (about 15 minutes): W3 (Redis), W6 (controller
# fan-out, 1,000 and 10,000 sidecars, on a real kube-apiserver), W7, then
# W1, W2, W4 and W5 with [flags], which also rewrites the document.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

GHZ_VERSION="v0.121.0"
# The W1 peer. Its module proxy list is not served, so `go install …@version`
# fails while it looks up deprecations: a small wrapper module requires the
# exact version and builds the command from it. Keep in step with
# OPA_VERSION in bench/options.ts.
OPA_ENVOY_VERSION="v1.12.0-envoy"

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

ensure_opa() {
  local dir="$STEPUP_CACHE/opa-envoy-plugin-$OPA_ENVOY_VERSION"
  local bin="$dir/opa-envoy-plugin"
  if [ -x "$bin" ]; then
    log "opa-envoy-plugin $OPA_ENVOY_VERSION at $bin"
    return 0
  fi
  if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then PATH="/usr/local/go/bin:$PATH"; fi
  command -v go >/dev/null || { log "no Go toolchain: the bench runs without the opa-envoy-plugin peer"; return 0; }
  local src="$STEPUP_CACHE/opa-envoy-plugin-src-$OPA_ENVOY_VERSION"
  log "building opa-envoy-plugin $OPA_ENVOY_VERSION into $dir (wrapper module in $src; a few minutes cold)"
  mkdir -p "$src" "$dir"
  printf 'module stepup.local/opa-envoy-plugin-build\n\ngo 1.24.6\n\nrequire github.com/open-policy-agent/opa-envoy-plugin %s\n' "$OPA_ENVOY_VERSION" > "$src/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/open-policy-agent/opa-envoy-plugin/cmd/opa-envoy-plugin"\n' > "$src/tools.go"
  (cd "$src" && GOFLAGS=-mod=mod go mod tidy >&2 && GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$bin.new" github.com/open-policy-agent/opa-envoy-plugin/cmd/opa-envoy-plugin >&2) \
    || die "building opa-envoy-plugin $OPA_ENVOY_VERSION failed (see above); rerun with --no-opa to leave the peer out"
  mv "$bin.new" "$bin"
}

ensure_taskset() {
  command -v taskset >/dev/null && return 0
  log "installing taskset (apt: util-linux)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq util-linux; } >&2 \
    || die "taskset is missing and apt-get install util-linux failed"
}

ensure_h2load() {
  command -v h2load >/dev/null && return 0
  log "installing h2load (apt: nghttp2-client), W7's load generator"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nghttp2-client; } >&2 \
    || die "h2load is missing and apt-get install nghttp2-client failed"
}

[ "$(nproc)" -ge 2 ] || die "the benchmark pins the server and the load generator to two different cores; this machine has $(nproc)"

# W7 (--workers 2 against 1 on the same two cores) is its own run:
#   bash scripts/bench.sh w7 [--reps 5] [--seconds 8] [--connections 4] [--streams 16] [--workers 2] [--no-docs]
if [ "${1:-}" = "w7" ]; then
  shift
  eval "$(bash scripts/provision.sh | tail -n 1)"
  ensure_taskset
  ensure_h2load
  exec node dist/bench/w7-workers.js "$@"
fi

if [ "${1:-}" = "all" ]; then
  shift
  eval "$(bash scripts/provision.sh --redis | tail -n 1)"
  ensure_ghz
  ensure_opa
  ensure_taskset
  ensure_h2load
  log "W3: the same policy with signals in memory and in Redis (bench/w3-signals.ts)"
  node dist/bench/w3-signals.js
  log "W6: controller fan-out to 1,000 and 10,000 simulated sidecars (bench/w6-fanout.ts; builds the kube test set-up when not cached)"
  taskset -c 1 node dist/bench/w6-fanout.js --sidecars 1000 --runs 5
  taskset -c 1 node dist/bench/w6-fanout.js --sidecars 10000 --runs 3
  log "W7: --workers 2 against --workers 1 (bench/w7-workers.ts)"
  node dist/bench/w7-workers.js --no-docs
  log "W1, W2, W4, W5, then docs/benchmarks.md with every section"
  STEPUP_BENCH_COMMAND="scripts/bench.sh all $*" exec node dist/bench/run.js "$@"
fi

eval "$(bash scripts/provision.sh | tail -n 1)"
ensure_ghz
case " $* " in *" --no-opa "*) ;; *) ensure_opa ;; esac
ensure_taskset
exec node dist/bench/run.js "$@"
