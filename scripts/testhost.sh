#!/usr/bin/env bash
# Disposable Debian 12 test servers: real systemd as PID 1, booted with systemd-nspawn from a cached
# debootstrap'ed root, each on its own veth link (attached to the bridge aist0, 198.18.0.1/24 on this
# machine) with its own address in 198.18.0.0/24, sshd with a generated key and a pinned host key.
# The servers reach Debian's mirror only through an HTTP proxy (tinyproxy) on 198.18.0.1:3128.
#
#   testhost.sh image                 build the cached root tarball if missing
#   testhost.sh up NAME [--ip IP] [--volume VOL]
#                                     boot a fresh server (prints its JSON record); with --volume, the
#                                     data volume VOL (a disk image that outlives the server, created
#                                     blank on first use) is attached as its /dev/vdb
#   testhost.sh volume ls|rm VOL|rm --all   the data volumes (rm refuses a volume in use)
#   testhost.sh boot NAME             boot an existing (powered-off) server again, keeping its disk
#   testhost.sh poweroff NAME         power the server off, keeping its disk
#   testhost.sh ls [--json]           list servers
#   testhost.sh ssh NAME [CMD...]     run a command (or a shell) on the server as root
#   testhost.sh down NAME|--all       stop and delete (clean: no container, link, proxy left over)
#   testhost.sh move NEW NAME         NAME's address and volume name move to the running server NEW,
#                                     which takes NAME's place; the old server is cut off at once, then
#                                     powered off and removed (an EIP moving to a new ECS instance): its
#                                     volume VOL is kept as VOL-old
#   testhost.sh check                 exit 0 when this machine can host test servers
#
# Progress goes to stderr; machine-readable output (JSON) to stdout.
set -euo pipefail

