#!/usr/bin/env bash
# Renders deploy/install.yaml, the plain-manifest install, from charts/stepup:
# the chart's default values except two, because a file that everyone applies
# must not carry a private key that everyone shares:
#   webhook.certManager.enabled=true            cert-manager issues the webhook certificate;
#   controller.signingKey.existingSecret=...    the snapshot signing key is a Secret you create.
# Usage: bash scripts/render-install.sh [OUT]   (OUT defaults to deploy/install.yaml)
# test/chart-objects.test.ts fails when deploy/install.yaml is not what this prints.
# It also copies the CRD to deploy/crds/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

out=${1:-deploy/install.yaml}
helm=${HELM:-$(bash scripts/testenv.sh paths | sed -n 's/^HELM=//p')}
[ -x "$helm" ] || die "helm not found; run: bash scripts/testenv.sh provision"
namespace=stepup-system
version=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' charts/stepup/Chart.yaml)

rendered=$("$helm" template stepup charts/stepup --namespace "$namespace" --skip-tests \
  --set webhook.certManager.enabled=true \
  --set controller.signingKey.existingSecret=stepup-signing-key)

{
  cat <<HEADER
# stepup $version: plain manifests, rendered from charts/stepup by
# scripts/render-install.sh (do not edit; re-run the script).
#
# Needs cert-manager (it issues the webhook's certificate). Before applying,
# create the Ed25519 key that signs policy snapshots:
#   kubectl create namespace $namespace
#   openssl genpkey -algorithm ed25519 -out ed25519.pem
#   kubectl -n $namespace create secret generic stepup-signing-key --from-file=ed25519.pem
# then: kubectl apply -f deploy/install.yaml. docs/install.md has the steps.
---
apiVersion: v1
kind: Namespace
metadata:
  name: $namespace
HEADER
  printf '%s\n' "$rendered"
} >"$out"
log "wrote $out"

# deploy/crds is the CRD alone, byte for byte the chart's (test/crd.test.ts checks it).
if [ "$out" = deploy/install.yaml ]; then
  cp charts/stepup/files/crd-stepuppolicies.yaml deploy/crds/stepuppolicies.stepup.dev.yaml
  log "wrote deploy/crds/stepuppolicies.stepup.dev.yaml"
fi
