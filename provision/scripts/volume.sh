#!/usr/bin/env bash
# The data volume (provision/volume.ts): the app's data directory on a disk of its own, so the
# database and the uploads outlive the server. Header: DEVICE (empty: find it), LABEL, MOUNT_POINT,
# MOUNT_OPTIONS, FSTAB, APP_UNIT, RUN_DIR (where the volume is mounted for a moment to move data).
#
# Never formats a disk that holds anything: only a blank device (no filesystem, no partition
# table) gets a new ext4 filesystem labelled LABEL. A disk that already carries LABEL (the same
# volume re-attached to a rebuilt server) is mounted as it is. Data found in MOUNT_POINT on the
# system disk (a server from before the volume) is copied onto an empty volume first, never lost.

# shellcheck disable=SC2034 # CHANGED is the prelude's: the runner reads it
CHANGED=${CHANGED:-0}

fail() { printf 'data volume: %s\n' "$*" >&2; exit 1; }

# the volume's device: the configured one, the disk labelled LABEL, or the one blank whole disk
find_device() {
  if [ -n "$DEVICE" ]; then
    [ -b "$DEVICE" ] || fail "$DEVICE is not a block device on this server: is the volume attached? (alicloud: the EcsDiskAttachment in \`pulumi preview\`; local stack: \`testhost.sh up NAME --volume VOL\`)"
    printf '%s\n' "$DEVICE"; return 0
  fi
  local d found=()
  d=$(blkid -L "$LABEL" 2>/dev/null || true)
  if [ -n "$d" ]; then printf '%s\n' "$d"; return 0; fi
  while read -r d t; do
    if [ "$t" != disk ] || ! [ -b "$d" ]; then continue; fi
    [ "$(lsblk -nro NAME "$d" | wc -l)" = 1 ] || continue                       # partitioned
    [ -z "$(blkid -p -o value -s TYPE "$d" 2>/dev/null)" ] || continue          # a filesystem
    [ -z "$(blkid -p -o value -s PTTYPE "$d" 2>/dev/null)" ] || continue        # a partition table
    findmnt -rn -S "$d" >/dev/null 2>&1 && continue                              # in use
    found+=("$d")
  done < <(lsblk -dnpo NAME,TYPE 2>/dev/null)
  case ${#found[@]} in
    1) printf '%s\n' "${found[0]}" ;;
    0) fail "no disk labelled $LABEL and no blank disk attached: attach the data disk (alicloud: the EcsDiskAttachment), or set aistudio:data.device" ;;
    *) fail "several blank disks (${found[*]}): set aistudio:data.device to the one for the data" ;;
  esac
}

dev=$(find_device)
fs=$(blkid -p -o value -s TYPE "$dev" 2>/dev/null || true)
if [ -z "$fs" ]; then
  pt=$(blkid -p -o value -s PTTYPE "$dev" 2>/dev/null || true)
  [ -z "$pt" ] || fail "$dev has a $pt partition table but no filesystem: it may hold data, so it is not formatted. Check the disk; wipe it by hand (wipefs -a $dev) only if it is blank"
  echo "formatting the blank volume $dev (ext4, label $LABEL)"
  mkfs.ext4 -q -L "$LABEL" -m 1 "$dev"
  CHANGED=1
elif [ "$fs" != ext4 ]; then
  fail "$dev holds a $fs filesystem, not this program's ext4 volume: not mounting it over $MOUNT_POINT"
fi
found_label=$(blkid -p -o value -s LABEL "$dev" 2>/dev/null || true)
[ "$found_label" = "$LABEL" ] || fail "$dev holds an ext4 filesystem labelled \"$found_label\", not $LABEL: not mounting a disk of something else over $MOUNT_POINT (if it is the data disk, label it: e2label $dev $LABEL)"
uuid=$(blkid -p -o value -s UUID "$dev")

# /etc/fstab: one line for MOUNT_POINT, by UUID (device names can change between boots)
line="UUID=$uuid $MOUNT_POINT ext4 $MOUNT_OPTIONS 0 2"
if ! grep -qxF -- "$line" "$FSTAB" 2>/dev/null; then
  touch "$FSTAB"
  awk -v m="$MOUNT_POINT" '$1 ~ /^#/ || $2 != m' "$FSTAB" > "$FSTAB.aistudio-new"
  printf '%s\n' "$line" >> "$FSTAB.aistudio-new"
  cat "$FSTAB.aistudio-new" > "$FSTAB"; rm -f "$FSTAB.aistudio-new"
  systemctl daemon-reload 2>/dev/null || true
  CHANGED=1
fi

# Not mounted yet. Data already in MOUNT_POINT (on the system disk) moves onto an empty volume.
mount_volume() {
  local was_active=no staging aside
  mkdir -p "$MOUNT_POINT"
  if [ -n "$(ls -A "$MOUNT_POINT")" ]; then
    staging=$(mktemp -d "$RUN_DIR/aistudio-volume.XXXXXX")
    mount -o "$MOUNT_OPTIONS" "$dev" "$staging"
    if [ -n "$(find "$staging" -mindepth 1 -maxdepth 1 ! -name lost+found -print -quit)" ]; then
      umount "$staging"; rmdir "$staging"
      fail "$MOUNT_POINT on the system disk holds data and the volume $dev holds other data: not merging them. Move one aside by hand"
    fi
    # the app and its socket (a request to the socket would start it again) while the data moves
    if systemctl is-active --quiet "$APP_UNIT" 2>/dev/null; then was_active=yes; systemctl stop "$APP_UNIT.socket" "$APP_UNIT.service"; fi
    echo "moving the data in $MOUNT_POINT onto the volume $dev"
    cp -a "$MOUNT_POINT/." "$staging/"
    umount "$staging"; rmdir "$staging"
    aside="$MOUNT_POINT.system-disk-$(date +%Y%m%d%H%M%S)"
    mv "$MOUNT_POINT" "$aside"; mkdir -p "$MOUNT_POINT"
    chown --reference="$aside" "$MOUNT_POINT"; chmod --reference="$aside" "$MOUNT_POINT"
    echo "the old copy stays in $aside until you remove it"
  fi
  mount -o "$MOUNT_OPTIONS" "$dev" "$MOUNT_POINT"
  CHANGED=1
  echo "mounted $dev (UUID $uuid) at $MOUNT_POINT"
  if [ "$was_active" = yes ]; then systemctl start "$APP_UNIT.socket" "$APP_UNIT.service"; fi
}

mounted=$(findmnt -n -o SOURCE --mountpoint "$MOUNT_POINT" 2>/dev/null | head -1 || true)
if [ -z "$mounted" ]; then
  mount_volume
elif [ "$(blkid -p -o value -s UUID "$mounted" 2>/dev/null || true)" != "$uuid" ]; then
  fail "$MOUNT_POINT has $mounted mounted, not the data volume $dev: unmount it first"
fi
