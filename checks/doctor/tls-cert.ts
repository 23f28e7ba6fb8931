// The certificate the server sends: trusted, for this name, not expiring, with its intermediates.
import { t } from "../../core/text";
import { daysLeft, handshake, selfSigned } from "../tls";
import { addressOf, Check, fail, ok, needs443, warn } from "./check";

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
    if (days < tg.minCertDays) {
      return warn(`valid for ≥ ${tg.minCertDays} days`, `${days} days left (until ${leaf.validTo})`,
        t("证书即将过期", "the certificate expires soon"),
        t("检查 certbot.timer 是否运行：`systemctl status certbot.timer`，或续期已购证书", "check certbot.timer runs (`systemctl status certbot.timer`) or renew the purchased certificate"));
    }
    return ok(`${leaf.subject.replace(/\n/g, ", ")}; issuer ${leaf.issuer.replace(/\n/g, ", ")}; ${days} days left`);
  }),
};
