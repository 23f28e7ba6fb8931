#!/usr/bin/env bash
# Installs the Debian packages the demo and the tests need, when missing (root only).
set -euo pipefail
need=()
for pair in systemd-nspawn:systemd-container debootstrap:debootstrap tinyproxy:tinyproxy ip:iproute2 \
            ssh:openssh-client openssl:openssl pebble:pebble pebble-challtestsrv:pebble curl:curl \
            ansible-playbook:ansible-core shellcheck:shellcheck; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && { echo "prerequisites present" >&2; exit 0; }
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${need[*]} — install them as root: apt-get install ${need[*]}" >&2
  exit 1
fi
echo "installing Debian packages: ${need[*]}" >&2
apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >&2
