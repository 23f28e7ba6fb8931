#!/usr/bin/env bash
# `npm run pulumi -- ARGS`: the pulumi CLI with this project's toolchain, backend and build.
# Compiles the TypeScript program first (incremental), since Pulumi runs dist/infra/index.js.
# The passphrase "aistudio-local" is used only for the local test stacks (local, fleet); other stacks need
# PULUMI_CONFIG_PASSPHRASE (or a KMS secrets provider) from the environment.
set -euo pipefail
source "$(dirname "$0")/env.sh"
toolchain_bin
# read-only callers (doctor, drift report) skip the build with AISTUDIO_SKIP_BUILD=1
[ -n "${AISTUDIO_SKIP_BUILD:-}" ] || (cd "$REPO" && npx --no-install tsc -p tsconfig.json)
stack=""
prev=""
for a in "$@"; do
  case $prev in --stack|-s) stack=$a ;; esac
  case $a in --stack=*) stack=${a#--stack=} ;; esac
  case $prev in init|select|rm) [ "${1:-}" = stack ] && stack=$a ;; esac
  prev=$a
done
if { [ "$stack" = local ] || [ "$stack" = fleet ]; } && [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  export PULUMI_CONFIG_PASSPHRASE=aistudio-local
fi
# `--policy-pack policy` (the pack's directory) needs a language host with RunPlugin, which the
# locally built v3.68 host lacks; the pack's own launcher (policy/analyzer) works with any host.
args=()
prev=""
for a in "$@"; do
  if [ "$prev" = --policy-pack ] && { [ "$a" = policy ] || [ "$a" = ./policy ] || [ "$a" = "$REPO/policy" ]; }; then
    a="$REPO/policy/analyzer"
  fi
  case $a in --policy-pack=policy|--policy-pack=./policy) a="--policy-pack=$REPO/policy/analyzer" ;; esac
  args+=("$a"); prev=$a
done
cd "$REPO"
exec pulumi "${args[@]}"
