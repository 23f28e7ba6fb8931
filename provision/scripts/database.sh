#!/usr/bin/env bash
# The local database (provision/database.ts): PostgreSQL from the distribution, its cluster on the
# data volume (DATA_DIR/postgresql/<major>/main), reachable only over the unix socket in
# /run/postgresql (listen_addresses is empty: nothing listens on TCP, not even 127.0.0.1), one
# role with a password (scram-sha-256) owning one database. Header: DATA_DIR DB_NAME DB_USER
# PASSWORD_FILE PG_CONF HBA_FILE DROPIN, and the distribution's places: CREATECLUSTER_CONF PG_LIB
# (the servers, one directory per major version) PG_ETC (the clusters' configuration).
#
# A cluster already on the volume (the volume re-attached to a rebuilt server) is taken over as it
# is; the distribution's empty default cluster is never created.

fail() { printf 'database: %s\n' "$*" >&2; exit 1; }

if ! command -v pg_createcluster >/dev/null 2>&1; then
  # no default cluster on the system disk: ours lives on the volume
  install -d "$(dirname "$CREATECLUSTER_CONF")"
  echo "create_main_cluster = false" > "$CREATECLUSTER_CONF"
  apt-get install -y -q postgresql >/dev/null || fail "apt-get install postgresql failed"
  CHANGED=1
fi
put_file "$PASSWORD_FILE" 0600 root root
put_file "$PG_CONF" 0644 root root
put_file "$HBA_FILE" 0640 root postgres

major=$(find "$PG_LIB" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort -n | tail -1)
[ -n "$major" ] || fail "no PostgreSQL server found under $PG_LIB after installing it"
pgdata="$DATA_DIR/postgresql/$major/main"

# the cluster's home on the volume: postgres may traverse the data dir (not list it)
chmod o+x "$DATA_DIR"
for v in "$DATA_DIR"/postgresql/*/; do
  [ -d "$v" ] || continue
  v=$(basename "$v")
  [ "$v" = "$major" ] || fail "the data volume holds a PostgreSQL $v cluster, this server runs PostgreSQL $major: upgrade it with pg_upgradecluster (or restore a backup) before deploying"
done
install -d -o postgres -g postgres -m 0700 "$DATA_DIR/postgresql" "$DATA_DIR/postgresql/$major"

# systemd: the cluster waits for the volume's mount
install -d "$(dirname "$DROPIN")"
printf '[Unit]\nRequiresMountsFor=%s\n' "$DATA_DIR" > "$DROPIN.aistudio-new"
put_file "$DROPIN" 0644 root root
systemctl daemon-reload

if ! pg_lsclusters -h 2>/dev/null | awk '{print $1"-"$2}' | grep -qx "$major-main"; then
  if [ -f "$pgdata/PG_VERSION" ]; then
    echo "taking over the PostgreSQL $major cluster already on the data volume"
  else
    echo "creating the PostgreSQL $major cluster on the data volume ($pgdata)"
  fi
  if [ -f "$pgdata/PG_VERSION" ]; then
    # The cluster's configuration lived on the old server's system disk: make a new one (around a
    # throwaway data dir) and point it at the data already on the volume.
    scratch="$DATA_DIR/postgresql/.new-config"
    rm -rf "$scratch"
    pg_createcluster -u postgres -d "$scratch" --locale C.UTF-8 "$major" main >/dev/null
    sed -i "s|^data_directory *=.*|data_directory = '$pgdata'|" "$PG_ETC/$major/main/postgresql.conf"
    rm -rf "$scratch"
  else
    pg_createcluster -u postgres -d "$pgdata" --locale C.UTF-8 "$major" main -- --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  fi
  CHANGED=1
fi
# our settings last in the cluster's postgresql.conf, so they win (listen_addresses above all)
main_conf="$PG_ETC/$major/main/postgresql.conf"
if [ "$(tail -1 "$main_conf")" != "include '$PG_CONF'" ]; then
  sed -i "\|^include '$PG_CONF'\$|d" "$main_conf"
  printf "include '%s'\n" "$PG_CONF" >> "$main_conf"
  CHANGED=1
fi
systemctl enable --quiet "postgresql@$major-main"
if [ "$CHANGED" = 1 ] || ! systemctl is-active --quiet "postgresql@$major-main"; then
  systemctl restart "postgresql@$major-main" || { journalctl -u "postgresql@$major-main" -n 30 --no-pager >&2; fail "PostgreSQL did not start"; }
fi
for _ in $(seq 60); do runuser -u postgres -- psql -qAtc 'select 1' >/dev/null 2>&1 && break; sleep 0.5; done
runuser -u postgres -- psql -qAtc 'select 1' >/dev/null || fail "PostgreSQL does not answer on its socket"

# the role (its password from the secret file, sent on stdin: never in a process list) and the database
password=$(cat "$PASSWORD_FILE")
sql_role=$(runuser -u postgres -- psql -qAt -v ON_ERROR_STOP=1 -c "select 1 from pg_roles where rolname = '$DB_USER'")
verb=ALTER; [ "$sql_role" = 1 ] || verb=CREATE
printf "SET password_encryption = 'scram-sha-256';\n%s ROLE %s LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '%s';\n" "$verb" "$DB_USER" "$password" \
  | runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 >/dev/null
if [ "$(runuser -u postgres -- psql -qAtc "select 1 from pg_database where datname = '$DB_NAME'")" != 1 ]; then
  runuser -u postgres -- createdb -O "$DB_USER" "$DB_NAME"
  CHANGED=1
fi
runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -d "$DB_NAME" -c "REVOKE ALL ON DATABASE $DB_NAME FROM PUBLIC; GRANT ALL ON SCHEMA public TO $DB_USER" >/dev/null
