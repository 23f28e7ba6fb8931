#!/usr/bin/env bash
# A real S3-compatible object store on a disposable test host, standing in for Alibaba Cloud OSS in
# the tests (restic backs up to it with `restic -r s3:http://IP:8333/BUCKET/PATH`). It is SeaweedFS's
# `weed` (github.com/seaweedfs/seaweedfs, built once per machine from Go modules, CGO_ENABLED=0),
# run as one process (`weed server -s3`: master, volume server, filer and S3 gateway; master, volume
# and filer on loopback only) by the systemd unit aistudio-s3.service on a fresh Debian 12 test host
# (scripts/testhost.sh), data in /var/lib/seaweedfs, S3 on port 8333 with one access key generated per
# `up` (full rights on every bucket; no anonymous access) and one bucket. Clients must use path-style
# addressing (an IP endpoint gives that by default; restic: -o s3.bucket-lookup=path for a host name).
# Needs go (build), openssl and curl >= 7.76 (--aws-sigv4, --fail-with-body) on this machine.
#
#   objectstore.sh build                          build weed if missing (prints the binary path last)
#   objectstore.sh up NAME [--ip IP] [--bucket B] boot a test host running the store (prints its JSON record)
#   objectstore.sh info NAME                      print the JSON record again
#   objectstore.sh down NAME                      stop and delete the test host (testhost.sh down)
#
# The record: {"name","host","endpoint":"http://IP:8333","bucket","accessKeyId","secretAccessKey"}.
# Progress goes to stderr; machine-readable output (JSON, the binary path) to stdout.
set -euo pipefail

SEAWEEDFS_MODULE=github.com/seaweedfs/seaweedfs
SEAWEEDFS_VERSION=v0.0.0-20261109003541-7506e5f91cd6   # SeaweedFS 4.53, commit 7506e5f91cd6
# seaweedfs's go.mod replaces this module; replace directives only apply inside its own repo.
BIP39_REPLACE="github.com/tyler-smith/go-bip39=github.com/cosmos/go-bip39@v1.0.0"

HERE=$(cd "$(dirname "$0")" && pwd)
TESTHOST=$HERE/testhost.sh
CACHE=${AISTUDIO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aistudio-infra}/objectstore
WEED=$CACHE/bin/weed
S3_PORT=8333
DEFAULT_BUCKET=aistudio-backup
READY_TIMEOUT=${AISTUDIO_S3_TIMEOUT:-60}

say() { printf '[objectstore] %s\n' "$*" >&2; }
die() { printf '[objectstore] ERROR: %s\n' "$*" >&2; exit 1; }

built() { [ -x "$WEED" ] && [ "$(cat "$WEED.version" 2>/dev/null)" = "$SEAWEEDFS_VERSION" ]; }

build() {
  built && { echo "$WEED"; return 0; }
  command -v go >/dev/null 2>&1 || die "Go is not installed: install Go >= 1.26 to build SeaweedFS's weed"
  mkdir -p "$CACHE/bin" "$CACHE/src"
  exec 7>"$CACHE/build.lock"; flock 7   # parallel `up`s build once
  built && { echo "$WEED"; return 0; }
  local dir=$CACHE/src/weed t0=$SECONDS
  say "building SeaweedFS weed $SEAWEEDFS_VERSION from Go modules (first time only; ~6 min on 2 cores with cold Go caches)"
  rm -rf "$dir"; mkdir -p "$dir"
  (
    cd "$dir"
    export CGO_ENABLED=0 GOFLAGS=-mod=mod
    go mod init aistudio-objectstore/weed >/dev/null 2>&1 || die "go mod init failed in $dir"
    go mod edit -replace "$BIP39_REPLACE" || die "go mod edit failed"
    say "resolving $SEAWEEDFS_MODULE/weed@$SEAWEEDFS_VERSION and its dependencies"
    go get "$SEAWEEDFS_MODULE/weed@$SEAWEEDFS_VERSION" >"$dir/get.log" 2>&1 \
      || { tail -20 "$dir/get.log" >&2; die "go get $SEAWEEDFS_MODULE/weed@$SEAWEEDFS_VERSION failed"; }
    say "compiling weed"
    go build -trimpath -ldflags "-s -w -X $SEAWEEDFS_MODULE/weed/util/version.COMMIT=${SEAWEEDFS_VERSION##*-}" \
      -o "$WEED.tmp" "$SEAWEEDFS_MODULE/weed" || die "go build of weed failed (see above)"
  )
  mv "$WEED.tmp" "$WEED"
  echo "$SEAWEEDFS_VERSION" >"$WEED.version"
  say "built $WEED in $((SECONDS - t0))s"
  echo "$WEED"
}

field() { # field NAME < one-line JSON record (string fields only)
  sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"
}

statedir() { # the test host's own state directory (parent of its root), which testhost.sh down removes
  local rec root
  rec=$(bash "$TESTHOST" ls --json)
  root=$(tr '{' '\n' <<<"$rec" | grep "\"name\":\"$1\"" | field root || true)
  [ -n "$root" ] || die "no test host named $1"
  dirname "$root"
}

s3_config() { # s3_config ACCESS_KEY_ID SECRET: one identity with full rights on every bucket, no anonymous access
  cat <<EOF
{
  "identities": [
    {
      "name": "aistudio",
      "credentials": [{ "accessKey": "$1", "secretKey": "$2" }],
      "actions": ["Admin", "Read", "List", "Tagging", "Write"]
    }
  ]
}
EOF
}

