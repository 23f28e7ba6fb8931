// The bash half of the probe contract (core/probe.ts): functions that print probe records, one
// line per item, "KIND<TAB>SUBJECT<TAB>KEY=VALUE...". Step probes get them through the prelude
// (provision/prelude.ts, provision/probes.ts); the doctor's server facts through probeShell.
// Bash with no "$" + "{" sequence: this is a String.raw template.

export const PROBE_HELPERS = String.raw`# Probe helpers. Each prints probe records (core/probe.ts): one line per item,
# "KIND<TAB>SUBJECT<TAB>KEY=VALUE...", with \ tab newline CR escaped as \\ \t \n \r in the subject
# and every field, so no value can break a record. provision/probes.ts declares what each one emits.

# probe_esc TEXT: TEXT escaped for one record field.
probe_esc() { printf '%s' "$1" | sed -z 's/\\/\\\\/g; s/\t/\\t/g; s/\n/\\n/g; s/\r/\\r/g'; }

# probe_record KIND SUBJECT [KEY=VALUE]...: one record. With "-" as the only field, the fields are
# the non-empty lines of stdin.
probe_record() {
  local f
  printf '%s\t%s' "$1" "$(probe_esc "$2")"; shift 2
  if [ "$*" = - ]; then
    while IFS= read -r f; do [ -z "$f" ] || printf '\t%s' "$(probe_esc "$f")"; done
  else
    for f in "$@"; do printf '\t%s' "$(probe_esc "$f")"; done
  fi
  printf '\n'
}

# probe_in WORD LIST...: is WORD one of LIST?
probe_in() {
  local w=$1 x; shift
  for x in "$@"; do [ "$x" != "$w" ] || return 0; done
  return 1
}

# probe_file PATH: file PATH sha256= mode= owner= (never its content), or state=missing.
probe_file() {
  if [ -f "$1" ]; then
    probe_record file "$1" "sha256=$(sha256sum < "$1" | cut -d' ' -f1)" "mode=$(stat -c '%a' "$1")" "owner=$(stat -c '%U:%G' "$1")"
  else
    probe_record file "$1" state=missing
  fi
}

# probe_unit NAME: unit NAME enabled= active= (systemctl is-enabled / is-active).
probe_unit() {
  probe_record unit "$1" "enabled=$(systemctl is-enabled "$1" 2>/dev/null || true)" "active=$(systemctl is-active "$1" 2>/dev/null || true)"
}

# probe_unit_props NAME PROP,PROP...: unit NAME with systemd's PROP=VALUE settings (systemctl show),
# without runtime details (start times, pids).
probe_unit_props() {
  { systemctl show "$1" -p "$2" 2>/dev/null || true; } | sed 's/ ; start_time=.*//; s/ ; pid=.*//' | sort | probe_record unit "$1" -
}

# probe_package NAME [version]: package NAME status= (dpkg's status, "not-installed" when dpkg does
# not know it); with "version", version= instead (the installed version).
probe_package() {
  local info v
  info=$(dpkg-query -s "$1" 2>/dev/null) || info=""
  if [ "$#" -gt 1 ]; then
    v=$(sed -n 's/^Version: //p' <<<"$info")
    probe_record package "$1" "version=$v"
  else
    v=$(sed -n 's/^Status: //p' <<<"$info")
    [ -n "$v" ] || v=not-installed
    probe_record package "$1" "status=$v"
  fi
}

# probe_link PATH [KIND]: KIND (default link) PATH target= (where the symlink points, "(not a link)"
# or "(missing)").
probe_link() {
  local k=link t
  [ "$#" -lt 2 ] || k=$2
  if [ -L "$1" ]; then t=$(readlink "$1"); elif [ -e "$1" ]; then t="(not a link)"; else t="(missing)"; fi
  probe_record "$k" "$1" "target=$t"
}

# probe_extra_links DIR KIND KEEP...: a probe_link record for every entry of DIR not named in KEEP
# (each one is drift: e.g. another nginx site enabled beside ours).
probe_extra_links() {
  local d=$1 k=$2 e; shift 2
  [ -d "$d" ] || return 0
  for e in "$d"/*; do
    if { [ -e "$e" ] || [ -L "$e" ]; } && ! probe_in "$(basename "$e")" "$@"; then probe_link "$e" "$k"; fi
  done
}

# listening_on PORT [PROCESS]: the local addresses with a TCP socket listening on PORT ("*": any
# port), of a process whose name matches the regex PROCESS when given; sorted, space separated.
listening_on() {
  local c=""
  [ "$#" -lt 2 ] || c=$2
  ss -Htlnp 2>/dev/null | awk -v p="$1" -v c="$c" '(p == "*" || $4 ~ (":" p "$")) && (c == "" || $0 ~ c) {print $4}' | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# probe_listen PORT: listen :PORT addresses= (listening_on PORT); PORT "*" lists every address.
probe_listen() {
  probe_record listen ":$1" "addresses=$(listening_on "$1")"
}

# probe_ufw_policy: ufw policy status= incoming= outgoing= routed= (ufw status verbose).
probe_ufw_policy() {
  local s d x
  s=$(ufw status verbose 2>/dev/null) || s=""
  set -- "status=$(sed -n 's/^Status: //p' <<<"$s")"
  d=$(sed -n 's/^Default: //p' <<<"$s" | tr ',' '\n')
  for x in incoming outgoing routed; do set -- "$@" "$x=$(sed -n "s/^ *\([a-z-]*\) ($x)\$/\1/p" <<<"$d")"; done
  probe_record ufw policy "$@"
}

# probe_ufw_rules RULE...: ufw RULE added=yes|no for each RULE (in the syntax of ufw show added,
# without "ufw "), then ufw RULE added=yes for every other added rule (drift: an unmanaged rule).
probe_ufw_rules() {
  local have r
  have=$(ufw show added 2>/dev/null | sed -n 's/^ufw //p') || have=""
  for r in "$@"; do
    if grep -qxF -- "$r" <<<"$have"; then probe_record ufw "$r" added=yes; else probe_record ufw "$r" added=no; fi
  done
  while IFS= read -r r; do
    if [ -n "$r" ] && ! probe_in "$r" "$@"; then probe_record ufw "$r" added=yes; fi
  done <<<"$have"
}

# probe_cert PATH [names]: cert PATH subject= issuer= san= notAfter= (never the key), or
# state=missing|unreadable; with "names" only subject= and san= (renewals change the rest and are
# not drift).
probe_cert() {
  if ! [ -e "$1" ]; then probe_record cert "$1" state=missing; return 0; fi
  if ! openssl x509 -in "$1" -noout 2>/dev/null; then probe_record cert "$1" state=unreadable; return 0; fi
  local subject san
  subject=$(openssl x509 -in "$1" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
  san=$(openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | sed '/^X509v3 Subject Alternative Name/d; /^No extensions/d; s/^ *//') || san=""
  if [ "$#" -gt 1 ]; then
    probe_record cert "$1" "subject=$subject" "san=$san"
  else
    probe_record cert "$1" "subject=$subject" "issuer=$(openssl x509 -in "$1" -noout -issuer -nameopt RFC2253 | sed 's/^issuer=//')" \
      "san=$san" "notAfter=$(openssl x509 -in "$1" -noout -enddate | sed 's/^notAfter=//')"
  fi
}

# probe_key KEY CERT: key KEY mode= owner= matches=yes|no (whether KEY belongs to CERT), or
# state=missing. Never the key itself nor a digest of it.
probe_key() {
  if ! [ -e "$1" ]; then probe_record key "$1" state=missing; return 0; fi
  local a b m=no
  a=$(openssl pkey -in "$1" -pubout 2>/dev/null) || a=""
  b=$(openssl x509 -in "$2" -noout -pubkey 2>/dev/null) || b=""
  if [ -n "$a" ] && [ "$a" = "$b" ]; then m=yes; fi
  probe_record key "$1" "mode=$(stat -L -c '%a' "$1")" "owner=$(stat -L -c '%U:%G' "$1")" "matches=$m"
}

# probe_mount DIR: mount DIR state=mounted fstype= uuid= label= fstab= (the UUID /etc/fstab mounts
# there), or state=unmounted fstab=. The device's name is left out: it may change between boots.
probe_mount() {
  local src fstab
  fstab=$(awk -v m="$1" '$1 !~ /^#/ && $2 == m {sub(/^UUID=/, "", $1); print $1}' /etc/fstab 2>/dev/null | head -1) || fstab=""
  src=$(findmnt -n -o SOURCE --mountpoint "$1" 2>/dev/null | head -1) || src=""
  if [ -z "$src" ]; then probe_record mount "$1" state=unmounted "fstab=$fstab"; return 0; fi
  probe_record mount "$1" state=mounted "fstype=$(findmnt -n -o FSTYPE --mountpoint "$1" | head -1)" \
    "uuid=$(blkid -p -o value -s UUID "$src" 2>/dev/null || true)" "label=$(blkid -p -o value -s LABEL "$src" 2>/dev/null || true)" "fstab=$fstab"
}

# probe_renewal CONF: renewal CONF server= (the ACME server certbot renews from), or state=missing.
probe_renewal() {
  if [ -f "$1" ]; then probe_record renewal "$1" "server=$(sed -n 's/^server *= *//p' "$1")"; else probe_record renewal "$1" state=missing; fi
}
`;

/** A standalone probe script: strict bash, the C locale (stable sort order), the helpers, then `body`. */
export function probeShell(body: string): string {
  return `set -euo pipefail\nexport LC_ALL=C\n${PROBE_HELPERS}\n${body.trim()}\n`;
}
