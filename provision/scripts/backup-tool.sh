#!/usr/bin/env bash
# aistudio-backup: the server's backup tool (installed by provision/backup.ts as
# /usr/local/sbin/aistudio-backup; run by aistudio-backup.service and by `npm run backup|restore|backups`).
#
#   aistudio-backup init            open the repository (initialise it when it does not exist yet)
#   aistudio-backup run [TAG]       dump the database consistently, back up the dump and the data dir
#                                   with restic, apply the retention (forget --prune); progress on stderr
#   aistudio-backup check           restic check (the weekly timer)
#   aistudio-backup snapshots       the snapshots of this server, as JSON (time, id, size, paths, tags)
#   aistudio-backup restore ID      restore snapshot ID (or "latest"): stop the app, put the database
#                                   and the data dir back, start the app; a "pre-restore" snapshot of
#                                   the data being replaced is taken first
#   aistudio-backup restore ID --over BASE
#                                   the data dir holds BASE (restored here last, unchanged since): fetch
#                                   and put back only the files that changed from BASE to ID, and the
#                                   database; otherwise a full restore
#   aistudio-backup status          JSON: the last success, the last run's result, the timer
#
# Header (generated): DATA_DIR DB_MODE DB_NAME DB_USER ENV_FILE APP_ENV_FILE STATE_DIR APP_UNIT APP_PORT
# BACKUP_HOST KEEP_WITHIN KEEP_DAILY KEEP_WEEKLY KEEP_MONTHLY TIMER. The repository, its password and the
# storage keys come from ENV_FILE (root only), never from the command line.
set -euo pipefail
umask 077
export LC_ALL=C
cd /   # runuser -u postgres/aistudio: no "could not change directory" from root's home

die() { printf 'aistudio-backup: %s\n' "$*" >&2; exit 1; }
say() { printf '[backup] %s\n' "$*" >&2; }

load_env() {
  [ -r "$ENV_FILE" ] || die "$ENV_FILE is missing: backups are not configured on this server"
  # systemd EnvironmentFile syntax (KEY="value", \\ and \" escaped), read without shell evaluation
  local line k v
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in ''|'#'*) continue ;; esac
    k=${line%%=*}; v=${line#*=}
    [[ $k =~ ^[A-Z_][A-Z0-9_]*$ ]] || continue
    if [[ $v == \"*\" ]]; then v=${v:1:${#v}-2}; v=${v//\\\"/\"}; v=${v//\\\\/\\}; fi
    export "$k=$v"
  done < "$ENV_FILE"
  export RESTIC_CACHE_DIR="$STATE_DIR/cache"
}

# the database, consistently, into DIR: pg_dump (local, external) or SQLite's online backup (none)
dump_database() {
  local dir=$1 f
  rm -rf "$dir"; install -d -m 0700 "$dir"
  case $DB_MODE in
    local)
      say "dumping PostgreSQL database $DB_NAME"
      runuser -u postgres -- pg_dump -Fc -d "$DB_NAME" > "$dir/database.pgdump" ;;
    external)
      say "dumping the external database"
      local url; url=$(sed -n 's/^DATABASE_URL="\(.*\)"$/\1/p' "$APP_ENV_FILE")
      [ -n "$url" ] || die "DATABASE_URL is not in $APP_ENV_FILE"
      pg_dump -Fc -d "$url" > "$dir/database.pgdump" ;;
    none)
      while IFS= read -r -d '' f; do
        say "copying SQLite database $(basename "$f") (online backup)"
        python3 - "$f" "$dir/$(basename "$f")" <<'PY'
import sqlite3, sys
src = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=30)
dst = sqlite3.connect(sys.argv[2])
src.backup(dst)
dst.close(); src.close()
PY
      done < <(find "$DATA_DIR" -maxdepth 1 -type f \( -name '*.sqlite3' -o -name '*.sqlite' -o -name '*.db' \) -print0) ;;
  esac
}

# restic's JSON status lines as a few human ones: "[backup] 42% 430 MiB of 1.0 GiB, 120 files"
progress() {
  python3 -u -c '
import json, sys, time
last = 0
for line in sys.stdin:
    try:
        s = json.loads(line)
    except ValueError:
        continue
    if s.get("message_type") != "status" or time.time() - last < 2:
        continue
    last = time.time()
    mib = lambda n: "%.0f MiB" % (n / 2**20) if n < 2**30 else "%.1f GiB" % (n / 2**30)
    pct = s.get("percent_done", 0) * 100
    print("[backup] %.0f%% %s of %s, %d files" % (pct, mib(s.get("bytes_done", 0)), mib(s.get("total_bytes", 0)), s.get("files_done", 0)), flush=True)
'
}

