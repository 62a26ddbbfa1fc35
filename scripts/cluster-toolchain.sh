#!/usr/bin/env bash
# cluster-toolchain.sh - build and cache the binaries for a local, loopback-only
# Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kwok/kwokctl), the Pulumi CLI with its Node.js language host
# and Kubernetes provider, plus the Debian packages for a local Docker daemon
# and registry. etcd is built from source because the Debian etcd
# (3.4) lacks RequestWatchProgress, which makes watches of recent
# Kubernetes clients fail and fall back to slow relists. promtool (for the alert rules'
# unit tests, npm run test:rules) is built from the Prometheus module as well,
# and SeaweedFS's weed (a loopback S3 server for the shared-state specs,
# scripts/s3-server.sh) from the SeaweedFS module.
#
# Binaries are cached under
#   ${M2M_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/m2m-toolchain}/<component>-<version>/
# and a component is skipped when its cache dir is complete.
#
# Usage: cluster-toolchain.sh [STEP...]
#   steps: all (default) apt etcd kubernetes kwok pulumi promtool seaweedfs print-env
#   pulumi = pulumi-cli language-nodejs kubernetes-provider policy-pack. Where a Pulumi CLI
#   with the Node.js language host and the kubernetes plugin is already
#   installed (PATH or ~/.pulumi), the pulumi steps build nothing.
#
# Environment:
#   K8S_VERSION        (default v1.37.2)  k8s.io/kubernetes tag; staging modules use v0.<minor>.<patch>
#   KWOK_VERSION       (default v0.8.0)   sigs.k8s.io/kwok tag
#   PROMTOOL_VERSION   (default v0.316.0) github.com/prometheus/prometheus module version
#                                         (Prometheus 3.16.0) of cmd/promtool
#   SEAWEEDFS_VERSION  (default v0.0.0-20261109003541-7506e5f91cd6) github.com/seaweedfs/seaweedfs
#                                         pseudo-version (the proxy's @latest) of ./weed, the S3 server
#   ETCD_VERSION       (default v3.6.16)  go.etcd.io/etcd/server/v3 tag
#   PULUMI_VERSION     (default v3.248.0) github.com/pulumi/pulumi/pkg/v3 tag (the CLI)
#   K8S_PROVIDER_VERSION (default 4.25.0) pulumi-resource-kubernetes release
#   M2M_TOOLCHAIN_DIR  cache root (see above)
#   SKIP_APT=1         do not apt-get install missing Debian packages
#   GO                 go binary (default: go)
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-v1.37.2}
KWOK_VERSION=${KWOK_VERSION:-v0.8.0}
# Prometheus 3.x is published as the Go module versions v0.3<minor>.<patch>.
PROMTOOL_VERSION=${PROMTOOL_VERSION:-v0.316.0}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
# SeaweedFS publishes no tagged module versions: the proxy serves it under a pseudo-version only.
SEAWEEDFS_VERSION=${SEAWEEDFS_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}
PULUMI_VERSION=${PULUMI_VERSION:-v3.248.0}
# The newest Node.js language host the module proxy serves is the one inside sdk/v3 v3.68.0.
PULUMI_NODEJS_HOST_VERSION=${PULUMI_NODEJS_HOST_VERSION:-v3.68.0}
# pulumi-kubernetes v4.25.0 is served only under its pseudo-version.
K8S_PROVIDER_VERSION=${K8S_PROVIDER_VERSION:-4.25.0}
K8S_PROVIDER_MODULE_VERSION=${K8S_PROVIDER_MODULE_VERSION:-v4.0.0-20260115033456-f47bc2d6f199}
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

