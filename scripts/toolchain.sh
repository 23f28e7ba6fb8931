#!/usr/bin/env bash
# Finds or builds the Pulumi toolchain this project needs, without internet access:
#   - the pulumi CLI            (github.com/pulumi/pulumi/pkg/v3, built from Go modules)
#   - the Node.js language host (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3)
#   - the dynamic-provider launcher (pulumi-resource-pulumi-nodejs, shipped in sdk/v3)
# Uses `pulumi` from PATH when one is installed. Otherwise builds once per machine into
# $AISTUDIO_TOOLCHAIN (default ~/.cache/aistudio-infra/toolchain) and prints the bin directory
# on the last line of stdout. Progress goes to stderr.
set -euo pipefail

PULUMI_VERSION=v3.274.1
LANGHOST_SDK=v3.68.0
CLIPBOARD_REPLACE="github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e"

CACHE=${AISTUDIO_TOOLCHAIN:-${XDG_CACHE_HOME:-$HOME/.cache}/aistudio-infra/toolchain}
BIN=$CACHE/bin
say() { printf '[toolchain] %s\n' "$*" >&2; }
die() { printf '[toolchain] ERROR: %s\n' "$*" >&2; exit 1; }

if [ -z "${AISTUDIO_FORCE_BUILD:-}" ] && command -v pulumi >/dev/null 2>&1 && [ "$(dirname "$(command -v pulumi)")" != "$BIN" ]; then
  say "using pulumi from PATH: $(command -v pulumi) ($(pulumi version))"
  dirname "$(command -v pulumi)"
  exit 0
fi

command -v go >/dev/null 2>&1 || die "Go is not installed and no pulumi CLI is on PATH. Install Go >= 1.24 (or the pulumi CLI) and run again."
export CGO_ENABLED=0 GOFLAGS=-mod=mod
mkdir -p "$BIN" "$CACHE/src"
LDBASE="-s -w"
FLAGS=(-trimpath -tags osusergo,grpcnotrace)

stamp_ok() { [ -x "$BIN/$1" ] && [ "$(cat "$BIN/$1.version" 2>/dev/null)" = "$2" ]; }

build_pulumi() {
  local dir=$CACHE/src/pulumi
  stamp_ok pulumi "$PULUMI_VERSION" && return 0
  say "building the pulumi CLI $PULUMI_VERSION from Go modules (first time only; about 10 min on 2 cores)"
  rm -rf "$dir"; mkdir -p "$dir"; cd "$dir"
  go mod init aistudio-toolchain/pulumi >/dev/null 2>&1
  # pkg/v3 carries replace directives that only apply inside its own repo; this one is needed here.
  go mod edit -replace "github.com/atotto/clipboard=$CLIPBOARD_REPLACE"
  say "resolving github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION and its dependencies"
  go get "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION" 2>&1 | tail -3 >&2
  say "compiling pulumi (the long part)"
  go build "${FLAGS[@]}" -ldflags "$LDBASE -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    -o "$BIN/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  mv "$BIN/pulumi.tmp" "$BIN/pulumi"
  # The dynamic-provider plugin is a two-line launcher shipped in the sdk module.
  local sdkdir; sdkdir=$(go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
  install -m 0755 "$sdkdir/nodejs/dist/pulumi-resource-pulumi-nodejs" "$BIN/pulumi-resource-pulumi-nodejs"
  echo "$PULUMI_VERSION" > "$BIN/pulumi.version"
}

build_language_host() {
  # The Node.js language host moved to its own, untagged module after v3.68; the Go module proxy here
  # serves neither that module nor commit queries (HTTP 403 "This module version is not available"),
  # so we build the last release that shipped it inside sdk/v3. It speaks the same LanguageRuntime
  # gRPC protocol and launches @pulumi/pulumi's own `cmd/run`, which comes from npm at its current version.
  local dir=$CACHE/src/language-nodejs
  stamp_ok pulumi-language-nodejs "$LANGHOST_SDK" && return 0
  say "building pulumi-language-nodejs from github.com/pulumi/pulumi/sdk/v3@$LANGHOST_SDK"
  rm -rf "$dir"; mkdir -p "$dir"; cd "$dir"
  go mod init aistudio-toolchain/language-nodejs >/dev/null 2>&1
  go mod edit -replace "github.com/atotto/clipboard=$CLIPBOARD_REPLACE"
  go get "github.com/pulumi/pulumi/sdk/v3@$LANGHOST_SDK" 2>&1 | tail -3 >&2
  go build "${FLAGS[@]}" -ldflags "$LDBASE -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$LANGHOST_SDK" \
    -o "$BIN/pulumi-language-nodejs.tmp" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
  mv "$BIN/pulumi-language-nodejs.tmp" "$BIN/pulumi-language-nodejs"
  echo "$LANGHOST_SDK" > "$BIN/pulumi-language-nodejs.version"
}

start=$(date +%s)
build_pulumi
build_language_host
say "toolchain ready in $BIN ($(( $(date +%s) - start ))s)"
echo "$BIN"
