#!/usr/bin/env bash
# run.sh - `npm run bench`: the benchmark on a local cluster of its own.
#
#   npm run bench [-- --quick] [--runs N] [--tenants 1,10,50] [--no-fixes] [--no-profile] [--no-unit] [--keep]
#   npm run bench -- --scale [--tenants 1,50,200] [--backends file,s3] …  (bench/scale.ts)
#
# Puts the toolchain on PATH (scripts/cluster-toolchain.sh print-env; nothing is built here:
# run `scripts/cluster-toolchain.sh all` first), stages the policy pack for the analyzer
# route if this checkout has not, starts a loopback control plane with kwok nodes in its own
# state dir and on ports of its own (so that it never meets `npm run dev`'s or CI's), runs
# bench/bench.ts, and stops and removes the cluster whatever happens.
#
# Environment (defaults in brackets):
#   BENCH_CLUSTER_DIR [${TMPDIR:-/tmp}/m2m-bench-cluster]   BENCH_CLUSTER_NODES [3]
#   BENCH_APISERVER_PORT [16443] BENCH_ETCD_CLIENT_PORT [33790] BENCH_ETCD_PEER_PORT [33800]
#   BENCH_KCM_PORT [20257] BENCH_SCHEDULER_PORT [20259] BENCH_KWOK_PORT [20247]
#   BENCH_KEEP_CLUSTER [0]  1 = leave the cluster running (and its state dir) afterwards
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] FAILED: %s\n' "$*" >&2; exit 1; }

export BENCH_CLUSTER_DIR=${BENCH_CLUSTER_DIR:-${TMPDIR:-/tmp}/m2m-bench-cluster}
cluster_env=(
  LOCAL_CLUSTER_DIR="$BENCH_CLUSTER_DIR"
  LOCAL_CLUSTER_NODES="${BENCH_CLUSTER_NODES:-3}"
  LOCAL_CLUSTER_DOCKER=0
  APISERVER_PORT="${BENCH_APISERVER_PORT:-16443}"
  ETCD_CLIENT_PORT="${BENCH_ETCD_CLIENT_PORT:-33790}"
  ETCD_PEER_PORT="${BENCH_ETCD_PEER_PORT:-33800}"
  KCM_PORT="${BENCH_KCM_PORT:-20257}"
  SCHEDULER_PORT="${BENCH_SCHEDULER_PORT:-20259}"
  KWOK_PORT="${BENCH_KWOK_PORT:-20247}"
)
cluster() { env "${cluster_env[@]}" scripts/local-cluster.sh "$@"; }

[ -d node_modules/@pulumi/pulumi ] || die "node_modules is missing: run npm ci"
eval "$(scripts/cluster-toolchain.sh print-env)"
command -v pulumi >/dev/null || die "no Pulumi CLI: build the toolchain first (scripts/cluster-toolchain.sh all)"
[ -x "$M2M_TOOLCHAIN_DIR/kubernetes-$K8S_VERSION/bin/kube-apiserver" ] || die "no control plane in $M2M_TOOLCHAIN_DIR: build the toolchain first (scripts/cluster-toolchain.sh all)"
if [ -n "${M2M_POLICY_PACK:-}" ] && [ ! -f "$M2M_POLICY_PACK/PulumiPolicy.yaml" ]; then
  scripts/cluster-toolchain.sh policy-pack
fi
export KUBECTL="$M2M_TOOLCHAIN_DIR/kubernetes-$K8S_VERSION/bin/kubectl"

for v in APISERVER_PORT ETCD_CLIENT_PORT ETCD_PEER_PORT KCM_PORT SCHEDULER_PORT KWOK_PORT; do
  port=$(printf '%s\n' "${cluster_env[@]}" | sed -n "s/^$v=//p")
  if ss -ltnH "sport = :$port" 2>/dev/null | grep -q .; then
    cluster status >/dev/null 2>&1 && { log "a bench cluster from an earlier run is still up in $BENCH_CLUSTER_DIR: stopping it"; cluster down; break; }
    die "port $port ($v) is taken by another process: set BENCH_$v to a free port"
  fi
done

cleanup() {
  rm -f Pulumi.bench-*.yaml bench/whatif/Pulumi.bench-*.yaml
  if [ "${BENCH_KEEP_CLUSTER:-0}" != 1 ]; then
    cluster down || true
    rm -rf "$BENCH_CLUSTER_DIR"
  fi
}
trap cleanup EXIT

rm -rf "$BENCH_CLUSTER_DIR"
t0=$(date +%s.%N)
eval "$(cluster up)"
export BENCH_CLUSTER_UP_SECONDS
BENCH_CLUSTER_UP_SECONDS=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
log "cluster up in ${BENCH_CLUSTER_UP_SECONDS} s (KUBECONFIG=$KUBECONFIG)"

node_modules/.bin/ts-node --transpile-only bench/bench.ts "$@"
