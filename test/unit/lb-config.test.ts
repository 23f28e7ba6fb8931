// The loadbalancer step (provision/loadbalancer.ts): the HAProxy config's security-relevant lines
// asserted one by one (TLS, the admin socket, forwarded headers, the retry rules that must never
// replay a POST, health checks), the secret certificate file, input validation, and the generated
// apply and probe scripts shellcheck-clean with no `exit 0`.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { HAPROXY_CONFIG, HAPROXY_PEM, RETRY_RULES, haproxyConfig, loadBalancerStep, LoadBalancerOptions } from "../../provision/loadbalancer";
import { CIPHERS } from "../../provision/nginx";
import { applyScript, probeScript } from "../../infra/runner/script";
import { HAPROXY_ADMIN_SOCKET } from "../../core/lb/haproxy-stat";
import { selfSignedCert } from "./fixtures";

const cert = selfSignedCert("photogooo.com");
const opts = (o: Partial<LoadBalancerOptions> = {}): LoadBalancerOptions => ({
  domain: "photogooo.com",
  certificate: cert.cert,
  privateKey: cert.key,
  servers: [{ name: "web-1", address: "10.0.1.11" }, { name: "web-2", address: "10.0.2.12" }],
  healthCheckPath: "/api/health",
  ...o,
});
const lines = (cfg: string) => cfg.split("\n").map((l) => l.trim());
const section = (cfg: string, head: string) => {
  const all = cfg.split("\n");
  const i = all.indexOf(head);
  const end = all.findIndex((l, j) => j > i && /^\S/.test(l));
  return all.slice(i + 1, end < 0 ? undefined : end).map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
};

describe("haproxyConfig", () => {
  const cfg = haproxyConfig(opts());

  it("TLS: 1.2 minimum, Mozilla intermediate ciphers (nginx's list), no session tickets, h2 and http/1.1", () => {
    const g = section(cfg, "global");
    expect(g).toContain(`ssl-default-bind-ciphers ${CIPHERS}`);
    expect(g).toContain("ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets");
    expect(g).toContain("ssl-default-server-options ssl-min-ver TLSv1.2");
    expect(CIPHERS).not.toMatch(/(^|:)DHE-|CBC|RC4|3DES|-SHA(:|$)/);
    expect(section(cfg, "frontend https")).toContain(`bind :443 ssl crt ${HAPROXY_PEM} alpn h2,http/1.1`);
  });

  it("80 answers only a 301 to https", () => {
    expect(section(cfg, "frontend http")).toEqual(["bind :80", "http-request redirect scheme https code 301"]);
  });

  it("the admin socket is root's only (mode 600) at the path the pool uses", () => {
    expect(section(cfg, "global")).toContain(`stats socket ${HAPROXY_ADMIN_SOCKET} mode 600 level admin`);
    expect(cfg.match(/stats socket/g)).toHaveLength(1);
    // no stats page on any port, no master CLI of ours
    expect(cfg).not.toMatch(/stats (enable|uri)|expose-fd|mode 6[0-7][1-7]/);
  });

  it("X-Forwarded-For is the address HAProxy saw (the client's own dropped first), X-Forwarded-Proto https", () => {
    const f = section(cfg, "frontend https");
    expect(f.indexOf("http-request del-header X-Forwarded-For")).toBeGreaterThanOrEqual(0);
    expect(f.indexOf("http-request del-header X-Forwarded-For")).toBeLessThan(f.indexOf("option forwardfor"));
    expect(f).toContain("http-request set-header X-Forwarded-Proto https");
    expect(f).toContain("default_backend aistudio");
  });

  it("retries: only connection failures for every method, a dropped request again only for GET/HEAD/OPTIONS", () => {
    const b = section(cfg, "backend aistudio");
    expect(b).toContain("retries 2");
    expect(b).toContain("retry-on conn-failure empty-response");
    expect(b).toContain("option redispatch 1");
    expect(b).toContain("http-request disable-l7-retry unless METH_GET || METH_OPTIONS");
    // never a retry that can replay a request the server may have run
    expect(cfg).not.toMatch(/response-timeout|junk-response|all-retryable-errors|retry-on[^\n]*\b[45]\d\d\b|0rtt/);
    expect(RETRY_RULES.filter((l) => l.startsWith("retry-on"))).toHaveLength(1);
  });

  it("round robin over each server by TLS with SNI, checked with GET /api/health (Host: domain) every second, 2 to fall and rise", () => {
    const b = section(cfg, "backend aistudio");
    expect(b).toContain("balance roundrobin");
    expect(b).toContain("option httpchk");
    expect(b).toContain("http-check send meth GET uri /api/health ver HTTP/1.1 hdr Host photogooo.com");
    expect(b).toContain("http-check expect status 200");
    expect(b).toContain("default-server inter 1s fall 2 rise 2");
    expect(b.filter((l) => l.startsWith("server "))).toEqual([
      "server web-1 10.0.1.11:443 ssl verify none sni str(photogooo.com) check check-sni photogooo.com weight 100",
      "server web-2 10.0.2.12:443 ssl verify none sni str(photogooo.com) check check-sni photogooo.com weight 100",
    ]);
  });

  it("timeouts bound slow clients (http-request 10 s) and every wait", () => {
    const d = section(cfg, "defaults");
    for (const t of ["timeout connect 5s", "timeout client 60s", "timeout server 60s", "timeout http-request 10s", "timeout check 2s"]) expect(d).toContain(t);
    expect(d).toContain("load-server-state-from-file global");
  });

  it("another HTTPS port is used for the bind only", () => {
    expect(lines(haproxyConfig(opts({ httpsPort: 8443 })))).toContain(`bind :8443 ssl crt ${HAPROXY_PEM} alpn h2,http/1.1`);
  });

  it("refuses names and paths that would change the config's meaning", () => {
    expect(() => haproxyConfig(opts({ servers: [{ name: "web-1\n    server evil 6.6.6.6:443", address: "10.0.0.1" }] }))).toThrow(/server name/);
    expect(() => haproxyConfig(opts({ servers: [{ name: "a", address: "10.0.0.1 backup" }] }))).toThrow(/server address/);
    expect(() => haproxyConfig(opts({ servers: [{ name: "a", address: "10.0.0.1" }, { name: "a", address: "10.0.0.2" }] }))).toThrow(/server name "a"/);
    expect(() => haproxyConfig(opts({ healthCheckPath: "/x hdr Host evil" }))).toThrow(/healthCheckPath/);
    expect(() => haproxyConfig(opts({ domain: "photogooo.com\nfrontend x" }))).toThrow(/domain/);
    expect(() => haproxyConfig(opts({ servers: [] }))).toThrow(/servers: none/);
  });
});

