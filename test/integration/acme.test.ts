// tls.mode acme for real: certbot on a fresh Debian 12 test host gets its certificate over HTTP-01
// from Debian's pebble (an ACME test server on this machine, see test/support/pebble.ts), nginx
// serves the full chain, certbot's renewal works against the same server through certbot.timer's
// environment, the deploy hook reloads nginx, and a second run changes nothing.
import * as tls from "node:tls";
import { X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireHosts } from "../support/capability";
import { bootHost, hostCmd, hostCmdResult, localConfig, TestStack, unchanged } from "../support/hosts";
import { Pebble, startPebble } from "../support/pebble";

const canRun = requireHosts();
const DOMAIN = "photogooo.com";
const LIVE = `/etc/letsencrypt/live/${DOMAIN}`;
// certbot outside systemd with the environment certbot.timer's renewals get (the drop-in)
const CERTBOT_ENV = `env $(systemctl show -p Environment --value certbot.service)`;

interface Served {
  authorized: boolean;
  authorizationError?: string;
  chain: tls.DetailedPeerCertificate[];
}

/** The chain the server presents for DOMAIN at ip:443, as node:tls sees it (trusting only `root`). */
function served(ip: string, root: string): Promise<Served> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: ip, port: 443, servername: DOMAIN, ca: [root], rejectUnauthorized: false, timeout: 10_000 }, () => {
      const chain: tls.DetailedPeerCertificate[] = [];
      let c: tls.DetailedPeerCertificate | undefined = s.getPeerCertificate(true);
      for (let i = 0; i < 5 && c && c.raw; i++) {
        chain.push(c);
        if (!c.issuerCertificate || c.issuerCertificate === c || c.issuerCertificate.fingerprint256 === c.fingerprint256) break;
        c = c.issuerCertificate;
      }
      const out = { authorized: s.authorized, authorizationError: s.authorizationError ? String(s.authorizationError) : undefined, chain };
      s.end();
      resolve(out);
    });
    s.on("timeout", () => s.destroy(new Error("TLS connection timed out")));
    s.on("error", reject);
  });
}

const x509 = (c: tls.PeerCertificate) => new X509Certificate(c.raw);

