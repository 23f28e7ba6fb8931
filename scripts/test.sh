#!/usr/bin/env bash
# `npm test`: sets itself up on a fresh machine (like `npm run demo`), then runs the unit tests
# (vitest, Pulumi mocks) and the integration tests on real test hosts.
#   1. Debian packages the tests need (scripts/prereqs.sh; root only — without root the
#      integration tests skip loudly, and fail under CI=true)
#   2. npm packages (npm ci) when node_modules is missing or older than package-lock.json
#   3. the Pulumi toolchain (found on PATH or built once from Go modules, scripts/toolchain.sh)
#   4. tsc, then vitest
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REPO"
say() { printf '[test] %s\n' "$*" >&2; }

if [ "$(id -u)" = 0 ]; then
  bash scripts/prereqs.sh
else
  say "not root: skipping Debian prerequisites (integration tests need root and will skip)"
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund >&2
fi
if command -v go >/dev/null 2>&1 || command -v pulumi >/dev/null 2>&1; then
  bash scripts/toolchain.sh >/dev/null
else
  say "no Go and no pulumi CLI: integration tests will skip (and fail under CI=true)"
fi
npx --no-install tsc -p tsconfig.json
exec npx --no-install vitest run "$@"
