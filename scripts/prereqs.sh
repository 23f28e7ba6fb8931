#!/usr/bin/env bash
# Installs the Debian packages the demo and the tests need, when missing (root only).
# Each pair is command:package, or python3.module:package for a module Debian's python3 must import
# (pg.server: a PostgreSQL server's binaries, whose commands are not on PATH).
set -euo pipefail
need=()
for pair in systemd-nspawn:systemd-container debootstrap:debootstrap tinyproxy:tinyproxy ip:iproute2 \
            ssh:openssh-client openssl:openssl pebble:pebble pebble-challtestsrv:pebble curl:curl \
            ansible-playbook:ansible-core shellcheck:shellcheck python3.yaml:python3-yaml \
            python3.psycopg2:python3-psycopg2 pg.server:postgresql restic:restic; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  case $cmd in
    python3.*) /usr/bin/python3 -c "import ${cmd#python3.}" >/dev/null 2>&1 || need+=("$pkg") ;;
    pg.server) compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=("$pkg") ;;   # the sample app's PostgreSQL tests
    *) command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg") ;;
  esac
done
[ ${#need[@]} -eq 0 ] && { echo "prerequisites present" >&2; exit 0; }
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${need[*]} — install them as root: apt-get install ${need[*]}" >&2
  exit 1
fi
echo "installing Debian packages: ${need[*]}" >&2
apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >&2
