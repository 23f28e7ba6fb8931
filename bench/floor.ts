// The physical floor: what any tool must at least do on a bare Debian 12 host. The same
// `apt-get install` as our packages step, then the first start of nginx and of gunicorn (the
// sample app), done by a bare script over one SSH session. No idempotence, no checks, no TLS
// config, no hardening: a lower bound, not an alternative.
import * as path from "node:path";
import { PACKAGES } from "../provision/packages";
import { writeB64 } from "../provision/shell";
import { readAppDir } from "../infra/app-source";
import { REPO } from "./repo";
import { hostCmd } from "./hosts";

export function floorScript(): string {
  // the sample app as our app step ships it (every file of the directory, tests excluded)
  const files = readAppDir(path.join(REPO, "provision/sample-app"));
  // "phase NAME <epoch seconds>" after each phase: where the floor's time goes (bench breakdown)
  return `set -euo pipefail
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
mark() { echo "phase $1 $(date +%s.%N)"; }
mark start
apt-get update -q -o Dpkg::Use-Pty=0 >/dev/null
mark aptUpdate
apt-get install -y -q -o Dpkg::Use-Pty=0 --no-install-recommends ${PACKAGES.join(" ")} >/dev/null
mark packages
mkdir -p /srv/floor
${files.map((f) => writeB64(`/srv/floor/${f.rel}`, f.content)).join("\n")}
mark appFiles
systemctl start nginx
mark nginx
systemd-run --quiet --unit=floor-app -p WorkingDirectory=/srv/floor /usr/bin/python3 -m gunicorn --bind 127.0.0.1:8000 --workers 2 app:application
for i in $(seq 1 200); do
  if curl -fsS -m 2 -H 'Content-Type: application/json' -d '{"sessionId":"floor","type":"launch"}' http://127.0.0.1:8000/api/user/visit 2>/dev/null | grep -q '"success": true'; then ok=1; break; fi
  sleep 0.1
done
[ "\${ok:-0}" = 1 ] || { echo "gunicorn did not answer" >&2; exit 1; }
mark gunicorn
curl -fsS -m 2 -o /dev/null http://127.0.0.1/
mark check
echo floor-ok
`;
}

export interface FloorRun {
  /** Wall clock from here, SSH included. */
  seconds: number;
  /** Seconds per phase on the host: ssh (connect until the script starts), aptUpdate, packages, appFiles, nginx, gunicorn, check. */
  phases: Record<string, number>;
}

/** Seconds each phase took, from the script's "phase NAME <epoch>" marks. */
export function floorPhases(out: string, t0Ms: number): Record<string, number> {
  const marks = [...out.matchAll(/^phase (\w+) ([\d.]+)$/gm)].map((m) => [m[1], Number(m[2])] as const);
  const phases: Record<string, number> = {};
  if (marks.length) phases.ssh = Math.max(0, marks[0][1] - t0Ms / 1000);
  for (let i = 1; i < marks.length; i++) phases[marks[i][0]] = marks[i][1] - marks[i - 1][1];
  return phases;
}

/** The floor script on a fresh host (one SSH session, timed from here). */
export async function runFloor(host: string): Promise<FloorRun> {
  const t0 = Date.now();
  const out = await hostCmd(host, floorScript());
  if (!out.includes("floor-ok")) throw new Error(`floor script on ${host} did not finish: ${out.slice(-500)}`);
  return { seconds: (Date.now() - t0) / 1000, phases: floorPhases(out, t0) };
}
