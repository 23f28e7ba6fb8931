#!/usr/bin/env bash
# A PostgreSQL server on a disposable test host: the local fleet's shared database (issue #15),
# standing in for ApsaraDB RDS the way scripts/objectstore.sh's SeaweedFS stands in for OSS. A fleet
# refuses a database per server; its servers reach this one at `database.mode external` with
# `aistudio:databaseUrl` set to the record's url. Debian 12's postgresql from the test hosts' apt
# proxy; it listens on the host's address, admits the role `aistudio` with scram-sha-256 from the
# test network only (198.18.0.0/15: the fleet's servers), and the role owns the database `aistudio`.
# One password per `up`, generated here, kept in the record (mode 600) and never printed to stderr.
#
#   dbhost.sh up NAME [--ip IP]   boot a test host running the database (prints its JSON record)
#   dbhost.sh info NAME           print the JSON record again
#   dbhost.sh down NAME           stop and delete the test host (testhost.sh down)
#
# The record: {"name","host","url":"postgresql://aistudio:PASSWORD@IP:5432/aistudio"}.
# Progress goes to stderr; the JSON record to stdout.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TESTHOST=$HERE/testhost.sh
READY_TIMEOUT=${AISTUDIO_DB_TIMEOUT:-120}

say() { printf '[dbhost] %s\n' "$*" >&2; }
die() { printf '[dbhost] ERROR: %s\n' "$*" >&2; exit 1; }
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }

statedir() { # the test host's own state directory (parent of its root), which testhost.sh down removes
  local rec root
  rec=$(bash "$TESTHOST" ls --json)
  root=$(tr '{' '\n' <<<"$rec" | grep "\"name\":\"$1\"" | field root || true)
  [ -n "$root" ] || die "no test host named $1"
  dirname "$root"
}

# Runs on the test host as root; the password is read from a file (mode 600) it then removes, never
# from a command line.
SETUP=$(cat <<'SH'
set -euo pipefail
PASSWORD=$(cat /root/.dbhost-password)
cd /   # runuser -u postgres cannot enter /root
rm -f /root/.dbhost-password
export DEBIAN_FRONTEND=noninteractive
if ! command -v pg_ctlcluster >/dev/null; then
  apt-get update -q -o Dpkg::Use-Pty=0 >/dev/null
  apt-get install -y -q -o Dpkg::Use-Pty=0 --no-install-recommends postgresql >/dev/null
fi
conf=$(ls -d /etc/postgresql/*/main | head -1)
ver=$(basename "$(dirname "$conf")")
cat >"$conf/conf.d/aistudio-fleet.conf" <<CONF
# the local fleet's shared database (scripts/dbhost.sh): the servers connect over the test network
listen_addresses = '*'
password_encryption = 'scram-sha-256'
max_connections = 200
CONF
grep -q '^host aistudio aistudio 198.18.0.0/15' "$conf/pg_hba.conf" \
  || echo 'host aistudio aistudio 198.18.0.0/15 scram-sha-256' >>"$conf/pg_hba.conf"
systemctl enable --quiet "postgresql@$ver-main"
systemctl restart "postgresql@$ver-main"
for _ in $(seq 1 60); do runuser -u postgres -- pg_isready -q && break; sleep 0.5; done
runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -v pw="$PASSWORD" <<'SQL'
SELECT 'CREATE ROLE aistudio LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'aistudio')\gexec
ALTER ROLE aistudio PASSWORD :'pw';
SELECT 'CREATE DATABASE aistudio OWNER aistudio' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'aistudio')\gexec
SQL
SH
)

up() {
  local name=$1; shift
  local hostargs=()
  while [ $# -gt 0 ]; do
    case $1 in
      --ip) [ $# -ge 2 ] || die "--ip needs an address"; hostargs+=(--ip "$2"); shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  local t0=$SECONDS rec ip root pw
  rec=$(bash "$TESTHOST" up "$name" "${hostargs[@]}")
  ip=$(field host <<<"$rec"); root=$(field root <<<"$rec")
  if [ -z "$ip" ] || [ ! -d "$root" ]; then die "testhost.sh up $name gave no usable record: $rec"; fi
  pw=$(openssl rand -hex 24)
  say "installing PostgreSQL on $name ($ip); at most ${READY_TIMEOUT}s"
  (umask 077; echo "$pw" >"$root/root/.dbhost-password"; echo "$SETUP" >"$root/root/dbhost-setup.sh")
  local log; log=$(mktemp)
  if ! timeout "$READY_TIMEOUT" bash "$TESTHOST" ssh "$name" bash /root/dbhost-setup.sh >"$log" 2>&1; then
    tail -30 "$log" >&2; rm -f "$log"
    die "$name: setting up PostgreSQL failed (its last output above; the host is left running: dbhost.sh down $name)"
  fi
  rm -f "$log"
  local json
  json=$(printf '{"name":"%s","host":"%s","url":"postgresql://aistudio:%s@%s:5432/aistudio"}' "$name" "$ip" "$pw" "$ip")
  (umask 077; echo "$json" >"$(dirname "$root")/dbhost.json")
  say "$name: PostgreSQL ready at $ip:5432, database aistudio ($((SECONDS - t0))s)"
  echo "$json"
}

info() {
  local f; f=$(statedir "$1")/dbhost.json
  [ -f "$f" ] || die "test host $1 has no database (create it with: dbhost.sh up $1)"
  cat "$f"
}

cmd=${1:-}; shift || true
case $cmd in
  up) [ $# -ge 1 ] || die "usage: dbhost.sh up NAME [--ip 198.18.0.N]"; up "$@" ;;
  info) [ $# -ge 1 ] || die "usage: dbhost.sh info NAME"; info "$1" ;;
  down) [ $# -ge 1 ] || die "usage: dbhost.sh down NAME"; bash "$TESTHOST" down "$1" ;;
  *) sed -n '2,15p' "$0" >&2; exit 2 ;;
esac
