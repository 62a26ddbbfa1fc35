#!/usr/bin/env bash
# cluster-toolchain.sh - build and cache the binaries for a local, loopback-only
# Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kwok/kwokctl) plus the Debian packages for a local Docker
# daemon and registry. etcd is built from source because the Debian etcd
# (3.4) lacks RequestWatchProgress, which makes watches of recent
# Kubernetes clients fail and fall back to slow relists.
#
# Binaries are cached under
#   ${M2M_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/m2m-toolchain}/<component>-<version>/
# and a component is skipped when its cache dir is complete.
#
# Usage: cluster-toolchain.sh [STEP...]   steps: all (default) apt etcd kubernetes kwok print-env
#
# Environment:
#   K8S_VERSION        (default v1.37.2)  k8s.io/kubernetes tag; staging modules use v0.<minor>.<patch>
#   KWOK_VERSION       (default v0.8.0)   sigs.k8s.io/kwok tag
#   ETCD_VERSION       (default v3.6.16)  go.etcd.io/etcd/server/v3 tag
#   M2M_TOOLCHAIN_DIR  cache root (see above)
#   SKIP_APT=1         do not apt-get install missing Debian packages
#   GO                 go binary (default: go)
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-v1.37.2}
KWOK_VERSION=${KWOK_VERSION:-v0.8.0}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
TOOLCHAIN_DIR=${M2M_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/m2m-toolchain}
GO=${GO:-go}
APT_PACKAGES=(docker.io docker-registry busybox-static openssl)

log() { printf '[cluster-toolchain] %s\n' "$*" >&2; }
die() { printf '[cluster-toolchain] FAILED at step "%s": %s\n' "$1" "$2" >&2; exit 1; }

# run_step NAME CMD... : run a command, fail with the step name on error.
run_step() {
  local name=$1; shift
  local logf="$TOOLCHAIN_DIR/.logs/${name//\//_}.log"
  mkdir -p "$TOOLCHAIN_DIR/.logs"
  if ! "$@" >"$logf" 2>&1; then
    tail -n 30 "$logf" >&2 || true
    die "$name" "command failed: $* (full log: $logf)"
  fi
}

go_env() {
  # Module-mode builds of release tags; static binaries; no VCS stamping.
  export GOFLAGS="-mod=mod -buildvcs=false"
  export CGO_ENABLED=0
}

# build_go_module COMPONENT_DIR MODULE_DIR OUT_NAME PACKAGE [LDFLAGS_EXTRA]
build_go_binary() {
  local moddir=$1 out=$2 pkg=$3 extra=${4:-}
  local s e
  s=$(date +%s)
  (cd "$moddir" && "$GO" build -trimpath -ldflags="-s -w $extra" -o "$out.tmp" "$pkg") &&
    mv "$out.tmp" "$out" || return 1
  e=$(date +%s)
  log "built $(basename "$out") in $((e - s))s"
}

need_go() {
  command -v "$GO" >/dev/null 2>&1 || die "go" "Go toolchain not found (set GO=...)"
}