repo_ready() {
  if ! restic cat config >/dev/null 2>"$STATE_DIR/last-error"; then
    if grep -qiE 'does not exist|not found|NoSuchKey|unable to open config' "$STATE_DIR/last-error"; then
      say "initialising the restic repository $RESTIC_REPOSITORY"
      restic init >/dev/null 2>"$STATE_DIR/last-error" || die "restic init failed: $(tail -3 "$STATE_DIR/last-error")"
    else
      die "the backup repository is not usable: $(tail -3 "$STATE_DIR/last-error")"
    fi
  fi
}

run() {
  local tag=${1:-scheduled} t0=$SECONDS summary
  install -d -m 0700 "$STATE_DIR"
  load_env
  repo_ready
  dump_database "$STATE_DIR/dump"
  say "backing up the database dump and $DATA_DIR to $RESTIC_REPOSITORY"
  # the SQLite files and the PostgreSQL cluster are in the dump; copying them live would be torn
  summary=$(restic backup --json --host "$BACKUP_HOST" --tag aistudio --tag "$tag" \
    --exclude "$DATA_DIR/postgresql" --exclude "$DATA_DIR/lost+found" \
    --exclude "$DATA_DIR/*.sqlite3*" --exclude "$DATA_DIR/*.sqlite" --exclude "$DATA_DIR/*.sqlite-*" --exclude "$DATA_DIR/*.db" --exclude "$DATA_DIR/*.db-*" \
    "$STATE_DIR/dump" "$DATA_DIR" 2>"$STATE_DIR/last-error" | tee >(progress >&2) | grep '"message_type":"summary"' | tail -1) \
    || die "restic backup failed: $(tail -5 "$STATE_DIR/last-error")"
  [ -n "$summary" ] || die "restic backup wrote no summary: $(tail -5 "$STATE_DIR/last-error")"
  if [ "$tag" = handover ]; then
    # a rebuild's hand-over runs while the app is paused: the next scheduled run applies the retention
    say "retention left to the next scheduled run (the app is paused for this backup)"
  else
    say "applying the retention: all of the last $KEEP_WITHIN, then $KEEP_DAILY daily, $KEEP_WEEKLY weekly, $KEEP_MONTHLY monthly"
    # every snapshot of the last KEEP_WITHIN is kept (a manual or pre-restore one among them), older ones thinned
    restic forget --host "$BACKUP_HOST" --tag aistudio --keep-within "$KEEP_WITHIN" --keep-daily "$KEEP_DAILY" --keep-weekly "$KEEP_WEEKLY" --keep-monthly "$KEEP_MONTHLY" --prune >/dev/null 2>"$STATE_DIR/last-error" \
      || die "restic forget --prune failed: $(tail -5 "$STATE_DIR/last-error")"
  fi
  rm -rf "$STATE_DIR/dump"
  python3 - "$summary" "$((SECONDS - t0))" "$tag" > "$STATE_DIR/last-success.json.new" <<'PY'
import json, sys, time
s = json.loads(sys.argv[1])
print(json.dumps({"time": int(time.time()), "snapshot": s.get("snapshot_id", ""), "seconds": int(sys.argv[2]), "tag": sys.argv[3],
                  "filesNew": s.get("files_new", 0), "bytesAdded": s.get("data_added", 0), "bytesProcessed": s.get("total_bytes_processed", 0)}))
PY
  mv "$STATE_DIR/last-success.json.new" "$STATE_DIR/last-success.json"
  say "done: snapshot $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["snapshot"][:8])' "$STATE_DIR/last-success.json") in $((SECONDS - t0)) s"
  cat "$STATE_DIR/last-success.json"
}

check() {
  load_env
  restic check 2>&1 | sed 's/^/[check] /' >&2
}

snapshots() {
  load_env
  local list ids id
  list=$(restic snapshots --json --host "$BACKUP_HOST" --tag aistudio) || die "restic snapshots failed"
  ids=$(python3 -c 'import json,sys; [print(s["short_id"]) for s in json.loads(sys.argv[1])[-20:]]' "$list")
  { for id in $ids; do printf '%s ' "$id"; restic stats --json "$id" 2>/dev/null | tr -d '\n'; echo; done; } | python3 -c '
import json, sys
snaps = {s["short_id"]: s for s in json.loads(sys.argv[1])}
out = []
for line in sys.stdin:
    sid, _, stats = line.strip().partition(" ")
    s = snaps[sid]
    size = json.loads(stats).get("total_size", 0) if stats else 0
    out.append({"id": sid, "time": s["time"], "size": size, "paths": s.get("paths", []), "tags": s.get("tags", [])})
print(json.dumps(out))' "$list"
}

