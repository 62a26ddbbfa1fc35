#!/usr/bin/env bash
# dev.sh - the dev stack on this machine, in one command.
#
#   scripts/dev.sh up     (npm run dev)       build or reuse the toolchain, start the local
#                         control plane, dockerd and the registry on loopback, push the dev
#                         images, `up` the dev stack through the driver with the policy pack,
#                         print the endpoints
#   scripts/dev.sh down   (npm run dev:down)  destroy the dev stack, stop the local cluster
#
# A kubeconfig you give (KUBECONFIG set) wins: no local cluster is started, and the dev
# images are pushed only when a Docker daemon answers. State lives in .state/ (the
# driver's default file backend) unless PULUMI_BACKEND_URL says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[dev] %s\n' "$*" >&2; }
die() { printf '[dev] FAILED: %s\n' "$*" >&2; exit 1; }

# The dev stack's prebuilt image references, from Pulumi.dev.yaml.
dev_images() { grep -oE '127\.0\.0\.1:5000/m2m/[a-z0-9.-]+:[A-Za-z0-9._-]+' Pulumi.dev.yaml | sort -u; }

toolchain() {
  [ -d node_modules/@pulumi/pulumi ] || { log "npm ci"; npm ci --no-audit --no-fund; }
  scripts/cluster-toolchain.sh apt pulumi etcd kubernetes kwok
  eval "$(scripts/cluster-toolchain.sh print-env)"
}

cluster_up() {
  if [ -n "${KUBECONFIG:-}" ]; then
    log "using your kubeconfig $KUBECONFIG (no local cluster started)"
    return 0
  fi
  eval "$(scripts/local-cluster.sh up)"
}

push_images() {
  if ! docker version >/dev/null 2>&1; then
    log "no Docker daemon answers: dev images not pushed (the references in Pulumi.dev.yaml must exist in your registry)"
    return 0
  fi
  local ctx ref
  ctx=$(mktemp -d)
  cp images/dev/Dockerfile "$ctx/" && cp /bin/busybox "$ctx/busybox" || die "images/dev needs /bin/busybox (apt-get install busybox-static)"
  for ref in $(dev_images); do
    docker build -q -t "$ref" "$ctx" >/dev/null || die "docker build of $ref failed"
    docker push -q "$ref" >/dev/null || die "docker push of $ref failed"
    log "pushed $ref"
  done
  rm -rf "$ctx"
}

cmd_up() {
  local t0=$SECONDS
  toolchain
  cluster_up
  push_images
  npm run --silent deploy -- up --stack dev
  log "dev stack up in $((SECONDS - t0)) s (the endpoints are listed above)"
}

cmd_down() {
  toolchain
  if [ -z "${KUBECONFIG:-}" ]; then eval "$(scripts/local-cluster.sh env)"; fi
  npm run --silent deploy -- destroy --stack dev || log "destroy failed; the cluster is stopped anyway"
  if [ "${KUBECONFIG:-}" = "$(scripts/local-cluster.sh env | sed -n 's/^export KUBECONFIG="\(.*\)"$/\1/p')" ]; then
    scripts/local-cluster.sh down
  fi
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