# promtool, for `promtool check rules` and `promtool test rules` of the alert rules.
step_promtool() {
  local dir="$TOOLCHAIN_DIR/promtool-$PROMTOOL_VERSION"
  if [ -x "$dir/bin/promtool" ] && [ -f "$dir/.complete" ]; then log "promtool $PROMTOOL_VERSION: cached"; return 0; fi
  need_go; go_env
  local work="$TOOLCHAIN_DIR/.build/promtool-$PROMTOOL_VERSION" src version
  mkdir -p "$work" "$dir/bin"
  printf 'module localbuild/promtool\n\ngo 1.24\n' >"$work/go.mod"
  src=$(module_dir "$work" "github.com/prometheus/prometheus@$PROMTOOL_VERSION") && [ -n "$src" ] ||
    die "promtool/mod-download" "could not download github.com/prometheus/prometheus@$PROMTOOL_VERSION"
  # Build with the module's own dependency versions: its go line and go.sum.
  printf 'module localbuild/promtool\n\n%s\n\nrequire github.com/prometheus/prometheus %s\n' \
    "$(grep -m1 '^go ' "$src/go.mod")" "$PROMTOOL_VERSION" >"$work/go.mod"
  cp "$src/go.sum" "$work/go.sum" && chmod u+w "$work/go.sum"
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/prometheus/prometheus/cmd/promtool"\n' >"$work/tools.go"
  run_step promtool/mod-tidy bash -c "cd '$work' && '$GO' mod tidy"
  # Stamp the version the way the upstream release build (promu) does.
  version=$(cat "$src/VERSION" 2>/dev/null || echo "$PROMTOOL_VERSION")
  run_step promtool/build build_go_binary "$work" "$dir/bin/promtool" github.com/prometheus/prometheus/cmd/promtool \
    "-X github.com/prometheus/common/version.Version=$version -X github.com/prometheus/common/version.Branch=HEAD -X github.com/prometheus/common/version.BuildUser=m2m-toolchain"
  touch "$dir/.complete"
}

# SeaweedFS's weed, the S3 server of the shared-state specs (scripts/s3-server.sh). Its
# go.mod has replace directives, so `go install .../weed@version` is refused: build ./weed
# inside a writable copy of the downloaded module, with the module's own go.mod and go.sum.
step_seaweedfs() {
  local dir="$TOOLCHAIN_DIR/seaweedfs-$SEAWEEDFS_VERSION"
  if [ -x "$dir/bin/weed" ] && [ -f "$dir/.complete" ]; then log "seaweedfs $SEAWEEDFS_VERSION: cached"; return 0; fi
  need_go; go_env
  local work="$TOOLCHAIN_DIR/.build/seaweedfs-$SEAWEEDFS_VERSION" src
  mkdir -p "$work" "$dir/bin"
  printf 'module localbuild/probe\n\ngo 1.24\n' >"$work/go.mod"
  src=$(module_dir "$work" "github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION") && [ -n "$src" ] ||
    die "seaweedfs/mod-download" "could not download github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION"
  rm -rf "$work/seaweedfs" && cp -r "$src" "$work/seaweedfs" && chmod -R u+w "$work/seaweedfs"
  run_step seaweedfs/build build_go_binary "$work/seaweedfs" "$dir/bin/weed" ./weed
  rm -rf "$work/seaweedfs"
  touch "$dir/.complete"
}

