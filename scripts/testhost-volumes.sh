# Sourced by scripts/testhost.sh (uses its STATE, say, die, running_pid): the test hosts' data volumes,
# disk images under $STATE/volumes that outlive the hosts, each attached through a loop device as the
# host's /dev/vdb (a cloud data disk's name) and to one running host at a time.
# shellcheck shell=bash

VOLUME_SIZE=${AISTUDIO_VOLUME_SIZE:-2G}
volume_file() { echo "$STATE/volumes/$1.img"; }

# the loop device of volume VOL's image, attached (once) when needed
volume_loop() {
  local f; f=$(volume_file "$1")
  [ -f "$f" ] || { mkdir -p "$STATE/volumes"; truncate -s "$VOLUME_SIZE" "$f"; say "created the blank volume $1 ($VOLUME_SIZE)"; }
  local l; l=$(losetup -j "$f" -O NAME -n 2>/dev/null | head -1)
  [ -n "$l" ] || l=$(losetup -f --show "$f")
  echo "$l"
}

# detach volume VOL's loop device unless a running host still uses it
volume_release() {
  local v=$1 d
  for d in "$STATE"/hosts/*/; do
    [ -f "$d/volume" ] && [ "$(cat "$d/volume")" = "$v" ] && running_pid "$(basename "$d")" >/dev/null && return 0
  done
  local l
  for l in $(losetup -j "$(volume_file "$v")" -O NAME -n 2>/dev/null); do losetup -d "$l" 2>/dev/null || true; done
}

volume_cmd() {
  case ${1:-} in
    ls) for f in "$STATE"/volumes/*.img; do [ -f "$f" ] && printf '%s\t%s\n' "$(basename "$f" .img)" "$(du -h --apparent-size "$f" | cut -f1)"; done; return 0 ;;
    rm)
      local vs=() v d
      if [ "${2:-}" = --all ]; then for v in "$STATE"/volumes/*.img; do [ -f "$v" ] && vs+=("$(basename "$v" .img)"); done; else vs=("${2:?usage: testhost.sh volume rm VOL|--all}"); fi
      for v in "${vs[@]}"; do
        for d in "$STATE"/hosts/*/; do
          if [ -f "$d/volume" ] && [ "$(cat "$d/volume")" = "$v" ]; then die "volume $v belongs to test host $(basename "$d"): remove the host first (testhost.sh down $(basename "$d"))"; fi
        done
        volume_release "$v"; rm -f "$(volume_file "$v")"; say "volume $v removed"
      done ;;
    *) die "usage: testhost.sh volume ls|rm VOL|rm --all" ;;
  esac
}