describe("loadBalancerStep", () => {
  const step = loadBalancerStep(opts());

  it("the certificate and key go to one 0600 file marked secret; the config never holds the key", () => {
    const pem = step.files.find((f) => f.path === HAPROXY_PEM)!;
    expect(pem).toMatchObject({ mode: "0600", secret: true });
    expect(pem.content).toBe(`${cert.cert.trim()}\n${cert.key.trim()}\n`);
    const conf = step.files.find((f) => f.path === HAPROXY_CONFIG)!;
    expect(conf.secret).toBeFalsy();
    expect(conf.content).not.toContain("PRIVATE KEY");
    expect(step.probe + step.apply + step.description).not.toContain("PRIVATE KEY");
  });

  it("the probe reports the config's digest, the key's match (never its digest), packages, haproxy, listeners and each server line", () => {
    expect(step.manages).toEqual([
      { kind: "file", subject: HAPROXY_CONFIG },
      { kind: "cert", subject: HAPROXY_PEM },
      { kind: "key", subject: HAPROXY_PEM },
      { kind: "package", subject: "haproxy" },
      { kind: "package", subject: "socat" },
      { kind: "unit", subject: "haproxy" },
      { kind: "socket", subject: HAPROXY_ADMIN_SOCKET },
      { kind: "listen", subject: ":80" },
      { kind: "listen", subject: ":443" },
      { kind: "haproxy-server", subject: "web-1" },
      { kind: "haproxy-server", subject: "web-2" },
    ]);
    expect(step.probe).not.toMatch(new RegExp(`probe_file ${HAPROXY_PEM}`));
  });

  it("the apply script validates before reloading, installs its packages when absent, and has no `exit 0`", () => {
    const a = applyScript(step);
    expect(a).toContain('haproxy -c -f "$CONFIG_PATH"');
    expect(a.indexOf('haproxy -c -f "$CONFIG_PATH"')).toBeLessThan(a.indexOf("systemctl reload haproxy"));
    expect(a).toContain("LB_PACKAGES=(haproxy socat)");
    // the probe runs after the apply in the same script: an `exit 0` would skip it
    expect(step.apply.split("\n").filter((l) => !l.trim().startsWith("#")).join("\n")).not.toMatch(/\bexit 0\b/);
  });

  const shellcheck = spawnSync("shellcheck", ["--version"]).status === 0;
  it.skipIf(!shellcheck)("the generated apply and probe scripts are shellcheck-clean", () => {
    for (const [name, script] of [["apply", applyScript(step)], ["probe", probeScript(step)]]) {
      const r = spawnSync("shellcheck", ["-s", "bash", "--color=never", "-"], { input: script, encoding: "utf8" });
      expect(r.stdout, name).toBe("");
    }
  });
});
