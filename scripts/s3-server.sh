#!/usr/bin/env bash
# s3-server.sh - a loopback-only S3 server (SeaweedFS's `weed server -s3`) holding one
# bucket, for Pulumi state on a self-managed S3 backend: the shared-state integration
# specs and trying the backend by hand.
#
# Usage:
#   s3-server.sh up      start it (idempotent), wait until S3 answers, create the bucket,
#                        print the shell exports (eval "$(s3-server.sh up)")
#   s3-server.sh down    stop what `up` started
#   s3-server.sh status  whether it runs and answers
#   s3-server.sh env     print the shell exports again
#
# The exports: PULUMI_BACKEND_URL=s3://<bucket>?endpoint=127.0.0.1:<port>&disableSSL=true&
# s3ForcePathStyle=true&region=us-east-1, and AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY:
# throwaway credentials the server is started with as its only (admin) identity, so every
# request is signed and checked as on a real S3 service.
#
# Environment (defaults in brackets):
#   S3_SERVER_DIR   state dir: data, logs, pid [${LOCAL_CLUSTER_DIR:-~/.local/state/m2m-local-cluster}/s3]
#   S3_PORT [8333]  S3_BUCKET [m2m-state]
#   WEED_MASTER_PORT [9333] WEED_VOLUME_PORT [8380] WEED_FILER_PORT [8888]
#                   the other servers weed runs; each also listens on its port + 10000 (gRPC)
#   WEED            the weed binary [the toolchain's: scripts/cluster-toolchain.sh seaweedfs]
#   S3_SERVER_TIMEOUT [90]  seconds to wait until S3 answers
set -euo pipefail

TOOLCHAIN_DIR=${M2M_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/m2m-toolchain}
SEAWEEDFS_VERSION=${SEAWEEDFS_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}
WEED=${WEED:-$TOOLCHAIN_DIR/seaweedfs-$SEAWEEDFS_VERSION/bin/weed}
STATE_DIR=${S3_SERVER_DIR:-${LOCAL_CLUSTER_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/m2m-local-cluster}/s3}
S3_PORT=${S3_PORT:-8333}
S3_BUCKET=${S3_BUCKET:-m2m-state}
MASTER_PORT=${WEED_MASTER_PORT:-9333}
VOLUME_PORT=${WEED_VOLUME_PORT:-8380}
FILER_PORT=${WEED_FILER_PORT:-8888}
TIMEOUT=${S3_SERVER_TIMEOUT:-90}
# Not secrets: the server runs on loopback and holds test state only.
ACCESS_KEY=m2m-local-s3
SECRET_KEY=m2m-local-s3-secret-not-a-secret
REGION=us-east-1
PID_FILE="$STATE_DIR/weed.pid"
LOG="$STATE_DIR/weed.log"

log() { printf '[s3-server] %s\n' "$*" >&2; }
die() { printf '[s3-server] FAILED at step "%s": %s\n' "$1" "$2" >&2; exit 1; }

is_running() { [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }

# s3 METHOD PATH : a request signed with the server's credentials; prints the HTTP status.
s3() {
  curl -s -o /dev/null -w '%{http_code}' -X "$1" --aws-sigv4 "aws:amz:$REGION:s3" \
    --user "$ACCESS_KEY:$SECRET_KEY" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
    "http://127.0.0.1:$S3_PORT$2" 2>/dev/null || true
}

print_env() {
  cat <<EOF
export PULUMI_BACKEND_URL="s3://$S3_BUCKET?endpoint=127.0.0.1:$S3_PORT&disableSSL=true&s3ForcePathStyle=true&region=$REGION"
export AWS_ACCESS_KEY_ID="$ACCESS_KEY"
export AWS_SECRET_ACCESS_KEY="$SECRET_KEY"
export M2M_S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
export M2M_S3_BUCKET="$S3_BUCKET"
EOF
}

# Every port weed would listen on (each server's HTTP port and its gRPC port, + 10000) must be
# free: a server already there (another state dir's weed) would answer in its place.
check_ports() {
  local p
  for p in "$S3_PORT" "$MASTER_PORT" "$VOLUME_PORT" "$FILER_PORT"; do
    for p in "$p" $((p + 10000)); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
        die "ports" "127.0.0.1:$p is already in use: stop what listens there, or choose other ports (S3_PORT [$S3_PORT], WEED_MASTER_PORT [$MASTER_PORT], WEED_VOLUME_PORT [$VOLUME_PORT], WEED_FILER_PORT [$FILER_PORT])"
      fi
    done
  done
}

start_weed() {
  [ -x "$WEED" ] || die "weed" "no weed binary at $WEED: build it with scripts/cluster-toolchain.sh seaweedfs (5-11 min on 2 cores, then cached), or set WEED"
  check_ports
  mkdir -p "$STATE_DIR/data"
  # Loopback only, no telemetry, none of the extra listeners (Iceberg, Lance) it would open,
  # and a quick stop (the volume server waits 10 s by default).
  AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY setsid "$WEED" server \
    -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$STATE_DIR/data" \
    -master.port="$MASTER_PORT" -master.telemetry=false -master.volumeSizeLimitMB=256 -volume.max=16 \
    -volume.port="$VOLUME_PORT" -volume.preStopSeconds=1 -filer.port="$FILER_PORT" \
    -s3 -s3.port="$S3_PORT" -s3.port.iceberg=0 -s3.port.lance=0 \
    >>"$LOG" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
}

cmd_up() {
  local t0 deadline code
  t0=$(date +%s)
  if is_running; then log "weed already running (pid $(cat "$PID_FILE"))"; else start_weed; fi
  deadline=$((t0 + TIMEOUT))
  # S3 answers once the master, a volume server and the filer are up: a signed ListBuckets.
  until [ "$(s3 GET /)" = 200 ]; do
    is_running || die "weed" "exited; last log lines:$(printf '\n'; tail -n 20 "$LOG")"
    [ "$(date +%s)" -lt "$deadline" ] || die "s3-ready" "S3 does not answer on 127.0.0.1:$S3_PORT after ${TIMEOUT}s (log: $LOG)"
    sleep 0.5
  done
  # PUT /<bucket>: 200 when created, 409 when this server already holds it.
  until code=$(s3 PUT "/$S3_BUCKET") && { [ "$code" = 200 ] || [ "$code" = 409 ]; }; do
    [ "$(date +%s)" -lt "$deadline" ] || die "bucket" "PUT /$S3_BUCKET answered $code (log: $LOG)"
    sleep 0.5
  done
  log "S3 on 127.0.0.1:$S3_PORT with bucket $S3_BUCKET ($(($(date +%s) - t0)) s; data in $STATE_DIR)"
  print_env
}

cmd_down() {
  local pid i
  if ! is_running; then rm -f "$PID_FILE"; return 0; fi
  pid=$(cat "$PID_FILE")
  # A graceful stop takes weed about 20 s (its servers stop one after the other).
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then log "weed did not stop, killing"; kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$PID_FILE"
  log "stopped weed (pid $pid)"
}

cmd_status() {
  if ! is_running; then echo "weed stopped"; return 1; fi
  echo "weed running (pid $(cat "$PID_FILE")), S3 on 127.0.0.1:$S3_PORT answers $(s3 GET /), bucket $S3_BUCKET: $(s3 HEAD "/$S3_BUCKET")"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) print_env ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
