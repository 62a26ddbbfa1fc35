#!/usr/bin/env bash
# local-cluster.sh - a loopback-only local Kubernetes control plane with fake
# (kwok) nodes, plus a local Docker daemon and image registry.
#
# Usage:
#   local-cluster.sh up [KUBECONFIG_PATH]   start everything, wait for readiness
#   local-cluster.sh down                   stop everything this script started
#   local-cluster.sh status                 show component state
#   local-cluster.sh env                    print shell exports (eval "$(... env)")
#
# Components (all bound to 127.0.0.1 or a unix socket under the state dir):
#   etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
#   kwok (fake nodes; pods become Running/Ready, PVCs of the default
#   StorageClass "kwok-volume" are provisioned and bound),
#   dockerd (no bridge/iptables) and docker-registry.
#
# Environment (defaults in brackets):
#   LOCAL_CLUSTER_DIR   state dir [${XDG_STATE_HOME:-$HOME/.local/state}/m2m-local-cluster]
#   M2M_TOOLCHAIN_DIR   binaries cache [${XDG_CACHE_HOME:-$HOME/.cache}/m2m-toolchain]
#   K8S_VERSION [v1.37.2]  KWOK_VERSION [v0.8.0]  ETCD_VERSION [v3.6.16]
#   LOCAL_CLUSTER_NODES [3]        number of fake nodes
#   LOCAL_CLUSTER_DOCKER [1]       0 = do not start dockerd/registry
#   APISERVER_PORT [6443] ETCD_CLIENT_PORT [23790] ETCD_PEER_PORT [23800]
#   KCM_PORT [10257] SCHEDULER_PORT [10259] KWOK_PORT [10247] REGISTRY_PORT [5000]
#   LOCAL_CLUSTER_TIMEOUT [120]    seconds to wait for each readiness check
set -euo pipefail

STATE_DIR=${LOCAL_CLUSTER_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/m2m-local-cluster}
TOOLCHAIN_DIR=${M2M_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/m2m-toolchain}
K8S_VERSION=${K8S_VERSION:-v1.37.2}
KWOK_VERSION=${KWOK_VERSION:-v0.8.0}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
NODES=${LOCAL_CLUSTER_NODES:-3}
WITH_DOCKER=${LOCAL_CLUSTER_DOCKER:-1}
APISERVER_PORT=${APISERVER_PORT:-6443}
ETCD_CLIENT_PORT=${ETCD_CLIENT_PORT:-23790}
ETCD_PEER_PORT=${ETCD_PEER_PORT:-23800}
KCM_PORT=${KCM_PORT:-10257}
SCHEDULER_PORT=${SCHEDULER_PORT:-10259}
KWOK_PORT=${KWOK_PORT:-10247}
REGISTRY_PORT=${REGISTRY_PORT:-5000}
TIMEOUT=${LOCAL_CLUSTER_TIMEOUT:-120}
SERVICE_CIDR=10.96.0.0/16
SERVICE_IP=10.96.0.1
POD_CIDR=10.244.0.0/16

K8S_BIN="$TOOLCHAIN_DIR/kubernetes-$K8S_VERSION/bin"
KWOK_DIR="$TOOLCHAIN_DIR/kwok-$KWOK_VERSION"
PKI="$STATE_DIR/pki"
RUN="$STATE_DIR/run"
LOGS="$STATE_DIR/logs"
ADMIN_KUBECONFIG="$STATE_DIR/kubeconfig"
DOCKER_SOCK="$RUN/docker.sock"

