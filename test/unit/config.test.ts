// Guards infra/config.ts: every bad config is rejected before anything is deployed, with the exact
// key that is wrong and a message that says how to fix it; good configs parse to the typed object.
import { describe, expect, it } from "vitest";
import * as path from "node:path";
import { ConfigError, parseConfig, Raw } from "../../infra/config";
import { loadConfig } from "../../infra/read-config";
import {
  BadCase, CREATE_CLOUD, HOST_KEY, HOST_PRIVATE_KEY, onAdopt, onCreate, onLocal, SSH_KEY, SSH_PUBLIC_KEY,
  alicloudAdoptRaw, alicloudCreateRaw, allConfigOf, localRaw, problemsOf, problemsThrownBy, selfSignedCert,
} from "./fixtures";

const ROOT = path.resolve(__dirname, "../..");

// Real certificates: one for the domain, one for another name, and a key that belongs to neither.
const good = selfSignedCert("photogooo.com");
const otherName = selfSignedCert("other.example");
const strangerKey = selfSignedCert("photogooo.com").key;

const local = (over: Raw) => onLocal(over);
const create = (over: Raw) => onCreate(over);
const adopt = (over: Raw) => onAdopt(over);
const createCloud = CREATE_CLOUD;


const BAD: BadCase[] = [
  // domain: what WeChat accepts as a request domain is a bare DNS name, https on 443
  { name: "domain with a scheme", ...local({ domain: "https://photogooo.com" }), key: "domain", fix: /without scheme.*pulumi config set aistudio:domain photogooo\.com/ },
  { name: "domain with a port", ...local({ domain: "photogooo.com:443" }), key: "domain", fix: /must not carry a port.*without a port/ },
  { name: "IPv4 address as domain", ...local({ domain: "47.96.1.2" }), key: "domain", fix: /must be a domain name, not an IP address/ },
  { name: "IPv6 address as domain", ...local({ domain: "[2001:db8::1]" }), key: "domain", fix: /must be a domain name, not an IP address/ },
  { name: "domain without a TLD", ...local({ domain: "photogooo" }), key: "domain", fix: /full domain name with a top-level domain, like "photogooo\.com"/ },
  { name: "localhost as domain", ...local({ domain: "localhost" }), key: "domain", fix: /full domain name with a top-level domain, like "photogooo\.com"/ },

  // firewall
  { name: "CIDR with /33", ...local({ firewall: { adminCidrs: ["203.0.113.7/33"] } }), key: "firewall.adminCidrs", fix: /not an IPv4 CIDR like 203\.0\.113\.7\/32/ },
  { name: "CIDR without prefix length", ...local({ firewall: { adminCidrs: ["203.0.113.7"] } }), key: "firewall.adminCidrs", fix: /not an IPv4 CIDR like 203\.0\.113\.7\/32/ },
  { name: "CIDR with octet > 255", ...local({ firewall: { adminCidrs: ["300.0.113.7/32"] } }), key: "firewall.adminCidrs", fix: /not an IPv4 CIDR like 203\.0\.113\.7\/32/ },
  { name: "SSH from 0.0.0.0/0 without allowSshFromAnywhere", ...create({ firewall: { adminCidrs: ["0.0.0.0/0"] } }), key: "firewall.adminCidrs", fix: /whole Internet.*set firewall\.allowSshFromAnywhere true/ },
  { name: "SSH from 0.0.0.0/0 with allowSshFromAnywhere false", ...create({ firewall: { adminCidrs: ["0.0.0.0/0"], allowSshFromAnywhere: "false" } }), key: "firewall.adminCidrs", fix: /set firewall\.allowSshFromAnywhere true/ },
  { name: "creating a server without admin CIDRs", ...create({ firewall: {} }), key: "firewall.adminCidrs", fix: /is required for Alibaba Cloud servers/ },

  // TLS
  { name: "acme without email", ...create({ tls: { mode: "acme" } }), key: "tls.email", fix: /pulumi config set --path aistudio:tls\.email ops@photogooo\.com/ },
  { name: "acme (default on alicloud) without email", ...create({ tls: {} }), key: "tls.email", fix: /pulumi config set --path aistudio:tls\.email/ },
  { name: "acme with a malformed email", ...create({ tls: { email: "ops-at-photogooo" } }), key: "tls.email", fix: /pulumi config set --path aistudio:tls\.email/ },
  { name: "acme server over plain http", ...create({ tls: { email: "ops@photogooo.com", acmeServer: "http://acme.example/dir" } }), key: "tls.acmeServer", fix: /must be an https:\/\/ ACME directory URL/ },
  { name: "self-signed on a non-local stack", ...create({ tls: { mode: "self-signed" } }), key: "tls.mode", fix: /only for the local test stack.*Use acme.*or provided/ },
  { name: "self-signed on the local stack with wechat.checks true", ...local({ wechat: { checks: true } }), key: "tls.mode", fix: /WeChat refuses self-signed certificates\. Use acme/ },
  { name: "unknown tls.mode", ...local({ tls: { mode: "letsencrypt" } }), key: "tls.mode", fix: /must be "acme", "provided" or "self-signed"/ },
  { name: "provided without certificate", ...local({ tls: { mode: "provided" }, tlsPrivateKey: good.key }), key: "tls.certificate", fix: /pulumi config set --path aistudio:tls\.certificate/ },
  { name: "provided without key", ...local({ tls: { mode: "provided", certificate: good.cert } }), key: "tlsPrivateKey", fix: /pulumi config set --secret aistudio:tlsPrivateKey/ },
  { name: "provided certificate for another domain", ...local({ tls: { mode: "provided", certificate: otherName.cert }, tlsPrivateKey: otherName.key }), key: "tls.certificate", fix: /is not valid for photogooo\.com \(its names: DNS:other\.example\)/ },
  { name: "provided key that does not match the certificate", ...local({ tls: { mode: "provided", certificate: good.cert }, tlsPrivateKey: strangerKey }), key: "tlsPrivateKey", fix: /does not belong to tls\.certificate/ },
  { name: "provided certificate that is not PEM", ...local({ tls: { mode: "provided", certificate: "hello" }, tlsPrivateKey: good.key }), key: "tls.certificate", fix: /is not a PEM certificate/ },
  { name: "caBundle that is not PEM", ...local({ tls: { caBundle: "not a bundle" } }), key: "tls.caBundle", fix: /must be a PEM bundle/ },

  // app
  { name: "missing app source", ...local({ app: {} }), key: "app.dir", fix: /set app\.dir.*pulumi config set --path aistudio:app\.dir provision\/sample-app.*or app\.git/ },
  { name: "both app.dir and app.git", ...local({ app: { dir: "provision/sample-app", git: "https://git.example.com/a.git" } }), key: "app", fix: /set exactly one of app\.dir, app\.archive or app\.git/ },
  { name: "app.git that is not a URL", ...local({ app: { git: "backend" } }), key: "app.git", fix: /must be a git URL \(https:\/\/, ssh:\/\/, git@…\)/ },
  { name: "appEnv that is not JSON", ...local({ appEnv: "SECRET_KEY=x" }), key: "appEnv", fix: /pulumi config set --secret aistudio:appEnv/ },
  { name: "appEnv with a bad variable name", ...local({ appEnv: { "BAD-NAME": "x" } }), key: "appEnv", fix: /invalid variable name "BAD-NAME"/ },
  { name: "appEnv with a multi-line value", ...local({ appEnv: { SECRET_KEY: "a\nb" } }), key: "appEnv", fix: /must be a one-line string/ },
  // the app contract (issue #11): entry point, port, packages, data directory, admin paths
  ...(() => {
    const app = (a: Raw) => local({ app: { dir: "provision/sample-app", ...a } });
    return [
      { name: "app.wsgi without ':'", ...app({ wsgi: "photostudio.wsgi" }), key: "app.wsgi", fix: /module\.path:callable \(e\.g\. photostudio\.wsgi:app\)/ },
      { name: "app.wsgi not a Python identifier path", ...app({ wsgi: "photo-studio/wsgi:app" }), key: "app.wsgi", fix: /Python module path and a callable name, e\.g\. photostudio\.wsgi:app/ },
      { name: "app.wsgi with an empty callable", ...app({ wsgi: "photostudio.wsgi:" }), key: "app.wsgi", fix: /e\.g\. photostudio\.wsgi:app/ },
      { name: "app.port 80 (nginx)", ...app({ port: 80 }), key: "app.port", fix: /80 is taken by nginx \(HTTP\)/ },
      { name: "app.port 443 (nginx)", ...app({ port: 443 }), key: "app.port", fix: /443 is taken by nginx \(HTTPS\)/ },
      { name: "app.port 22 (sshd)", ...app({ port: 22 }), key: "app.port", fix: /22 is taken by sshd/ },
      { name: "app.port 0", ...app({ port: 0 }), key: "app.port", fix: /integer between 1 and 65535/ },
      { name: "app.port 70000", ...app({ port: 70000 }), key: "app.port", fix: /integer between 1 and 65535/ },
      { name: "app.port privileged", ...app({ port: 1000 }), key: "app.port", fix: /use 1024–65535/ },
      { name: "app.port equal to server.port", raw: localRaw({ server: { host: "10.77.0.10", hostKey: HOST_KEY, port: 2222 }, app: { dir: "provision/sample-app", port: 2222 } }), stack: "local", key: "app.port", fix: /server's SSH port/ },
      { name: "app.packages with a bad name", ...app({ packages: ["Python3-PIL"] }), key: "app.packages", fix: /not a Debian package name.*e\.g\. libjpeg62-turbo/ },
      { name: "app.packages not a list", ...app({ packages: "python3-yaml" }), key: "app.packages", fix: /list of strings/ },
      { name: "app.dataDir outside /var/lib and /srv", ...app({ dataDir: "/home/aistudio/data" }), key: "app.dataDir", fix: /under \/var\/lib or \/srv/ },
      { name: "app.dataDir relative", ...app({ dataDir: "data" }), key: "app.dataDir", fix: /under \/var\/lib or \/srv/ },
      { name: "app.dataDir with ..", ...app({ dataDir: "/var/lib/../etc" }), key: "app.dataDir", fix: /under \/var\/lib or \/srv/ },
      { name: "app.dataDir is /var/lib itself", ...app({ dataDir: "/var/lib" }), key: "app.dataDir", fix: /under \/var\/lib or \/srv/ },
      { name: "app.dataDir inside the releases", ...app({ dataDir: "/srv/aistudio/data" }), key: "app.dataDir", fix: /releases live/ },
      { name: "app.admin.apiPath without /", ...app({ admin: { apiPath: "admin/api/x" } }), key: "app.admin.apiPath", fix: /path starting with \// },
      { name: "smoke.expect not an object", ...local({ smoke: { expect: "success" } }), key: "smoke.expect", fix: /e\.g\. \{"success": true\}/ },
      { name: "smoke.expect empty", ...local({ smoke: { expect: {} } }), key: "smoke.expect", fix: /e\.g\. \{"success": true\}/ },
      { name: "smoke.expect nested value", ...local({ smoke: { expect: { data: { ok: true } } } }), key: "smoke.expect", fix: /top-level JSON fields/ },
      { name: "smoke.method unknown", ...local({ smoke: { method: "FETCH" } }), key: "smoke.method", fix: /one of GET, POST/ },
      { name: "smoke.path with a host", ...local({ smoke: { path: "https://photogooo.com/api/user/visit" } }), key: "smoke.path", fix: /path starting with \// },
      { name: "smoke.body not JSON", ...local({ smoke: { body: "{sessionId:1" } }), key: "smoke.body", fix: /must be JSON/ },
      { name: "smoke.probes not a list", ...local({ smoke: { probes: { path: "/admin/login" } } }), key: "smoke.probes", fix: /must be a list/ },
      { name: "smoke probe with a bad type", ...local({ smoke: { probes: [{ path: "/admin/login", status: 200, type: "xml" }] } }), key: "smoke.probes[0].type", fix: /json or html/ },
      { name: "smoke probe with a bad status", ...local({ smoke: { probes: [{ path: "/admin/login", status: 99 }] } }), key: "smoke.probes[0].status", fix: /between 100 and 599/ },
    ];
  })(),
  { name: "workers out of range", ...local({ app: { dir: "provision/sample-app", workers: 0 } }), key: "app.workers", fix: /integer between 1 and 64/ },

  // cloud
  { name: "unknown region", ...create({ cloud: { ...createCloud, region: "cn-atlantis" } }), key: "cloud.region", fix: /not an Alibaba Cloud region id \(e\.g\. cn-hangzhou/ },
  { name: "empty instanceType", ...create({ cloud: { ...createCloud, instanceType: "" } }), key: "cloud.instanceType", fix: /pulumi config set --path aistudio:cloud\.instanceType ecs\./ },
  { name: "unknown image", ...create({ cloud: { ...createCloud, image: "centos7" } }), key: "cloud.image", fix: /must be debian12, ubuntu2204 or ubuntu2404/ },
  { name: "adopt and create keys both set", ...adopt({ cloud: { adoptAddress: "47.96.1.2", instanceType: "ecs.e-c1m2.large" } }), key: "cloud.adoptAddress", fix: /exclusive: remove cloud\.instanceType or cloud\.adoptAddress/ },
  { name: "adopt address that is not an IP", ...adopt({ cloud: { adoptAddress: "photogooo.com" } }), key: "cloud.adoptAddress", fix: /must be the server's public IP/ },
  { name: "DNS zone unrelated to the domain", ...create({ cloud: { ...createCloud, dnsZone: "example.com" } }), key: "cloud.dnsZone", fix: /"example\.com" is not a suffix of the domain photogooo\.com/ },
  { name: "DNS zone that is a string suffix but not a label suffix", ...create({ cloud: { ...createCloud, dnsZone: "gooo.com" } }), key: "cloud.dnsZone", fix: /is not a suffix of the domain photogooo\.com/ },
  { name: "vpcId without vswitchId", ...create({ cloud: { ...createCloud, vpcId: "vpc-1" } }), key: "cloud.vswitchId", fix: /need both cloud\.vpcId and cloud\.vswitchId/ },
  { name: "creating a server without sshPublicKey", ...create({ cloud: { instanceType: "ecs.e-c1m2.large" } }), key: "cloud.sshPublicKey", fix: /ssh-keygen -y -f key/ },
  { name: "creating a server without its host key", ...create({ sshHostPrivateKey: undefined }), key: "sshHostPrivateKey", fix: /ssh-keygen -t ed25519.*pulumi config set --secret aistudio:sshHostPrivateKey/ },
  { name: "creating a server with a non-ed25519 pinned key", ...create({ server: { hostKey: "ssh-rsa AAAAB3NzaC1yc2E=" } }), key: "server.hostKey", fix: /ssh-ed25519 public half of aistudio:sshHostPrivateKey/ },
  { name: "cloud block on the local stack", ...local({ cloud: { region: "cn-hangzhou" } }), key: "cloud", fix: /Remove the cloud block or set target alicloud/ },
  { name: "unknown target", ...local({ target: "aws", tls: { email: "ops@photogooo.com" } }), key: "target", fix: /must be "local" \(a test host\) or "alicloud" \(ECS\)/ },

  // SSH
  { name: "missing sshPrivateKey", ...local({ sshPrivateKey: undefined }), key: "sshPrivateKey", fix: /pulumi config set --secret aistudio:sshPrivateKey < ~\/\.ssh\/id_ed25519/ },
  { name: "sshPrivateKey that is not a key", ...local({ sshPrivateKey: "hunter2" }), key: "sshPrivateKey", fix: /pulumi config set --secret aistudio:sshPrivateKey/ },
  { name: "host key without type", ...local({ server: { host: "10.77.0.10", hostKey: HOST_KEY.split(" ")[1] } }), key: "server.hostKey", fix: /ssh-keyscan -t ed25519 HOST/ },
  { name: "host key type without blob", ...local({ server: { host: "10.77.0.10", hostKey: "ssh-ed25519" } }), key: "server.hostKey", fix: /ssh-keyscan -t ed25519 HOST/ },
  { name: "host key given as a fingerprint", ...local({ server: { host: "10.77.0.10", hostKey: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU" } }), key: "server.hostKey", fix: /ssh-keyscan -t ed25519 HOST/ },
  { name: "adopted server without a pinned host key", ...adopt({ server: {} }), key: "server.hostKey", fix: /ssh-keyscan -t ed25519 HOST/ },
  { name: "local stack without server.host", ...local({ server: { hostKey: HOST_KEY } }), key: "server.host", fix: /npm run testhost -- up/ },
  { name: "server.host that is neither IP nor name", ...local({ server: { host: "bad host!", hostKey: HOST_KEY } }), key: "server.host", fix: /must be an IP address or host name/ },
  { name: "server.port out of range", ...local({ server: { host: "10.77.0.10", hostKey: HOST_KEY, port: 70000 } }), key: "server.port", fix: /integer between 1 and 65535/ },
  { name: "server.user that is not a Unix name", ...local({ server: { host: "10.77.0.10", hostKey: HOST_KEY, user: "root; rm" } }), key: "server.user", fix: /must be a Unix user name/ },

  // smoke
  { name: "smoke.connectTo that is not an IP", ...local({ smoke: { connectTo: "photogooo.com" } }), key: "smoke.connectTo", fix: /must be an IP address/ },
];

describe("parseConfig rejects bad configs, naming the key and the fix", () => {
  it.each(BAD)("$name -> $key", ({ raw, stack, key, fix }) => {
    const problems = problemsOf(raw, stack);
    const forKey = problems.filter((p) => p.key === key);
    expect(forKey.length, `no problem for ${key}; got ${JSON.stringify(problems)}`).toBeGreaterThan(0);
    expect(forKey.map((p) => p.message).join("\n")).toMatch(fix);
    // the rest of each fixture is valid: the problem is attributed to this key only
    expect([...new Set(problems.map((p) => p.key))]).toEqual([key]);
  });

  // what infra/index.ts does first: every case ends there, before any resource (config-program.test.ts)
  it.each(BAD)("$name: stops at loadConfig", ({ raw, stack, key }) => {
    expect(problemsThrownBy(() => loadConfig(allConfigOf(raw), stack, ROOT)).map((p) => p.key)).toContain(key);
  });

  it("the error message names every key with its aistudio: prefix", () => {
    let err: unknown;
    try {
      parseConfig(localRaw({ domain: "https://photogooo.com" }), "local");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain("aistudio:domain: must be a bare host name");
  });

  it("reports all problems together, not only the first", () => {
    const problems = problemsOf(
      alicloudCreateRaw({
        domain: "photogooo",
        tls: {},
        sshPrivateKey: undefined,
        firewall: { adminCidrs: ["10.0.0.0/8", "nonsense"] },
        cloud: { ...createCloud, region: "mars-1", dnsZone: "example.com" },
        app: {},
      }),
      "prod",
    );
    // (cloud.dnsZone is not judged against a domain that is itself wrong; 10.0.0.0/8 is wider than a /16)
    expect(problems.map((p) => p.key).sort()).toEqual(
      ["app.dir", "cloud.region", "domain", "firewall.adminCidrs", "firewall.adminCidrs", "sshPrivateKey", "tls.email"].sort(),
    );
  });

  it("reports each bad CIDR separately", () => {
    const problems = problemsOf(localRaw({ firewall: { adminCidrs: ["1.2.3.4/40", "0.0.0.0/0", "5.6.7.8/32"] } }), "local");
    expect(problems).toEqual([
      { key: "firewall.adminCidrs", message: expect.stringContaining('"1.2.3.4/40" is not an IPv4 CIDR') },
      { key: "firewall.adminCidrs", message: expect.stringContaining("0.0.0.0/0 opens SSH to the whole Internet") },
    ]);
  });
});

describe("the app contract and the smoke request", () => {
  it("defaults: the guide's entry point, port, data directory, admin paths and visit call", () => {
    const cfg = parseConfig(localRaw(), "local");
    expect(cfg.app).toMatchObject({ wsgi: "app:application", port: 8000, packages: [], dataDir: "/var/lib/aistudio", admin: { loginPath: "/admin/login", apiPath: "/admin/api/miniprogram-config" } });
    expect(cfg.smoke.request).toEqual({ method: "POST", path: "/api/user/visit", body: undefined, expect: { success: true } });
    expect(cfg.smoke.probes).toEqual([]);
  });

  it("a backend laid out differently, configured only", () => {
    const cfg = parseConfig(localRaw({
      app: { dir: "provision/sample-app", wsgi: "photostudio.wsgi:app", port: "8081", packages: ["python3-yaml"], dataDir: "/srv/photostudio/", admin: { loginPath: "/manage/login", apiPath: "/manage/api/ping" } },
      smoke: { path: "/api/health", method: "get", expect: '{"ok": 1}', probes: '[{"path":"/manage/login","status":200,"type":"html"},{"method":"post","path":"/manage/api/ping","status":401}]' },
    }), "local");
    expect(cfg.app).toMatchObject({ wsgi: "photostudio.wsgi:app", port: 8081, packages: ["python3-yaml"], dataDir: "/srv/photostudio", admin: { loginPath: "/manage/login", apiPath: "/manage/api/ping" } });
    expect(cfg.smoke.request).toEqual({ method: "GET", path: "/api/health", body: undefined, expect: { ok: 1 } });
    expect(cfg.smoke.probes).toEqual([
      { method: "GET", path: "/manage/login", status: 200, type: "html" },
      { method: "POST", path: "/manage/api/ping", status: 401, type: "json" },
    ]);
  });
});

describe("parseConfig accepts good configs", () => {
  it("local stack: its domain, self-signed TLS, no WeChat checks, no cloud", () => {
    const cfg = parseConfig(localRaw(), "local");
    // toMatchObject: every field listed here must match exactly; fields added later do not break it
    expect(cfg).toMatchObject({
      stack: "local",
      target: "local",
      domain: "photogooo.com",
      server: { host: "10.77.0.10", port: 22, user: "root", hostKey: HOST_KEY, privateKey: SSH_KEY },
      tls: { mode: "self-signed", email: undefined, acmeServer: undefined, caBundle: undefined, certificate: undefined, privateKey: undefined },
      app: { source: { kind: "dir", location: "provision/sample-app" }, workers: 2, preStart: [], env: {}, pipIndexUrl: undefined },
      firewall: { adminCidrs: [], allowSshFromAnywhere: false },
      nginx: { clientMaxBodySize: "20m", extraServerConfig: "" },
      wechat: { checks: false, minCertDays: 20, appId: undefined, appSecret: undefined },
      smoke: { connectTo: undefined, timeoutSeconds: 60 },
    });
    expect(cfg.cloud).toBeUndefined();
    expect(cfg.server).toEqual({ host: "10.77.0.10", port: 22, user: "root", hostKey: HOST_KEY, privateKey: SSH_KEY });
    expect(cfg.tls).toEqual({ mode: "self-signed" });
  });

  it("alicloud create: acme TLS, WeChat checks on, cloud defaults filled in", () => {
    const cfg = parseConfig(alicloudCreateRaw(), "prod");
    expect(cfg.target).toBe("alicloud");
    expect(cfg.domain).toBe("photogooo.com");
    expect(cfg.tls.mode).toBe("acme");
    expect(cfg.tls.email).toBe("ops@photogooo.com");
    expect(cfg.wechat.checks).toBe(true);
    expect(cfg.server).toEqual({ host: "", port: 22, user: "root", hostKey: HOST_KEY, privateKey: SSH_KEY });
    expect(cfg.firewall).toEqual({ adminCidrs: ["203.0.113.7/32"], allowSshFromAnywhere: false, minAdminPrefix: 16 });
    expect(cfg.cloud).toEqual({
      region: "cn-hangzhou",
      zoneId: undefined,
      vpcId: undefined,
      vswitchId: undefined,
      vpcCidr: "172.16.0.0/16",
      vswitchCidr: "172.16.1.0/24",
      instanceType: "ecs.e-c1m2.large",
      image: "ubuntu2204",
      systemDiskCategory: "cloud_essd",
      systemDiskSize: 40,
      internetMaxBandwidthOut: 5,
      sshPublicKey: SSH_PUBLIC_KEY,
      hostPrivateKey: HOST_PRIVATE_KEY,
      adopt: undefined,
      dnsZone: undefined,
    });
  });

  it("alicloud adopt: the existing address and security group, a git source, no host private key", () => {
    const cfg = parseConfig(alicloudAdoptRaw(), "prod");
    expect(cfg.tls.mode).toBe("acme");
    expect(cfg.server.user).toBe("deploy");
    expect(cfg.server.hostKey).toBe(HOST_KEY);
    expect(cfg.app.source).toEqual({ kind: "git", location: "https://git.example.com/aistudio/backend.git", ref: "v1.2.0" });
    expect(cfg.cloud?.adopt).toEqual({ address: "47.96.1.2", securityGroupId: "sg-bp1abc" });
    expect(cfg.cloud?.region).toBe("cn-shanghai");
    expect(cfg.cloud?.hostPrivateKey).toBeUndefined();
    expect(cfg.cloud?.instanceType).toBe("");
  });

  it("SSH from 0.0.0.0/0 is accepted when firewall.allowSshFromAnywhere is true", () => {
    const cfg = parseConfig(alicloudCreateRaw({ firewall: { adminCidrs: ["0.0.0.0/0"], allowSshFromAnywhere: true } }), "prod");
    expect(cfg.firewall).toEqual({ adminCidrs: ["0.0.0.0/0"], allowSshFromAnywhere: true, minAdminPrefix: 16 });
  });

  it("values as Pulumi gives them (strings) are converted; the domain is lower-cased", () => {
    const cfg = parseConfig(
      localRaw({
        domain: "API.PhotoGooo.com",
        server: { host: "10.77.0.10", hostKey: HOST_KEY, port: "2222", user: "debian" },
        app: { dir: "provision/sample-app", workers: "4", preStart: ["python manage.py migrate"] },
        appEnv: '{"SECRET_KEY":"s3cr3t value"}',
        wechat: { checks: "false", minCertDays: "30" },
        smoke: { connectTo: "10.77.0.10", timeoutSeconds: "120" },
      }),
      "local",
    );
    expect(cfg.domain).toBe("api.photogooo.com");
    expect(cfg.server.port).toBe(2222);
    expect(cfg.server.user).toBe("debian");
    expect(cfg.app.workers).toBe(4);
    expect(cfg.app.preStart).toEqual(["python manage.py migrate"]);
    expect(cfg.app.env).toEqual({ SECRET_KEY: "s3cr3t value" });
    expect(cfg.wechat.minCertDays).toBe(30);
    expect(cfg.smoke).toMatchObject({ connectTo: "10.77.0.10", timeoutSeconds: 120 });
  });

  it("a provided certificate for the domain with its own key is accepted", () => {
    const cfg = parseConfig(localRaw({ tls: { mode: "provided", certificate: good.cert }, tlsPrivateKey: good.key }), "local");
    expect(cfg.tls.mode).toBe("provided");
    expect(cfg.tls.certificate).toBe(good.cert);
    expect(cfg.tls.privateKey).toBe(good.key);
  });

  it("a DNS zone equal to the domain or a parent of it is accepted", () => {
    expect(parseConfig(alicloudCreateRaw({ cloud: { ...createCloud, dnsZone: "photogooo.com" } }), "prod").cloud?.dnsZone).toBe("photogooo.com");
    const sub = parseConfig(alicloudCreateRaw({ domain: "api.photogooo.com", cloud: { ...createCloud, dnsZone: "photogooo.com" } }), "prod");
    expect(sub.cloud?.dnsZone).toBe("photogooo.com");
  });
});
