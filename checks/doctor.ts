// The troubleshooting guide as code. Runs the guide's checks in the order that finds the cause of
// `net::ERR_CONNECTION_CLOSED` / `request:fail` fastest, outside in: the request domain itself,
// DNS, TCP 443, TLS, the API, then the server over SSH, the security group and the mini program's
// config. Every result says expected vs found; every failure says the cause and the fix, in
// Chinese and English.
import { promises as dnsp } from "node:dns";
import { isIP } from "node:net";
import * as fs from "node:fs";
import { acceptsVersion, daysLeft, handshake, selfSigned, tcpReachable } from "./tls";
import { httpsRequest, visit } from "./visit";
import { HttpClient, WechatApiError, wechatRequestDomains } from "./wechat";
import { Connection, runOnce } from "../core/ssh";

export type Status = "ok" | "fail" | "warn" | "skip";

export interface CheckResult {
  id: string;
  status: Status;
  title: { zh: string; en: string };
  expected?: string;
  found?: string;
  cause?: { zh: string; en: string };
  fix?: { zh: string; en: string };
  ms: number;
}

export interface DoctorTarget {
  /** The configured request domain (may be wrong: it is the first thing checked). */
  domain: string;
  /** The server's public address, to compare DNS with and to connect to. */
  serverIp?: string;
  /** Connect here instead of resolving DNS (test hosts). Defaults to what DNS says. */
  connectTo?: string;
  /** Extra trusted CA for test stacks; "server-cert" trusts the deployed certificate (local stack). */
  ca?: string;
  /** Is this a stack whose certificate must satisfy WeChat (no self-signed)? */
  wechat: boolean;
  minCertDays: number;
  ssh?: Connection;
  /** Ingress rules of the server's security group, from the stack state (cloud stacks). */
  securityGroupRules?: { portRange: string; cidrIp?: string; policy?: string; type?: string }[];
  /** Mini program source directory to lint. */
  miniprogramDir?: string;
  /** Hosts file consulted before DNS (tests; like an /etc/hosts override on the machine). */
  hostsFile?: string;
  /** Mini program AppID + AppSecret: read request合法域名 from the WeChat API (optional). */
  wechatApp?: { appId: string; appSecret: string; http?: HttpClient; baseUrl?: string };
}

type Check = (t: DoctorTarget, ctx: Ctx) => Promise<Omit<CheckResult, "ms" | "id" | "title"> & Partial<Pick<CheckResult, "title">>>;

interface Ctx {
  address?: string;
  /** TCP 443 was unreachable: the checks that need it are skipped instead of timing out again. */
  no443?: string;
  server?: Record<string, string>;
  ca?: string;
}

interface CheckDef {
  id: string;
  title: { zh: string; en: string };
  run: Check;
}

const t = (zh: string, en: string) => ({ zh, en });
const ok = (found?: string, expected?: string) => ({ status: "ok" as Status, found, expected });
const fail = (expected: string, found: string, cause: { zh: string; en: string }, fix: { zh: string; en: string }) => ({
  status: "fail" as Status, expected, found, cause, fix,
});
const skip = (why: string) => ({ status: "skip" as Status, found: why });

function lookupHostsFile(file: string | undefined, name: string): string | undefined {
  if (!file || !fs.existsSync(file)) return undefined;
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const [ip, ...names] = line.replace(/#.*/, "").trim().split(/\s+/);
    if (ip && names.includes(name)) return ip;
  }
  return undefined;
}

