#!/usr/bin/env bash
# The backup step's apply (provision/backup.ts): the backup tool, its secret environment, the
# backup and check units and their timers; then the repository is opened (initialised when new),
# so a wrong password or an unreachable store fails the deploy instead of the first night's backup.
# Header: TOOL ENV_FILE UNITS (paths of the unit files) TIMERS STATE_DIR.

put_file "$TOOL" 0755 root root
put_file "$ENV_FILE" 0600 root root
units_changed=0
for u in "${UNITS[@]}"; do
  CHANGED=0; put_file "$u" 0644 root root; units_changed=$((units_changed | CHANGED))
done
install -d -m 0700 "$STATE_DIR"
if [ "$units_changed" = 1 ]; then systemctl daemon-reload; CHANGED=1; fi
for t in "${TIMERS[@]}"; do
  if ! systemctl is-enabled --quiet "$t" || ! systemctl is-active --quiet "$t"; then systemctl enable --now --quiet "$t"; CHANGED=1; fi
done
"$TOOL" init
