#!/usr/bin/env bash
# The ssh step (provision/ssh.ts), in three phases that the runner runs in turn:
#   apply     over the deploy connection: the staged drop-in is put in place, checked with `sshd -t`,
#             read back with `sshd -T` (every setting of ours must be what sshd runs with), then sshd
#             is reloaded with a rollback armed: a systemd timer restores the previous drop-in after
#             CONFIRM_WINDOW seconds unless a confirmation stops it first. A rejected drop-in is
#             replaced by the previous one (a new one removed) before anything is reloaded.
#   confirm   over a NEW connection with the deploy key (the proof that the key still logs in): the
#             timer is stopped and the change kept.
#   rollback  over the deploy connection, when that new login failed: the previous drop-in is put
#             back and sshd reloaded. The sessions that are open (the deploy's own) survive a reload.
# An unchanged drop-in reloads nothing and arms nothing; the confirmation still checks a new login.
#
# Runs after provision/prelude.ts (put_file, CHANGED) and, for apply, the staging of the drop-in.
# Inputs, from the generated header (server paths are the values starting with "/"):
#   PHASE            apply | confirm | rollback
#   DROPIN           our drop-in in sshd_config.d (the previous one is kept as DROPIN.aistudio-prev)
#   PENDING          exists while a changed drop-in is not confirmed
#   ROLLBACK_SCRIPT  the rollback the timer runs (written by apply)
#   ROLLBACK_UNIT    the transient timer's unit name;  CONFIRM_WINDOW  its delay in seconds
#   SSHD_CONFIG      sshd's main configuration (named in messages)
#   SSH_UNIT         sshd's systemd unit (ssh on Debian and Ubuntu)
#   WANT_SHA256      the sha256 of our drop-in: confirm checks it is still the live one
#   EXPECT           bash array: "keyword value" lines `sshd -T` must print

# ssh_rollback REASON: the previous drop-in back (a new one removed) and sshd reloaded, when a change
# is pending. Also written, with the variables it reads, into ROLLBACK_SCRIPT for the timer.
ssh_rollback() {
  [ -f "$PENDING" ] || return 0
  if [ -f "$DROPIN.aistudio-prev" ]; then mv -f "$DROPIN.aistudio-prev" "$DROPIN"; else rm -f "$DROPIN"; fi
  rm -f "$PENDING"
  systemctl reload-or-restart "$SSH_UNIT"
  echo "the previous sshd configuration is back and sshd reloaded ($1) / 已恢复之前的 sshd 配置" >&2
}

# restore_unreloaded: a rejected drop-in replaced by the previous one (nothing was reloaded yet)
restore_unreloaded() {
  if [ -f "$DROPIN.aistudio-prev" ]; then mv -f "$DROPIN.aistudio-prev" "$DROPIN"; else rm -f "$DROPIN"; fi
  rm -f "$PENDING"
}

stop_timer() { systemctl stop "$ROLLBACK_UNIT.timer" >/dev/null 2>&1 || true; }

case $PHASE in
apply)
  # a change an interrupted deploy never confirmed is undone first: the last confirmed one is the base
  if [ -f "$PENDING" ]; then
    stop_timer
    ssh_rollback "an earlier change was never confirmed"
  fi
  rm -f "$DROPIN.aistudio-prev"
  put_file "$DROPIN" 0644 root root
  if [ "$CHANGED" = 1 ]; then
    touch "$PENDING"
    if ! out=$(sshd -t 2>&1); then
      restore_unreloaded
      echo "sshd -t rejects the new sshd configuration; the previous one stays live, sshd was not reloaded / sshd -t 拒绝了新的 sshd 配置，旧配置继续生效:" >&2
      echo "$out" >&2
      echo "fix: correct aistudio:ssh.extraConfig (or the file sshd names above), then run pulumi up again" >&2
      exit 1
    fi
  fi
  # every setting of ours must be what sshd runs with: sshd keeps a keyword's first value, so a file
  # read before ours (or a sshd_config without the Include line) would silently win
  have=$(sshd -T 2>&1) || { [ "$CHANGED" = 0 ] || restore_unreloaded; echo "sshd -T failed: $have" >&2; exit 1; }
  wrong=()
  for line in "${EXPECT[@]}"; do
    grep -qixF -- "$line" <<<"$have" || wrong+=("${line%% *} (want ${line#* }, sshd has '$(grep -i "^${line%% *} " <<<"$have" | cut -d' ' -f2- || true)')")
  done
  if [ "${#wrong[@]}" -gt 0 ]; then
    [ "$CHANGED" = 0 ] || restore_unreloaded
    echo "sshd would not run with our settings / sshd 未采用以下设置: ${wrong[*]}" >&2
    echo "why: sshd keeps the first value it reads; another file sets these before ours, or $SSHD_CONFIG lacks 'Include ${DROPIN%/*}/*.conf' at its top" >&2
    echo "fix: remove those keywords from the other files (grep -ri KEYWORD $SSHD_CONFIG ${DROPIN%/*}/), or add the Include line first in $SSHD_CONFIG; then run pulumi up again" >&2
    exit 1
  fi
  if [ "$CHANGED" = 1 ]; then
    # the safety net while the runner confirms: without a confirmation the server rolls back by itself
    { declare -p DROPIN PENDING SSH_UNIT; declare -f ssh_rollback; echo 'ssh_rollback "no new login confirmed it within the window"'; } > "$ROLLBACK_SCRIPT"
    stop_timer
    if ! out=$(systemd-run --quiet --unit="$ROLLBACK_UNIT" --on-active="$CONFIRM_WINDOW" "$(command -v bash)" "$ROLLBACK_SCRIPT" 2>&1); then
      restore_unreloaded
      echo "cannot arm the rollback timer (systemd-run: $out); sshd was not reloaded, the previous configuration stays" >&2
      exit 1
    fi
    if ! out=$(systemctl reload-or-restart "$SSH_UNIT" 2>&1); then
      stop_timer
      echo "reloading sshd failed: $out" >&2
      ssh_rollback "the reload failed"
      exit 1
    fi
    echo "sshd reloaded with the new configuration; a new login with the deploy key confirms it (otherwise rolled back in ${CONFIRM_WINDOW}s)"
  fi
  ;;
confirm)
  stop_timer
  if [ -f "$PENDING" ]; then
    rm -f "$PENDING" "$DROPIN.aistudio-prev"
    echo "confirmed by a new login with the deploy key: the sshd configuration stays"
  fi
  rm -f "$ROLLBACK_SCRIPT"
  got=""
  [ ! -f "$DROPIN" ] || got=$(sha256sum < "$DROPIN" | cut -d' ' -f1)
  if [ "$got" != "$WANT_SHA256" ]; then
    echo "the new sshd configuration was rolled back by the server's timer before a new login confirmed it (more than ${CONFIRM_WINDOW}s passed) / 确认超时，服务器已自动恢复旧的 sshd 配置; run pulumi up again" >&2
    exit 1
  fi
  ;;
rollback)
  stop_timer
  if [ -f "$PENDING" ]; then
    ssh_rollback "a new login with the deploy key failed"
  else
    echo "nothing to roll back: this deploy did not change the sshd configuration" >&2
  fi
  rm -f "$ROLLBACK_SCRIPT"
  ;;
*)
  echo "ssh.sh: unknown PHASE '$PHASE'" >&2
  exit 2
  ;;
esac
