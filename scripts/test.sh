#!/usr/bin/env bash
# README command 2: sets up everything the tests need on this machine (cached)
# and runs the whole suite: unit tests, then integration tests against a real
# Envoy, kube-apiserver and helm (and the other real parts they need). Exits
# non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/provision.sh --redis)"
# kube-apiserver, etcd, kubectl and helm for the chart and webhook tests
# (built from the Go module proxy on first use, then cached).
bash scripts/testenv.sh provision >&2

report=$(mktemp -t stepup-vitest-XXXXXX.json)
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?

# One plain closing line for CI: "N passed, N failed".
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  if (r.numTotalTests === 0) { console.error("no test ran"); process.exit(1); }
' "$report" || status=1
rm -f "$report"
exit "$status"