log() { printf '[local-cluster] %s\n' "$*" >&2; }
die() { printf '[local-cluster] FAILED at step "%s": %s\n' "$1" "$2" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1fs", b-a}'; }

etcd_bin() {
  # ETCD_BIN may point at another etcd >= 3.5 (3.4 lacks RequestWatchProgress).
  if [ -n "${ETCD_BIN:-}" ]; then echo "$ETCD_BIN"
  elif [ -x "$TOOLCHAIN_DIR/etcd-$ETCD_VERSION/bin/etcd" ]; then echo "$TOOLCHAIN_DIR/etcd-$ETCD_VERSION/bin/etcd"; fi
}
# The toolchain's kubectl matches the server version; any kubectl on PATH is the fallback.
kubectl_bin() { if [ -x "$K8S_BIN/kubectl" ]; then echo "$K8S_BIN/kubectl"; else command -v kubectl; fi; }
kctl() { "$(kubectl_bin)" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }

check_tools() {
  local b
  for b in kube-apiserver kube-controller-manager kube-scheduler; do
    [ -x "$K8S_BIN/$b" ] || die "check-tools" "$K8S_BIN/$b missing (run cluster-toolchain.sh)"
  done
  [ -x "$KWOK_DIR/bin/kwok" ] || die "check-tools" "$KWOK_DIR/bin/kwok missing (run cluster-toolchain.sh)"
  [ -n "$(etcd_bin)" ] || die "check-tools" "no etcd binary (run cluster-toolchain.sh)"
  [ -n "$(kubectl_bin)" ] || die "check-tools" "kubectl not found (run cluster-toolchain.sh kubernetes)"
  command -v openssl >/dev/null || die "check-tools" "openssl not found"
  command -v curl >/dev/null || die "check-tools" "curl not found"
  if [ "$WITH_DOCKER" = 1 ]; then
    command -v dockerd >/dev/null || die "check-tools" "dockerd not found (apt-get install docker.io)"
    command -v docker-registry >/dev/null || die "check-tools" "docker-registry not found (apt-get install docker-registry)"
  fi
}

# ---------------------------------------------------------------- processes
pid_of() { [ -f "$RUN/$1.pid" ] && cat "$RUN/$1.pid" 2>/dev/null || true; }
is_running() {
  local pid; pid=$(pid_of "$1")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}
# start NAME CMD... : start a background process (own session), record its pid.
start() {
  local name=$1; shift
  if is_running "$name"; then log "$name already running (pid $(pid_of "$name"))"; return 0; fi
  mkdir -p "$RUN" "$LOGS"
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}
stop() {
  local name=$1 pid i
  pid=$(pid_of "$name")
  if [ -z "$pid" ]; then return 0; fi
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then log "$name did not stop, killing"; kill -KILL "$pid" 2>/dev/null || true; fi
    log "stopped $name (pid $pid)"
  fi
  rm -f "$RUN/$name.pid"
}
# wait_for STEP CMD... : retry CMD until it succeeds or TIMEOUT.
wait_for() {
  local step=$1; shift
  local deadline=$(( $(date +%s) + TIMEOUT ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      die "$step" "not ready after ${TIMEOUT}s (logs in $LOGS)"
    fi
    sleep 0.3
  done
}
assert_alive() { is_running "$1" || die "$1" "process exited; last log lines:$(printf '\n'; tail -n 20 "$LOGS/$1.log" 2>/dev/null)"; }

# ---------------------------------------------------------------- pki
gen_cert() { # NAME CN O [SAN]
  local name=$1 cn=$2 o=$3 san=${4:-} ext
  [ -f "$PKI/$name.crt" ] && return 0
  ext=$(mktemp)
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [ -n "$san" ]; then echo "extendedKeyUsage=serverAuth,clientAuth"; echo "subjectAltName=$san"
    else echo "extendedKeyUsage=clientAuth"; fi
  } >"$ext"
  local subj="/CN=$cn"; [ -n "$o" ] && subj="/O=$o$subj"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$ext" "$PKI/$name.csr"
}
write_kubeconfig() { # FILE CERTNAME
  local file=$1 name=$2
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: m2m-local
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $PKI/ca.crt
users:
- name: $name
  user:
    client-certificate: $PKI/$name.crt
    client-key: $PKI/$name.key
contexts:
- name: m2m-local
  context:
    cluster: m2m-local
    user: $name
current-context: m2m-local
EOF
}
setup_pki() {
  mkdir -p "$PKI"; chmod 700 "$PKI"
  if [ ! -f "$PKI/ca.crt" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PKI/ca.key" -out "$PKI/ca.crt" -days 3650 \
      -subj "/CN=m2m-local-ca" -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null || die "pki" "CA generation failed"
  fi
  gen_cert apiserver kube-apiserver "" \
    "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:$SERVICE_IP" ||
    die "pki" "apiserver cert"
  gen_cert admin kubernetes-admin system:masters || die "pki" "admin cert"
  gen_cert controller-manager system:kube-controller-manager "" || die "pki" "controller-manager cert"
  gen_cert scheduler system:kube-scheduler "" || die "pki" "scheduler cert"
  gen_cert kwok kwok-controller system:masters || die "pki" "kwok cert"
  if [ ! -f "$PKI/sa.key" ]; then
    openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null && openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null ||
      die "pki" "service-account key"
  fi
  write_kubeconfig "$ADMIN_KUBECONFIG" admin
  write_kubeconfig "$STATE_DIR/controller-manager.kubeconfig" controller-manager
  write_kubeconfig "$STATE_DIR/scheduler.kubeconfig" scheduler
  write_kubeconfig "$STATE_DIR/kwok.kubeconfig" kwok
}

# ---------------------------------------------------------------- components
up_etcd() {
  local t; t=$(now)
  start etcd env -u ETCD_VERSION "$(etcd_bin)" --name=m2m-local --data-dir="$STATE_DIR/etcd" \
    --listen-client-urls="http://127.0.0.1:$ETCD_CLIENT_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="m2m-local=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls="" \
    --quota-backend-bytes=2147483648 --snapshot-count=10000 --log-level=warn
  wait_for etcd bash -c "curl -sf http://127.0.0.1:$ETCD_CLIENT_PORT/health | grep -q '\"health\":\"true\"'"
  log "etcd ready ($(elapsed "$t"))"
}
up_apiserver() {
  local t; t=$(now)
  start kube-apiserver "$K8S_BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
    --endpoint-reconciler-type=none \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --api-audiences=https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --authorization-mode=RBAC --allow-privileged=true --profiling=false
  wait_for kube-apiserver kctl get --raw /readyz
  log "kube-apiserver ready ($(elapsed "$t"))"
}
up_controller_manager() {
  local t; t=$(now) kc="$STATE_DIR/controller-manager.kubeconfig"
  start kube-controller-manager "$K8S_BIN/kube-controller-manager" \
    --kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
    --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --leader-elect=false \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
    --use-service-account-credentials=true --service-cluster-ip-range="$SERVICE_CIDR" \
    --cluster-name=m2m-local --profiling=false
  wait_for kube-controller-manager curl -skf "https://127.0.0.1:$KCM_PORT/healthz"
  log "kube-controller-manager ready ($(elapsed "$t"))"
}
up_scheduler() {
  local t; t=$(now) kc="$STATE_DIR/scheduler.kubeconfig"
  start kube-scheduler "$K8S_BIN/kube-scheduler" \
    --kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
    --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" --leader-elect=false --profiling=false
  wait_for kube-scheduler curl -skf "https://127.0.0.1:$SCHEDULER_PORT/healthz"
  log "kube-scheduler ready ($(elapsed "$t"))"
}
write_kwok_config() {
  local s="$KWOK_DIR/stages" f out="$STATE_DIR/kwok.yaml"
  : >"$out"
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml \
    volume/fast/pv-bind.yaml volume/fast/pv-delete.yaml volume/fast/pvc-provision.yaml volume/fast/pvc-delete.yaml; do
    [ -f "$s/$f" ] || die "kwok-config" "missing stage $s/$f"
    { echo "---"; cat "$s/$f"; } >>"$out"
  done
}
up_kwok() {
  local t; t=$(now)
  write_kwok_config
  start kwok "$KWOK_DIR/bin/kwok" --kubeconfig="$STATE_DIR/kwok.kubeconfig" --config="$STATE_DIR/kwok.yaml" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --cidr="$POD_CIDR" --node-ip=127.0.0.1 --node-lease-duration-seconds=40 \
    --server-address="127.0.0.1:$KWOK_PORT"
  wait_for kwok curl -sf "http://127.0.0.1:$KWOK_PORT/healthz"
  log "kwok ready ($(elapsed "$t"))"
}
create_nodes() {
  local t i; t=$(now)
  {
    for i in $(seq 0 $((NODES - 1))); do
      cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    kubernetes.io/arch: amd64
    kubernetes.io/os: linux
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
    topology.kubernetes.io/zone: zone-$((i % 3))
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110", ephemeral-storage: 1Ti}
  capacity: {cpu: "32", memory: 256Gi, pods: "110", ephemeral-storage: 1Ti}
EOF
    done
  } | kctl apply -f - >/dev/null || die "nodes" "creating fake nodes failed"
  wait_for nodes-ready kctl wait --for=condition=Ready node -l type=kwok --timeout=5s
  log "$NODES fake nodes Ready ($(elapsed "$t"))"
}
setup_storage() {
  kctl apply -f "$KWOK_DIR/stages/volume/fast/storage-class.yaml" >/dev/null || die "storage-class" "apply failed"
}
wait_default_sa() {
  wait_for default-serviceaccount kctl -n default get serviceaccount default
}
up_docker() {
  local t; t=$(now)
  mkdir -p "$STATE_DIR/docker"
  start dockerd dockerd --host="unix://$DOCKER_SOCK" --data-root="$STATE_DIR/docker/data" \
    --exec-root="$STATE_DIR/docker/exec" --pidfile="$STATE_DIR/docker/dockerd.pid" \
    --iptables=false --ip6tables=false --bridge=none --ip-forward=false --ip-masq=false \
    --userland-proxy=false --insecure-registry="127.0.0.1:$REGISTRY_PORT" \
    --containerd-namespace=m2m-local --containerd-plugins-namespace=m2m-local-plugins
  wait_for dockerd env DOCKER_HOST="unix://$DOCKER_SOCK" docker version
  log "dockerd ready ($(elapsed "$t"))"
  t=$(now)
  mkdir -p "$STATE_DIR/registry/data"
  cat >"$STATE_DIR/registry/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $STATE_DIR/registry/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$REGISTRY_PORT
EOF
  start registry docker-registry serve "$STATE_DIR/registry/config.yml"
  wait_for registry curl -sf "http://127.0.0.1:$REGISTRY_PORT/v2/"
  log "registry ready on 127.0.0.1:$REGISTRY_PORT ($(elapsed "$t"))"
}

print_env() {
  echo "export KUBECONFIG=\"${1:-$ADMIN_KUBECONFIG}\""
  if [ "$WITH_DOCKER" = 1 ]; then
    echo "export DOCKER_HOST=\"unix://$DOCKER_SOCK\""
    echo "export LOCAL_REGISTRY=\"127.0.0.1:$REGISTRY_PORT\""
  fi
}

cmd_up() {
  local out=${1:-$ADMIN_KUBECONFIG} t0; t0=$(now)
  check_tools
  mkdir -p "$STATE_DIR" "$RUN" "$LOGS"
  setup_pki
  up_etcd; assert_alive etcd
  up_apiserver; assert_alive kube-apiserver
  up_controller_manager; assert_alive kube-controller-manager
  up_scheduler; assert_alive kube-scheduler
  up_kwok; assert_alive kwok
  setup_storage
  create_nodes
  wait_default_sa
  if [ "$WITH_DOCKER" = 1 ]; then up_docker; fi
  if [ "$out" != "$ADMIN_KUBECONFIG" ]; then
    mkdir -p "$(dirname "$out")"; cp "$ADMIN_KUBECONFIG" "$out"
  fi
  echo "$out" >"$STATE_DIR/kubeconfig.path"
  log "cluster up in $(elapsed "$t0"); kubeconfig: $out"
  print_env "$out"
}
cmd_down() {
  local n
  for n in registry dockerd kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do stop "$n"; done
  log "down"
}
cmd_status() {
  local n rc=0
  for n in etcd kube-apiserver kube-controller-manager kube-scheduler kwok dockerd registry; do
    if is_running "$n"; then printf '%-24s running (pid %s)\n' "$n" "$(pid_of "$n")"
    else printf '%-24s stopped\n' "$n"; [ "$n" = dockerd ] || [ "$n" = registry ] || rc=1; fi
  done
  if is_running kube-apiserver && kctl get --raw /readyz >/dev/null 2>&1; then
    kctl get nodes -o wide 2>/dev/null || true
  fi
  return $rc
}

main() {
  case "${1:-}" in
    up) shift; cmd_up "$@" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    env) p=$ADMIN_KUBECONFIG; [ -f "$STATE_DIR/kubeconfig.path" ] && p=$(cat "$STATE_DIR/kubeconfig.path"); print_env "$p" ;;
    *) echo "usage: $0 up [KUBECONFIG_PATH] | down | status | env" >&2; exit 2 ;;
  esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then main "$@"; fi
