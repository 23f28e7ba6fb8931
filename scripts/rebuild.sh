#!/usr/bin/env bash
# `npm run rebuild -- --stack S`: replace the server with a fresh one and converge it.
#   alicloud stacks: pulumi up --replace <the ECS instance>; the EIP (and so the address, DNS and the
#                    WeChat domain) is kept, cloud-init installs the same pinned host key.
#   local stack:     the test host is destroyed and booted fresh at the same address.
# Compare the `fingerprint` output before and after: equal means the same server was rebuilt.
# NOT rebuilt: data under /var/lib/aistudio/media and any database — back them up first:
#   ssh root@HOST 'tar -C /var/lib/aistudio -czf - media' > media-$(date +%F).tgz
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REPO"
stack=local
while [ $# -gt 0 ]; do case $1 in --stack) stack=$2; shift 2 ;; --stack=*) stack=${1#--stack=}; shift ;; *) echo "unknown option $1" >&2; exit 2 ;; esac; done
[ "$stack" = local ] && export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE:-aistudio-local}
toolchain_bin
before=$(bash scripts/pulumi.sh stack output fingerprint --stack "$stack" 2>/dev/null || echo none)
target=$(pulumi config get aistudio:target --stack "$stack" 2>/dev/null || echo alicloud)
if [ "$target" = local ]; then
  name=$(pulumi config get aistudio:testhost --stack "$stack")
  ip=$(cat "${AISTUDIO_TESTHOST_STATE:-/var/lib/aistudio-testhost}/hosts/$name/ip")
  echo "==> rebuilding test host $name at $ip" >&2
  bash scripts/testhost.sh down "$name"
  bash scripts/testhost.sh up "$name" --ip "$ip" >/dev/null
  bash scripts/pulumi.sh up --stack "$stack" --yes --skip-preview
else
  urn=$(pulumi stack --stack "$stack" --show-urns | grep -o 'urn:pulumi:[^ ]*alicloud:ecs/instance:Instance::[^ ]*' | head -1)
  [ -n "$urn" ] || { echo "no ECS instance in stack $stack (adopted servers are not rebuilt by Pulumi)" >&2; exit 2; }
  echo "==> replacing $urn" >&2
  bash scripts/pulumi.sh up --stack "$stack" --yes --replace "$urn"
fi
after=$(bash scripts/pulumi.sh stack output fingerprint --stack "$stack")
echo "fingerprint before: $before" >&2
echo "fingerprint after:  $after" >&2
[ "$before" = none ] || [ "$before" = "$after" ] || echo "the rebuilt server differs from the previous build (package updates from the mirror?)" >&2
