// Packages and base: exactly what the server needs, installed unattended on Debian 12 and
// Ubuntu 22.04/24.04 (the Alibaba Cloud images).
import { Step } from "./step";
import { words } from "./shell";
import { packageProbe, probeOf } from "./probes";

/** Debian/Ubuntu package names the other steps rely on. */
export const PACKAGES = [
  "nginx",        // reverse proxy + TLS termination
  "certbot",      // ACME client (tls.mode acme); Debian ships certbot.timer for renewal
  "openssl",      // self-signed bootstrap certificate, certificate checks
  "ufw",          // host firewall
  "python3-venv", // the app's virtualenv
  "gunicorn",     // WSGI server; the venv sees it through --system-site-packages when no PyPI is reachable
  "ca-certificates",
  "git",          // app.git sources
] as const;

export function packagesStep(): Step {
  const pkgs = words(...PACKAGES);
  return {
    id: "packages",
    description: "install nginx, certbot, ufw, python3-venv, gunicorn",
    files: [],
    apply: `
missing=""
for p in ${pkgs}; do dpkg-query -W -f='\${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  # Fresh Ubuntu images run unattended-upgrades at first boot: wait for the locks (bounded) instead of failing.
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    if apt-get update -q -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=120 \
       && apt-get install -y -q -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=120 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold --no-install-recommends ${pkgs}; then
      break
    fi
    [ "$attempt" = 10 ] && { echo "apt-get failed 10 times; see the messages above" >&2; exit 1; }
    echo "apt-get failed (attempt $attempt, often a lock held by another apt); retrying in 6s" >&2
    sleep 6
  done
fi
`,
    ...probeOf(...PACKAGES.map((p) => packageProbe(p))),
  };
}
