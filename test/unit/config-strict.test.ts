// Guards the strictness of infra/config.ts (issue #13): a key that is not one of its object's keys is
// an error at every level, with the key it was probably meant to be and the commands that fix it; no
// stack inherits production's domain; SSH keys are parsed for what they are (real keys made here by
// ssh-keygen: ed25519 and rsa, encrypted, truncated, mismatched); SSH sources are measured together;
// numbers are decimal. Each case ends in a ConfigError from loadConfig, the first thing infra/index.ts
// does, so none reaches resource registration (config-program.test.ts runs the program itself).
import { describe, expect, it } from "vitest";
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { load } from "js-yaml";
import { Raw, TOP_KEYS, collectConfig, parseConfig } from "../../infra/config";
import { loadConfig } from "../../infra/read-config";
import { secretValues } from "../../infra/steps";
import { BadCase, CREATE_CLOUD, HOST_KEY, onCreate, onLocal, HOST_PRIVATE_KEY, SSH_KEY, SSH_PUBLIC_KEY, alicloudCreateRaw, allConfigOf, localRaw, problemsOf, problemsThrownBy, sshKeygen } from "./fixtures";

const ROOT = path.resolve(__dirname, "../..");

// ---- real keys, made by ssh-keygen in a temp dir (fixtures.sshKeygen) -----------------------------
const rsa = sshKeygen("rsa");
const encrypted = sshKeygen("ed25519", "correct horse");
const encryptedRsa = sshKeygen("rsa", "correct horse");
const stranger = sshKeygen();
/** The base64 body cut in half, BEGIN and END lines kept (a copy that lost its middle). */
const truncated = (pem: string) => {
  const lines = pem.trim().split("\n");
  return [...lines.slice(0, Math.ceil(lines.length / 2)), lines[lines.length - 1]].join("\n") + "\n";
};
/** One base64 line replaced by junk (ssh2 alone would skip it and accept the key). */
const garbled = (pem: string) => {
  const lines = pem.trim().split("\n");
  lines.splice(2, 0, "~~~~ pasted from a chat window ~~~~");
  return lines.join("\n") + "\n";
};
/** What node:crypto writes: PKCS#8, which ssh2 (and so the deploy) cannot read. */
const pkcs8 = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();


