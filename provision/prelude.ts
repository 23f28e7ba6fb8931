// Bash helpers prepended to every step's script. Kept small and documented because every step
// depends on their exact behaviour. The probe helpers are core's (core/probe-sh.ts): the doctor uses
// them too.
import { PROBE_HELPERS } from "../core/probe-sh";

export const PRELUDE = String.raw`set -euo pipefail
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
umask 022
CHANGED=0

# put_file PATH MODE OWNER GROUP
# Moves the staged PATH.aistudio-new into place when its content, mode or owner differ from PATH.
# Keeps the previous version as PATH.aistudio-prev. Sets CHANGED=1 when something changed.
# shellcheck disable=SC2034 # CHANGED is put_file's answer to the apply scripts that read it; others ignore it
put_file() {
  local p=$1 m=$2 o=$3 g=$4 n="$1.aistudio-new"
  chown "$o:$g" "$n"; chmod "$m" "$n"
  if [ -f "$p" ] && cmp -s "$n" "$p" && [ "$(stat -c '%a %U %G' "$p")" = "$(stat -c '%a %U %G' "$n")" ]; then
    rm -f "$n"; return 0
  fi
  if [ -f "$p" ]; then cp -p "$p" "$p.aistudio-prev"; fi
  mv -f "$n" "$p"; CHANGED=1
}

` + PROBE_HELPERS;
