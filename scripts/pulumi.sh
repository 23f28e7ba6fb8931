#!/usr/bin/env bash
# `npm run pulumi -- ARGS`: the pulumi CLI with this project's toolchain, backend and build.
# Compiles the TypeScript program first (incremental), since Pulumi runs dist/infra/index.js.
# The passphrase "aistudio-local" is used only for the local test stack; other stacks need
# PULUMI_CONFIG_PASSPHRASE (or a KMS secrets provider) from the environment.
set -euo pipefail
source "$(dirname "$0")/env.sh"
toolchain_bin
(cd "$REPO" && npx --no-install tsc -p tsconfig.json)
stack=""
prev=""
for a in "$@"; do
  case $prev in --stack|-s) stack=$a ;; esac
  case $a in --stack=*) stack=${a#--stack=} ;; esac
  case $prev in init|select|rm) [ "${1:-}" = stack ] && stack=$a ;; esac
  prev=$a
done
if [ "$stack" = local ] && [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  export PULUMI_CONFIG_PASSPHRASE=aistudio-local
fi
cd "$REPO"
exec pulumi "$@"
