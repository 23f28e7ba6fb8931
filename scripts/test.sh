#!/usr/bin/env bash
# `npm test`: unit tests (vitest, Pulumi mocks) and integration tests on real test hosts.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REPO"
npx --no-install tsc -p tsconfig.json
exec npx --no-install vitest run "$@"
