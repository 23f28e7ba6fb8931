#!/usr/bin/env bash
# The packages step's apply (provision/packages.ts): the Debian packages the other steps rely on and
# the ones the app needs, installed unattended when any of them is missing. A fresh Ubuntu image runs
# unattended-upgrades at first boot: apt's locks are waited for (bounded) and a failing apt-get is
# retried. A package of the app that apt does not know fails the step at once, with apt's message
# and the config key to fix.
#
# Runs after provision/prelude.ts. Nothing reads CHANGED after this script, so it does not set it.
# Inputs, from the generated header:
#   PACKAGES          bash array: the packages the steps rely on (nginx, certbot, …)
#   APP_PACKAGES      bash array: the app's own packages
#   APP_PACKAGES_KEY  the config key that lists them

missing=()
for p in "${PACKAGES[@]}" "${APP_PACKAGES[@]}"; do
  # shellcheck disable=SC2016 # ${Status} is dpkg-query's field, not a shell expansion
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    # apt-get install's output streams; its errors are kept (and shown) to name unknown packages
    apt_err="" installed=0
    if apt-get update -q -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=120 \
       && { apt_err=$(apt-get install -y -q -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=120 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
              --no-install-recommends "${PACKAGES[@]}" "${APP_PACKAGES[@]}" 2>&1 1>&3 3>&-); } 3>&1; then
      installed=1
    fi
    [ -z "$apt_err" ] || printf '%s\n' "$apt_err" >&2
    [ "$installed" = 0 ] || break
    unknown=()
    while IFS= read -r p; do
      for a in "${APP_PACKAGES[@]}"; do [ "$p" != "$a" ] || unknown+=("$p"); done
    done < <(sed -n -e 's/^E: Unable to locate package //p' -e "s/^E: Package '\(.*\)' has no installation candidate\$/\1/p" <<<"$apt_err")
    if [ "${#unknown[@]}" -gt 0 ]; then
      echo "apt on this server does not know ${unknown[*]}, listed in $APP_PACKAGES_KEY: fix the name there (a Debian/Ubuntu package name, e.g. python3-pil), or the server's apt sources if the name is right" >&2
      exit 1
    fi
    [ "$attempt" = 10 ] && { echo "apt-get failed 10 times; see the messages above" >&2; exit 1; }
    echo "apt-get failed (attempt $attempt, often a lock held by another apt); retrying in 6s" >&2
    sleep 6
  done
fi
