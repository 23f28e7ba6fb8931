// The bench's scenarios beyond the cold/no-op runs: parity of what ours and Ansible leave on a
// host, security figures, and fleets of 1…8 hosts (reliability under load: bench/reliability.ts).
import * as fs from "node:fs";
import type { TesthostRecord } from "../infra/testhost";
import { AnsibleProject } from "./ansible";
import { runFloor } from "./floor";
import type { BenchOptions, BenchResults } from "./harness";
import { bootHost, counted, downHost, hostCmd } from "./hosts";
import type { Rendered } from "./render-ansible-files";
import { say } from "./repo";
import { lynisBoth } from "./lynis";
import { exposure, portsFromPeer, secretHits, testssl, tlsVersions } from "./security";
import { BenchStack, PulumiRun } from "./stack";
import { round } from "./stats";

export const DOMAIN = "photogooo.com";
export const SECRET_ENV = { SECRET_KEY: `bench-secret-${process.pid}-9f8e7d6c5b4a3210`, DJANGO_DEBUG: "false" };

export async function inPool<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  }));
  return out;
}

export function must(what: string, r: { code: number }, out: string): void {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${out.slice(-6000)}`);
}

export function pulumiOut(r: PulumiRun): string {
  return `${r.stdout}\n${r.stderr}`;
}

export async function parity(R: BenchResults, hO: string, hA: string, files: Rendered): Promise<void> {
  say("parity: comparing what ours and Ansible left on the hosts");
  const script = `set +e
for f in ${Object.keys(files.files).map((p) => p.replace(/\/releases\/[0-9a-f]+\//, "/current/")).join(" ")}; do
  printf 'file %s %s %s\\n' "$f" "$(sha256sum < "$f" | cut -d' ' -f1)" "$(stat -L -c '%a %U:%G' "$f")"
done
for d in /srv/aistudio /srv/aistudio/static /var/lib/aistudio/media /etc/aistudio/tls; do printf 'dir %s %s\\n' "$d" "$(stat -c '%a %U:%G' "$d")"; done
printf 'key %s\\n' "$(stat -c '%a %U:%G' /etc/aistudio/tls/privkey.pem)"
echo "ufw $(ufw show added | tr '\\n' ';')"
echo "ufw-default $(ufw status verbose | grep Default)"
for u in aistudio nginx; do echo "unit $u $(systemctl is-enabled $u) $(systemctl is-active $u)"; done
echo "sites-enabled $(ls /etc/nginx/sites-enabled | tr '\\n' ' ')"
echo "listen-8000 $(ss -Htln 'sport = :8000' | awk '{print $4}')"
echo "packages $(dpkg-query -W -f='\${Package} ' ${["nginx", "certbot", "openssl", "ufw", "python3-venv", "gunicorn", "ca-certificates", "git"].join(" ")})"
echo "exposure $(systemd-analyze security aistudio.service --no-pager | tail -n1)"
`;
  const [a, b] = await Promise.all([hostCmd(hO, script), hostCmd(hA, script)]);
  const la = a.trim().split("\n"), lb = new Set(b.trim().split("\n"));
  R.parity = { same: la.filter((l) => lb.has(l)), different: la.filter((l) => !lb.has(l)).map((l) => `ours: ${l}`).concat(b.trim().split("\n").filter((l) => !la.includes(l)).map((l) => `ansible: ${l}`)) };
  say(`parity: ${R.parity.same.length} identical, ${R.parity.different.length} different`);
}

export async function security(o: BenchOptions, recO: TesthostRecord, peer: string, work: string, stack: BenchStack): Promise<Record<string, unknown>> {
  const sec: Record<string, unknown> = {};
  say("security: systemd-analyze security aistudio");
  sec.exposure = await exposure(recO.name);
  say("security: TLS versions");
  sec.tlsVersions = await tlsVersions(recO.host, DOMAIN);
  say(`security: ports of ${recO.name} seen from a second test host (${peer})`);
  sec.portsFromPeer = await portsFromPeer(peer, recO.host);
  if (o.testssl) {
    say("security: testssl.sh (a few minutes)");
    sec.testssl = await testssl(recO.host, DOMAIN, work);
  } else {
    sec.testssl = { skipped: true };
  }
  say("security: secrets in the state");
  sec.secretsInState = secretHits([stack.stateText()], secretsOf(recO));
  // peer is the Ansible baseline's host of the same run: both audited after their cold deploy
  say(`security: Lynis on ${recO.name} and ${peer} (about a minute)`);
  sec.lynis = await lynisBoth(recO.name, peer);
  return sec;
}

export function secretsOf(h: { privateKeyPath: string }): Record<string, string> {
  return { appEnvSecretKey: SECRET_ENV.SECRET_KEY, sshPrivateKey: fs.readFileSync(h.privateKeyPath, "utf8") };
}

export async function fleet(n: number, files: Rendered, newStack: (h: string, tag: string) => Promise<BenchStack>, projects: AnsibleProject[]) {
  const res: BenchResults["fleet"][string] = {};
  const names = (p: string) => Array.from({ length: n }, (_, i) => `bn-${p}${n}x${i + 1}`);
  // ours: one stack per host, all `pulumi up`s at once
  {
    const hs = names("o");
    say(`fleet ${n}: booting ${hs.join(", ")}`);
    const recs = await inPool(hs, 4, (h) => bootHost(h));
    const ss: BenchStack[] = [];
    for (const h of hs) ss.push(await newStack(h, "f"));
    say(`fleet ${n}: ours: ${n} pulumi up at once`);
    const t0 = Date.now();
    const c = await counted(recs, () => Promise.all(ss.map((s) => s.up())));
    const secs = (Date.now() - t0) / 1000;
    c.value.forEach((r, i) => must(`fleet ${n}: pulumi up on ${hs[i]}`, r, pulumiOut(r)));
    res.ours = { seconds: round(secs, 2), perHostSeconds: round(secs / n, 2), ssh: c.ssh };
    say(`fleet ${n}: ours ${secs.toFixed(1)} s`);
    for (const s of ss) s.cleanup();
    for (const h of hs) await downHost(h);
  }
  // Ansible: one playbook over all hosts
  {
    const hs = names("a");
    say(`fleet ${n}: booting ${hs.join(", ")}`);
    const recs = await inPool(hs, 4, (h) => bootHost(h));
    const proj = new AnsibleProject(`fleet${n}`, recs);
    projects.push(proj);
    say(`fleet ${n}: Ansible: one playbook run over ${n} hosts`);
    try {
      const c = await counted(recs, () => proj.run(files.dir));
      must(`fleet ${n}: ansible-playbook`, c.value, c.value.output);
      res.ansible = { seconds: round(c.value.seconds, 2), perHostSeconds: round(c.value.seconds / n, 2), ssh: c.ssh };
      say(`fleet ${n}: Ansible ${c.value.seconds.toFixed(1)} s`);
    } finally {
      proj.cleanup();
    }
    for (const h of hs) await downHost(h);
  }
  // floor: the bare script on all hosts at once
  {
    const hs = names("f");
    say(`fleet ${n}: booting ${hs.join(", ")}`);
    const recs = await inPool(hs, 4, (h) => bootHost(h));
    say(`fleet ${n}: floor on ${n} hosts at once`);
    const t0 = Date.now();
    const c = await counted(recs, () => Promise.all(hs.map((h) => runFloor(h))));
    c.value.forEach((r, i) => say(`fleet ${n}: floor on ${hs[i]} ${r.seconds.toFixed(1)} s`));
    const secs = (Date.now() - t0) / 1000;
    res.floor = { seconds: round(secs, 2), perHostSeconds: round(secs / n, 2), ssh: c.ssh };
    say(`fleet ${n}: floor ${secs.toFixed(1)} s`);
    for (const h of hs) await downHost(h);
  }
  return res;
}