unit() { # the systemd unit. Master, volume and filer listen on loopback only; S3 on every address.
  cat <<EOF
[Unit]
Description=AIStudio test object store: SeaweedFS $SEAWEEDFS_VERSION S3 gateway (stand-in for Alibaba Cloud OSS)
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=/usr/local/bin/weed -logtostderr server -ip=127.0.0.1 -dir=/var/lib/seaweedfs \\
  -master.volumeSizeLimitMB=64 -volume.max=0 -volume.preStopSeconds=1 -master.telemetry=false \\
  -s3 -s3.port=$S3_PORT -s3.ip.bind=0.0.0.0 -s3.config=/etc/seaweedfs/s3.json \\
  -s3.port.iceberg=0 -s3.port.lance=0
# Go keeps freed heap: without a limit RSS stayed at ~640 MB after a 200 MB backup; with it, ~170 MB.
Environment=GOMEMLIMIT=160MiB
StateDirectory=seaweedfs
Restart=on-failure
RestartSec=2
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
EOF
}

up() {
  local name=$1; shift
  local hostargs=() bucket=$DEFAULT_BUCKET
  while [ $# -gt 0 ]; do
    case $1 in
      --ip) [ $# -ge 2 ] || die "--ip needs an address"; hostargs+=(--ip "$2"); shift 2 ;;
      --bucket) [ $# -ge 2 ] || die "--bucket needs a name"; bucket=$2; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  [[ $bucket =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] || die "bucket name '$bucket' is not a valid S3 bucket name"
  local t0=$SECONDS weed rec ip root
  weed=$(build)
  rec=$(bash "$TESTHOST" up "$name" "${hostargs[@]}")
  ip=$(field host <<<"$rec"); root=$(field root <<<"$rec")
  if [ -z "$ip" ] || [ ! -d "$root" ]; then die "testhost.sh up $name gave no usable record: $rec"; fi

  # Fresh credentials per store, AWS-shaped: a 20-character key id and a 40-character secret.
  local ak sk
  ak=AIST$(openssl rand -hex 8 | tr 'a-f' 'A-F')
  sk=$(openssl rand -base64 30)

  say "installing weed, its S3 identities and aistudio-s3.service on $name ($ip)"
  # a hard link when the cache and the host's root share a file system (the binary is ~160 MB)
  ln -f "$weed" "$root/usr/local/bin/weed" 2>/dev/null || install -m 0755 "$weed" "$root/usr/local/bin/weed"
  install -d -m 0700 "$root/etc/seaweedfs"
  (umask 077; s3_config "$ak" "$sk" >"$root/etc/seaweedfs/s3.json")
  unit >"$root/etc/systemd/system/aistudio-s3.service"
  bash "$TESTHOST" ssh "$name" systemctl daemon-reload '&&' systemctl enable --now --quiet aistudio-s3.service

  say "waiting for the S3 gateway on $ip:$S3_PORT (at most ${READY_TIMEOUT}s)"
  local t1=$SECONDS
  # Any HTTP answer counts (an unsigned request gets 403 AccessDenied): the gateway is listening.
  until curl -s -o /dev/null --max-time 2 "http://$ip:$S3_PORT/"; do
    if [ $((SECONDS - t1)) -ge "$READY_TIMEOUT" ]; then
      bash "$TESTHOST" ssh "$name" journalctl -u aistudio-s3.service -n 40 --no-pager >&2 || true
      die "$name: the S3 gateway did not answer on http://$ip:$S3_PORT within ${READY_TIMEOUT}s (journal above; the host is left running: objectstore.sh down $name)"
    fi
    sleep 0.5
  done
  # Create the bucket with a signed S3 request (proves the identity works), retried while the
  # filer and volume server are still registering with the master.
  local out=""
  until out=$(curl -sS --fail-with-body --max-time 10 --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ak:$sk" \
                -X PUT "http://$ip:$S3_PORT/$bucket" 2>&1); do
    if [ $((SECONDS - t1)) -ge "$READY_TIMEOUT" ]; then
      bash "$TESTHOST" ssh "$name" journalctl -u aistudio-s3.service -n 40 --no-pager >&2 || true
      die "$name: creating bucket $bucket failed within ${READY_TIMEOUT}s: $out (journal above; the host is left running: objectstore.sh down $name)"
    fi
    sleep 1
  done
  say "$name: S3 ready at http://$ip:$S3_PORT, bucket $bucket ($((SECONDS - t1))s after the unit started, $((SECONDS - t0))s in all)"

  local json
  json=$(printf '{"name":"%s","host":"%s","endpoint":"http://%s:%s","bucket":"%s","accessKeyId":"%s","secretAccessKey":"%s"}' \
    "$name" "$ip" "$ip" "$S3_PORT" "$bucket" "$ak" "$sk")
  (umask 077; echo "$json" >"$(dirname "$root")/objectstore.json")
  echo "$json"
}

info() {
  local f; f=$(statedir "$1")/objectstore.json
  [ -f "$f" ] || die "test host $1 has no object store (create it with: objectstore.sh up $1)"
  cat "$f"
}

cmd=${1:-}; shift || true
case $cmd in
  build) build ;;
  up) [ $# -ge 1 ] || die "usage: objectstore.sh up NAME [--ip 198.18.0.N] [--bucket NAME]"; up "$@" ;;
  info) [ $# -ge 1 ] || die "usage: objectstore.sh info NAME"; info "$1" ;;
  down) [ $# -ge 1 ] || die "usage: objectstore.sh down NAME"; bash "$TESTHOST" down "$1" ;;
  *) sed -n '2,18p' "$0" >&2; exit 2 ;;
esac