export const CHECKS: CheckDef[] = [
  {
    id: "domain",
    title: t("请求域名符合微信要求（https、无端口、非 IP）", "request domain is valid for WeChat (https, no port, not an IP)"),
    run: async (tg) => {
      const d = tg.domain;
      const url = `https://${d}`;
      if (/^[a-z]+:\/\//i.test(d) || /:\d+$/.test(d) || isIP(d) || d === "localhost" || !/\.[a-z]{2,}$/i.test(d)) {
        return fail("https://<domain> without port, a domain name", url,
          t("微信只接受 https 域名：不能带端口（如 :443）、不能是 IP 或 localhost、必须有顶级域名（如 .com）", "WeChat accepts only https domain names: no port (e.g. :443), no IP or localhost, and a top-level domain (e.g. .com)"),
          t("把 request合法域名 和 config.js 改为 https://photogooo.com 这种形式", "use the form https://photogooo.com in the request domain list and in config.js"));
      }
      return ok(url);
    },
  },
  {
    id: "wechat-domains",
    title: t("微信公众平台 request合法域名 包含本域名", "the WeChat console's request domain list contains the domain"),
    run: async (tg) => {
      if (!tg.wechatApp) return skip("no AppID/AppSecret configured");
      const want = `https://${tg.domain}`.toLowerCase();
      let list: string[];
      try {
        list = await wechatRequestDomains(tg.wechatApp);
      } catch (e) {
        // the list could not be read: not a verdict on the domain, so a warning, never the root cause
        if (!(e instanceof WechatApiError)) throw e;
        return { status: "warn", expected: want, found: "the request domain list could not be read", cause: e.reason, fix: e.fix };
      }
      if (list.includes(want)) return ok(list.join(", "), want);
      return fail(want, list.join(", ") || "(empty list)",
        t("request合法域名 中没有本域名：小程序请求会报 url not in domain list（600002）", "the domain is not in request合法域名: the mini program's requests fail with url not in domain list (600002)"),
        t(`微信公众平台 → 开发 → 开发管理 → 开发设置 → 服务器域名 → request合法域名，添加 ${want}（https、无端口、无路径）`, `mp.weixin.qq.com → 开发 → 开发管理 → 开发设置 → 服务器域名 → request合法域名: add ${want} (https, no port, no path)`));
    },
  },
  {
    id: "dns",
    title: t("域名解析到服务器", "DNS resolves the domain to the server"),
    run: async (tg, ctx) => {
      let addrs: string[] = [];
      const override = lookupHostsFile(tg.hostsFile, tg.domain);
      if (override) addrs = [override];
      else if (tg.connectTo) {
        ctx.address = tg.connectTo;
        return skip(`test stack: connecting to ${tg.connectTo} directly, DNS not used`);
      } else {
        try {
          addrs = await dnsp.resolve4(tg.domain);
        } catch (e) {
          if (!tg.serverIp) return skip(`cannot resolve (${(e as NodeJS.ErrnoException).code}); no server IP known to compare`);
          ctx.address = tg.connectTo ?? tg.serverIp;
          return fail(tg.serverIp, `no A record (${(e as NodeJS.ErrnoException).code})`,
            t("域名没有解析记录", "the domain has no A record"),
            t(`在 DNS（阿里云云解析）中为 ${tg.domain} 添加 A 记录指向 ${tg.serverIp}`, `add an A record for ${tg.domain} pointing at ${tg.serverIp} (Alibaba Cloud DNS)`));
        }
      }
      ctx.address = tg.connectTo ?? addrs[0];
      if (!tg.serverIp) return ok(addrs.join(", "));
      if (!addrs.includes(tg.serverIp)) {
        ctx.address = tg.connectTo ?? addrs[0];
        return fail(tg.serverIp, addrs.join(", "),
          t("域名解析到了别的服务器（或本机 hosts 文件覆盖了解析）", "the domain resolves to another server (or a hosts-file entry overrides it)"),
          t(`把 ${tg.domain} 的 A 记录改为 ${tg.serverIp}，并检查 hosts 文件`, `point the A record of ${tg.domain} at ${tg.serverIp} and check hosts files`));
      }
      return ok(addrs.join(", "), tg.serverIp);
    },
  },
  {
    id: "tcp443",
    title: t("443 端口可连接", "TCP 443 is reachable"),
    run: async (tg, ctx) => {
      const addr = ctx.address ?? tg.connectTo ?? tg.serverIp ?? tg.domain;
      const r = await tcpReachable(addr, 443);
      if (r.ok) return ok(`${addr}:443 open`);
      ctx.no443 = `${addr}:443 unreachable`;
      return fail(`${addr}:443 accepts connections`, r.error ?? "closed",
        t("443 端口不通：安全组或 ufw 未放行 443，或 nginx 没有监听 443（这正是 net::ERR_CONNECTION_CLOSED 的常见原因）", "port 443 is closed: the security group or ufw does not allow 443, or nginx is not listening (the usual cause of net::ERR_CONNECTION_CLOSED)"),
        t("在阿里云安全组入方向放行 443/tcp，执行 `ufw allow 443/tcp`，确认 `systemctl status nginx` 为 active", "allow 443/tcp inbound in the Alibaba Cloud security group, run `ufw allow 443/tcp`, and check `systemctl status nginx` is active"));
    },
  },
  {
    id: "tls-cert",
    title: t("证书可信、域名匹配、未过期、证书链完整", "certificate trusted, matches the name, not expiring, full chain"),
    run: async (tg, ctx) => {
      if (ctx.no443) return skip(`needs TCP 443 (${ctx.no443})`);
      const addr = ctx.address ?? tg.connectTo ?? tg.serverIp;
      const h = await handshake({ domain: tg.domain, address: addr, ca: ctx.ca });
      if (!h.ok || !h.leaf) {
        return fail("a TLS handshake", h.error ?? "no certificate",
          t("TLS 握手失败", "the TLS handshake failed"),
          t("检查 nginx 的 ssl_certificate 配置和 `nginx -t`", "check nginx's ssl_certificate settings and `nginx -t`"));
      }
      const leaf = h.leaf;
      const days = daysLeft(leaf);
      if (days < 0) {
        return fail(`valid for ≥ ${tg.minCertDays} days`, `expired on ${leaf.validTo}`,
          t("证书已过期", "the certificate has expired"),
          t("续期证书：`certbot renew`（acme）或在阿里云数字证书管理服务重新签发并更新 aistudio:tls.certificate，然后 pulumi up", "renew it: `certbot renew` (acme) or reissue in Alibaba Cloud's certificate service, update aistudio:tls.certificate and pulumi up"));
      }
      if (leaf.checkHost(tg.domain) === undefined) {
        return fail(`a certificate for ${tg.domain}`, `a certificate for ${leaf.subjectAltName ?? leaf.subject}`,
          t("证书与域名不匹配", "the certificate is for another name"),
          t(`为 ${tg.domain} 签发证书（或检查 nginx server_name 是否选错了证书）`, `issue a certificate for ${tg.domain} (or check that nginx serves the right one)`));
      }
      const err = h.authorizationError ?? "";
      if (selfSigned(leaf)) {
        if (!tg.wechat && !err) {
          // the local test stack pins its own self-signed certificate: fine here, never in production
          return { status: "warn", found: "self-signed (local test stack)", expected: "a CA-issued certificate",
            cause: t("本地测试栈使用自签名证书；微信真机会拒绝它", "the local test stack uses a self-signed certificate; phones running WeChat reject it"),
            fix: t("生产环境使用 tls.mode acme 或 provided", "use tls.mode acme or provided in production") };
        }
        return fail("a certificate issued by a trusted CA", "self-signed",
          t("自签名证书：开发者工具关闭 urlCheck 时能用，真机上微信会拒绝（request:fail）", "self-signed certificate: works in the dev tools with urlCheck off, fails on phones (request:fail)"),
          t("使用 Let's Encrypt（tls.mode acme）或阿里云购买的证书（tls.mode provided）", "use Let's Encrypt (tls.mode acme) or a certificate from Alibaba Cloud (tls.mode provided)"));
      }
      if (/UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify the first certificate|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|local issuer/i.test(err)) {
        return fail("leaf + intermediate certificates (full chain)", "leaf only: the intermediate certificate is missing",
          t("服务器没有发送中间证书：电脑浏览器可能能用（会自动补全），手机上微信会失败", "the server does not send the intermediate certificate: desktop browsers may cope, WeChat on phones fails"),
          t("ssl_certificate 使用 fullchain.pem（证书 + 中间证书），不要只用 cert.pem", "point ssl_certificate at fullchain.pem (certificate + intermediates), not cert.pem"));
      }
      if (err) {
        return fail("a certificate trusted by the system store", err,
          t("证书不受信任", "the certificate is not trusted"),
          t("使用受信任 CA 签发的证书，并确认服务器发送完整证书链", "use a certificate from a trusted CA and serve the full chain"));
      }
      if (days < tg.minCertDays) {
        return { status: "warn", expected: `valid for ≥ ${tg.minCertDays} days`, found: `${days} days left (until ${leaf.validTo})`,
          cause: t("证书即将过期", "the certificate expires soon"),
          fix: t("检查 certbot.timer 是否运行：`systemctl status certbot.timer`，或续期已购证书", "check certbot.timer runs (`systemctl status certbot.timer`) or renew the purchased certificate") };
      }
      return ok(`${leaf.subject.replace(/\n/g, ", ")}; issuer ${leaf.issuer.replace(/\n/g, ", ")}; ${days} days left`);
    },
  },
  {
    id: "tls-versions",
    title: t("接受 TLS 1.2，拒绝 TLS 1.0/1.1", "TLS 1.2 accepted, TLS 1.0/1.1 refused"),
    run: async (tg, ctx) => {
      if (ctx.no443) return skip(`needs TCP 443 (${ctx.no443})`);
      const target = { domain: tg.domain, address: ctx.address ?? tg.connectTo ?? tg.serverIp, ca: ctx.ca };
      const [v12, v11, v10] = await Promise.all([acceptsVersion(target, "TLSv1.2"), acceptsVersion(target, "TLSv1.1"), acceptsVersion(target, "TLSv1")]);
      const found = `TLS1.2 ${v12 ? "accepted" : "refused"}, TLS1.1 ${v11 ? "accepted" : "refused"}, TLS1.0 ${v10 ? "accepted" : "refused"}`;
      if (!v12) {
        return fail("TLS1.2 accepted", found,
          t("服务器不接受 TLS 1.2：部分手机的微信只支持 TLS 1.2", "the server refuses TLS 1.2: WeChat on many phones needs it"),
          t("nginx 中设置 `ssl_protocols TLSv1.2 TLSv1.3;` 然后 `systemctl reload nginx`（pulumi up 会恢复正确配置）", "set `ssl_protocols TLSv1.2 TLSv1.3;` in nginx and reload (pulumi up restores the managed config)"));
      }
      if (v11 || v10) {
        return fail("TLS1.0/1.1 refused", found,
          t("服务器仍接受已淘汰的 TLS 1.0/1.1", "the server still accepts obsolete TLS 1.0/1.1"),
          t("nginx 中只保留 `ssl_protocols TLSv1.2 TLSv1.3;`", "keep only `ssl_protocols TLSv1.2 TLSv1.3;` in nginx"));
      }
      return ok(found);
    },
  },
  {
    id: "http-redirect",
    title: t("HTTP 跳转到 HTTPS", "HTTP redirects to HTTPS"),
    run: async (tg, ctx) => {
      const addr = ctx.address ?? tg.connectTo ?? tg.serverIp ?? tg.domain;
      const http = require("node:http") as typeof import("node:http");
      const r = await new Promise<{ status?: number; location?: string; error?: string }>((resolve) => {
        const req = http.request({ host: addr, port: 80, path: "/api/user/visit", headers: { Host: tg.domain }, timeout: 5000, agent: false }, (res) => {
          res.resume();
          resolve({ status: res.statusCode, location: String(res.headers.location ?? "") });
        });
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", (e) => resolve({ error: e.message }));
        req.end();
      });
      const want = `https://${tg.domain}/api/user/visit`;
      if (r.status && [301, 302, 307, 308].includes(r.status) && r.location === want) return ok(`${r.status} → ${r.location}`);
      return { status: "warn", expected: `308 → ${want}`, found: r.error ?? `${r.status} ${r.location ?? ""}`,
        cause: t("80 端口没有跳转到 HTTPS（ACME 续期也需要 80 端口）", "port 80 does not redirect to HTTPS (ACME renewal needs port 80 too)"),
        fix: t("安全组和 ufw 放行 80/tcp，pulumi up 恢复 nginx 配置", "allow 80/tcp in the security group and ufw; pulumi up restores the nginx site") };
    },
  },
  {
    id: "api-json",
    title: t("接口 POST /api/user/visit 返回 JSON success:true", "API POST /api/user/visit answers JSON success:true"),
    run: async (tg, ctx) => {
      if (ctx.no443) return skip(`needs TCP 443 (${ctx.no443})`);
      const r = await visit({ domain: tg.domain, connectTo: ctx.address ?? tg.connectTo ?? tg.serverIp, ca: ctx.ca }, `doctor-${Date.now()}`);
      if (r.ok) return ok(`HTTP ${r.status} ${r.body?.slice(0, 80)}`);
      const html = /html/i.test(r.contentType ?? "") || (r.body ?? "").trimStart().startsWith("<");
      if (html) {
        return fail("application/json with success:true", `${r.status} ${r.contentType}: ${(r.body ?? "").slice(0, 60)}`,
          t("接口返回了 HTML 而不是 JSON —— 后台会报 Unexpected token '<'：登录过期被跳转到登录页，或服务器错误页", "the API answered HTML instead of JSON — the admin backend then fails with Unexpected token '<': an expired login redirected to a login page, or a server error page"),
          t("重新登录后台；查看 `journalctl -u aistudio -n 50`；pulumi up 恢复 nginx 配置（/api/ 的错误页是 JSON）", "log in again; read `journalctl -u aistudio -n 50`; pulumi up restores the nginx site (its /api/ error pages are JSON)"));
      }
      if (r.status === 502 || r.status === 504) {
        return fail("HTTP 200 from the app", `${r.status} ${(r.body ?? "").slice(0, 100)}`,
          t("nginx 连不上后端 gunicorn（127.0.0.1:8000）", "nginx cannot reach gunicorn on 127.0.0.1:8000"),
          t("`systemctl restart aistudio`，然后 `ss -tlnp | grep 8000`", "`systemctl restart aistudio`, then `ss -tlnp | grep 8000`"));
      }
      return fail("2xx application/json {\"success\":true}", r.problems.join("; "),
        t("接口没有按预期应答", "the API did not answer as expected"),
        t("查看 `journalctl -u aistudio -n 50`", "read `journalctl -u aistudio -n 50`"));
    },
  },
  {
    id: "server-services",
    title: t("服务器：nginx 与 aistudio 运行中，8000 端口在监听", "server: nginx and aistudio active, 127.0.0.1:8000 listening"),
    run: async (tg, ctx) => {
      if (!tg.ssh) return skip("no SSH access configured");
      const s = ctx.server!;
      if (s.error) return fail("an SSH session", s.error, t("无法 SSH 登录服务器", "cannot SSH to the server"), t("检查安全组 22 端口和 aistudio:server 配置", "check port 22 in the security group and aistudio:server"));
      const problems: string[] = [];
      let cause = t("", ""), fix = t("", "");
      if (s.nginx !== "active") {
        problems.push(`nginx ${s.nginx}`);
        cause = t("nginx 未运行", "nginx is not running");
        fix = t("`systemctl start nginx`（并 `systemctl enable nginx`）；先 `nginx -t` 检查配置", "`systemctl start nginx` (and enable it); check the config with `nginx -t` first");
      } else if (s.aistudio !== "active") {
        problems.push(`aistudio ${s.aistudio}`);
        cause = t("aistudio 服务未运行（gunicorn）", "the aistudio service (gunicorn) is not running");
        fix = t("`systemctl restart aistudio`，失败时看 `journalctl -u aistudio -n 50`", "`systemctl restart aistudio`; if it fails read `journalctl -u aistudio -n 50`");
      } else if (!/127\.0\.0\.1:8000\b/.test(s.listen8000 ?? "")) {
        problems.push(`127.0.0.1:8000 not listening (gunicorn listens on: ${s.gunicorn || "nothing"})`);
        cause = t("gunicorn 没有监听 127.0.0.1:8000（端口或地址配置错误），nginx 会返回 502", "gunicorn is not listening on 127.0.0.1:8000 (wrong port or address); nginx answers 502");
        fix = t("恢复 aistudio.service 中的 --bind 127.0.0.1:8000（pulumi up 会恢复），然后 `systemctl restart aistudio`", "restore --bind 127.0.0.1:8000 in aistudio.service (pulumi up does) and restart aistudio");
      }
      if (problems.length) return { ...fail("nginx active, aistudio active, 127.0.0.1:8000 listening", problems.join("; "), cause, fix) };
      return ok(`nginx active, aistudio active, listening ${s.listen8000}`);
    },
  },
  {
    id: "ufw443",
    title: t("服务器防火墙 ufw 放行 443", "server firewall (ufw) allows 443"),
    run: async (tg, ctx) => {
      if (!tg.ssh) return skip("no SSH access configured");
      const s = ctx.server!;
      if (s.error) return skip("no SSH session");
      if (!/Status: active/.test(s.ufw ?? "")) return { status: "warn", expected: "ufw active, 443/tcp ALLOW", found: "ufw inactive", cause: t("ufw 未启用", "ufw is not active"), fix: t("pulumi up 会启用并配置 ufw", "pulumi up enables and configures ufw") };
      if (!/^443\/tcp\s+ALLOW/m.test(s.ufw ?? "")) {
        return fail("443/tcp ALLOW IN", (s.ufw ?? "").split("\n").filter((l) => /ALLOW|DENY/.test(l)).join("; ") || "no rules",
          t("ufw 没有放行 443", "ufw does not allow 443"),
          t("`ufw allow 443/tcp`（pulumi up 会恢复规则）", "`ufw allow 443/tcp` (pulumi up restores the rules)"));
      }
      return ok("443/tcp ALLOW IN");
    },
  },
  {
    id: "security-group",
    title: t("阿里云安全组放行 443", "Alibaba Cloud security group allows 443"),
    run: async (tg) => {
      if (!tg.securityGroupRules) return skip("no security group in this stack (local test host)");
      const open = tg.securityGroupRules.some((r) => (r.type ?? "ingress") === "ingress" && (r.policy ?? "accept") === "accept" && portIn(r.portRange, 443) && (r.cidrIp ?? "0.0.0.0/0") === "0.0.0.0/0");
      if (open) return ok("443/tcp from 0.0.0.0/0");
      return fail("ingress 443/tcp from 0.0.0.0/0", tg.securityGroupRules.map((r) => `${r.portRange} ${r.cidrIp ?? ""}`).join(", ") || "no rules",
        t("安全组没有放行 443：手机无法连接（net::ERR_CONNECTION_CLOSED）", "the security group does not allow 443: phones cannot connect (net::ERR_CONNECTION_CLOSED)"),
        t("ECS 控制台 → 安全组 → 入方向 添加 443/tcp 0.0.0.0/0，或 pulumi up（代码中声明了该规则）", "ECS console → security group → inbound: add 443/tcp from 0.0.0.0/0, or pulumi up (the rule is declared in code)"));
    },
  },
  {
    id: "miniprogram",
    title: t("小程序 config.js 配置检查", "mini program config.js lint"),
    run: async (tg) => {
      if (!tg.miniprogramDir) return skip("no mini program directory given (--miniprogram DIR)");
      const { lintMiniprogram } = require("./miniprogram/lint") as typeof import("./miniprogram/lint");
      const findings = lintMiniprogram(tg.miniprogramDir, { domain: tg.domain });
      const errors = findings.filter((f) => f.level === "error");
      const warns = findings.filter((f) => f.level === "warning");
      const fmt = (f: (typeof findings)[number]) => `${f.file}:${f.line} ${f.code}`;
      if (errors.length) {
        return fail("ENV production, https://<domain> URLs", errors.map(fmt).join("; "),
          t(errors[0].message_zh, errors[0].message_en), t("按提示修改 config.js 后重新上传小程序", "fix config.js as reported and upload the mini program again"));
      }
      if (warns.length) return { status: "warn", found: warns.map(fmt).join("; "), cause: t(warns[0].message_zh, warns[0].message_en), fix: t("真机调试前打开 urlCheck", "turn urlCheck on before testing on phones") };
      return ok("config.js OK");
    },
  },
];

