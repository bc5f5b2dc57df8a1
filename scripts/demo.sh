#!/usr/bin/env bash
# The demo: provisions what it needs (Node 24, npm dependencies, the build,
# Envoy; cached, so a second run takes seconds), then walks through step-up
# authentication with a real OpenID Provider, the stepup sidecar, Envoy and an
# upstream app, all on 127.0.0.1. Exits 0 only if every step behaved as
# expected.
set -euo pipefail
cd "$(dirname "$0")/.."

# provision.sh prints `export PATH=...` for the Node it chose as its last line.
# (Assigned first, so that a failing provision stops this script.)
path_line=$(bash scripts/provision.sh | tail -n 1)
eval "$path_line"
exec node dist/demo/main.js "$@"
