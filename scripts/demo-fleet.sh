#!/usr/bin/env bash
# `npm run demo -- --servers N` (N ≥ 2): the fleet of issue #15 on this machine, stack "fleet"
# (Pulumi.fleet.yaml).
#   1. prerequisites and the Pulumi toolchain, as `npm run demo`
#   2. test hosts: the servers fleet, fleet-2 … fleet-N, the load balancer fleet-lb, the database
#      fleet-db (PostgreSQL, scripts/dbhost.sh) and the uploads store fleet-s3 (SeaweedFS), unless running
#   3. a demo CA and a certificate for photogooo.com (the load balancer's, as ALB's from CAS)
#   4. `pulumi up --stack fleet`: every server provisioned, rolled into HAProxy one at a time, and
#      the site's smoke test through the load balancer
#   5. requests through the load balancer: which server answered each, and the pool as HAProxy sees it
#   6. `aistudio doctor`: the guide's checks through the load balancer, and every server behind it
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REPO"
step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }
N=${1:?usage: demo-fleet.sh SERVERS}
if ! [[ $N =~ ^[0-9]+$ ]] || [ "$N" -lt 2 ] || [ "$N" -gt 8 ]; then echo "--servers must be 2 to 8 on this machine, got $N" >&2; exit 2; fi
t0=$SECONDS
export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE:-aistudio-local}
state=${AISTUDIO_TESTHOST_STATE:-/var/lib/aistudio-testhost}/hosts

step "1/6 prerequisites and the Pulumi toolchain"
bash scripts/prereqs.sh
[ -d node_modules/@pulumi/pulumi ] || npm ci --no-audit --no-fund >&2
toolchain_bin

step "2/6 test hosts: $N servers, the load balancer, the database, the uploads store"
servers=(fleet); for k in $(seq 2 "$N"); do servers+=("fleet-$k"); done
pids=()
for h in "${servers[@]}" fleet-lb; do
  if [ -d "$state/$h" ]; then bash scripts/testhost.sh boot "$h" >/dev/null & else bash scripts/testhost.sh up "$h" >/dev/null & fi
  pids+=($!)
done
if [ -f "$state/fleet-s3/objectstore.json" ]; then bash scripts/testhost.sh boot fleet-s3 >/dev/null; else bash scripts/objectstore.sh up fleet-s3 >/dev/null; fi
if [ -f "$state/fleet-db/dbhost.json" ]; then bash scripts/testhost.sh boot fleet-db >/dev/null; else bash scripts/dbhost.sh up fleet-db >/dev/null; fi
for p in "${pids[@]}"; do wait "$p"; done
bash scripts/testhost.sh ls >&2

step "3/6 the certificate: a demo CA on this machine, a certificate for photogooo.com"
pki=${AISTUDIO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aistudio-infra}/demo-fleet-pki
if [ ! -f "$pki/photogooo.com.pem" ]; then
  mkdir -p "$pki"; (
    cd "$pki"; umask 077
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 -subj "/CN=aistudio demo CA" -keyout ca.key -out ca.pem 2>/dev/null
    printf 'subjectAltName=DNS:photogooo.com\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' >leaf.ext
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=photogooo.com" -keyout photogooo.com.key -out leaf.csr 2>/dev/null
    openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 365 -extfile leaf.ext -out photogooo.com.pem 2>/dev/null
  )
fi
echo "demo CA: $pki/ca.pem (curl --cacert it)" >&2

step "4/6 pulumi up --stack fleet ($N servers)"
# this machine's settings (count, certificate, database URL, secrets) go to a copy of Pulumi.fleet.yaml
# under .aistudio/ (ignored), so the tracked file stays as committed
conf=$REPO/.aistudio/fleet/Pulumi.fleet.yaml
mkdir -p "$(dirname "$conf")"
[ -f "$conf" ] || cp Pulumi.fleet.yaml "$conf"
bash scripts/pulumi.sh stack ls --json 2>/dev/null | grep -q '"name": *"fleet"' || bash scripts/pulumi.sh stack init fleet --config-file "$conf" >&2
cfg() { AISTUDIO_SKIP_BUILD=1 bash scripts/pulumi.sh config --stack fleet --config-file "$conf" "$@"; }
cfg set --path aistudio:servers.count "$N"
cfg set --path aistudio:tls.mode provided
cfg set --path aistudio:tls.certificate -- "$(cat "$pki/photogooo.com.pem")"
cfg set --path aistudio:tls.caBundle -- "$(cat "$pki/ca.pem")"
cfg set --secret aistudio:tlsPrivateKey -- "$(cat "$pki/photogooo.com.key")"
cfg set --secret aistudio:databaseUrl -- "$(bash scripts/dbhost.sh info fleet-db | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).url)')"
cfg get aistudio:appEnv >/dev/null 2>&1 || cfg set --secret aistudio:appEnv -- "{\"SECRET_KEY\":\"$(openssl rand -hex 24)\",\"ADMIN_PASSWORD\":\"$(openssl rand -hex 12)\"}"
bash scripts/pulumi.sh up --stack fleet --config-file "$conf" --yes --skip-preview

step "5/6 through the load balancer"
lb=$(bash scripts/testhost.sh ls --json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).find((x) => x.name === "fleet-lb").host)')
for i in $(seq 1 6); do
  curl -sS --cacert "$pki/ca.pem" --resolve "photogooo.com:443:$lb" -H 'Content-Type: application/json' \
    -d "{\"sessionId\":\"demo-fleet-$i\",\"type\":\"launch\"}" https://photogooo.com/api/user/visit; echo
done
echo "the pool as HAProxy sees it (server, status, weight, requests served):" >&2
bash scripts/testhost.sh ssh fleet-lb "echo 'show stat' | socat stdio /run/haproxy/admin.sock" \
  | awk -F, '$1 == "aistudio" && $2 != "BACKEND" {print "  " $2 "  " $18 "  weight " $19 "  " $8 " requests"}' >&2

step "6/6 doctor: the guide's checks through the load balancer, and every server behind it"
node bin/aistudio.js doctor --stack fleet --config-file "$conf"
echo "fleet demo finished in $((SECONDS - t0))s" >&2
