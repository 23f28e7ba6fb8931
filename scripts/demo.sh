#!/usr/bin/env bash
# `npm run demo`: the whole thing on the embedded default, on a fresh machine.
#   1. installs what is missing (Debian packages, npm packages)
#   2. finds or builds the Pulumi toolchain
#   3. boots the test server "demo" (Debian 12, systemd-nspawn) with its data volume "demo-data",
#      and the S3 object store "demo-s3" (OSS's stand-in for the backups), unless they are running
#   4. `pulumi up --stack local --yes`: packages, firewall, data volume, PostgreSQL, TLS, app, nginx,
#      backups, smoke test
#   5. prints the outputs and the smoke-test result
#   6. creates data (a visit and an upload), backs it up and lists the snapshots
#   7. runs `aistudio doctor` against it (the troubleshooting guide's checklist)
# `npm run demo -- --servers N` (N ≥ 2) runs the fleet instead: scripts/demo-fleet.sh.
set -euo pipefail
if [ "${1:-}" = --servers ] && [ "${2:-1}" != 1 ]; then exec bash "$(dirname "$0")/demo-fleet.sh" "$2"; fi
source "$(dirname "$0")/env.sh"
cd "$REPO"
step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }
t0=$SECONDS

step "1/7 prerequisites"
bash scripts/prereqs.sh
if [ ! -d node_modules/@pulumi/pulumi ]; then
  echo "installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi

step "2/7 Pulumi toolchain"
toolchain_bin
pulumi version >&2

step "3/7 test servers: 'demo' with its data volume, 'demo-s3' (the backups' object store)"
state=${AISTUDIO_TESTHOST_STATE:-/var/lib/aistudio-testhost}/hosts
if [ -f "$state/demo-s3/objectstore.json" ]; then
  bash scripts/testhost.sh boot demo-s3 >/dev/null
else
  bash scripts/testhost.sh down demo-s3 >/dev/null 2>&1 || true
  bash scripts/objectstore.sh up demo-s3 >/dev/null
fi
if [ -d "$state/demo" ] && [ "$(cat "$state/demo/volume" 2>/dev/null)" = demo-data ]; then
  bash scripts/testhost.sh boot demo >/dev/null
else
  # a demo host from before the data volume: a new one, with the volume
  bash scripts/testhost.sh down demo >/dev/null 2>&1 || true
  bash scripts/testhost.sh up demo --volume demo-data >/dev/null
fi
bash scripts/testhost.sh ls >&2

step "4/7 pulumi up --stack local"
export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE:-aistudio-local}
if ! bash scripts/pulumi.sh stack ls --json 2>/dev/null | grep -q '"name": *"local"'; then
  bash scripts/pulumi.sh stack init local >&2
fi
bash scripts/pulumi.sh up --stack local --yes --skip-preview

step "5/7 result"
bash scripts/pulumi.sh stack output --stack local --json | node -e '
  const o = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const s = o.smokeTest || {};
  console.log(`domain:        ${o.domain} (test server ${o.publicIp})`);
  console.log(`ssh:           ${o.sshCommand}`);
  console.log(`config.js:     baseUrl ${o.urls.baseUrl}, apiBaseUrl ${o.urls.apiBaseUrl}, apiUrl ${o.urls.apiUrl}, staticUrl ${o.urls.staticUrl}, mediaUrl ${o.urls.mediaUrl}`);
  console.log(`WeChat request合法域名: ${o.wechatRequestDomains.join(", ")}`);
  console.log(`smoke test:    POST https://${o.domain}/api/user/visit -> HTTP ${s.status} in ${s.seconds}s: ${s.body}`);
  console.log(`admin:         ${o.adminUrl} (user admin; password: npm run pulumi -- config get aistudio:appEnv --stack local)`);
  if (s.status !== 200) process.exit(1);
'

step "6/7 data: a visit and an upload, then a backup to the object store"
ip=$(bash scripts/testhost.sh ls --json | node -e 'const h = JSON.parse(require("fs").readFileSync(0, "utf8")).find((x) => x.name === "demo"); console.log(h.host)')
bash scripts/testhost.sh ssh demo "cat /etc/aistudio/tls/fullchain.pem" > "${TMPDIR:-/tmp}/aistudio-demo-ca.pem"
api() { curl -sS --fail-with-body --cacert "${TMPDIR:-/tmp}/aistudio-demo-ca.pem" --resolve "photogooo.com:443:$ip" "$@"; echo; }
api -X POST -H 'Content-Type: application/json' -d '{"sessionId":"demo","type":"launch"}' https://photogooo.com/api/user/visit
head -c 65536 /dev/urandom > "${TMPDIR:-/tmp}/aistudio-demo-photo.jpg"
api -X POST -H 'Content-Type: application/octet-stream' --data-binary "@${TMPDIR:-/tmp}/aistudio-demo-photo.jpg" 'https://photogooo.com/api/upload?name=photo.jpg'
node bin/aistudio.js backup --stack local
node bin/aistudio.js backups --stack local

step "7/7 doctor: the troubleshooting guide's checks against the deployed server"
node bin/aistudio.js doctor --stack local
echo "demo finished in $((SECONDS - t0))s" >&2