# A Pulumi CLI with the Node.js language host and the kubernetes plugin that is
# already installed (a connected machine): use it and build nothing.
pulumi_preinstalled() {
  [ "${M2M_FORCE_PULUMI_BUILD:-0}" = 1 ] && return 1
  command -v pulumi >/dev/null 2>&1 || return 1
  case "$(command -v pulumi)" in "$TOOLCHAIN_DIR"/*) return 1 ;; esac
  command -v pulumi-language-nodejs >/dev/null 2>&1 || [ -x "$(dirname "$(command -v pulumi)")/pulumi-language-nodejs" ] || return 1
  pulumi plugin ls 2>/dev/null | grep -q '^kubernetes ' || return 1
}

pulumi_env() {
  go_env
  # The checksum database does not know these modules.
  export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/pulumi/*"
}

# module_dir WORKDIR MODULE@VERSION : download a module, print its directory.
module_dir() { (cd "$1" && "$GO" mod download -json "$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p'); }

step_pulumi_cli() {
  local dir="$TOOLCHAIN_DIR/pulumi-$PULUMI_VERSION"
  if [ -x "$dir/bin/pulumi" ] && [ -f "$dir/.complete" ]; then log "pulumi $PULUMI_VERSION: cached"; return 0; fi
  need_go; pulumi_env
  local work="$TOOLCHAIN_DIR/.build/pulumi-$PULUMI_VERSION" src
  mkdir -p "$work" "$dir/bin"
  printf 'module localbuild/pulumi\n\ngo 1.25\n' >"$work/go.mod"
  src=$(module_dir "$work" "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION") && [ -n "$src" ] ||
    die "pulumi/mod-download" "could not download github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION"
  # pkg's own go.mod points sdk at ../sdk and replaces atotto/clipboard: keep the latter, pin sdk.
  {
    printf 'module localbuild/pulumi\n\n%s\n\n' "$(grep -m1 '^go ' "$src/go.mod")"
    printf 'require (\n\tgithub.com/pulumi/pulumi/pkg/v3 %s\n\tgithub.com/pulumi/pulumi/sdk/v3 %s\n)\n\n' "$PULUMI_VERSION" "$PULUMI_VERSION"
    grep -E '^replace github.com/atotto/clipboard' "$src/go.mod"
  } >"$work/go.mod"
  cp "$src/go.sum" "$work/go.sum" && chmod u+w "$work/go.sum"
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"\n' >"$work/tools.go"
  run_step pulumi/mod-tidy bash -c "cd '$work' && '$GO' mod tidy"
  run_step pulumi/build build_go_binary "$work" "$dir/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"
  touch "$dir/.complete"
}

# The Node.js language host, and the script the engine runs for dynamic providers.
step_language_nodejs() {
  local dir="$TOOLCHAIN_DIR/pulumi-$PULUMI_VERSION"
  if [ -x "$dir/bin/pulumi-language-nodejs" ] && [ -f "$dir/.complete-nodejs" ]; then log "pulumi-language-nodejs: cached"; return 0; fi
  need_go; pulumi_env
  local work="$TOOLCHAIN_DIR/.build/pulumi-language-nodejs-$PULUMI_NODEJS_HOST_VERSION" src dist
  mkdir -p "$work" "$dir/bin"
  printf 'module localbuild/nodejshost\n\ngo 1.18\n' >"$work/go.mod"
  src=$(module_dir "$work" "github.com/pulumi/pulumi/sdk/v3@$PULUMI_NODEJS_HOST_VERSION") && [ -n "$src" ] ||
    die "language-nodejs/mod-download" "could not download github.com/pulumi/pulumi/sdk/v3@$PULUMI_NODEJS_HOST_VERSION"
  {
    printf 'module localbuild/nodejshost\n\ngo 1.18\n\nrequire github.com/pulumi/pulumi/sdk/v3 %s\n\n' "$PULUMI_NODEJS_HOST_VERSION"
    grep -E '^replace golang.org/x/text' "$src/go.mod"
  } >"$work/go.mod"
  cp "$src/go.sum" "$work/go.sum" && chmod u+w "$work/go.sum"
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"\n' >"$work/tools.go"
  run_step language-nodejs/mod-tidy bash -c "cd '$work' && '$GO' mod tidy"
  run_step language-nodejs/build build_go_binary "$work" "$dir/bin/pulumi-language-nodejs" \
    github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_NODEJS_HOST_VERSION"
  dist=$(module_dir "$work" "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION")/nodejs/dist
  [ -f "$dist/pulumi-resource-pulumi-nodejs" ] || die "language-nodejs/dist" "no pulumi-resource-pulumi-nodejs in $dist"
  install -m 0755 "$dist/pulumi-resource-pulumi-nodejs" "$dir/bin/pulumi-resource-pulumi-nodejs"
  touch "$dir/.complete-nodejs"
}

step_kubernetes_provider() {
  local dir="$TOOLCHAIN_DIR/pulumi-kubernetes-$K8S_PROVIDER_VERSION"
  if [ -x "$dir/bin/pulumi-resource-kubernetes" ] && [ -f "$dir/.complete" ]; then
    log "pulumi-resource-kubernetes $K8S_PROVIDER_VERSION: cached"; return 0
  fi
  need_go; pulumi_env
  local work="$TOOLCHAIN_DIR/.build/pulumi-kubernetes-$K8S_PROVIDER_VERSION" src
  mkdir -p "$work" "$dir/bin"
  printf 'module localbuild/probe\n\ngo 1.24\n' >"$work/go.mod"
  src=$(module_dir "$work" "github.com/pulumi/pulumi-kubernetes/provider/v4@$K8S_PROVIDER_MODULE_VERSION") && [ -n "$src" ] ||
    die "kubernetes-provider/mod-download" "could not download pulumi-kubernetes/provider/v4@$K8S_PROVIDER_MODULE_VERSION"
  # Build inside a writable copy of the module: its go.mod points sdk/v4 at ../sdk, and the
  # embedded schema files are generated by cmd/pulumi-resource-kubernetes/generate.go.
  rm -rf "$work/provider" && cp -r "$src" "$work/provider" && chmod -R u+w "$work/provider"
  (cd "$work/provider" &&
    sed -i '/^replace github.com\/pulumi\/pulumi-kubernetes\/sdk\/v4 => /d' go.mod &&
    "$GO" mod edit -require "github.com/pulumi/pulumi-kubernetes/sdk/v4@v$K8S_PROVIDER_VERSION") ||
    die "kubernetes-provider/go.mod" "could not pin sdk/v4 v$K8S_PROVIDER_VERSION"
  run_step kubernetes-provider/mod-tidy bash -c "cd '$work/provider' && '$GO' mod tidy"
  run_step kubernetes-provider/generate bash -c "cd '$work/provider/cmd/pulumi-resource-kubernetes' && VERSION=$K8S_PROVIDER_VERSION '$GO' run generate.go"
  run_step kubernetes-provider/build build_go_binary "$work/provider" "$dir/bin/pulumi-resource-kubernetes" \
    ./cmd/pulumi-resource-kubernetes "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$K8S_PROVIDER_VERSION"
  rm -rf "$work/provider"
  touch "$dir/.complete"
}

# The Node.js language host built here cannot start a `runtime: nodejs` policy pack (no
# RunPlugin). Stage the repository's pack for the engine's analyzer-plugin route: a folder
# of links to the compiled pack (policy/bin, from npm run build) whose PulumiPolicy.yaml says
# `runtime: nodejs-legacy`, booted by toolchain/plugins/bin/pulumi-analyzer-policy-nodejs-legacy.
# The pack itself is unchanged. It is its own package (policy/package-lock.json): it runs
# on its own node_modules, installed here with npm ci when missing, as
# `pulumi preview --policy-pack policy` would need. Its specs (test/) are not staged.
REPO_DIR=$(cd "$(dirname "$0")/.." && pwd)
STAGED_POLICY_PACK="$REPO_DIR/.pulumi/policy-nodejs-legacy"

step_policy_pack() {
  local src="$REPO_DIR/policy" dst="$STAGED_POLICY_PACK" f
  [ -f "$src/PulumiPolicy.yaml" ] || die "policy-pack" "no policy pack at $src"
  if [ ! -d "$src/node_modules/@pulumi/policy" ]; then
    log "policy-pack: installing the pack's dependencies (npm ci in $src)"
    run_step policy-pack/npm-ci bash -c "cd '$src' && npm ci --no-audit --no-fund"
  fi
  [ -d "$src/node_modules/@pulumi/policy" ] || die "policy-pack" "@pulumi/policy is not installed: run npm ci in $src"
  # The pack compiled to JavaScript (npm run build: policy/bin), so that the engine loads it
  # without compiling its TypeScript on every preview (bench/). Staged again on every call:
  # the staged copy is only as new as the last build.
  run_step policy-pack/build bash -c "cd '$src' && npm run -s build"
  rm -rf "$dst" && mkdir -p "$dst"
  for f in "$src"/bin/* ; do
    case "$(basename "$f")" in PulumiPolicy.yaml) ;; *) ln -s "$f" "$dst/$(basename "$f")" ;; esac
  done
  ln -s "$src/node_modules" "$dst/node_modules"
  sed 's/^runtime: nodejs$/runtime: nodejs-legacy/' "$src/bin/PulumiPolicy.yaml" >"$dst/PulumiPolicy.yaml"
  grep -q '^runtime: nodejs-legacy$' "$dst/PulumiPolicy.yaml" || die "policy-pack" "policy/PulumiPolicy.yaml does not say runtime: nodejs"
  log "policy pack staged for the analyzer-plugin route at $dst"
}

step_pulumi() {
  if pulumi_preinstalled; then log "pulumi: using the installed CLI $(command -v pulumi) and its plugins"; return 0; fi
  step_pulumi_cli; step_language_nodejs; step_kubernetes_provider; step_policy_pack
}

print_env() {
  cat <<EOF
export M2M_TOOLCHAIN_DIR="$TOOLCHAIN_DIR"
export K8S_VERSION="$K8S_VERSION"
export KWOK_VERSION="$KWOK_VERSION"
export ETCD_VERSION="$ETCD_VERSION"
export PROMTOOL_VERSION="$PROMTOOL_VERSION"
export SEAWEEDFS_VERSION="$SEAWEEDFS_VERSION"
export WEED="$TOOLCHAIN_DIR/seaweedfs-$SEAWEEDFS_VERSION/bin/weed"
export PATH="$TOOLCHAIN_DIR/promtool-$PROMTOOL_VERSION/bin:\$PATH"
EOF
  if ! pulumi_preinstalled; then
    cat <<EOF
export PULUMI_TOOLCHAIN_BIN="$TOOLCHAIN_DIR/pulumi-$PULUMI_VERSION/bin:$TOOLCHAIN_DIR/pulumi-kubernetes-$K8S_PROVIDER_VERSION/bin"
export PATH="\$PULUMI_TOOLCHAIN_BIN:$REPO_DIR/toolchain/plugins/bin:\$PATH"
export M2M_POLICY_PACK="$STAGED_POLICY_PACK"
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_SKIP_UPDATE_CHECK=true
EOF
  fi
}

main() {
  mkdir -p "$TOOLCHAIN_DIR"
  local what
  for what in "${@:-all}"; do
    case "$what" in
      all) step_apt; step_pulumi; step_etcd; step_kubernetes; step_kwok; step_promtool; step_seaweedfs ;;
      apt) step_apt ;;
      etcd) step_etcd ;;
      kubernetes) step_kubernetes ;;
      kwok) step_kwok ;;
      promtool) step_promtool ;;
      seaweedfs) step_seaweedfs ;;
      pulumi) step_pulumi ;;
      pulumi-cli) step_pulumi_cli ;;
      language-nodejs) step_language_nodejs ;;
      kubernetes-provider) step_kubernetes_provider ;;
      policy-pack) step_policy_pack ;;
      print-env) print_env ;;
      *) echo "usage: $0 [all|apt|etcd|kubernetes|kwok|promtool|seaweedfs|pulumi|pulumi-cli|language-nodejs|kubernetes-provider|policy-pack|print-env]..." >&2; exit 2 ;;
    esac
  done
}

main "$@"