# What changed from snapshot BASE to SNAP in the data dir, as "<+|-|M|T|U> PATH" lines (a directory
# ends in /). A directory's own metadata (U, its mtime when a file was added) is left out: restoring
# it would fetch its whole tree. Fails when a path holds a character restic's --include would read as
# a pattern (or a space): the caller restores in full then.
changes() {
  local mod p
  restic diff "$1" "$2" 2>"$STATE_DIR/last-error" | sed -nE 's#^([-+MTU?]) +(/.*)$#\1 \2#p' | while read -r mod p; do
    case $p in "$DATA_DIR"/*) ;; *) continue ;; esac
    [[ $p =~ ^[A-Za-z0-9._/@+=,:~-]+$ ]] || return 1
    [ "$mod" = U ] && [[ $p == */ ]] && continue
    echo "$mod $p"
  done
}

# The data dir's files as they are (names, sizes, times; not the database's, always put back whole):
# a restore records it, and `restore --over` trusts the delta only when nothing changed since.
data_state() {
  find "$DATA_DIR" -mindepth 1 \( -path "$DATA_DIR/postgresql" -o -path "$DATA_DIR/lost+found" \) -prune -o \
    ! -name '*.sqlite3*' ! -name '*.sqlite' ! -name '*.sqlite-*' ! -name '*.db' ! -name '*.db-*' -printf '%P %s %T@\n' | sort | sha256sum | cut -d' ' -f1
}

