// Debian's pebble (a test-only ACME server) and pebble-challtestsrv (its mock DNS) run on this
// machine for the acme integration test. They listen ONLY on the bridge address that the test
// hosts reach (198.18.0.1, ACME directory) and on loopback (pebble's management API, the mock DNS
// and its management API); startPebble checks that after start-up and refuses anything else.
//
//   pebble          https://198.18.0.1:14000/dir   (certificate from a throwaway CA made here)
//                   https://127.0.0.1:15000        management: /roots/0, /intermediates/0
//   challtestsrv    127.0.0.1:8053 udp+tcp          mock DNS (pebble's only resolver)
//                   http://127.0.0.1:8055           management: add-a, set-default-ipv4/6
//
// pebble validates HTTP-01 by resolving the domain through the mock DNS (an A record pointing at
// the test host, no default A/AAAA answers) and fetching http://<host>:80/.well-known/acme-challenge/.
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";

export const BRIDGE_IP = "198.18.0.1";
const ACME_PORT = 14000;
const MGMT_PORT = 15000;
const DNS_ADDR = "127.0.0.1:8053";
const CTS_MGMT_PORT = 8055;

export interface Pebble {
  /** ACME directory URL for certbot --server. */
  directoryUrl: string;
  /** PEM of the throwaway CA that signed pebble's HTTPS listener (certbot's REQUESTS_CA_BUNDLE). */
  caPem: string;
  /** PEM of pebble's issuing root (what clients of the issued certificates trust). */
  rootPem(): Promise<string>;
  /** PEM of pebble's intermediate (the issuer of the leaf certificates). */
  intermediatePem(): Promise<string>;
  /** Points the domain's A record (mock DNS) at an address. */
  setA(host: string, ip: string): Promise<void>;
  /** The two processes' logs, for failure messages. */
  logs(): string;
  /** Kills both processes (SIGTERM, then SIGKILL after 5 s) and removes the temp dir. */
  stop(): Promise<void>;
}

function openssl(dir: string, args: string[]) {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** Throwaway CA + a server certificate for pebble's listeners (SAN IP:198.18.0.1, IP:127.0.0.1). */
function makeListenerCert(dir: string): { caPem: string; cert: string; key: string } {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(dir, [
    "req", "-x509", ...ec, "-days", "2", "-subj", "/CN=aistudio test: pebble listener CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    "-keyout", "ca.key", "-out", "ca.pem",
  ]);
  openssl(dir, ["req", "-new", ...ec, "-subj", `/CN=${BRIDGE_IP}`, "-keyout", "server.key", "-out", "server.csr"]);
  fs.writeFileSync(
    path.join(dir, "server.ext"),
    [
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature",
      "extendedKeyUsage=serverAuth",
      `subjectAltName=IP:${BRIDGE_IP},IP:127.0.0.1`,
      "subjectKeyIdentifier=hash",
      "authorityKeyIdentifier=keyid:always",
      "",
    ].join("\n"),
  );
  openssl(dir, [
    "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
    "-days", "2", "-extfile", "server.ext", "-out", "server.pem",
  ]);
  return { caPem: fs.readFileSync(path.join(dir, "ca.pem"), "utf8"), cert: path.join(dir, "server.pem"), key: path.join(dir, "server.key") };
}

function httpPost(port: number, p: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(
      { host: "127.0.0.1", port, path: p, method: "POST", timeout: 3000, agent: false, headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(data) } },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`POST ${p} timed out`)));
    req.on("error", reject);
    req.end(data);
  });
}