function portIn(range: string, port: number): boolean {
  const [a, b] = range.split("/").map(Number);
  if (a === -1) return true;
  return port >= a && port <= (b ?? a);
}

/** Guide error texts → the checks that explain them, run first. */
export const ERROR_MAP: { match: RegExp; label: string; checks: string[] }[] = [
  { match: /ERR_CONNECTION_CLOSED|CONNECTION_CLOSED/i, label: "net::ERR_CONNECTION_CLOSED", checks: ["tcp443", "security-group", "ufw443", "server-services", "tls-cert", "tls-versions"] },
  { match: /600002|not in domain list|url not in/i, label: "url not in domain list (600002)", checks: ["wechat-domains", "domain", "miniprogram", "dns"] },
  { match: /Unexpected token/i, label: "Unexpected token '<'", checks: ["api-json", "server-services"] },
  { match: /dev ?tools|开发者工具|真机|phone/i, label: "works in dev tools, not on the phone", checks: ["tls-cert", "tls-versions", "domain", "miniprogram"] },
  { match: /request:fail/i, label: "request:fail", checks: ["domain", "dns", "tcp443", "tls-cert", "tls-versions", "api-json"] },
];

export function orderFor(error?: string): string[] {
  const ids = CHECKS.map((c) => c.id);
  if (!error) return ids;
  const m = ERROR_MAP.find((e) => e.match.test(error));
  if (!m) return ids;
  return [...m.checks, ...ids.filter((i) => !m.checks.includes(i))];
}