CACHE=${AISTUDIO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aistudio-infra}/testhost
STATE=${AISTUDIO_TESTHOST_STATE:-/var/lib/aistudio-testhost}
BRIDGE=aist0
BRIDGE_MAC=02:a1:57:00:00:01
INOTIFY_INSTANCES=1024
BRIDGE_IP=198.18.0.1
PREFIX=24
PROXY_PORT=3128
MIRROR=${AISTUDIO_DEBIAN_MIRROR:-http://deb.debian.org/debian}
IMAGE=$CACHE/debian12.tar
KEY=$CACHE/id_ed25519
BOOT_TIMEOUT=${AISTUDIO_BOOT_TIMEOUT:-90}

say() { printf '[testhost] %s\n' "$*" >&2; }
die() { printf '[testhost] ERROR: %s\n' "$*" >&2; exit 1; }

check() {
  [ "$(id -u)" = 0 ] || { echo "not root: test servers need root (systemd-nspawn, veth, bridge)"; return 1; }
  for t in systemd-nspawn debootstrap tinyproxy ip ssh ssh-keygen tar; do
    command -v "$t" >/dev/null 2>&1 || { echo "missing $t (apt-get install systemd-container debootstrap tinyproxy iproute2 openssh-client)"; return 1; }
  done
  return 0
}

image() {
  [ -f "$IMAGE" ] && return 0
  check >/dev/null || die "$(check)"
  mkdir -p "$CACHE"
  local build=$CACHE/rootfs-build
  if [ ! -f "$build/.debootstrap-ok" ]; then
    say "debootstrap Debian 12 (bookworm) into $build (first time only; ~3 min)"
    rm -rf "$build"
    debootstrap --variant=minbase \
      --include=systemd,systemd-sysv,dbus,openssh-server,iproute2,ca-certificates,python3,curl,procps,sudo,gnupg \
      bookworm "$build" "$MIRROR" >&2
    touch "$build/.debootstrap-ok"
  fi
  say "customising the root (networkd, sshd, apt proxy) and caching it as $IMAGE"
  cat >"$build/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb ${MIRROR%/debian}/debian-security bookworm-security main
EOF
  # Like a cloud image: the mirror is reached through a proxy, no prompts, no recommends bloat.
  echo "Acquire::http::Proxy \"http://$BRIDGE_IP:$PROXY_PORT\";" >"$build/etc/apt/apt.conf.d/01aistudio-proxy"
  printf 'APT::Install-Recommends "false";\n' >"$build/etc/apt/apt.conf.d/02no-recommends"
  mkdir -p "$build/etc/systemd/system/multi-user.target.wants" "$build/etc/ssh/sshd_config.d"
  ln -sf /lib/systemd/system/systemd-networkd.service "$build/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
  printf 'PermitRootLogin prohibit-password\nPasswordAuthentication no\nUseDNS no\n' >"$build/etc/ssh/sshd_config.d/aistudio-testhost.conf"
  : >"$build/etc/machine-id"
  rm -f "$build"/etc/ssh/ssh_host_*
  rm -f "$IMAGE.tmp"
  tar --numeric-owner --xattrs -C "$build" -cf "$IMAGE.tmp" --exclude=./.debootstrap-ok .
  mv "$IMAGE.tmp" "$IMAGE"
}

ensure_key() {
  [ -f "$KEY" ] && return 0
  mkdir -p "$CACHE"
  ssh-keygen -q -t ed25519 -N '' -C aistudio-testhost -f "$KEY"
}

ensure_network() {
  mkdir -p "$STATE"
  exec 8>"$STATE/net.lock"; flock 8
  # Every test host's systemd, journald, logind … take inotify instances of this machine's root (no
  # user namespace): the kernel's default of 128 ran out at about 18 hosts ("Failed to allocate
  # manager object: Too many open files" while booting).
  if [ "$(cat /proc/sys/fs/inotify/max_user_instances)" -lt "$INOTIFY_INSTANCES" ]; then
    say "raising fs.inotify.max_user_instances to $INOTIFY_INSTANCES (systemd in each test host takes some)"
    sysctl -qw fs.inotify.max_user_instances="$INOTIFY_INSTANCES"
  fi
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    say "creating bridge $BRIDGE ($BRIDGE_IP/$PREFIX)"
    # A fixed (locally administered) MAC: a bridge without one takes its lowest port's, so it changed
    # whenever that test host went down, and every other host's ARP entry for $BRIDGE_IP went stale:
    # the fleet's rebuild under load saw all traffic to this machine stop for 35 s.
    ip link add "$BRIDGE" address "$BRIDGE_MAC" type bridge
    ip addr add "$BRIDGE_IP/$PREFIX" dev "$BRIDGE"
    ip link set "$BRIDGE" up
  fi
  local pidf=$STATE/tinyproxy.pid
  if [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then flock -u 8; return 0; fi
  say "starting the apt proxy (tinyproxy) on $BRIDGE_IP:$PROXY_PORT"
  mkdir -p "$STATE"
  cat >"$STATE/tinyproxy.conf" <<EOF
Port $PROXY_PORT
Listen $BRIDGE_IP
Timeout 600
MaxClients 100
Allow 198.18.0.0/15
ConnectPort 443
PidFile "$pidf"
LogFile "$STATE/tinyproxy.log"
LogLevel Warning
EOF
  tinyproxy -c "$STATE/tinyproxy.conf"
  for _ in $(seq 50); do [ -f "$pidf" ] && { flock -u 8; return 0; }; sleep 0.1; done
  die "tinyproxy did not start; see $STATE/tinyproxy.log"
}

teardown_network_if_idle() {
  exec 8>"$STATE/net.lock"; flock 8
  [ -n "$(ls -A "$STATE/hosts" 2>/dev/null)" ] && return 0
  if [ -f "$STATE/tinyproxy.pid" ]; then
    kill "$(cat "$STATE/tinyproxy.pid")" 2>/dev/null || true
    rm -f "$STATE/tinyproxy.pid"
  fi
  ip link del "$BRIDGE" 2>/dev/null || true
  say "no test server left: proxy stopped, bridge $BRIDGE removed"
}

hostdir() { echo "$STATE/hosts/$1"; }

# A server's name and address in its root (ROOT NAME IP): hostname, /etc/hosts and its network, as its
# next boot reads them (written by up, and by move when the server takes another's place)
identity() {
  echo "$2" >"$1/etc/hostname"
  printf '127.0.0.1 localhost\n127.0.1.1 %s\n' "$2" >"$1/etc/hosts"
  printf '[Match]\nName=host0\n\n[Network]\nAddress=%s/%s\nGateway=%s\n' "$3" "$PREFIX" "$BRIDGE_IP" >"$1/etc/systemd/network/80-aistudio.network"
}

# The name NAME's running server was booted with (its network link is vb-<it>): NAME's own unless
# the server took another's place (move) since its boot.
machine_name() { cat "$(hostdir "$1")/machine" 2>/dev/null || echo "$1"; }

next_ip() {
  local used n
  used=$(cat "$STATE"/hosts/*/ip 2>/dev/null || true)
  for n in $(seq 11 250); do
    grep -qx "198.18.0.$n" <<<"$used" || { echo "198.18.0.$n"; return 0; }
  done
  die "no free address left in 198.18.0.0/24"
}

# the data volumes (disk images attached as /dev/vdb): volume_file, volume_loop, volume_release, volume_cmd
# shellcheck source=scripts/testhost-volumes.sh
source "$(dirname "${BASH_SOURCE[0]}")/testhost-volumes.sh"

running_pid() { # pid of the nspawn process of NAME, if running
  local f; f=$(hostdir "$1")/nspawn.pid
  [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && cat "$f"
}

record() { # JSON record of one host
  local d; d=$(hostdir "$1")
  local ip hk state=stopped
  ip=$(cat "$d/ip"); hk=$(cut -d' ' -f1,2 "$d/root/etc/ssh/ssh_host_ed25519_key.pub")
  running_pid "$1" >/dev/null && state=running
  local vol=""; [ ! -f "$d/volume" ] || vol=$(cat "$d/volume")
  printf '{"name":"%s","host":"%s","port":22,"user":"root","privateKeyPath":"%s","hostKey":"%s","knownHostsLine":"%s %s","state":"%s","root":"%s","volume":"%s"}\n' \
    "$1" "$ip" "$KEY" "$hk" "$ip" "$hk" "$state" "$d/root" "$vol"
}

# Runs nspawn (the rest of the arguments) for NAME and boots it again when the server reboots: nspawn
# exits with 133 when the container's init reboots (systemd-nspawn@.service restarts it on that code),
# so without this a `systemctl reboot` inside a test host powers it off. A TERM (poweroff) is passed on
# to nspawn, which powers the server off cleanly; this process's pid is the host's nspawn.pid.
supervise() {
  local name=$1; shift
  local child=0 rc
  trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 0' TERM
  while :; do
    "$@" & child=$!
    wait "$child" && rc=0 || rc=$?
    [ "$rc" = 133 ] || exit "$rc"
    say "$name rebooted: booting it again"
    ip link del "vb-$name" 2>/dev/null || true
  done
}

boot() {
  local name=$1 d; d=$(hostdir "$1")
  [ -d "$d/root" ] || die "no test server named $name; create it with: testhost.sh up $name"
  running_pid "$name" >/dev/null && { say "$name is already running"; return 0; }
  ensure_network
  # a host-side veth left by an nspawn that died (no process holds it): nspawn would refuse to boot
  ip link del "vb-$(machine_name "$name")" 2>/dev/null || true
  echo "$name" >"$d/machine"
  local ip; ip=$(cat "$d/ip")
  say "booting $name ($ip) with systemd-nspawn"
  # .deb files are cached across hosts like a warm local mirror: hard-linked in at boot and
  # collected back at poweroff. Each host keeps its own archive directory (and apt lock), so
  # hosts installing at the same time never wait for each other.
  mkdir -p "$CACHE/apt-archives" "$d/root/var/cache/apt/archives/partial"
  find "$CACHE/apt-archives" -maxdepth 1 -name '*.deb' -exec ln -f -t "$d/root/var/cache/apt/archives/" {} + 2>/dev/null || true
  # the data volume: its image's loop device, seen by the server as /dev/vdb (a cloud data disk's name)
  local extra=()
  if [ -f "$d/volume" ]; then extra+=("--bind=$(volume_loop "$(cat "$d/volume")"):/dev/vdb"); fi
  # the root through a link named after the machine: a server that took another's place (move) keeps
  # its machine name, and its next boot by the supervisor (a reboot inside) must find its new directory
  mkdir -p "$STATE/machines"; ln -sfn "$d/root" "$STATE/machines/$name"
  setsid bash "${BASH_SOURCE[0]}" _supervise "$name" systemd-nspawn -D "$STATE/machines/$name" -b --register=no --keep-unit --network-bridge="$BRIDGE" \
    -M "$name" --console=passive "${extra[@]}" >"$d/console.log" 2>&1 </dev/null &
  echo $! >"$d/nspawn.pid"
  local t0=$SECONDS
  until timeout 2 bash -c "exec 3<>/dev/tcp/$ip/22" 2>/dev/null; do
    kill -0 "$(cat "$d/nspawn.pid")" 2>/dev/null || { tail -20 "$d/console.log" >&2; die "$name exited while booting (log: $d/console.log)"; }
    [ $((SECONDS - t0)) -ge "$BOOT_TIMEOUT" ] && { tail -20 "$d/console.log" >&2; die "$name: sshd did not answer on $ip:22 within ${BOOT_TIMEOUT}s (log: $d/console.log)"; }
    sleep 0.5
  done
  say "$name is up: ssh answers on $ip:22 after $((SECONDS - t0))s"
}

up() {
  local name=$1; shift
  local ip="" volume=""
  while [ $# -gt 0 ]; do case $1 in --ip) ip=$2; shift 2 ;; --volume) volume=$2; shift 2 ;; *) die "unknown option $1" ;; esac; done
  [ -z "$volume" ] || [[ $volume =~ ^[a-z][a-z0-9-]{0,30}$ ]] || die "volume name '$volume' must be 1-31 chars of [a-z0-9-]"
  [[ $name =~ ^[a-z][a-z0-9-]{0,10}$ ]] || die "host name '$name' must be 1-11 chars of [a-z0-9-] (it names a network link)"
  check >/dev/null || die "$(check)"
  local d; d=$(hostdir "$name")
  [ -e "$d" ] && die "$name already exists; remove it first with: testhost.sh down $name"
  image; ensure_key
  mkdir -p "$STATE/hosts"
  # concurrent `up`s must not pick the same address: allocate under a lock
  exec 9>"$STATE/alloc.lock"; flock 9
  [ -n "$ip" ] || ip=$(next_ip)
  grep -qx "$ip" <<<"$(cat "$STATE"/hosts/*/ip 2>/dev/null || true)" && die "$ip is already used by another test host"
  [[ $ip =~ ^198\.18\.0\.([0-9]+)$ ]] || die "--ip must be in 198.18.0.0/24"
  if [ -n "$volume" ]; then
    for o in "$STATE"/hosts/*/; do
      if [ -f "$o/volume" ] && [ "$(cat "$o/volume")" = "$volume" ]; then die "volume $volume is attached to test host $(basename "$o"): one server at a time (testhost.sh down $(basename "$o") first)"; fi
    done
  fi
  mkdir -p "$d/root"; echo "$ip" >"$d/ip"
  [ -z "$volume" ] || echo "$volume" >"$d/volume"
  flock -u 9
  say "unpacking Debian 12 root for $name"
  tar --numeric-owner --xattrs -C "$d/root" -xf "$IMAGE"
  identity "$d/root" "$name" "$ip"
  # no DNS on test hosts: names resolve only through /etc/hosts (nothing leaves the test network)
  rm -f "$d/root/etc/resolv.conf"; echo "nameserver 127.0.0.1" >"$d/root/etc/resolv.conf"
  # the data volume's fstab line is mounted at boot as on a VM (containers ignore fstab device lines)
  install -D -m 0755 "$(dirname "${BASH_SOURCE[0]}")/testhost-fstab-generator.sh" "$d/root/etc/systemd/system-generators/testhost-fstab"
  ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$d/root/etc/ssh/ssh_host_ed25519_key"
  ssh-keygen -q -t rsa -b 3072 -N '' -C "$name" -f "$d/root/etc/ssh/ssh_host_rsa_key"
  install -d -m 0700 "$d/root/root/.ssh"
  install -m 0600 "$KEY.pub" "$d/root/root/.ssh/authorized_keys"
  boot "$name"
  record "$name"
}

poweroff_host() {
  local name=$1 pid
  pid=$(running_pid "$name") || { say "$name is not running"; return 0; }
  say "powering off $name"
  kill -TERM "$pid" 2>/dev/null || true   # nspawn forwards this as a clean poweroff to systemd
  for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  # the supervisor leads its own process group (setsid in boot): the KILL takes nspawn with it
  if kill -0 "$pid" 2>/dev/null; then say "$name did not stop in 30s; killing it"; kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; sleep 1; fi
  rm -f "$(hostdir "$name")/nspawn.pid"
  if [ -f "$(hostdir "$name")/volume" ]; then volume_release "$(cat "$(hostdir "$name")/volume")"; fi
  # keep the packages this host downloaded for the next hosts
  find "$(hostdir "$name")/root/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -exec ln -f -t "$CACHE/apt-archives/" {} + 2>/dev/null || true
}

down() {
  local names=()
  if [ "${1:-}" = --all ]; then
    for d in "$STATE"/hosts/*/; do [ -d "$d" ] && names+=("$(basename "$d")"); done
  else
    names=("$1")
  fi
  for name in "${names[@]}"; do
    [ -d "$(hostdir "$name")" ] || { say "no test server named $name"; continue; }
    poweroff_host "$name"
    rm -f "$STATE/machines/$(machine_name "$name")"
    rm -rf "$(hostdir "$name")"
    say "$name removed"
  done
  teardown_network_if_idle
}

# The running server NEW takes server NAME's place: NAME's address and volume name, like an EIP and
# a data disk's role moving to a new ECS instance. The old server's link is cut first (it answers
# nothing from then on), the address is added to NEW and this machine's ARP entry for it dropped, so
# the address answers from NEW within a fraction of a second; then the old server is powered off and
# removed. The old volume is kept as VOL-old (one generation: an older VOL-old is removed).
move() {
  local new=$1 name=$2
  local dn dd; dn=$(hostdir "$new"); dd=$(hostdir "$name")
  [ -d "$dn" ] || die "no test server named $new"
  [ -d "$dd" ] || die "no test server named $name"
  running_pid "$new" >/dev/null || die "$new is not running: boot it first (testhost.sh boot $new)"
  local a b; a=$(cat "$dd/ip"); b=$(cat "$dn/ip")
  say "moving $name's address $a to $new (was $b)"
  # cut the old server off the bridge: from here nothing reaches it, and it answers nothing
  ip link set "vb-$(machine_name "$name")" down 2>/dev/null || true
  (ssh_host "$new" "ip addr replace $a/$PREFIX dev host0") </dev/null >/dev/null || die "could not add $a to $new"
  ip neigh flush to "$a" dev "$BRIDGE" 2>/dev/null || true
  echo "$a" >"$dn/ip"
  identity "$dn/root" "$name" "$a"
  (ssh_host "$new" "ip addr del $b/$PREFIX dev host0; hostname $name") </dev/null >/dev/null || say "warning: $b is still on $new's link until its next boot"
  say "$a answers from $new; powering the old server off"
  local oldvol=""; [ ! -f "$dd/volume" ] || oldvol=$(cat "$dd/volume")
  poweroff_host "$name"
  rm -f "$STATE/machines/$(machine_name "$name")"
  rm -rf "$dd"
  if [ -n "$oldvol" ] && [ -f "$(volume_file "$oldvol")" ]; then
    local keep="${oldvol:0:27}-old"
    rm -f "$(volume_file "$keep")"
    mv "$(volume_file "$oldvol")" "$(volume_file "$keep")"
    say "the old server's volume is kept as $keep (testhost.sh volume rm $keep when no longer needed)"
    if [ -f "$dn/volume" ]; then
      mv "$(volume_file "$(cat "$dn/volume")")" "$(volume_file "$oldvol")"
      echo "$oldvol" >"$dn/volume"
    fi
  fi
  mv "$dn" "$dd"
  # its nspawn (and the one booted again when it reboots) finds its root through this link
  ln -sfn "$dd/root" "$STATE/machines/$(machine_name "$name")"
  say "$new is now $name at $a"
  record "$name"
}

ls_hosts() {
  local first=1
  if [ "${1:-}" = --json ]; then
    printf '['
    for d in "$STATE"/hosts/*/; do
      [ -d "$d" ] || continue
      [ $first = 1 ] || printf ','; first=0
      record "$(basename "$d")" | tr -d '\n'
    done
    printf ']\n'
  else
    printf '%-12s %-14s %s\n' NAME ADDRESS STATE
    for d in "$STATE"/hosts/*/; do
      [ -d "$d" ] || continue
      local n; n=$(basename "$d")
      printf '%-12s %-14s %s\n' "$n" "$(cat "$d/ip")" "$(running_pid "$n" >/dev/null && echo running || echo stopped)"
    done
  fi
}

ssh_host() {
  local name=$1; shift
  local d; d=$(hostdir "$name")
  [ -d "$d" ] || die "no test server named $name"
  local ip; ip=$(cat "$d/ip")
  local kh=$d/known_hosts
  echo "$ip $(cut -d' ' -f1,2 "$d/root/etc/ssh/ssh_host_ed25519_key.pub")" >"$kh"
  exec ssh -i "$KEY" -o UserKnownHostsFile="$kh" -o StrictHostKeyChecking=yes -o HostKeyAlgorithms=ssh-ed25519 \
    -o BatchMode=yes -o ConnectTimeout=10 "root@$ip" "$@"
}

cmd=${1:-}; shift || true
case $cmd in
  check) check ;;
  image) image ;;
  up) [ $# -ge 1 ] || die "usage: testhost.sh up NAME [--ip 198.18.0.N]"; up "$@" ;;
  boot) [ $# -ge 1 ] || die "usage: testhost.sh boot NAME"; boot "$1"; record "$1" ;;
  poweroff) [ $# -ge 1 ] || die "usage: testhost.sh poweroff NAME"; poweroff_host "$1" ;;
  ls) ls_hosts "$@" ;;
  ssh) [ $# -ge 1 ] || die "usage: testhost.sh ssh NAME [CMD...]"; ssh_host "$@" ;;
  down) [ $# -ge 1 ] || die "usage: testhost.sh down NAME|--all"; down "$1" ;;
  move) [ $# -eq 2 ] || die "usage: testhost.sh move NEW NAME"; move "$1" "$2" ;;
  volume) volume_cmd "$@" ;;
  _supervise) supervise "$@" ;;   # internal: boot's background process
  *) sed -n '2,24p' "$0" >&2; exit 2 ;;
esac