function httpsGet(host: string, port: number, p: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host, port, path: p, ca, timeout: 3000, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${p} timed out`)));
    req.on("error", reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every listening socket of the given pids, as "proto addr:port". */
function socketsOf(pids: number[]): string[] {
  const out = execFileSync("ss", ["-Htulnp"], { encoding: "utf8" });
  const found: string[] = [];
  for (const line of out.split("\n")) {
    const m = /pid=(\d+)/.exec(line);
    if (!m || !pids.includes(Number(m[1]))) continue;
    const cols = line.trim().split(/\s+/);
    found.push(`${cols[0]} ${cols[4]}`);
  }
  return found;
}

function portInUse(port: number): boolean {
  const out = execFileSync("ss", ["-Htuln", `( sport = :${port} )`], { encoding: "utf8" });
  return out.trim().length > 0;
}

/**
 * Starts pebble + pebble-challtestsrv. The bridge (198.18.0.1) must exist: boot a test host first.
 * `domain` gets an A record pointing at `hostIp`.
 */
export async function startPebble(o: { domain: string; hostIp: string }): Promise<Pebble> {
  const addrs = execFileSync("ip", ["-o", "-4", "addr", "show"], { encoding: "utf8" });
  if (!addrs.includes(` ${BRIDGE_IP}/`)) throw new Error(`pebble: ${BRIDGE_IP} is not configured on this machine (boot a test host first: it creates the bridge)`);
  for (const port of [ACME_PORT, MGMT_PORT, 8053, CTS_MGMT_PORT]) {
    if (portInUse(port)) throw new Error(`pebble: port ${port} is already in use (a leftover pebble? see \`ss -tulnp\`)`);
  }

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aistudio-pebble-"));
  const { caPem, cert, key } = makeListenerCert(dir);
  const configPath = path.join(dir, "pebble-config.json");
  fs.writeFileSync(
    configPath,
    JSON.stringify(
      {
        pebble: {
          listenAddress: `${BRIDGE_IP}:${ACME_PORT}`,
          managementListenAddress: `127.0.0.1:${MGMT_PORT}`,
          certificate: cert,
          privateKey: key,
          httpPort: 80,
          tlsPort: 443,
          ocspResponderURL: "",
          externalAccountBindingRequired: false,
        },
      },
      null,
      2,
    ),
  );

  const procs: { name: string; p: ChildProcess; log: string }[] = [];
  const launch = (name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv) => {
    const log = path.join(dir, `${name}.log`);
    const fd = fs.openSync(log, "a");
    const p = spawn(cmd, args, { cwd: dir, env, stdio: ["ignore", fd, fd] });
    fs.closeSync(fd);
    procs.push({ name, p, log });
    return p;
  };
  const logs = () =>
    procs.map(({ name, log }) => `--- ${name} (${log})\n${fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").slice(-40).join("\n") : ""}`).join("\n");

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener("exit", killNow);
    for (const { p } of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGTERM");
    for (const { p } of procs) {
      for (let i = 0; i < 50 && p.exitCode === null && p.signalCode === null; i++) await sleep(100);
      if (p.exitCode === null && p.signalCode === null) {
        p.kill("SIGKILL");
        for (let i = 0; i < 20 && p.exitCode === null && p.signalCode === null; i++) await sleep(100);
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // last resort if the test process dies without running afterAll
  const killNow = () => {
    for (const { p } of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  };
  process.on("exit", killNow);

  try {
    const baseEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir };
    const cts = launch("challtestsrv", "pebble-challtestsrv", [
      "-management", `127.0.0.1:${CTS_MGMT_PORT}`,
      "-dns01", DNS_ADDR,
      "-http01", "",
      "-https01", "",
      "-tlsalpn01", "",
      "-defaultIPv4", "",
      "-defaultIPv6", "",
    ], baseEnv);
    // mock DNS: no default answers (pebble tries AAAA first: a default ::1 would send it to this
    // machine), only the domain's A record
    let ok = false;
    for (let i = 0; i < 50 && !ok; i++) {
      if (cts.exitCode !== null) break;
      ok = await httpPost(CTS_MGMT_PORT, "/set-default-ipv4", { ip: "" }).then((s) => s === 200, () => false);
      if (!ok) await sleep(100);
    }
    if (!ok) throw new Error("pebble-challtestsrv did not answer on its management port within 5 s");
    if ((await httpPost(CTS_MGMT_PORT, "/set-default-ipv6", { ip: "" })) !== 200) throw new Error("challtestsrv: set-default-ipv6 failed");
    const setA = async (host: string, ip: string) => {
      await httpPost(CTS_MGMT_PORT, "/clear-a", { host });
      await httpPost(CTS_MGMT_PORT, "/clear-aaaa", { host });
      const s = await httpPost(CTS_MGMT_PORT, "/add-a", { host, addresses: [ip] });
      if (s !== 200) throw new Error(`challtestsrv: add-a ${host} -> ${ip} answered ${s}`);
    };
    await setA(o.domain, o.hostIp);

    const pebble = launch("pebble", "pebble", ["-config", configPath, "-dnsserver", DNS_ADDR], {
      ...baseEnv,
      PEBBLE_VA_NOSLEEP: "1",
      PEBBLE_WFE_NONCEREJECT: "0",
    });
    const directoryUrl = `https://${BRIDGE_IP}:${ACME_PORT}/dir`;
    ok = false;
    for (let i = 0; i < 100 && !ok; i++) {
      if (pebble.exitCode !== null) break;
      ok = await httpsGet(BRIDGE_IP, ACME_PORT, "/dir", caPem).then((r) => r.status === 200 && r.body.includes("newAccount"), () => false);
      if (!ok) await sleep(100);
    }
    if (!ok) throw new Error(`pebble did not serve ${directoryUrl} within 10 s`);
    const mgmtOk = await httpsGet("127.0.0.1", MGMT_PORT, "/roots/0", caPem).then((r) => r.status === 200, () => false);
    if (!mgmtOk) throw new Error(`pebble's management API did not answer on 127.0.0.1:${MGMT_PORT}`);

    // the listeners must be exactly the bridge address and loopback
    const socks = socketsOf(procs.map(({ p }) => p.pid!).filter(Boolean));
    const stray = socks.filter((s) => !new RegExp(`\\s(127\\.0\\.0\\.1|${BRIDGE_IP.replace(/\./g, "\\.")}):\\d+$`).test(s));
    if (stray.length > 0) throw new Error(`pebble/challtestsrv listen on unexpected addresses: ${stray.join(", ")}`);

    const mgmtPem = async (p: string) => {
      const r = await httpsGet("127.0.0.1", MGMT_PORT, p, caPem);
      if (r.status !== 200 || !r.body.includes("-----BEGIN CERTIFICATE-----")) throw new Error(`pebble management ${p}: HTTP ${r.status}`);
      return r.body;
    };
    return {
      directoryUrl,
      caPem,
      rootPem: () => mgmtPem("/roots/0"),
      intermediatePem: () => mgmtPem("/intermediates/0"),
      setA,
      logs,
      stop,
    };
  } catch (e) {
    const msg = `${(e as Error).message}\n${logs()}`;
    await stop();
    throw new Error(msg);
  }
}