const SERVER_SCRIPT = `
echo "nginx=$(systemctl is-active nginx 2>/dev/null || true)"
echo "aistudio=$(systemctl is-active aistudio 2>/dev/null || true)"
echo "listen8000=$(ss -Htln 'sport = :8000' | awk '{print $4}' | tr '\\n' ' ')"
echo "gunicorn=$(ss -Htlnp 2>/dev/null | grep -E 'gunicorn|python' | awk '{print $4}' | tr '\\n' ' ')"
echo "ufw<<EOF"; ufw status 2>&1 || true; echo "EOF"
`;

function parseKv(out: string): Record<string, string> {
  const r: Record<string, string> = {};
  const lines = out.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\w+)<<EOF$/.exec(lines[i]);
    if (m) {
      const buf: string[] = [];
      for (i++; i < lines.length && lines[i] !== "EOF"; i++) buf.push(lines[i]);
      r[m[1]] = buf.join("\n");
      continue;
    }
    const kv = /^(\w+)=(.*)$/.exec(lines[i]);
    if (kv) r[kv[1]] = kv[2].trim();
  }
  return r;
}

export async function runDoctor(tg: DoctorTarget, o: { error?: string; onResult?: (r: CheckResult) => void } = {}): Promise<CheckResult[]> {
  const ctx: Ctx = {};
  // one SSH session for everything the server side needs
  const sshPart = (async () => {
    if (!tg.ssh) return undefined;
    try {
      const r = await runOnce(tg.ssh, SERVER_SCRIPT + (tg.ca === "server-cert" ? "\necho 'cert<<EOF'; cat /etc/aistudio/tls/fullchain.pem; echo EOF" : ""), 8000);
      return parseKv(r.stdout);
    } catch (e) {
      return { error: (e as Error).message };
    }
  })();
  ctx.server = await sshPart ?? {};
  ctx.ca = tg.ca === "server-cert" ? ctx.server.cert : tg.ca;
  const results: CheckResult[] = [];
  const byId = new Map(CHECKS.map((c) => [c.id, c]));
  // dns first whatever the order: the other network checks need the address it finds
  const order = orderFor(o.error);
  if (!ctx.address && order.indexOf("dns") > 0) {
    const d = byId.get("dns")!;
    await d.run(tg, ctx).catch(() => undefined);
  }
  for (const id of order) {
    const c = byId.get(id)!;
    const t0 = Date.now();
    let r;
    try {
      r = await c.run(tg, ctx);
    } catch (e) {
      r = { status: "fail" as Status, found: `check crashed: ${(e as Error).message}` };
    }
    const res: CheckResult = { id, title: c.title, ms: Date.now() - t0, ...r };
    results.push(res);
    o.onResult?.(res);
  }
  return results;
}

