#!/usr/bin/env bash
# `npm run demo`: the whole thing on the embedded default, on a fresh machine.
#   1. installs what is missing (Debian packages, npm packages)
#   2. finds or builds the Pulumi toolchain
#   3. boots the test server "demo" (Debian 12, systemd-nspawn) unless it is running
#   4. `pulumi up --stack local --yes`: packages, firewall, TLS, app, nginx, smoke test
#   5. prints the outputs and the smoke-test result
#   6. runs `aistudio doctor` against it (the troubleshooting guide's checklist)
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REPO"
step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }
t0=$SECONDS

step "1/6 prerequisites"
bash scripts/prereqs.sh
if [ ! -d node_modules/@pulumi/pulumi ]; then
  echo "installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi

step "2/6 Pulumi toolchain"
toolchain_bin
pulumi version >&2

step "3/6 test server 'demo'"
host_dir=${AISTUDIO_TESTHOST_STATE:-/var/lib/aistudio-testhost}/hosts/demo
if [ -d "$host_dir" ]; then
  bash scripts/testhost.sh boot demo >/dev/null
else
  bash scripts/testhost.sh up demo >/dev/null
fi
bash scripts/testhost.sh ls >&2

step "4/6 pulumi up --stack local"
export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE:-aistudio-local}
if ! bash scripts/pulumi.sh stack ls --json 2>/dev/null | grep -q '"name": *"local"'; then
  bash scripts/pulumi.sh stack init local >&2
fi
bash scripts/pulumi.sh up --stack local --yes --skip-preview

step "5/6 result"
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

step "6/6 doctor: the troubleshooting guide's checks against the deployed server"
node bin/aistudio.js doctor --stack local
echo "demo finished in $((SECONDS - t0))s" >&2
