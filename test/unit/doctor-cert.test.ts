// The certificate's time left against a real local HTTPS server: leaves issued by a test CA (the
// local openssl) for 30, 9, 8 and 3 days. Seven days or fewer fail (renewal is broken: the fix
// names certbot.timer for acme, the provided certificate for provided); fewer than
// wechat.minCertDays warn.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHECKS, CheckResult, DoctorTarget, firstFailure } from "../../checks/doctor/index";
import { CERT_FAIL_DAYS } from "../../checks/doctor/tls-cert";

const DOMAIN = "photogooo.com";
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "doctor-cert-"));
const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** A CA, and leaves for DOMAIN signed by it, valid for `days` from now. */
function makeCa(): string {
  openssl("req", "-x509", ...ec, "-days", "3650", "-subj", "/CN=aistudio test CA", "-addext", "basicConstraints=critical,CA:TRUE",
    "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-keyout", "ca.key", "-out", "ca.pem");
  fs.writeFileSync(path.join(dir, "san.ext"), `subjectAltName=DNS:${DOMAIN}\n`);
  return fs.readFileSync(path.join(dir, "ca.pem"), "utf8");
}
function leaf(days: number): { cert: string; key: string } {
  openssl("req", "-new", ...ec, "-subj", `/CN=${DOMAIN}`, "-keyout", `${days}.key`, "-out", `${days}.csr`);
  openssl("x509", "-req", "-in", `${days}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", String(1000 + days), "-days", String(days), "-extfile", "san.ext", "-out", `${days}.pem`);
  return { cert: fs.readFileSync(path.join(dir, `${days}.pem`), "utf8"), key: fs.readFileSync(path.join(dir, `${days}.key`), "utf8") };
}

const ca = makeCa();
const servers = new Map<number, https.Server>();
const ports = new Map<number, number>();

beforeAll(async () => {
  for (const days of [30, 9, 8, 3]) {
    const s = https.createServer(leaf(days), (_req, res) => res.end("ok"));
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
    servers.set(days, s);
    ports.set(days, (s.address() as AddressInfo).port);
  }
});
afterAll(() => {
  for (const s of servers.values()) s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const check = CHECKS.find((c) => c.id === "tls-cert")!;

/** tls-cert against the server whose leaf was issued for `days` (a day less is left: the clock moved). */
async function cert(days: number, tg: Partial<DoctorTarget> = {}): Promise<CheckResult> {
  const target: DoctorTarget = { domain: DOMAIN, connectTo: "127.0.0.1", port: ports.get(days), wechat: true, minCertDays: 20, ...tg };
  return { id: check.id, title: check.title, ms: 0, ...(await check.run(target, { ca })) };
}

describe("tls-cert: the time left", () => {
  it("29 days left, minCertDays 20: ok", async () => {
    const r = await cert(30);
    expect(r.status).toBe("ok");
    expect(r.found).toMatch(/; 29 days left$/);
  });

  it("8 days left: below wechat.minCertDays, a warning (renewal still has time)", async () => {
    const r = await cert(9, { tlsMode: "acme" });
    expect(r).toMatchObject({ status: "warn", expected: "valid for ≥ 20 days (wechat.minCertDays)" });
    expect(r.found).toMatch(/^8 days left \(until /);
    expect(r.fix!.en).toContain("certbot.timer");
    expect(firstFailure([r])).toBeUndefined();
  });

  it(`${CERT_FAIL_DAYS} days left: a failure — renewal is broken; for acme the fix is certbot.timer`, async () => {
    expect(CERT_FAIL_DAYS).toBe(7);
    const r = await cert(8, { tlsMode: "acme" });
    expect(r).toMatchObject({ status: "fail", expected: "more than 7 days left" });
    expect(r.found).toMatch(/^7 days left \(until /);
    expect(r.cause!.en).toBe("7 days left: automatic renewal is broken — certbot.timer is not running or its renewals fail (e.g. port 80 blocked)");
    expect(r.cause!.zh).toContain("certbot.timer");
    expect(r.fix!.en).toContain("systemctl status certbot.timer");
    expect(r.fix!.en).toContain("certbot renew");
    expect(r.fix!.en).not.toContain("tls.certificate");
    expect(firstFailure([r])?.id).toBe("tls-cert");
  });

  it("2 days left with a provided certificate: the fix is to renew the provided certificate, not certbot", async () => {
    const r = await cert(3, { tlsMode: "provided" });
    expect(r).toMatchObject({ status: "fail", found: expect.stringMatching(/^2 days left/) });
    expect(r.cause!.en).toBe("2 days left: the provided certificate (aistudio:tls.certificate) is never renewed automatically");
    expect(r.fix!.en).toContain("aistudio:tls.certificate");
    expect(r.fix!.zh).toContain("阿里云数字证书管理服务");
    expect(r.fix!.en).not.toContain("certbot");
  });

  it("an unknown tls.mode names both; a minCertDays at or under 7 never hides the failure", async () => {
    const r = await cert(3, { minCertDays: 1 });
    expect(r.status).toBe("fail");
    expect(r.fix!.en).toMatch(/^acme: .*certbot\.timer.*; provided: .*aistudio:tls\.certificate/);
  });

  it("the failure explains no other check (HTTPS still works): a login page is still the admin API's", async () => {
    const r = await cert(8);
    expect(r.explains).toEqual([]);
    const admin: CheckResult = { id: "admin-json", status: "fail", title: { zh: "", en: "" }, ms: 0 };
    expect(firstFailure([r, admin], "Unexpected token '<'")?.id).toBe("admin-json");
  });
});