const MARK: Record<Status, string> = { ok: "✓", fail: "✗", warn: "!", skip: "-" };

export function formatResult(r: CheckResult, lang: "zh" | "en" | "both"): string {
  const title = lang === "both" ? `${r.title.zh} / ${r.title.en}` : r.title[lang];
  const lines = [`${MARK[r.status]} ${title}`];
  const pick = (x: { zh: string; en: string }) => (lang === "both" ? `${x.zh}\n      ${x.en}` : x[lang]);
  if (r.status === "ok" || r.status === "skip") {
    if (r.found) lines[0] += `  (${r.found})`;
    return lines.join("\n");
  }
  if (r.expected) lines.push(`    ${lang === "en" ? "expected" : lang === "zh" ? "期望" : "期望 expected"}: ${r.expected}`);
  if (r.found) lines.push(`    ${lang === "en" ? "found" : lang === "zh" ? "实际" : "实际 found"}:    ${r.found}`);
  if (r.cause) lines.push(`    ${lang === "en" ? "cause" : lang === "zh" ? "原因" : "原因 cause"}: ${pick(r.cause)}`);
  if (r.fix) lines.push(`    ${lang === "en" ? "fix" : lang === "zh" ? "处理" : "处理 fix"}:   ${pick(r.fix)}`);
  return lines.join("\n");
}

/**
 * The cause the doctor names: of the failing checks, the one nearest the root. A stopped nginx
 * also fails "TCP 443" and "API", but nginx is the cause; a closed ufw port also fails TCP 443,
 * but the firewall is the cause.
 */
export const ROOT_CAUSE_ORDER = [
  "domain", "wechat-domains", "dns", "security-group", "ufw443", "server-services", "tls-cert", "tls-versions", "tcp443", "api-json", "http-redirect", "miniprogram",
];

export function firstFailure(results: CheckResult[]): CheckResult | undefined {
  const failing = results.filter((r) => r.status === "fail");
  return failing.sort((a, b) => ROOT_CAUSE_ORDER.indexOf(a.id) - ROOT_CAUSE_ORDER.indexOf(b.id))[0];
}