step_apt() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
  [ -x /bin/busybox ] || missing+=(busybox-static)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  if [ ${#missing[@]} -eq 0 ]; then log "apt: ${APT_PACKAGES[*]} already present"; return 0; fi
  if [ "${SKIP_APT:-0}" = 1 ]; then log "apt: SKIP_APT=1, missing: ${missing[*]}"; return 0; fi
  [ "$(id -u)" = 0 ] || die "apt" "need root to install: ${missing[*]}"
  log "apt: installing ${missing[*]}"
  run_step apt-update apt-get update
  run_step apt-install env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

step_etcd() {
  local dir="$TOOLCHAIN_DIR/etcd-$ETCD_VERSION"
  if [ -x "$dir/bin/etcd" ] && [ -f "$dir/.complete" ]; then log "etcd $ETCD_VERSION: cached"; return 0; fi
  need_go; go_env
  local work="$TOOLCHAIN_DIR/.build/etcd-$ETCD_VERSION"
  mkdir -p "$work" "$dir/bin"
  cat >"$work/go.mod" <<EOF
module localbuild/etcd

go 1.24

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
EOF
  printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' >"$work/tools.go"
  run_step etcd/mod-tidy bash -c "cd '$work' && '$GO' mod tidy"
  run_step etcd/build build_go_binary "$work" "$dir/bin/etcd" go.etcd.io/etcd/server/v3
  touch "$dir/.complete"
}

step_kubernetes() {
  local dir="$TOOLCHAIN_DIR/kubernetes-$K8S_VERSION"
  local bins=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
  local ok=1 b
  for b in "${bins[@]}"; do [ -x "$dir/bin/$b" ] || ok=0; done
  if [ $ok = 1 ] && [ -f "$dir/.complete" ]; then log "kubernetes $K8S_VERSION: cached"; return 0; fi
  need_go; go_env
  local staging_version="v0.${K8S_VERSION#v1.}"
  local work="$TOOLCHAIN_DIR/.build/kubernetes-$K8S_VERSION"
  mkdir -p "$work" "$dir/bin"
  # k8s.io/kubernetes points its k8s.io/* staging modules at ./staging via
  # replace directives; pin them to the published v0.<minor>.<patch> instead.
  local upstream_mod
  upstream_mod=$(cd "$work" && "$GO" mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p') ||
    die "kubernetes/mod-download" "could not download k8s.io/kubernetes@$K8S_VERSION from the module proxy"
  [ -f "$upstream_mod" ] || die "kubernetes/mod-download" "could not download k8s.io/kubernetes@$K8S_VERSION"
  local go_line
  go_line=$(grep -m1 '^go ' "$upstream_mod")
  {
    printf 'module localbuild/kubernetes\n\n%s\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$go_line" "$K8S_VERSION"
    grep -E '^[[:space:]]*k8s\.io/[^ ]+ => \./staging/' "$upstream_mod" | awk '{print $1}' |
      grep -v '^k8s.io/sample-' | while read -r m; do printf '\t%s => %s %s\n' "$m" "$m" "$staging_version"; done
    printf ')\n'
  } >"$work/go.mod"
  {
    printf '//go:build tools\n\npackage tools\n\nimport (\n'
    for b in "${bins[@]}"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$b"; done
    printf ')\n'
  } >"$work/tools.go"
  run_step kubernetes/mod-tidy bash -c "cd '$work' && '$GO' mod tidy"
  # Stamp the version the way the upstream release build does.
  local info commit date minor ld="" pkg
  info=$(cd "$work" && "$GO" mod download -json "k8s.io/kubernetes@$K8S_VERSION") || die "kubernetes/version-info" "go mod download -json failed"
  commit=$(printf '%s' "$info" | sed -n 's/.*"Hash": "\([0-9a-f]*\)".*/\1/p' | head -n1)
  date=$(printf '%s' "$info" | sed -n 's/.*"Time": "\([^"]*\)".*/\1/p' | head -n1)
  minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=${date:-1970-01-01T00:00:00Z}"
    [ -n "$commit" ] && ld+=" -X $pkg.gitCommit=$commit"
  done
  for b in "${bins[@]}"; do
    if [ -x "$dir/bin/$b" ]; then continue; fi
    run_step "kubernetes/build-$b" build_go_binary "$work" "$dir/bin/$b" "k8s.io/kubernetes/cmd/$b" "$ld"
  done
  touch "$dir/.complete"
}

step_kwok() {
  local dir="$TOOLCHAIN_DIR/kwok-$KWOK_VERSION"
  if [ -x "$dir/bin/kwok" ] && [ -x "$dir/bin/kwokctl" ] && [ -f "$dir/.complete" ]; then
    log "kwok $KWOK_VERSION: cached"; return 0
  fi
  need_go; go_env
  local work="$TOOLCHAIN_DIR/.build/kwok-$KWOK_VERSION"
  mkdir -p "$work" "$dir/bin" "$dir/stages"
  cat >"$work/go.mod" <<EOF
module localbuild/kwok

go 1.24

require sigs.k8s.io/kwok $KWOK_VERSION
EOF
  printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "sigs.k8s.io/kwok/cmd/kwok"\n\t_ "sigs.k8s.io/kwok/cmd/kwokctl"\n)\n' >"$work/tools.go"
  run_step kwok/mod-tidy bash -c "cd '$work' && '$GO' mod tidy"
  [ -x "$dir/bin/kwok" ] || run_step kwok/build-kwok build_go_binary "$work" "$dir/bin/kwok" sigs.k8s.io/kwok/cmd/kwok
  [ -x "$dir/bin/kwokctl" ] || run_step kwok/build-kwokctl build_go_binary "$work" "$dir/bin/kwokctl" sigs.k8s.io/kwok/cmd/kwokctl
  # The upstream stage definitions (node/pod lifecycle, volume provisioner)
  # ship in the module; keep a copy next to the binaries.
  local src
  src=$(cd "$work" && "$GO" list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
  [ -d "$src/kustomize/stage" ] || die "kwok/stages" "no kustomize/stage in $src"
  rm -rf "$dir/stages" && mkdir -p "$dir/stages"
  (cd "$src/kustomize/stage" && find . -name '*.yaml' -not -path '*/testdata/*' -not -name kustomization.yaml |
    while read -r f; do mkdir -p "$dir/stages/$(dirname "$f")"; cp "$f" "$dir/stages/$f"; done)
  chmod -R u+w "$dir/stages"
  touch "$dir/.complete"
}

print_env() {
  cat <<EOF
export M2M_TOOLCHAIN_DIR="$TOOLCHAIN_DIR"
export K8S_VERSION="$K8S_VERSION"
export KWOK_VERSION="$KWOK_VERSION"
export ETCD_VERSION="$ETCD_VERSION"
EOF
}

main() {
  mkdir -p "$TOOLCHAIN_DIR"
  local what
  for what in "${@:-all}"; do
    case "$what" in
      all) step_apt; step_etcd; step_kubernetes; step_kwok ;;
      apt) step_apt ;;
      etcd) step_etcd ;;
      kubernetes) step_kubernetes ;;
      kwok) step_kwok ;;
      print-env) print_env ;;
      *) echo "usage: $0 [all|apt|etcd|kubernetes|kwok|print-env]..." >&2; exit 2 ;;
    esac
  done
}

main "$@"