const local = onLocal;
const create = onCreate;
const createCloud = CREATE_CLOUD;
const app = (a: Raw) => ({ dir: "provision/sample-app", ...a });
/** "did you mean X? … rm … set X VALUE" for a typo at `typo` meant to be `key`. */
const renamed = (typo: string, key: string, value: string) => {
  const q = (s: string) => s.replace(/[.[\]]/g, "\\$&");
  const flag = typo.includes(".") ? "--path " : "";
  const quote = /\[/.test(typo) ? "'" : "";
  return new RegExp(`did you mean ${q(key)}\\? Rename it: \`pulumi config rm ${flag}${quote}aistudio:${q(typo)}${quote} --stack \\S+\`, then \`pulumi config set ${flag}${quote}aistudio:${q(key)}${quote} ${q(value)} --stack`);
};
const DECIMAL = /integer between \d+ and \d+ in decimal digits only/;

const STRICT: BadCase[] = [
  // 1. unknown keys, at every level, reported as the typo with the key it was meant to be
  { name: "top: aistudio:domian", ...local({ domain: undefined, domian: "staging.photogooo.com" }, "staging"), key: "domian", fix: renamed("domian", "domain", "staging.photogooo.com"), also: ["domain"] },
  { name: "tls.emial", ...create({ tls: { emial: "ops@photogooo.com" } }), key: "tls.emial", fix: renamed("tls.emial", "tls.email", "ops@photogooo.com"), also: ["tls.email"] },
  { name: "app.worker", ...local({ app: app({ worker: 4 }) }), key: "app.worker", fix: renamed("app.worker", "app.workers", "4") },
  { name: "app.admin.loginpath (case)", ...local({ app: app({ admin: { loginpath: "/manage/login" } }) }), key: "app.admin.loginpath", fix: renamed("app.admin.loginpath", "app.admin.loginPath", "/manage/login") },
  { name: "smoke.conectTo", ...local({ smoke: { conectTo: "10.77.0.10" } }), key: "smoke.conectTo", fix: renamed("smoke.conectTo", "smoke.connectTo", "10.77.0.10") },
  { name: "smoke.probes[1].stauts", ...local({ smoke: { probes: [{ path: "/a" }, { path: "/admin/login", stauts: 200 }] } }), key: "smoke.probes[1].stauts", fix: renamed("smoke.probes[1].stauts", "smoke.probes[1].status", "200") },
  { name: "cloud.regoin", ...create({ cloud: { ...createCloud, regoin: "cn-shanghai" } }), key: "cloud.regoin", fix: renamed("cloud.regoin", "cloud.region", "cn-shanghai") },
  { name: "server.hots", ...local({ server: { hots: "10.77.0.10", hostKey: HOST_KEY } }), key: "server.hots", fix: renamed("server.hots", "server.host", "10.77.0.10"), also: ["server.host"] },
  { name: "firewall.adminCidr", ...create({ firewall: { adminCidr: ["203.0.113.7/32"] } }), key: "firewall.adminCidr", fix: /did you mean firewall\.adminCidrs\? .*move its value under aistudio:firewall\.adminCidrs in Pulumi\.prod\.yaml/, also: ["firewall.adminCidrs"] },
  { name: "nginx.clientMaxBodysize", ...local({ nginx: { clientMaxBodysize: "50m" } }), key: "nginx.clientMaxBodysize", fix: renamed("nginx.clientMaxBodysize", "nginx.clientMaxBodySize", "50m") },
  { name: "wechat.minCertDay", ...create({ wechat: { minCertDay: 30 } }), key: "wechat.minCertDay", fix: renamed("wechat.minCertDay", "wechat.minCertDays", "30") },
  { name: "an object under a misspelt key", ...local({ app: app({ admn: { loginPath: "/x" } }) }), key: "app.admn", fix: /did you mean app\.admin\? .*move its value under aistudio:app\.admin in Pulumi\.local\.yaml/ },
  { name: "a key far from every known one", ...local({ banana: "yellow" }), key: "banana", fix: /is not an aistudio: key \(those are: target, domain, .*\): remove it with `pulumi config rm aistudio:banana --stack local`/ },
  { name: "a typo beside the real key", ...create({ tls: { email: "ops@photogooo.com", emial: "ops@photogooo.com" } }), key: "tls.emial", fix: /did you mean tls\.email\? That one is set as well, so remove this one: `pulumi config rm --path aistudio:tls\.emial --stack prod`/ },
  { name: "a secret under a misspelt name", ...local({ sshPrivateKey: undefined, sshPrivatKey: SSH_KEY }), key: "sshPrivatKey", fix: /did you mean sshPrivateKey\? .*`pulumi config set --secret aistudio:sshPrivateKey --stack local < FILE`/, also: ["sshPrivateKey"] },
  { name: "testhost on an alicloud stack", ...create({ testhost: "demo" }), key: "testhost", fix: /only for target local.*pulumi config rm aistudio:testhost/ },

  // 2. no stack inherits production's domain
  { name: "staging without aistudio:domain", ...create({ domain: undefined }, "staging"), key: "domain", fix: /not set for stack "staging": it would have deployed to photogooo\.com, production's domain.*`pulumi config set aistudio:domain staging\.photogooo\.com --stack staging`/ },
  { name: "an empty domain", ...local({ domain: "" }, "dev"), key: "domain", fix: /not set for stack "dev".*pulumi config set aistudio:domain dev\.photogooo\.com --stack dev/ },
  { name: "a blank domain", ...local({ domain: "   " }, "qa"), key: "domain", fix: /not set for stack "qa"/ },

  // 3. SSH keys, parsed for what they are
  { name: "an encrypted deploy key without its passphrase", ...local({ sshPrivateKey: encrypted.privateKey }), key: "sshPrivateKey", fix: /encrypted with a passphrase.*pulumi config set --secret aistudio:sshPrivateKeyPassphrase.*ssh-keygen -p -N '' -f/ },
  { name: "an encrypted rsa key with the wrong passphrase", ...local({ sshPrivateKey: encryptedRsa.privateKey, sshPrivateKeyPassphrase: "wrong" }), key: "sshPrivateKeyPassphrase", fix: /does not decrypt aistudio:sshPrivateKey.*ssh-keygen -y -f/ },
  { name: "a passphrase for a key that has none", ...local({ sshPrivateKeyPassphrase: "hunter2" }), key: "sshPrivateKeyPassphrase", fix: /not encrypted: remove it with `pulumi config rm aistudio:sshPrivateKeyPassphrase`/ },
  { name: "a truncated deploy key", ...local({ sshPrivateKey: truncated(SSH_KEY) }), key: "sshPrivateKey", fix: /pulumi config set --secret aistudio:sshPrivateKey < ~\/\.ssh\/aistudio_deploy.*ssh-keygen -t ed25519/ },
  { name: "a truncated rsa key", ...local({ sshPrivateKey: truncated(rsa.privateKey) }), key: "sshPrivateKey", fix: /ssh-keygen -t ed25519/ },
  { name: "junk between the key's BEGIN and END lines", ...local({ sshPrivateKey: garbled(SSH_KEY) }), key: "sshPrivateKey", fix: /something other than base64/ },
  { name: "two keys pasted together", ...local({ sshPrivateKey: SSH_KEY + rsa.privateKey }), key: "sshPrivateKey", fix: /something other than base64.*two keys/ },
  { name: "text after the END line", ...local({ sshPrivateKey: SSH_KEY + "ssh-ed25519 AAAA… (the .pub pasted too)\n" }), key: "sshPrivateKey", fix: /not one PEM block/ },
  { name: "a PKCS#8 key (node's, not ssh-keygen's)", ...local({ sshPrivateKey: pkcs8 }), key: "sshPrivateKey", fix: /PKCS#8.*ssh-keygen -t ed25519 -N '' -C aistudio-deploy/ },
  { name: "the public key instead of the private one", ...local({ sshPrivateKey: SSH_PUBLIC_KEY }), key: "sshPrivateKey", fix: /no -----BEGIN … PRIVATE KEY----- line/ },
  { name: "cloud.sshPublicKey of another key", ...create({ cloud: { ...createCloud, sshPublicKey: stranger.publicKey } }), key: "cloud.sshPublicKey", fix: /not the public half of aistudio:sshPrivateKey \(it is SHA256:\S+, the key's is SHA256:\S+\).*ssh-keygen -y -f ~\/\.ssh\/aistudio_deploy/ },
  { name: "an rsa deploy key with an ed25519 cloud.sshPublicKey", ...create({ sshPrivateKey: rsa.privateKey }), key: "cloud.sshPublicKey", fix: /not the public half of aistudio:sshPrivateKey/ },
  { name: "a truncated cloud.sshPublicKey", ...create({ cloud: { ...createCloud, sshPublicKey: SSH_PUBLIC_KEY.slice(0, -8) } }), key: "cloud.sshPublicKey", fix: /does not parse as an SSH public key line.*ssh-keygen -y -f/ },
  { name: "server.hostKey of another key than sshHostPrivateKey", ...create({ server: { hostKey: stranger.publicKey } }), key: "server.hostKey", fix: /not the public half of aistudio:sshHostPrivateKey.*ssh-keygen -y -f host_key \| cut -d' ' -f1,2/ },
  { name: "an rsa sshHostPrivateKey", ...create({ sshHostPrivateKey: rsa.privateKey }), key: "sshHostPrivateKey", fix: /is a ssh-rsa key; a new server gets an ed25519 host key: `ssh-keygen -t ed25519/ },
  { name: "an encrypted sshHostPrivateKey", ...create({ sshHostPrivateKey: encrypted.privateKey }), key: "sshHostPrivateKey", fix: /is encrypted; sshd reads its host key without a passphrase.*ssh-keygen -p -N '' -f host_key/ },
  { name: "a truncated sshHostPrivateKey", ...create({ sshHostPrivateKey: truncated(HOST_PRIVATE_KEY) }), key: "sshHostPrivateKey", fix: /pulumi config set --secret aistudio:sshHostPrivateKey < host_key/ },
  { name: "a truncated server.hostKey", ...local({ server: { host: "10.77.0.10", hostKey: HOST_KEY.slice(0, -12) } }), key: "server.hostKey", fix: /does not parse as an SSH public key \(truncated or damaged\).*ssh-keyscan -t ed25519 HOST/ },
  { name: "server.hostKey with the wrong type name", ...local({ server: { host: "10.77.0.10", hostKey: HOST_KEY.replace("ssh-ed25519", "ssh-rsa") } }), key: "server.hostKey", fix: /does not parse as an SSH public key/ },

  // 4. the firewall means what it says
  { name: "two halves of the Internet", ...create({ firewall: { adminCidrs: ["0.0.0.0/1", "128.0.0.0/1"] } }), key: "firewall.adminCidrs", fix: /0\.0\.0\.0\/1 \+ 128\.0\.0\.0\/1 together cover the whole Internet, like 0\.0\.0\.0\/0/ },
  { name: "a /8", ...create({ firewall: { adminCidrs: ["10.0.0.0/8"] } }), key: "firewall.adminCidrs", fix: /10\.0\.0\.0\/8 is a \/8 \(16777216 addresses\), wider than a \/16 \(firewall\.minAdminPrefix\).*pulumi config set --path aistudio:firewall\.minAdminPrefix N.*allowSshFromAnywhere true/ },
  { name: "three /17s (more than a /16 together)", ...create({ firewall: { adminCidrs: ["10.0.0.0/17", "10.0.128.0/17", "10.1.0.0/17"] } }), key: "firewall.adminCidrs", fix: /together admit 98304 addresses, more than one \/16 \(65536, firewall\.minAdminPrefix\)/ },
  { name: "a /20 under minAdminPrefix 24", ...create({ firewall: { adminCidrs: ["203.0.112.0/20"], minAdminPrefix: 24 } }), key: "firewall.adminCidrs", fix: /is a \/20 \(4096 addresses\), wider than a \/24/ },
  { name: "host bits set", ...create({ firewall: { adminCidrs: ["203.0.113.10/24"] } }), key: "firewall.adminCidrs", fix: /203\.0\.113\.10\/24 has host bits set: as a network it means 203\.0\.113\.0\/24 \(256 addresses\); write that, or 203\.0\.113\.10\/32 for the one address/ },
  { name: "host bits in cloud.vpcCidr", ...create({ cloud: { ...createCloud, vpcCidr: "172.16.5.0/16" } }), key: "cloud.vpcCidr", fix: /means 172\.16\.0\.0\/16/ },
  { name: "a CIDR with a leading zero", ...create({ firewall: { adminCidrs: ["203.0.113.010/32"] } }), key: "firewall.adminCidrs", fix: /not an IPv4 CIDR like 203\.0\.113\.7\/32 \(decimal numbers, no spaces\)/ },
  { name: "a CIDR with a space", ...create({ firewall: { adminCidrs: [" 203.0.113.7/32"] } }), key: "firewall.adminCidrs", fix: /not an IPv4 CIDR/ },
  { name: "minAdminPrefix 0", ...create({ firewall: { adminCidrs: ["203.0.113.7/32"], minAdminPrefix: 0 } }), key: "firewall.minAdminPrefix", fix: /integer between 1 and 32/ },

  // 4. numbers are decimal, for every numeric key
  ...([
    ["server.port", "0x8ae"], ["server.port", "2222.0"], ["server.port", "1e3"], ["server.port", " 22"], ["server.port", "022"], ["server.port", "+22"],
    ["app.port", "8e3"], ["app.workers", "2.0"], ["wechat.minCertDays", " 20"], ["smoke.timeoutSeconds", "0x3c"],
    ["smoke.probes[0].status", "2e2"], ["firewall.minAdminPrefix", "0x10"],
  ] as const).map(([key, value]) => {
    const set: Record<string, Raw> = {
      "server.port": { server: { host: "10.77.0.10", hostKey: HOST_KEY, port: value } },
      "app.port": { app: app({ port: value }) },
      "app.workers": { app: app({ workers: value }) },
      "wechat.minCertDays": { wechat: { checks: false, minCertDays: value } },
      "smoke.timeoutSeconds": { smoke: { timeoutSeconds: value } },
      "smoke.probes[0].status": { smoke: { probes: [{ path: "/admin/login", status: value }] } },
      "firewall.minAdminPrefix": { firewall: { minAdminPrefix: value } },
    };
    return { name: `${key} ${JSON.stringify(value)}`, ...local(set[key]), key, fix: DECIMAL };
  }),
  ...([["systemDiskSize", "4e1"], ["internetMaxBandwidthOut", "5.0"]] as const).map(([k, value]) => (
    { name: `cloud.${k} ${JSON.stringify(value)}`, ...create({ cloud: { ...createCloud, [k]: value } }), key: `cloud.${k}`, fix: DECIMAL }
  )),
  { name: "a region with a space inside", ...create({ cloud: { ...createCloud, region: "cn hangzhou" } }), key: "cloud.region", fix: /not an Alibaba Cloud region id/ },
];


describe("strict config: each case names its key and the fix", () => {
  it.each(STRICT)("$name -> $key", ({ raw, stack, key, fix, also }) => {
    const problems = problemsOf(raw, stack);
    const forKey = problems.filter((p) => p.key === key);
    expect(forKey.length, `no problem for ${key}; got ${JSON.stringify(problems)}`).toBeGreaterThan(0);
    expect(forKey.map((p) => p.message).join("\n")).toMatch(fix);
    expect([...new Set(problems.map((p) => p.key))].sort()).toEqual([key, ...(also ?? [])].sort());
  });

  it.each(STRICT)("$name: stops at loadConfig, before any resource", ({ raw, stack, key }) => {
    expect(problemsThrownBy(() => loadConfig(allConfigOf(raw), stack, ROOT)).map((p) => p.key)).toContain(key);
  });

  it("never prints a secret given under a misspelt name", () => {
    const message = problemsOf(localRaw({ sshPrivateKey: undefined, sshPrivatKey: SSH_KEY, appEnvs: '{"SECRET_KEY":"s3cr3t-value"}' }), "local").map((p) => p.message).join("\n");
    expect(message).toMatch(/did you mean appEnv\?/);
    expect(message).not.toContain("s3cr3t-value");
    expect(message).not.toContain(SSH_KEY.split("\n")[1]);
  });

  it("reports typos at every level together with every other problem, in one error", () => {
    const raw = alicloudCreateRaw({
      domian: "photogooo.com", domain: undefined,
      tls: { emial: "ops@photogooo.com" },
      app: { dir: "no/such/dir", worker: 2, admin: { loginpath: "/admin/login" } },
      smoke: { timeoutSecond: 60, probes: [{ path: "/admin/login", stauts: 200 }] },
      server: { hostKey: HOST_KEY, hots: "1.2.3.4" },
      firewall: { adminCidrs: ["0.0.0.0/1", "128.0.0.0/1"] },
      nginx: { clientMaxBodySise: "20m" },
      wechat: { minCertDay: 20 },
      cloud: { ...createCloud, regoin: "cn-hangzhou", sshPublicKey: stranger.publicKey },
    });
    const problems = problemsThrownBy(() => loadConfig(allConfigOf(raw), "staging", ROOT));
    expect([...new Set(problems.map((p) => p.key))].sort()).toEqual([
      "domian", "domain", "tls.emial", "tls.email", "app.worker", "app.admin.loginpath", "smoke.timeoutSecond", "smoke.probes[0].stauts",
      "server.hots", "firewall.adminCidrs", "nginx.clientMaxBodySise", "wechat.minCertDay", "cloud.regoin", "cloud.sshPublicKey",
      "app.dir", // the missing directory, read at the edge, in the same batch
    ].sort());
    expect(problems.find((p) => p.key === "app.dir")?.message).toContain(`${path.join(ROOT, "no/such/dir")} is not a directory`);
  });
});

describe("strict config: what is accepted", () => {
  it("rsa and ed25519 deploy keys whose public half is cloud.sshPublicKey", () => {
    expect(parseConfig(alicloudCreateRaw({ sshPrivateKey: rsa.privateKey, cloud: { ...createCloud, sshPublicKey: rsa.publicKey } }), "prod").cloud?.sshPublicKey).toBe(rsa.publicKey);
    expect(parseConfig(alicloudCreateRaw({ cloud: { ...createCloud, sshPublicKey: SSH_PUBLIC_KEY + " aistudio-deploy" } }), "prod").server.privateKey).toBe(SSH_KEY);
  });

  it("an encrypted key with its passphrase, which is then a secret value", () => {
    for (const k of [encrypted, encryptedRsa]) {
      const cfg = parseConfig(localRaw({ sshPrivateKey: k.privateKey, sshPrivateKeyPassphrase: "correct horse" }), "local");
      expect(cfg.server.passphrase).toBe("correct horse");
      expect(secretValues(cfg)).toContain("correct horse");
    }
    expect(parseConfig(localRaw(), "local").server).not.toHaveProperty("passphrase");
  });

  it("admin networks up to a /16 in all; wider with minAdminPrefix or allowSshFromAnywhere", () => {
    expect(parseConfig(alicloudCreateRaw({ firewall: { adminCidrs: ["10.0.0.0/17", "10.0.128.0/17", "10.0.0.0/24"] } }), "prod").firewall.minAdminPrefix).toBe(16);
    expect(parseConfig(alicloudCreateRaw({ firewall: { adminCidrs: ["10.0.0.0/12"], minAdminPrefix: "12" } }), "prod").firewall).toEqual({ adminCidrs: ["10.0.0.0/12"], allowSshFromAnywhere: false, minAdminPrefix: 12 });
    expect(parseConfig(alicloudCreateRaw({ firewall: { adminCidrs: ["0.0.0.0/1", "128.0.0.0/1"], allowSshFromAnywhere: true } }), "prod").firewall.adminCidrs).toHaveLength(2);
  });

  it("names are trimmed and lower-cased alike: domain, cloud.region, cloud.dnsZone", () => {
    const cfg = parseConfig(alicloudCreateRaw({ domain: " API.PhotoGooo.com ", cloud: { ...createCloud, region: " CN-Shanghai ", dnsZone: "PhotoGooo.COM" } }), "prod");
    expect([cfg.domain, cfg.cloud?.region, cfg.cloud?.dnsZone]).toEqual(["api.photogooo.com", "cn-shanghai", "photogooo.com"]);
  });
});

describe("the stack files and Pulumi.yaml", () => {
  const yaml = (f: string) => load(fs.readFileSync(path.join(ROOT, f), "utf8")) as { config?: Record<string, unknown> };
  const stacks = fs.readdirSync(ROOT).filter((f) => /^Pulumi\.(local|prod|staging)\.yaml$/.test(f));

  it.each(stacks)("%s sets its own domain and only known keys", (file) => {
    const stack = file.split(".")[1];
    const raw: Raw = {};
    for (const [k, v] of Object.entries(yaml(file).config ?? {})) if (k.startsWith("aistudio:")) raw[k.slice(9)] = v;
    // secrets and test-host records are not in the files: only unknown-key and domain problems count here
    const problems = collectConfig(raw, stack).problems.filter((p) => p.key === "domain" || / is not (a key of aistudio|an aistudio: key)/.test(p.message));
    expect(problems).toEqual([]);
    expect(raw.domain).toBe(stack === "staging" ? "staging.photogooo.com" : "photogooo.com");
  });

  it("Pulumi.yaml gives aistudio:domain no default (a default would be inherited by every stack) and documents every key", () => {
    const text = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8");
    expect(Object.keys(yaml("Pulumi.yaml").config ?? {})).not.toContain("aistudio:domain");
    for (const k of TOP_KEYS) expect(text, `aistudio:${k}`).toMatch(new RegExp(`aistudio:${k}\\b`));
    for (const k of ["minAdminPrefix", "sshPrivateKeyPassphrase"]) expect(text).toContain(k);
  });
});
