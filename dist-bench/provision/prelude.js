"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.PRELUDE = void 0;
// Bash helpers prepended to every step's script. Kept small and documented because every step
// depends on their exact behaviour.
exports.PRELUDE = String.raw `set -euo pipefail
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
umask 022
CHANGED=0

# put_file PATH MODE OWNER GROUP
# Moves the staged PATH.aistudio-new into place when its content, mode or owner differ from PATH.
# Keeps the previous version as PATH.aistudio-prev. Sets CHANGED=1 when something changed.
put_file() {
  local p=$1 m=$2 o=$3 g=$4 n="$1.aistudio-new"
  chown "$o:$g" "$n"; chmod "$m" "$n"
  if [ -f "$p" ] && cmp -s "$n" "$p" && [ "$(stat -c '%a %U %G' "$p")" = "$(stat -c '%a %U %G' "$n")" ]; then
    rm -f "$n"; return 0
  fi
  if [ -f "$p" ]; then cp -p "$p" "$p.aistudio-prev"; fi
  mv -f "$n" "$p"; CHANGED=1
}

# probe_file PATH: one line with the file's digest, mode and owner (never its content).
probe_file() {
  if [ -f "$1" ]; then
    printf '%s sha256=%s mode=%s owner=%s\n' "$1" "$(sha256sum < "$1" | cut -d' ' -f1)" "$(stat -c '%a' "$1")" "$(stat -c '%U:%G' "$1")"
  else
    printf '%s missing\n' "$1"
  fi
}

# probe_unit NAME: enabled/active state of a systemd unit.
probe_unit() {
  printf 'unit %s enabled=%s active=%s\n' "$1" "$(systemctl is-enabled "$1" 2>/dev/null || true)" "$(systemctl is-active "$1" 2>/dev/null || true)"
}
`;
//# sourceMappingURL=prelude.js.map