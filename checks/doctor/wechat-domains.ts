// The WeChat console's request合法域名, read from the WeChat API when an AppID/AppSecret is configured.
import { t } from "../../core/text";
import { WechatApiError, wechatRequestDomains } from "../wechat";
import { Check, fail, ok, skip, warn } from "./check";

export const wechatDomainsCheck: Check = {
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
      return warn(want, "the request domain list could not be read", e.reason, e.fix);
    }
    if (list.includes(want)) return ok(list.join(", "), want);
    return fail(want, list.join(", ") || "(empty list)",
      t("request合法域名 中没有本域名：小程序请求会报 url not in domain list（600002）", "the domain is not in request合法域名: the mini program's requests fail with url not in domain list (600002)"),
      t(`微信公众平台 → 开发 → 开发管理 → 开发设置 → 服务器域名 → request合法域名，添加 ${want}（https、无端口、无路径）`, `mp.weixin.qq.com → 开发 → 开发管理 → 开发设置 → 服务器域名 → request合法域名: add ${want} (https, no port, no path)`));
  },
};
