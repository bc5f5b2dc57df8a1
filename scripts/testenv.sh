#!/usr/bin/env bash
# A real Kubernetes control plane for tests, without containers: etcd and
# kube-apiserver built from the Go module proxy, plus the matching kubectl and
# helm. Binaries are cached under ${STEPUP_CACHE:-$HOME/.cache/stepup}, keyed by
# version, so only the first `provision` is slow.
#
#   scripts/testenv.sh provision                 build what is missing (cold: long)
#   scripts/testenv.sh paths                     KEY=VALUE lines for the binaries
#   scripts/testenv.sh kube-up [DIR]             start etcd + kube-apiserver on
#                                                loopback; last stdout line is
#                                                KUBECONFIG=<path>
#   scripts/testenv.sh kube-restart-apiserver [DIR]
#                                                stop and start kube-apiserver only,
#                                                same ports, same etcd
#   scripts/testenv.sh kube-down [DIR]           stop what kube-up started
#
# DIR defaults to $STEPUP_KUBE_DIR, then (for kube-up) a fresh temp dir under
# /tmp, (for the others) the dir of $KUBECONFIG. Every message goes to
# stderr; stdout only carries the machine-readable lines.
#
# Knobs: STEPUP_K8S_VERSION (1.37.2), STEPUP_ETCD_VERSION (3.7.4),
# STEPUP_HELM_VERSION (4.3.2), STEPUP_KUBE_READY_TIMEOUT (seconds, 90),
# STEPUP_STORAGE=etcd|kine (etcd; kine = k3s-io/kine v0.17.5 on sqlite, the
# fallback where etcd cannot be built; STEPUP_KINE_VERSION),
# STEPUP_KUBE_APISERVER_EXTRA_FLAGS (appended to kube-apiserver's flags),
# STEPUP_KEEP_STATE=1 (kube-down keeps a temp dir that kube-up created).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$HERE/lib.sh"

STEPUP_CACHE="${STEPUP_CACHE:-$HOME/.cache/stepup}"
K8S_VERSION="${STEPUP_K8S_VERSION:-1.37.2}"
ETCD_VERSION="${STEPUP_ETCD_VERSION:-3.7.4}"
HELM_VERSION="${STEPUP_HELM_VERSION:-4.3.2}"
KINE_VERSION="${STEPUP_KINE_VERSION:-0.17.5}"
STORAGE="${STEPUP_STORAGE:-etcd}"
case "$STORAGE" in etcd|kine) ;; *) die "STEPUP_STORAGE must be 'etcd' or 'kine', not '$STORAGE'" ;; esac
READY_TIMEOUT="${STEPUP_KUBE_READY_TIMEOUT:-90}"

K8S_DIR="$STEPUP_CACHE/kubernetes-v$K8S_VERSION"
ETCD_DIR="$STEPUP_CACHE/etcd-v$ETCD_VERSION"
KUBE_APISERVER="$K8S_DIR/bin/kube-apiserver"
KUBECTL="$K8S_DIR/bin/kubectl"
ETCD="$ETCD_DIR/bin/etcd"
KINE="$STEPUP_CACHE/kine-v$KINE_VERSION/bin/kine"
# helm's directory depends on the version the proxy actually serves; see helm_bin.
HELM_LINK="$STEPUP_CACHE/helm-v4/bin/helm"

# ---------------------------------------------------------------- helpers

# Runs a long command with its output in a log file, saying every minute that
# it is still going, so a CI log never looks stuck. On failure shows the tail.
run_logged() {
  local what=$1 logf=$2; shift 2
  local start=$SECONDS pid
  log "$what (log: $logf)"
  "$@" >"$logf" 2>&1 &
  pid=$!
  # shellcheck disable=SC2064
  trap "kill $pid 2>/dev/null || true" INT TERM
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    if kill -0 "$pid" 2>/dev/null && (( (SECONDS - start) % 60 < 5 )) && (( SECONDS - start >= 60 )); then
      log "  ... still $what: $((SECONDS - start))s"
    fi
  done
  trap - INT TERM
  if ! wait "$pid"; then
    tail -n 40 "$logf" >&2 || true
    die "$what failed after $((SECONDS - start))s; full log in $logf${STEPUP_FAIL_HINT:+; $STEPUP_FAIL_HINT}"
  fi
  log "  done in $((SECONDS - start))s"
}

