// The certificate the server sends: trusted, for this name, not expiring, with its intermediates.
import { Bilingual, t } from "../../core/text";
import { daysLeft, handshake, selfSigned } from "../tls";
import { addressOf, Check, DoctorTarget, fail, ok, needs443, warn } from "./check";

/** This many days left or fewer: renewal is broken (certbot renews 30 days ahead), a failure, not a warning. */
export const CERT_FAIL_DAYS = 7;

/** Who renews the certificate, by tls.mode: the cause and the fix when it is about to expire. */
function renewal(tg: DoctorTarget, days: number): { cause: Bilingual; fix: Bilingual } {
  const acme = {
    cause: t(`只剩 ${days} 天，自动续期没有生效：certbot.timer 没有运行，或续期失败（如 80 端口被挡住）`,
      `${days} days left: automatic renewal is broken — certbot.timer is not running or its renewals fail (e.g. port 80 blocked)`),
    fix: t("`systemctl status certbot.timer`、`journalctl -u certbot -n 50` 找出原因；`systemctl enable --now certbot.timer`，`certbot renew` 后 `systemctl reload nginx`",
      "find out why with `systemctl status certbot.timer` and `journalctl -u certbot -n 50`; `systemctl enable --now certbot.timer`, then `certbot renew` and `systemctl reload nginx`"),
  };
  const provided = {
    cause: t(`只剩 ${days} 天：提供的证书（aistudio:tls.certificate）不会自动续期`, `${days} days left: the provided certificate (aistudio:tls.certificate) is never renewed automatically`),
    fix: t("在阿里云数字证书管理服务续期或重新签发，然后 `npm run pulumi -- config set --path aistudio:tls.certificate -- \"$(cat fullchain.pem)\"`、`config set --secret aistudio:tlsPrivateKey < privkey.pem`，再 pulumi up",
      "renew or reissue it in Alibaba Cloud's certificate service, then `npm run pulumi -- config set --path aistudio:tls.certificate -- \"$(cat fullchain.pem)\"` and `config set --secret aistudio:tlsPrivateKey < privkey.pem`, and pulumi up"),
  };
  if (tg.tlsMode === "acme") return acme;
  if (tg.tlsMode === "provided") return provided;
  return { cause: t(`${acme.cause.zh}；或提供的证书没有续期`, `${acme.cause.en}; or the provided certificate was not renewed`), fix: t(`acme：${acme.fix.zh}；provided：${provided.fix.zh}`, `acme: ${acme.fix.en}; provided: ${provided.fix.en}`) };
}

/** Node's verify errors that mean the server sent the leaf without its intermediate certificate. */
const MISSING_INTERMEDIATE = /UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify the first certificate|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|local issuer/i;

export const tlsCertCheck: Check = {
  id: "tls-cert",
  title: t("证书可信、域名匹配、未过期、证书链完整", "certificate trusted, matches the name, not expiring, full chain"),
  run: needs443(async (tg, ctx) => {
    const h = await handshake({ domain: tg.domain, address: addressOf(tg, ctx), port: tg.port, ca: ctx.ca });
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
        // (a literal, not warn(): `doctor --json` has always printed found before expected here)
        return { status: "warn", found: "self-signed (local test stack)", expected: "a CA-issued certificate",
          cause: t("本地测试栈使用自签名证书；微信真机会拒绝它", "the local test stack uses a self-signed certificate; phones running WeChat reject it"),
          fix: t("生产环境使用 tls.mode acme 或 provided", "use tls.mode acme or provided in production") };
      }
      return fail("a certificate issued by a trusted CA", "self-signed",
        t("自签名证书：开发者工具关闭 urlCheck 时能用，真机上微信会拒绝（request:fail）", "self-signed certificate: works in the dev tools with urlCheck off, fails on phones (request:fail)"),
        t("使用 Let's Encrypt（tls.mode acme）或阿里云购买的证书（tls.mode provided）", "use Let's Encrypt (tls.mode acme) or a certificate from Alibaba Cloud (tls.mode provided)"));
    }
    if (MISSING_INTERMEDIATE.test(err)) {
      return fail("leaf + intermediate certificates (full chain)", "leaf only: the intermediate certificate is missing",
        t("服务器没有发送中间证书：电脑浏览器可能能用（会自动补全），手机上微信会失败", "the server does not send the intermediate certificate: desktop browsers may cope, WeChat on phones fails"),
        t("ssl_certificate 使用 fullchain.pem（证书 + 中间证书），不要只用 cert.pem", "point ssl_certificate at fullchain.pem (certificate + intermediates), not cert.pem"));
    }
    if (err) {
      return fail("a certificate trusted by the system store", err,
        t("证书不受信任", "the certificate is not trusted"),
        t("使用受信任 CA 签发的证书，并确认服务器发送完整证书链", "use a certificate from a trusted CA and serve the full chain"));
    }
    if (days <= CERT_FAIL_DAYS) {
      // still valid: HTTPS works, so the API checks do not fail because of it (explains nothing)
      const r = renewal(tg, days);
      return { ...fail(`more than ${CERT_FAIL_DAYS} days left`, `${days} days left (until ${leaf.validTo})`, r.cause, r.fix), explains: [] };
    }
    if (days < tg.minCertDays) {
      return warn(`valid for ≥ ${tg.minCertDays} days (wechat.minCertDays)`, `${days} days left (until ${leaf.validTo})`,
        t("证书即将过期", "the certificate expires soon"), renewal(tg, days).fix);
    }
    return ok(`${leaf.subject.replace(/\n/g, ", ")}; issuer ${leaf.issuer.replace(/\n/g, ", ")}; ${days} days left`);
  }),
};