describe.skipIf(!canRun)("tls.mode acme: certbot against pebble on a fresh test host", () => {
  const HOST = "it-acme";
  let stack: TestStack;
  let ip: string;
  let pebble: Pebble | undefined;
  let rootPem: string;
  let intermediatePem: string;

  beforeAll(async () => {
    let t = Date.now();
    ip = bootHost(HOST).host; // first: the host's boot creates the bridge pebble listens on
    console.log(`boot ${HOST} (${ip}): ${((Date.now() - t) / 1000).toFixed(1)}s`);
    t = Date.now();
    pebble = await startPebble({ domain: DOMAIN, hostIp: ip });
    rootPem = await pebble.rootPem();
    intermediatePem = await pebble.intermediatePem();
    console.log(`pebble up at ${pebble.directoryUrl}: ${((Date.now() - t) / 1000).toFixed(1)}s`);
    stack = new TestStack(
      "itacme",
      localConfig(HOST, {
        tls: { mode: "acme", email: "ops@photogooo.com", acmeServer: pebble.directoryUrl, acmeCaBundle: pebble.caPem, caBundle: rootPem },
      }),
    );
    await stack.init();
  });

  afterAll(async () => {
    await pebble?.stop();
    stack?.cleanup();
  });

  it("pulumi up gets a certificate from pebble and the smoke test passes over HTTPS on pebble's chain", async () => {
    const r = await stack.up();
    expect(r.code, `${r.stdout}\n${r.stderr}\n${pebble?.logs()}`).toBe(0);
    console.log(`cold provision with ACME issuance: ${r.seconds.toFixed(1)}s`);
    const out = await stack.outputs();
    expect(out.smokeTest.status).toBe(200);
    expect(JSON.parse(out.smokeTest.body).success).toBe(true);
  });

  it("nginx serves the full chain: leaf <- pebble's intermediate (sent by the server) <- pebble's root", async () => {
    const s = await served(ip, rootPem);
    expect(s.authorizationError).toBeUndefined();
    expect(s.authorized).toBe(true);
    const [leaf, inter, root] = s.chain.map(x509);
    expect(leaf.checkHost(DOMAIN)).toBe(DOMAIN);
    expect(leaf.issuer).not.toBe(leaf.subject);
    // the issuer certificate came from the server (only the root is trusted here) and is not self-issued
    expect(inter, "the server did not send the intermediate").toBeDefined();
    expect(inter.subject).not.toBe(inter.issuer);
    expect(inter.fingerprint256).toBe(new X509Certificate(intermediatePem).fingerprint256);
    expect(leaf.verify(inter.publicKey)).toBe(true);
    expect(root.fingerprint256).toBe(new X509Certificate(rootPem).fingerprint256);
    expect(inter.verify(root.publicKey)).toBe(true);
    console.log(`served chain: ${s.chain.map((c) => c.subject.CN).join(" <- ")}`);
  });

  it("nginx reads certbot's live files; certbot.timer is enabled; renewals get the CA bundle", () => {
    const out = hostCmd(
      HOST,
      `readlink /etc/aistudio/tls/fullchain.pem /etc/aistudio/tls/privkey.pem
systemctl is-enabled certbot.timer
systemctl is-active certbot.timer
systemctl show -p Environment --value certbot.service
stat -c '%a %U' /etc/aistudio/acme-ca.pem
sed -n 's/^server *= *//p' /etc/letsencrypt/renewal/${DOMAIN}.conf
test -x /etc/letsencrypt/renewal-hooks/deploy/aistudio-reload-nginx && echo hook-executable`,
    ).trim().split("\n");
    expect(out).toEqual([
      `${LIVE}/fullchain.pem`,
      `${LIVE}/privkey.pem`,
      "enabled",
      "active",
      "REQUESTS_CA_BUNDLE=/etc/aistudio/acme-ca.pem",
      "644 root",
      pebble!.directoryUrl,
      "hook-executable",
    ]);
  });

  it("certbot renew --dry-run succeeds against pebble", () => {
    const t = Date.now();
    // --server: for dry runs certbot ignores the renewal config's server and would use Let's
    // Encrypt's staging server (certbot/certbot#9081); the real renewal below uses the stored one
    const r = hostCmdResult(HOST, `${CERTBOT_ENV} certbot renew --dry-run --no-random-sleep-on-renew --server ${pebble!.directoryUrl} 2>&1`);
    expect(r.code, `${r.out}\n${pebble?.logs()}`).toBe(0);
    expect(r.out).toMatch(/Congratulations, all simulated renewals succeeded/);
    console.log(`certbot renew --dry-run: ${((Date.now() - t) / 1000).toFixed(1)}s`);
  });

  it("a real renewal runs the deploy hook: nginx reloads and serves the new certificate", async () => {
    const before = (await served(ip, rootPem)).chain[0].fingerprint256;
    const workers = () => hostCmd(HOST, "pgrep -P $(systemctl show -p MainPID --value nginx) | sort | tr '\\n' ' '").trim();
    const w0 = workers();
    const t = Date.now();
    const r = hostCmdResult(HOST, `${CERTBOT_ENV} certbot renew --force-renewal --no-random-sleep-on-renew --cert-name ${DOMAIN} 2>&1`);
    expect(r.code, `${r.out}\n${pebble?.logs()}`).toBe(0);
    expect(r.out).toMatch(/Congratulations, all renewals succeeded/);
    const log = hostCmd(HOST, "grep -h 'deploy-hook' /var/log/letsencrypt/letsencrypt.log || true");
    expect(log).toMatch(/Running deploy-hook command: \/etc\/letsencrypt\/renewal-hooks\/deploy\/aistudio-reload-nginx/);
    let after = before;
    for (let i = 0; i < 20 && after === before; i++) {
      await new Promise((res) => setTimeout(res, 250));
      after = (await served(ip, rootPem)).chain[0].fingerprint256;
    }
    expect(after).not.toBe(before);
    expect(workers()).not.toBe(w0);
    console.log(`forced renewal + reload: ${((Date.now() - t) / 1000).toFixed(1)}s`);
  });

  it("a second run changes nothing; a re-applied acme step requests no new certificate", async () => {
    const p = await stack.preview({ expectNoChanges: true, diff: true });
    expect(p.code, p.stdout + p.stderr).toBe(0);
    console.log(`preview --expect-no-changes: ${p.seconds.toFixed(1)}s`);

    const archived = () => hostCmd(HOST, `ls /etc/letsencrypt/archive/${DOMAIN} | wc -l`).trim();
    const nginxPids = () => hostCmd(HOST, "pgrep -d ' ' nginx").trim();
    const a0 = archived();
    const n0 = nginxPids();
    const u = await stack.up();
    expect(u.code, u.stdout + u.stderr).toBe(0);
    expect(unchanged(u), JSON.stringify(u.changes)).toBe(true);
    console.log(`second up (no-op): ${u.seconds.toFixed(1)}s`);

    // a hand edit (the renewal drop-in removed) is drift: up --refresh re-runs the acme step, which
    // restores the drop-in without a new certificate and without reloading nginx
    hostCmd(HOST, "rm /etc/systemd/system/certbot.service.d/aistudio-acme-ca.conf && systemctl daemon-reload");
    const d = await stack.up({ refresh: true });
    expect(d.code, d.stdout + d.stderr).toBe(0);
    expect(d.ops["aistudio-acme"], JSON.stringify(d.ops)).toBe("update");
    for (const other of ["packages", "firewall", "app", "nginx"]) expect(d.ops[`aistudio-${other}`], other).not.toBe("update");
    expect(hostCmd(HOST, "systemctl show -p Environment --value certbot.service").trim()).toBe("REQUESTS_CA_BUNDLE=/etc/aistudio/acme-ca.pem");
    expect(archived()).toBe(a0);
    expect(nginxPids()).toBe(n0);
    console.log(`up --refresh repairing the drop-in: ${d.seconds.toFixed(1)}s`);

    const p2 = await stack.preview({ expectNoChanges: true, diff: true });
    expect(p2.code, p2.stdout + p2.stderr).toBe(0);
  });
});