need_go() {
  if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then PATH="/usr/local/go/bin:$PATH"; fi
  command -v go >/dev/null 2>&1 \
    || die "the Go toolchain (>= 1.26) is needed to build kube-apiserver, etcd, kubectl and helm, and 'go' is not on PATH: install Go and retry"
}

# Serialise provisioning between concurrent callers (parallel test workers).
with_lock() {
  mkdir -p "$STEPUP_CACHE"
  command -v flock >/dev/null || die "flock (util-linux) is needed: apt-get install -y util-linux"
  exec 9>"$STEPUP_CACHE/.testenv.lock"
  flock -w 3600 9 || die "timed out waiting for another provision to finish (lock $STEPUP_CACHE/.testenv.lock)"
}

staging_version() { # 1.37.2 -> 0.37.2
  local major rest; major=${K8S_VERSION%%.*}; rest=${K8S_VERSION#*.}
  [ "$major" = 1 ] || die "unexpected Kubernetes version $K8S_VERSION"
  echo "0.$rest"
}

# ---------------------------------------------------------------- checks

# Each check captures the output first: `cmd | grep -q` under pipefail fails
# whenever grep exits before cmd has written everything (SIGPIPE).
out_of() { "$@" 2>/dev/null || true; }
apiserver_ok() { [ -x "$KUBE_APISERVER" ] && [ "$(out_of "$KUBE_APISERVER" --version)" = "Kubernetes v$K8S_VERSION" ]; }
kubectl_ok() { [ -x "$KUBECTL" ] && [[ $'\n'$(out_of "$KUBECTL" version --client)$'\n' == *$'\n'"Client Version: v$K8S_VERSION"$'\n'* ]]; }
etcd_ok() { [ -x "$ETCD" ] && [[ $(out_of "$ETCD" --version) == "etcd Version: $ETCD_VERSION"$'\n'* ]]; }
kine_ok() { [ -x "$KINE" ] && [[ $(out_of "$KINE" --version) == *"version v$KINE_VERSION "* ]]; }
storage_ok() { if [ "$STORAGE" = kine ]; then kine_ok; else etcd_ok; fi; }
helm_ok() { [ -x "$HELM_LINK" ] && [[ $(out_of "$HELM_LINK" version --short) == v4.* ]]; }

# ---------------------------------------------------------------- builds

build_kubernetes() {
  need_go
  local src="$K8S_DIR/src" sv kdir
  sv=$(staging_version)
  mkdir -p "$src" "$K8S_DIR/bin"
  log "Kubernetes v$K8S_VERSION: fetching k8s.io/kubernetes@v$K8S_VERSION from the Go module proxy"
  kdir=$(cd "$src" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') \
    || die "could not download k8s.io/kubernetes@v$K8S_VERSION (is the Go module proxy reachable? GOPROXY=$(go env GOPROXY))"
  [ -f "$kdir/go.mod" ] || die "k8s.io/kubernetes@v$K8S_VERSION has no go.mod at '$kdir'"

  # The staging modules that kubernetes' go.mod points at local paths: pin each
  # to its published v0.X.Y instead, so the module builds outside its repo.
  local staging
  staging=$(sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._/-]*\)[[:space:]]*=>[[:space:]]*\./staging/.*#\1#p' "$kdir/go.mod")
  [ -n "$staging" ] || die "found no staging replace directives in $kdir/go.mod: the layout of k8s.io/kubernetes changed; adjust build_kubernetes in $0"
  local goline; goline=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$kdir/go.mod")
  {
    echo "// Generated by scripts/testenv.sh: builds kube-apiserver and kubectl v$K8S_VERSION"
    echo "// outside the kubernetes repo by pinning its staging modules to v$sv."
    echo "module stepup.local/kubernetes-build"
    echo
    echo "go ${goline:-1.26.0}"
    echo
    echo "require k8s.io/kubernetes v$K8S_VERSION"
    echo
    echo "replace ("
    local m; for m in $staging; do echo "	$m => $m v$sv"; done
    echo ")"
  } >"$src/go.mod.new"
  if ! cmp -s "$src/go.mod.new" "$src/go.mod.tmpl" 2>/dev/null; then
    cp "$src/go.mod.new" "$src/go.mod.tmpl"; cp "$src/go.mod.new" "$src/go.mod"; rm -f "$src/go.sum"
  fi
  rm -f "$src/go.mod.new"
  log "  wrapper module $src/go.mod pins $(echo "$staging" | wc -w) staging modules to v$sv"

  local ld="-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION -X k8s.io/component-base/version.gitMajor=${K8S_VERSION%%.*}"
  local minor=${K8S_VERSION#*.}; minor=${minor%%.*}
  ld="$ld -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
  ld="$ld -X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION -X k8s.io/client-go/pkg/version.gitMajor=${K8S_VERSION%%.*} -X k8s.io/client-go/pkg/version.gitMinor=$minor"
  local out="$K8S_DIR/bin.new"; rm -rf "$out"; mkdir -p "$out"
  run_logged "building kube-apiserver and kubectl v$K8S_VERSION (cold: 5-15 min on 2 cores)" "$K8S_DIR/build.log" \
    env -C "$src" GOFLAGS=-mod=mod CGO_ENABLED=0 GOWORK=off \
    go build -trimpath -ldflags "$ld" -o "$out/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl
  mv -f "$out/kube-apiserver" "$KUBE_APISERVER"; mv -f "$out/kubectl" "$KUBECTL"; rmdir "$out"
  apiserver_ok || die "built $KUBE_APISERVER but '--version' says '$("$KUBE_APISERVER" --version 2>&1 | head -1)', not 'Kubernetes v$K8S_VERSION'"
  kubectl_ok || die "built $KUBECTL but 'version --client' says '$("$KUBECTL" version --client 2>&1 | head -1)', not v$K8S_VERSION"
}

build_etcd() {
  need_go
  local src="$ETCD_DIR/src" edir
  mkdir -p "$src" "$ETCD_DIR/bin"
  log "etcd v$ETCD_VERSION: fetching go.etcd.io/etcd/server/v3@v$ETCD_VERSION from the Go module proxy"
  edir=$(cd "$src" && GOFLAGS=-mod=mod go mod download -json "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') \
    || die "could not download go.etcd.io/etcd/server/v3@v$ETCD_VERSION from the Go module proxy"
  [ -f "$edir/go.mod" ] || die "go.etcd.io/etcd/server/v3@v$ETCD_VERSION has no go.mod at '$edir'"
  # etcd's server module replaces its sibling modules with ../ paths: pin them
  # to the same published version.
  local siblings goline
  siblings=$(sed -n 's#^[[:space:]]*\(go\.etcd\.io/etcd/[A-Za-z0-9._/-]*\)[[:space:]]*=>[[:space:]]*\.\./.*#\1#p' "$edir/go.mod")
  goline=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$edir/go.mod")
  {
    echo "// Generated by scripts/testenv.sh: builds etcd v$ETCD_VERSION outside its repo."
    echo "module stepup.local/etcd-build"
    echo
    echo "go ${goline:-1.26.0}"
    echo
    echo "require go.etcd.io/etcd/server/v3 v$ETCD_VERSION"
    if [ -n "$siblings" ]; then
      echo
      echo "replace ("
      local m; for m in $siblings; do echo "	$m => $m v$ETCD_VERSION"; done
      echo ")"
    fi
  } >"$src/go.mod.new"
  if ! cmp -s "$src/go.mod.new" "$src/go.mod.tmpl" 2>/dev/null; then
    cp "$src/go.mod.new" "$src/go.mod.tmpl"; cp "$src/go.mod.new" "$src/go.mod"; rm -f "$src/go.sum"
  fi
  rm -f "$src/go.mod.new"
  STEPUP_FAIL_HINT="or use kine instead of etcd: STEPUP_STORAGE=kine $0 provision" \
  run_logged "building etcd v$ETCD_VERSION (cold: 1-5 min)" "$ETCD_DIR/build.log" \
    env -C "$src" GOFLAGS=-mod=mod CGO_ENABLED=0 GOWORK=off \
    go build -trimpath -ldflags "-s -w" -o "$ETCD.new" go.etcd.io/etcd/server/v3
  mv -f "$ETCD.new" "$ETCD"
  etcd_ok || die "built $ETCD but '--version' says '$("$ETCD" --version 2>&1 | head -1)', not 'etcd Version: $ETCD_VERSION'"
}

# kine serves the etcd API on top of sqlite (cgo: needs a C compiler).
build_kine() {
  need_go
  command -v "${CC:-cc}" >/dev/null 2>&1 || die "kine's sqlite driver needs cgo and a C compiler: apt-get install -y gcc"
  local dir; dir=$(dirname "$(dirname "$KINE")")
  mkdir -p "$dir/bin"
  run_logged "building kine v$KINE_VERSION (cold: 1-4 min)" "$dir/build.log" \
    env -C / GOBIN="$dir/bin" GOFLAGS=-mod=mod CGO_ENABLED=1 GOWORK=off \
    go install -trimpath -ldflags "-s -w -X github.com/k3s-io/kine/pkg/version.Version=v$KINE_VERSION" "github.com/k3s-io/kine@v$KINE_VERSION"
  kine_ok || die "built $KINE but '--version' says '$("$KINE" --version 2>&1 | head -1)', not v$KINE_VERSION"
}

build_helm() {
  need_go
  local v="$HELM_VERSION"
  if ! (cd / && GOFLAGS=-mod=mod go list -m "helm.sh/helm/v4@v$v" >/dev/null 2>&1); then
    local newest
    newest=$(cd / && go list -m -versions helm.sh/helm/v4 2>/dev/null | tr ' ' '\n' | grep -E '^v4\.[0-9]+\.[0-9]+$' | sort -V | tail -1) || true
    [ -n "$newest" ] || die "the Go module proxy serves neither helm.sh/helm/v4@v$v nor any other v4 release"
    log "helm v$v is not served by the Go module proxy; using the newest v4 it serves: $newest"
    v=${newest#v}
  fi
  local dir="$STEPUP_CACHE/helm-v$v"
  mkdir -p "$dir/bin" "$(dirname "$HELM_LINK")"
  if ! { [ -x "$dir/bin/helm" ] && [[ $(out_of "$dir/bin/helm" version --short) == "v$v"* ]]; }; then
    run_logged "building helm v$v (cold: 2-5 min)" "$dir/build.log" \
      env -C / GOBIN="$dir/bin" GOFLAGS=-mod=mod CGO_ENABLED=0 GOWORK=off \
      go install -trimpath -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=v$v" "helm.sh/helm/v4/cmd/helm@v$v"
  fi
  ln -sfn "$dir/bin/helm" "$HELM_LINK"
  helm_ok || die "built $dir/bin/helm but 'helm version --short' says '$("$dir/bin/helm" version --short 2>&1 | head -1)', not v4.x"
}

provision() {
  local start=$SECONDS
  if apiserver_ok && kubectl_ok && storage_ok && helm_ok; then
    log "provision: everything cached in $STEPUP_CACHE (${SECONDS}s)"; return 0
  fi
  with_lock
  if [ "$STORAGE" = kine ]; then kine_ok || build_kine; else etcd_ok || build_etcd; fi
  helm_ok || build_helm
  { apiserver_ok && kubectl_ok; } || build_kubernetes
  log "provision: done in $((SECONDS - start))s; binaries under $STEPUP_CACHE"
}

cmd_paths() {
  local missing=()
  apiserver_ok || missing+=("kube-apiserver v$K8S_VERSION ($KUBE_APISERVER)")
  if [ "$STORAGE" = kine ]; then kine_ok || missing+=("kine v$KINE_VERSION ($KINE)")
  else etcd_ok || missing+=("etcd v$ETCD_VERSION ($ETCD)"); fi
  kubectl_ok || missing+=("kubectl v$K8S_VERSION ($KUBECTL)")
  helm_ok || missing+=("helm v4 ($HELM_LINK)")
  if [ ${#missing[@]} -gt 0 ]; then
    die "not provisioned: ${missing[*]}; run: $0 provision"
  fi
  echo "KUBE_APISERVER=$KUBE_APISERVER"
  if [ "$STORAGE" = kine ]; then echo "KINE=$KINE"; else echo "ETCD=$ETCD"; fi
  echo "KUBECTL=$KUBECTL"
  echo "HELM=$(readlink -f "$HELM_LINK")"
}

# ---------------------------------------------------------------- cluster

# A TCP port on 127.0.0.1 that nothing listens on (per /proc/net/tcp{,6}),
# not in $* and not in the kernel's ephemeral range.
free_port() {
  local used p i
  used=$(awk 'NR>1 && $4=="0A" {split($2,a,":"); print strtonum("0x" a[2])}' /proc/net/tcp /proc/net/tcp6 2>/dev/null | sort -u)
  for i in $(seq 1 200); do
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 12000 ))
    if ! grep -qx "$p" <<<"$used" && ! [[ " $* " == *" $p "* ]]; then echo "$p"; return 0; fi
  done
  die "found no free TCP port on 127.0.0.1"
}

port_listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

resolve_dir() { # for commands that act on an existing cluster
  local d=${1:-${STEPUP_KUBE_DIR:-}}
  # Without a DIR, use the cluster that $KUBECONFIG (as printed by kube-up) names.
  if [ -z "$d" ] && [ -n "${KUBECONFIG:-}" ] && [ -f "$(dirname "$KUBECONFIG")/state.env" ]; then d=$(dirname "$KUBECONFIG"); fi
  [ -n "$d" ] || die "which cluster? pass the DIR that kube-up used (or set STEPUP_KUBE_DIR, or KUBECONFIG to the path kube-up printed)"
  [ -f "$d/state.env" ] || die "$d is not a state dir made by '$0 kube-up' (no state.env)"
  (cd "$d" && pwd)
}

pid_alive() { # pidfile binary -> pid is alive and runs that binary
  local pf=$1 bin=$2 pid
  [ -f "$pf" ] || return 1
  pid=$(cat "$pf")
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
  [ "$(readlink -f "/proc/$pid/exe" 2>/dev/null)" = "$(readlink -f "$bin")" ]
}

stop_pid() { # pidfile binary name
  local pf=$1 bin=$2 name=$3 pid i
  if pid_alive "$pf" "$bin"; then
    pid=$(cat "$pf")
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do [ -d "/proc/$pid" ] || break; sleep 0.2; done
    if [ -d "/proc/$pid" ]; then log "$name (pid $pid) ignored TERM for 20s; killing it"; kill -KILL "$pid" 2>/dev/null || true; sleep 0.5; fi
    log "stopped $name (pid $pid)"
  elif [ -f "$pf" ]; then
    log "$name was not running (stale pid file $pf)"
  fi
  rm -f "$pf"
}

# Runs BIN detached from this shell: own session, no inherited fds (so a caller
# that reads our stdout through a pipe is not kept waiting), output to LOG.
daemon() { # pidfile log bin args...
  local pf=$1 logf=$2; shift 2
  setsid "$@" </dev/null >>"$logf" 2>&1 9>&- &
  local pid=$! want i
  echo "$pid" >"$pf"
  # Until the forked shell has exec'd setsid and setsid has exec'd the binary,
  # /proc/$pid/exe names bash or setsid, and pid_alive would call the process
  # dead. Wait (briefly) for the exec, so the start-up checks see the binary.
  want=$(readlink -f "$1")
  for i in $(seq 1 100); do
    [ -d "/proc/$pid" ] || break
    [ "$(readlink -f "/proc/$pid/exe" 2>/dev/null)" = "$want" ] && break
    sleep 0.05
  done
}

gen_pki() {
  local d=$1 pki="$1/pki"
  command -v openssl >/dev/null || die "openssl is needed to make the test cluster's certificates: apt-get install -y openssl"
  mkdir -p "$pki"; chmod 700 "$pki"
  [ -f "$pki/ca.crt" ] && [ -f "$pki/apiserver.crt" ] && [ -f "$pki/admin.crt" ] && [ -f "$pki/sa.key" ] && return 0
  log "generating certificates in $pki"
  (
    cd "$pki"
    set -e
    openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
    openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=stepup-testenv-ca" -out ca.crt \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    # Serving certificate, found by kube-apiserver as <cert-dir>/apiserver.{crt,key}.
    openssl ecparam -name prime256v1 -genkey -noout -out apiserver.key 2>/dev/null
    openssl req -new -key apiserver.key -subj "/CN=kube-apiserver" -out apiserver.csr 2>/dev/null
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=serverAuth" \
      "subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local" >apiserver.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days 3650 \
      -extfile apiserver.ext -out apiserver.crt 2>/dev/null
    # Admin client certificate: group system:masters bypasses RBAC.
    openssl ecparam -name prime256v1 -genkey -noout -out admin.key 2>/dev/null
    openssl req -new -key admin.key -subj "/O=system:masters/CN=stepup-admin" -out admin.csr 2>/dev/null
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=clientAuth" >admin.ext
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days 3650 \
      -extfile admin.ext -out admin.crt 2>/dev/null
    # Service-account token signing pair.
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sa.key 2>/dev/null
    openssl pkey -in sa.key -pubout -out sa.pub 2>/dev/null
    rm -f ./*.csr ./*.ext ca.srl
    # A static bearer token for the same admin identity, for clients that
    # prefer tokens to client certificates.
    printf '%s,stepup-admin,stepup-admin,system:masters\n' "$(openssl rand -hex 24)" >admin-token.csv
    chmod 600 ./*.key admin-token.csv
  ) || die "openssl failed to make the certificates in $pki"
}

write_kubeconfig() { # dir port
  local d=$1 port=$2 b64
  b64() { base64 -w0 <"$1"; }
  cat >"$d/kubeconfig.new" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: stepup-testenv
  cluster:
    server: https://127.0.0.1:$port
    certificate-authority-data: $(b64 "$d/pki/ca.crt")
users:
- name: stepup-admin
  user:
    client-certificate-data: $(b64 "$d/pki/admin.crt")
    client-key-data: $(b64 "$d/pki/admin.key")
contexts:
- name: stepup-testenv
  context:
    cluster: stepup-testenv
    user: stepup-admin
current-context: stepup-testenv
EOF
  chmod 600 "$d/kubeconfig.new"; mv -f "$d/kubeconfig.new" "$d/kubeconfig"
}

log_tail_die() { # logfile message
  log "last lines of $1:"; tail -n 30 "$1" >&2 || true
  die "$2"
}

storage_bin() { if [ "$STORAGE" = kine ]; then echo "$KINE"; else echo "$ETCD"; fi; }

start_storage() { # dir   (etcd, or kine on sqlite; both serve the etcd API)
  local d=$1 bin t0=$SECONDS resp
  # shellcheck disable=SC1091
  . "$d/state.env"
  bin=$(storage_bin)
  mkdir -p "$d/$STORAGE"; chmod 700 "$d/$STORAGE"
  if [ "$STORAGE" = kine ]; then
    daemon "$d/kine.pid" "$d/kine.log" "$KINE" --listen-address "127.0.0.1:$ETCD_PORT" \
      --endpoint "sqlite://$d/kine/state.db?_journal_mode=WAL&_busy_timeout=30000&_synchronous=OFF&cache=shared" \
      --metrics-bind-address 0
  else
    daemon "$d/etcd.pid" "$d/etcd.log" "$ETCD" --name stepup --data-dir "$d/etcd" \
      --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
      --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
      --initial-cluster "stepup=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state new \
      --unsafe-no-fsync --quota-backend-bytes 2147483648 --log-level warn
  fi
  while :; do
    pid_alive "$d/$STORAGE.pid" "$bin" || log_tail_die "$d/$STORAGE.log" "$STORAGE exited at start-up (port $ETCD_PORT); see $d/$STORAGE.log"
    if [ "$STORAGE" = kine ]; then
      port_listening "$ETCD_PORT" && break
    elif resp=$( (exec 3<>"/dev/tcp/127.0.0.1/$ETCD_PORT" && printf 'GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 && timeout 2 cat <&3) 2>/dev/null ) \
       && [[ $resp == *'"health":"true"'* ]]; then
      break
    fi
    (( SECONDS - t0 < 30 )) || log_tail_die "$d/$STORAGE.log" "$STORAGE did not come up on 127.0.0.1:$ETCD_PORT within 30s"
    sleep 0.2
  done
  log "$STORAGE $("$bin" --version 2>/dev/null | head -1 | grep -o 'v\?[0-9][0-9.]*' | head -1) up on 127.0.0.1:$ETCD_PORT (pid $(cat "$d/$STORAGE.pid"), $((SECONDS - t0))s)"
}

start_apiserver() { # dir
  local d=$1
  # shellcheck disable=SC1091
  . "$d/state.env"
  local extra=()
  # shellcheck disable=SC2206
  [ -n "${STEPUP_KUBE_APISERVER_EXTRA_FLAGS:-}" ] && extra=($STEPUP_KUBE_APISERVER_EXTRA_FLAGS)
  daemon "$d/kube-apiserver.pid" "$d/kube-apiserver.log" "$KUBE_APISERVER" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --cert-dir "$d/pki" \
    --secure-port "$APISERVER_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --endpoint-reconciler-type none \
    --service-cluster-ip-range 10.0.0.0/24 \
    --allow-privileged=true \
    --authorization-mode RBAC \
    --client-ca-file "$d/pki/ca.crt" \
    --token-auth-file "$d/pki/admin-token.csv" \
    --service-account-issuer "https://127.0.0.1:$APISERVER_PORT" \
    --service-account-key-file "$d/pki/sa.pub" \
    --service-account-signing-key-file "$d/pki/sa.key" \
    "${extra[@]}"
  local t0=$SECONDS out=""
  while :; do
    pid_alive "$d/kube-apiserver.pid" "$KUBE_APISERVER" \
      || log_tail_die "$d/kube-apiserver.log" "kube-apiserver exited at start-up (port $APISERVER_PORT); see $d/kube-apiserver.log"
    if out=$("$KUBECTL" --kubeconfig "$d/kubeconfig" --request-timeout 3s get --raw /readyz 2>&1) && [ "$out" = ok ]; then break; fi
    (( SECONDS - t0 < READY_TIMEOUT )) \
      || log_tail_die "$d/kube-apiserver.log" "kube-apiserver on 127.0.0.1:$APISERVER_PORT not ready after ${READY_TIMEOUT}s (last /readyz answer: ${out:0:300}); it is left running, stop it with: $0 kube-down $d"
    sleep 0.5
  done
  log "kube-apiserver v$K8S_VERSION ready on https://127.0.0.1:$APISERVER_PORT (pid $(cat "$d/kube-apiserver.pid"), $((SECONDS - t0))s)"
}

cmd_kube_up() {
  local d=${1:-${STEPUP_KUBE_DIR:-}} t0=$SECONDS
  # A dir that already holds a cluster keeps the storage it was made with.
  if [ -n "$d" ] && [ -f "$d/state.env" ]; then
    local was; was=$(sed -n 's/^STORAGE=//p' "$d/state.env")
    if [ -n "$was" ] && [ "$was" != "$STORAGE" ]; then
      [ -z "${STEPUP_STORAGE:-}" ] || die "$d holds a cluster stored in $was, but STEPUP_STORAGE=$STEPUP_STORAGE: use another dir or STEPUP_STORAGE=$was"
      STORAGE=$was
    fi
  fi
  provision
  if [ -z "$d" ]; then
    d=$(mktemp -d /tmp/stepup-kube.XXXXXX)
    touch "$d/.made-by-testenv"
  fi
  mkdir -p "$d"; d=$(cd "$d" && pwd)

  local etcd_up=0 api_up=0
  pid_alive "$d/$STORAGE.pid" "$(storage_bin)" && etcd_up=1
  pid_alive "$d/kube-apiserver.pid" "$KUBE_APISERVER" && api_up=1
  if [ $etcd_up = 1 ] && [ $api_up = 1 ]; then
    log "cluster in $d is already running"
    echo "KUBECONFIG=$d/kubeconfig"; return 0
  fi
  [ $api_up = 1 ] && stop_pid "$d/kube-apiserver.pid" "$KUBE_APISERVER" kube-apiserver

  # Ports: keep the ones from an earlier run of this dir while they are free.
  local ep="" pp="" ap=""
  if [ -f "$d/state.env" ]; then
    ep=$(sed -n 's/^ETCD_PORT=//p' "$d/state.env"); pp=$(sed -n 's/^ETCD_PEER_PORT=//p' "$d/state.env")
    ap=$(sed -n 's/^APISERVER_PORT=//p' "$d/state.env")
  fi
  if [ $etcd_up = 0 ]; then
    { [ -n "$ep" ] && ! port_listening "$ep"; } || ep=$(free_port)
    { [ -n "$pp" ] && ! port_listening "$pp"; } || pp=$(free_port "$ep")
  fi
  { [ -n "$ap" ] && ! port_listening "$ap"; } || ap=$(free_port "$ep" "$pp")
  printf 'STORAGE=%s\nETCD_PORT=%s\nETCD_PEER_PORT=%s\nAPISERVER_PORT=%s\n' "$STORAGE" "$ep" "$pp" "$ap" >"$d/state.env"

  gen_pki "$d"
  write_kubeconfig "$d" "$ap"
  [ $etcd_up = 1 ] || start_storage "$d"
  start_apiserver "$d"
  log "kube-up: control plane in $d ready in $((SECONDS - t0))s (logs: $d/*.log; admin token: $d/pki/admin-token.csv)"
  echo "KUBECONFIG=$d/kubeconfig"
}

cmd_kube_restart_apiserver() {
  local d; d=$(resolve_dir "${1:-}")
  apiserver_ok && kubectl_ok || die "kube-apiserver/kubectl v$K8S_VERSION are not provisioned; run: $0 provision"
  # shellcheck disable=SC1091
  . "$d/state.env"
  pid_alive "$d/$STORAGE.pid" "$(storage_bin)" || die "$STORAGE of $d is not running; start the cluster with: $0 kube-up $d"
  local t0=$SECONDS
  stop_pid "$d/kube-apiserver.pid" "$KUBE_APISERVER" kube-apiserver
  # shellcheck disable=SC1091
  . "$d/state.env"
  local i; for i in $(seq 1 50); do port_listening "$APISERVER_PORT" || break; sleep 0.2; done
  port_listening "$APISERVER_PORT" && die "port $APISERVER_PORT is still taken after stopping kube-apiserver"
  { echo; echo "----- restart at $(date -Is) -----"; } >>"$d/kube-apiserver.log"
  start_apiserver "$d"
  log "kube-restart-apiserver: back in $((SECONDS - t0))s"
  echo "KUBECONFIG=$d/kubeconfig"
}

cmd_kube_down() {
  local d; d=$(resolve_dir "${1:-}")
  stop_pid "$d/kube-apiserver.pid" "$KUBE_APISERVER" kube-apiserver
  # shellcheck disable=SC1091
  . "$d/state.env"
  stop_pid "$d/$STORAGE.pid" "$(storage_bin)" "$STORAGE"
  if [ -f "$d/.made-by-testenv" ] && [ "${STEPUP_KEEP_STATE:-0}" != 1 ]; then
    rm -rf -- "$d"
    log "removed $d (a temp dir made by kube-up; set STEPUP_KEEP_STATE=1 to keep it)"
  else
    log "kept $d ($STORAGE data, certificates, logs)"
  fi
}

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" >&2; }

case "${1:-}" in
  provision) provision ;;
  paths) cmd_paths ;;
  kube-up) shift; cmd_kube_up "$@" ;;
  kube-down) shift; cmd_kube_down "$@" ;;
  kube-restart-apiserver) shift; cmd_kube_restart_apiserver "$@" ;;
  -h|--help|help) usage ;;
  *) usage; die "unknown or missing subcommand '${1:-}'" ;;
esac
