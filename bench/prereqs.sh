#!/usr/bin/env bash
# Installs what `npm run bench` needs when missing: ansible-core (the baseline) and, with
# --testssl, testssl.sh (Debian packages; root, like the test hosts).
set -euo pipefail
need=()
command -v ansible-playbook >/dev/null 2>&1 || need+=(ansible-core)
if [ "${1:-}" = --testssl ]; then command -v testssl >/dev/null 2>&1 || need+=(testssl.sh); fi
command -v journalctl >/dev/null 2>&1 || need+=(systemd)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "bench: missing Debian packages: ${need[*]} — install them as root: apt-get install ${need[*]}" >&2
  exit 1
fi
echo "bench: installing Debian packages: ${need[*]}" >&2
apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >&2
