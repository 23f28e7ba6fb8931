# Sourced by the project's scripts: where things live and how Pulumi runs here.
# Never prints secrets. Safe to source more than once.
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export AISTUDIO_REPO=$REPO
export AISTUDIO_CACHE=${AISTUDIO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aistudio-infra}
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# A self-managed file:// backend by default; CI and teams set PULUMI_BACKEND_URL (e.g. s3://… on OSS).
export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$REPO/.pulumi-state}
case $PULUMI_BACKEND_URL in file://*) mkdir -p "${PULUMI_BACKEND_URL#file://}" ;; esac

toolchain_bin() {
  local bin
  bin=$(bash "$REPO/scripts/toolchain.sh" | tail -n 1) || return 1
  case ":$PATH:" in *":$bin:"*) ;; *) export PATH="$bin:$PATH" ;; esac
}
