// The troubleshooting guide as code, on a real host: each fault of the guide is injected by hand
// and `doctor` must name that cause first, with its fix; the CLI's `--error <message>` must run the
// message's checks first and name the failure that explains it. Plus: the smoke test fails
// `pulumi up` with the server's diagnostics when the app answers success:false.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { requireHosts, REPO } from "../support/capability";
import { bootHost, hostCmd, localConfig, TestStack } from "../support/hosts";
import { TestPki, Leaf } from "../support/certs";
import { DoctorTarget, firstFailure, runDoctor, CheckResult } from "../../checks/doctor/index";
import { readTesthost } from "../../infra/testhost";

const canRun = requireHosts();
const DOMAIN = "photogooo.com";
const SITE = "/etc/nginx/sites-available/aistudio.conf";
const UNIT = "/etc/systemd/system/aistudio.service";
const SOCKET = "/etc/systemd/system/aistudio.socket";

describe.skipIf(!canRun)("doctor names the cause of each fault in the guide", () => {
  const HOST = "it-doc";
  const OTHER = "it-doc2";
  let ip: string;
  let otherIp: string;
  let pki: TestPki;
  let good: Leaf;
  let stack: TestStack;
  let hostsFile: string;
  let target: DoctorTarget;

  const putCert = (l: Leaf, fullchain = l.fullchain) => {
    hostCmd(HOST, `cat > /etc/aistudio/tls/fullchain.pem <<'EOF'\n${fullchain.trim()}\nEOF\ncat > /etc/aistudio/tls/privkey.pem <<'EOF'\n${l.key.trim()}\nEOF\nsystemctl reload nginx`);
  };
  const doctor = async (error?: string) => {
    const t0 = Date.now();
    const results = await runDoctor(target, { error });
    return { results, first: firstFailure(results), ms: Date.now() - t0 };
  };
  const expectCause = (r: { first?: CheckResult; results: CheckResult[] }, id: string, text: RegExp) => {
    const summary = r.results.map((x) => `${x.status} ${x.id}: ${x.found ?? ""}`).join("\n");
    expect(r.first?.id, summary).toBe(id);
    expect(`${r.first?.found} ${r.first?.cause?.en} ${r.first?.cause?.zh}`, summary).toMatch(text);
    expect(r.first?.fix?.zh, "a fix in Chinese").toBeTruthy();
    expect(r.first?.fix?.en, "a fix in English").toBeTruthy();
  };

  beforeAll(async () => {
    pki = new TestPki();
    good = pki.leaf(DOMAIN);
    const h = bootHost(HOST);
    ip = h.host;
    otherIp = bootHost(OTHER).host;
    stack = new TestStack("itdoc", localConfig(HOST, { tls: { mode: "provided", certificate: good.fullchain, caBundle: pki.rootPem }, wechat: { checks: true } }));
    await stack.init();
    await stack.setSecrets({ tlsPrivateKey: good.key });
    const r = await stack.up();
    if (r.code !== 0) throw new Error(`pulumi up failed:\n${r.stdout}\n${r.stderr}`);
    hostsFile = path.join(stack.dir, "hosts");
    fs.writeFileSync(hostsFile, `${ip} ${DOMAIN}\n`);
    const key = fs.readFileSync(h.privateKeyPath, "utf8");
    target = {
      domain: DOMAIN, serverIp: ip, ca: pki.rootPem, wechat: true, minCertDays: 20, hostsFile,
      ssh: { host: ip, port: 22, user: "root", hostKey: readTesthost(HOST).hostKey, privateKey: key },
    };
    hostCmd(HOST, `cp ${SITE} /root/site.good; cp ${UNIT} /root/unit.good; cp ${SOCKET} /root/socket.good`);
  });
  afterAll(() => {
    stack?.cleanup();
    pki?.cleanup();
  });

  it("a healthy host passes every check in under 10 s", async () => {
    const r = await doctor();
    expect(r.first, JSON.stringify(r.results.filter((x) => x.status !== "ok"), null, 1)).toBeUndefined();
    expect(r.results.filter((x) => x.status === "ok").map((x) => x.id)).toEqual(
      expect.arrayContaining(["domain", "dns", "tcp443", "tls-cert", "tls-versions", "http-redirect", "api-json", "server-services", "ufw443"]),
    );
    console.log(`doctor on a healthy host: ${r.ms} ms`);
    expect(r.ms).toBeLessThan(10_000);
  });

  const faults: { name: string; inject: () => void; restore: () => void; id: string; text: RegExp }[] = [
    { name: "443 closed in ufw", inject: () => hostCmd(HOST, "ufw delete allow 443/tcp"), restore: () => hostCmd(HOST, "ufw allow 443/tcp"), id: "ufw443", text: /does not allow 443/ },
    { name: "nginx stopped", inject: () => hostCmd(HOST, "systemctl stop nginx"), restore: () => hostCmd(HOST, "systemctl start nginx"), id: "server-services", text: /nginx inactive/ },
    // the app down: its socket too (a connection to the socket alone would start it again)
    { name: "aistudio stopped", inject: () => hostCmd(HOST, "systemctl stop aistudio.socket aistudio"), restore: () => hostCmd(HOST, "systemctl start aistudio.socket aistudio; sleep 1"), id: "server-services", text: /aistudio inactive/ },
    {
      name: "gunicorn listening on the wrong port",
      // the port is the socket's (systemd hands it to gunicorn): a hand-edited socket unit
      inject: () => hostCmd(HOST, `systemctl stop aistudio aistudio.socket; sed -i 's/127.0.0.1:8000/127.0.0.1:8001/' ${SOCKET}; systemctl daemon-reload; systemctl start aistudio.socket aistudio; sleep 1`),
      restore: () => hostCmd(HOST, `systemctl stop aistudio aistudio.socket; cp /root/socket.good ${SOCKET}; systemctl daemon-reload; systemctl start aistudio.socket aistudio; sleep 1`),
      id: "server-services", text: /8000 not listening.*8001/,
    },
    {
      name: "/api/ answering HTML",
      inject: () => hostCmd(HOST, `sed -i 's|location /api/ {|location /api/ {\\n        default_type text/html; return 200 "<!DOCTYPE html><html><body>login</body></html>";|' ${SITE}; nginx -t -q && systemctl reload nginx`),
      restore: () => hostCmd(HOST, `cp /root/site.good ${SITE}; systemctl reload nginx`),
      id: "api-json", text: /text\/html.*<!DOCTYPE|HTML instead of JSON/,
    },
    { name: "a self-signed certificate", inject: () => putCert(pki.selfSigned(DOMAIN)), restore: () => putCert(good), id: "tls-cert", text: /self-signed/ },
    { name: "an expired certificate", inject: () => putCert(pki.leaf(DOMAIN, { expired: true })), restore: () => putCert(good), id: "tls-cert", text: /expired/ },
    { name: "a certificate for another name", inject: () => putCert(pki.leaf("example.org")), restore: () => putCert(good), id: "tls-cert", text: /example\.org/ },
    { name: "a server sending no intermediate", inject: () => putCert(good, good.cert), restore: () => putCert(good), id: "tls-cert", text: /intermediate/ },
    {
      name: "TLS 1.2 disabled",
      inject: () => hostCmd(HOST, `sed -i 's/ssl_protocols TLSv1.2 TLSv1.3;/ssl_protocols TLSv1.3;/' ${SITE}; systemctl reload nginx`),
      restore: () => hostCmd(HOST, `cp /root/site.good ${SITE}; systemctl reload nginx`),
      id: "tls-versions", text: /TLS1\.2 refused/,
    },
    {
      name: "DNS (hosts file) pointing at the wrong host",
      inject: () => fs.writeFileSync(hostsFile, `${otherIp} ${DOMAIN}\n`),
      restore: () => fs.writeFileSync(hostsFile, `${ip} ${DOMAIN}\n`),
      id: "dns", text: /resolves to another server/,
    },
  ];

  for (const f of faults) {
    it(`${f.name} → ${f.id}`, async () => {
      f.inject();
      try {
        const r = await doctor();
        expectCause(r, f.id, f.text);
      } finally {
        f.restore();
      }
      const after = await doctor();
      expect(after.first, `healthy again after restoring: ${JSON.stringify(after.first)}`).toBeUndefined();
    });
  }

  it("the CLI: --error puts the explaining checks first, --json for CI, exit 1 on a fault", async () => {
    const pexec = promisify(execFile);
    hostCmd(HOST, "systemctl stop nginx");
    try {
      const r = await pexec("node", [path.join(REPO, "bin/aistudio.js"), "doctor", "--stack", "itdoc", "--config-file", stack.configFile, "--hosts-file", hostsFile, "--json", "--error", "net::ERR_CONNECTION_CLOSED"], { env: stack.env(), cwd: REPO }).catch((e) => e);
      expect(r.code).toBe(1);
      const j = JSON.parse(r.stdout);
      expect(j.firstFailure).toBe("server-services");
      expect(j.results[0].id).toBe("tcp443");
    } finally {
      hostCmd(HOST, "systemctl start nginx");
    }
    const ok = await pexec("node", [path.join(REPO, "bin/aistudio.js"), "doctor", "--stack", "itdoc", "--config-file", stack.configFile, "--hosts-file", hostsFile, "--lang", "zh"], { env: stack.env(), cwd: REPO });
    expect(ok.stdout).toMatch(/全部检查通过/);
  });

  // what people paste, on the same faults: the CLI's --error runs the message's checks first and
  // names the failure that explains the message (checks/doctor/cause.ts). Two faults at once show
  // the message deciding: each run names a different one of them.
  const fault = (name: string) => faults.find((f) => f.name === name)!;
  // the app down with its socket (a stopped app behind a listening socket starts on demand: a warning)
  const stopApp = { inject: () => hostCmd(HOST, "systemctl stop aistudio.socket aistudio"), restore: () => hostCmd(HOST, "systemctl start aistudio.socket aistudio; sleep 1") };
  const messages: { name: string; parts: { inject: () => void; restore: () => void }[]; runs: { error?: string; ranFirst: string; named: string }[] }[] = [
    {
      name: "connection: 443 closed in ufw (dropped, so the phone times out)",
      parts: [fault("443 closed in ufw")],
      runs: [
        { error: "request:fail errcode:-118 cronet_error_code:-118 error_msg:net::ERR_CONNECTION_TIMED_OUT", ranFirst: "security-group", named: "ufw443" },
        { error: "连接已重置", ranFirst: "tcp443", named: "ufw443" },
      ],
    },
    {
      name: "certificate: an expired certificate while the app is stopped",
      parts: [fault("an expired certificate"), stopApp],
      runs: [
        { error: "NET::ERR_CERT_DATE_INVALID", ranFirst: "tls-cert", named: "tls-cert" },
        { error: "request:fail ssl hand shake error", ranFirst: "tls-cert", named: "tls-cert" },
        { error: "SyntaxError: Unexpected token '<', \"<html>\"... is not valid JSON", ranFirst: "admin-json", named: "server-services" },
        { error: undefined, ranFirst: "domain", named: "server-services" },
      ],
    },
    {
      name: "HTML: /api/ answering HTML while TLS 1.2 is disabled",
      parts: [fault("/api/ answering HTML"), fault("TLS 1.2 disabled")],
      runs: [
        { error: "Unexpected token '<'", ranFirst: "admin-json", named: "api-json" },
        { error: "request:fail ssl hand shake error", ranFirst: "tls-cert", named: "tls-versions" },
        { error: undefined, ranFirst: "domain", named: "tls-versions" },
      ],
    },
  ];

  for (const m of messages) {
    it(`the CLI's --error on the real host, ${m.name}: the message's checks first, the failure explaining it named`, async () => {
      const pexec = promisify(execFile);
      const cli = async (error?: string) => {
        const args = ["doctor", "--stack", "itdoc", "--config-file", stack.configFile, "--hosts-file", hostsFile, "--json", ...(error ? ["--error", error] : [])];
        const r = await pexec("node", [path.join(REPO, "bin/aistudio.js"), ...args], { env: stack.env(), cwd: REPO, maxBuffer: 16 << 20 }).catch((e) => e);
        return { code: (r as { code?: number }).code ?? 0, j: JSON.parse(r.stdout) };
      };
      for (const p of m.parts) p.inject();
      try {
        for (const run of m.runs) {
          const { code, j } = await cli(run.error);
          const summary = `${run.error}: ${j.results.map((x: CheckResult) => `${x.status} ${x.id}: ${x.found ?? ""}`).join("\n")}`;
          expect(code, summary).toBe(1);
          expect(j.results[0].id, summary).toBe(run.ranFirst);
          expect(j.firstFailure, summary).toBe(run.named);
          if (run.error) expect(j.error.recognisedAs, summary).not.toBeNull();
        }
      } finally {
        for (const p of [...m.parts].reverse()) p.restore();
      }
      const after = await doctor();
      expect(after.first, `healthy again after restoring: ${JSON.stringify(after.first)}`).toBeUndefined();
    });
  }

  it("the smoke test fails pulumi up with expected, found and the server's diagnostics when the app answers success:false", async () => {
    await stack.setSecrets({ appEnv: JSON.stringify({ AISTUDIO_SAMPLE_FAIL: "1" }) });
    const r = await stack.up();
    const out = r.stdout + r.stderr;
    expect(r.code).not.toBe(0);
    expect(out).toMatch(/smoke test failed/);
    expect(out).toMatch(/expected "success": true, found false/);
    expect(out).toMatch(/== systemctl status aistudio nginx/);
    expect(out).toMatch(/== journalctl -u aistudio -n 50/);
    expect(out).toMatch(/== ufw status/);
    await stack.setSecrets({ appEnv: JSON.stringify({}) });
    const back = await stack.up();
    expect(back.code, back.stdout + back.stderr).toBe(0);
  });
});