restore() {
  local id=${1:?usage: aistudio-backup restore SNAPSHOT|latest [--over BASE]} base="" target delta="" mod p
  if [ "${2:-}" = --over ]; then base=${3:?usage: aistudio-backup restore SNAPSHOT --over BASE}; fi
  load_env
  restic snapshots --json "$id" >/dev/null 2>&1 || [ "$id" = latest ] || die "no snapshot $id in $RESTIC_REPOSITORY"
  target="$STATE_DIR/restore"
  rm -rf "$target"; install -d -m 0700 "$target"
  # --over BASE: the data dir holds snapshot BASE (the last restore here was BASE), so only what changed
  # since is fetched and put back (a rebuild's hand-over: the bulk was restored while the old server served)
  if [ -n "$base" ]; then
    local was="" state=""
    [ ! -f "$STATE_DIR/restored" ] || read -r was state < "$STATE_DIR/restored"
    if [ "$was" != "$base" ]; then
      say "the data dir is not snapshot $base (the last restore here was ${was:-none}): restoring $id in full"; base=""
    elif [ "$state" != "$(data_state)" ]; then
      say "the data dir changed since snapshot $base was restored: restoring $id in full"; base=""
    elif ! delta=$(changes "$base" "$id"); then
      say "the changes from $base to $id cannot be listed safely: restoring $id in full"; base=""; delta=""
    fi
  fi
  if [ -n "$base" ]; then
    local includes=(--include "$STATE_DIR/dump")
    while read -r mod p; do [ -z "$p" ] || [ "$mod" = - ] || includes+=(--include "${p%/}"); done <<<"$delta"
    say "fetching the changes from snapshot $base to $id ($(grep -c . <<<"$delta" || true) paths) and its database dump"
    restic restore "$id" --target "$target" "${includes[@]}" >/dev/null 2>"$STATE_DIR/last-error" || die "restic restore failed: $(tail -5 "$STATE_DIR/last-error")"
  else
    say "fetching snapshot $id"
    if [ "$id" = latest ]; then
      restic restore latest --host "$BACKUP_HOST" --tag aistudio --target "$target" >/dev/null 2>"$STATE_DIR/last-error" || die "restic restore failed: $(tail -5 "$STATE_DIR/last-error")"
    else
      restic restore "$id" --target "$target" >/dev/null 2>"$STATE_DIR/last-error" || die "restic restore failed: $(tail -5 "$STATE_DIR/last-error")"
    fi
    [ -d "$target$DATA_DIR" ] || die "snapshot $id holds no $DATA_DIR"
    if [ -n "$(find "$DATA_DIR" -mindepth 1 -maxdepth 1 ! -name lost+found ! -name postgresql -print -quit 2>/dev/null)" ] && [ "${AISTUDIO_NO_PRE_RESTORE:-}" != 1 ]; then
      say "keeping the data being replaced: a pre-restore snapshot"
      run pre-restore >/dev/null
    fi
  fi
  # the socket too: a request to it alone would start the app again on half-restored data
  say "stopping $APP_UNIT (requests fail until it is back)"
  systemctl stop "$APP_UNIT.socket" "$APP_UNIT.service"
  # from here a failure leaves the app stopped on half-restored data: say so, and where the old data is
  trap 'say "RESTORE FAILED: $APP_UNIT and its socket are stopped. The data replaced is in the pre-restore snapshot (aistudio-backup snapshots); run the restore again, or restore that snapshot"' ERR
  if [ -n "$base" ]; then
    say "putting back what changed in the data dir"
    while read -r mod p; do
      [ -n "$p" ] || continue
      rm -rf -- "${p%/}"
      # a new or changed entry (a new directory with its tree), with its owner and mode
      if [ "$mod" != - ]; then install -d "$(dirname "${p%/}")"; cp -a "$target${p%/}" "${p%/}"; fi
    done <<<"$delta"
  else
    say "putting back the data dir"
    find "$DATA_DIR" -mindepth 1 -maxdepth 1 ! -name lost+found ! -name postgresql -exec rm -rf {} +
    # the entries only: the data dir itself keeps its owner and mode (the database's cluster is inside it)
    find "$target$DATA_DIR" -mindepth 1 -maxdepth 1 -exec cp -a {} "$DATA_DIR/" \;
  fi
  local dump="$target$STATE_DIR/dump" f
  case $DB_MODE in
    local)
      [ -f "$dump/database.pgdump" ] || die "snapshot $id holds no database dump"
      say "putting back PostgreSQL database $DB_NAME"
      runuser -u postgres -- dropdb --if-exists --force "$DB_NAME"
      runuser -u postgres -- createdb -O "$DB_USER" "$DB_NAME"
      # root reads the dump (root-only files), postgres restores it from stdin
      runuser -u postgres -- pg_restore --no-owner --role="$DB_USER" -d "$DB_NAME" < "$dump/database.pgdump"
      runuser -u postgres -- psql -q -d "$DB_NAME" -c "REVOKE ALL ON DATABASE $DB_NAME FROM PUBLIC" ;;
    external)
      say "the external database is not restored by this tool: restore it from its own backups (or pg_restore $dump/database.pgdump)" ;;
    none)
      for f in "$dump"/*; do
        [ -f "$f" ] || continue
        say "putting back SQLite database $(basename "$f")"
        rm -f "$DATA_DIR/$(basename "$f")-wal" "$DATA_DIR/$(basename "$f")-shm"
        install -m 0640 -o "$(stat -c %U "$DATA_DIR")" -g "$(stat -c %G "$DATA_DIR")" "$f" "$DATA_DIR/$(basename "$f")"
      done ;;
  esac
  trap - ERR
  rm -rf "$target"
  # what the data dir now holds, for a later `restore SNAP --over` it
  echo "$id $(data_state)" > "$STATE_DIR/restored"
  say "starting $APP_UNIT"
  systemctl start "$APP_UNIT.socket" "$APP_UNIT.service"
  local i
  for i in $(seq 60); do
    ss -Htln "( sport = :$APP_PORT )" | grep -q . && break
    systemctl is-active --quiet "$APP_UNIT" || [ "$i" -lt 5 ] || die "$APP_UNIT did not start after the restore: journalctl -u $APP_UNIT -n 50"
    sleep 0.5
  done
  say "restored snapshot $id"
}

status() {
  local last="{}" enabled result
  [ -f "$STATE_DIR/last-success.json" ] && last=$(cat "$STATE_DIR/last-success.json")
  enabled=$(systemctl is-enabled "$TIMER" 2>/dev/null || true)
  result=$(systemctl show -p Result --value aistudio-backup.service 2>/dev/null || true)
  python3 -c '
import json, sys, time
print(json.dumps({"now": int(time.time()), "lastSuccess": json.loads(sys.argv[1]) or None, "timerEnabled": sys.argv[2],
                  "lastResult": sys.argv[3], "lastError": sys.argv[4][-600:]}))' "$last" "$enabled" "$result" "$(tail -3 "$STATE_DIR/last-error" 2>/dev/null || true)"
}

case ${1:-} in
  init) load_env; install -d -m 0700 "$STATE_DIR"; repo_ready ;;
  run) shift; run "$@" ;;
  check) check ;;
  snapshots) snapshots ;;
  restore) shift; restore "$@" ;;
  status) status ;;
  *) sed -n '2,21p' "$0" >&2; exit 2 ;;
esac
