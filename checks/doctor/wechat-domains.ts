// The WeChat console's 服务器域名, read from the WeChat API when an AppID/AppSecret is configured:
// request合法域名 (wx.request), uploadFile合法域名 (wx.uploadFile: photo uploads) and
// downloadFile合法域名 (wx.downloadFile: media) must each hold the stack's domain lists.
import { t } from "../../core/text";
import { DOMAIN_LISTS, DomainList, ServerDomains, WechatApiError, wechatServerDomains } from "../wechat";
import { Check, DoctorTarget, fail, ok, skip, warn } from "./check";

const LISTS = Object.keys(DOMAIN_LISTS) as DomainList[];
const CONSOLE = "微信公众平台 → 开发 → 开发管理 → 开发设置 → 服务器域名";
const CONSOLE_EN = "mp.weixin.qq.com → 开发 → 开发管理 → 开发设置 → 服务器域名";

/** What each list must hold: the stack's lists (infra/outputs.ts), else https://<domain> in each. */
function wanted(tg: DoctorTarget): Record<DomainList, string[]> {
  const own = (k: DomainList) => (tg.wechatDomains?.[k] ?? [`https://${tg.domain}`]).map((d) => d.toLowerCase());
  return { request: own("request"), upload: own("upload"), download: own("download") };
}

const show = (lists: Partial<Record<DomainList, string[]>>, absent: string) =>
  LISTS.map((k) => `${DOMAIN_LISTS[k].console}: ${lists[k] === undefined ? absent : lists[k]!.join(", ") || "(empty)"}`).join("; ");

/** The verdict on the lists read: a missing domain fails, naming the list and the console path. */
function compare(want: Record<DomainList, string[]>, got: ServerDomains) {
  const expected = show(want, "");
  const found = show(got, "(not in the answer)");
  const missing = LISTS.map((k) => ({ k, domains: got[k] ? want[k].filter((d) => !got[k]!.includes(d)) : [] })).filter((m) => m.domains.length);
  if (missing.length) {
    const each = (f: (m: { list: string; api: string; d: string }) => string, sep: string) =>
      missing.map((m) => f({ list: DOMAIN_LISTS[m.k].console, api: DOMAIN_LISTS[m.k].api, d: m.domains.join(", ") })).join(sep);
    return fail(expected, found,
      t(each((m) => `${m.list} 中没有 ${m.d}：${m.api} 会报 url not in domain list（600002，不在以下 ${m.list.replace("合法域名", "")} 合法域名列表中）`, "；"),
        each((m) => `${m.d} is not in ${m.list}: ${m.api} fails with url not in domain list (600002)`, "; ")),
      t(each((m) => `${CONSOLE} → ${m.list}，添加 ${m.d}（https、无端口、无路径）`, "；"),
        each((m) => `${CONSOLE_EN} → ${m.list}: add ${m.d} (https, no port, no path)`, "; ")));
  }
  const unread = LISTS.filter((k) => got[k] === undefined).map((k) => DOMAIN_LISTS[k]);
  if (unread.length) {
    return warn(expected, found,
      t(`微信接口的应答中没有 ${unread.map((l) => l.field).join("、")}：这些列表没有核对`, `the WeChat API's answer has no ${unread.map((l) => l.field).join(", ")}: those lists were not checked`),
      t(`在 ${CONSOLE} 中手动核对 ${unread.map((l) => l.console).join("、")}`, `check ${unread.map((l) => l.console).join(", ")} by hand under ${CONSOLE_EN}`));
  }
  return ok(found, expected);
}

export const wechatDomainsCheck: Check = {
  id: "wechat-domains",
  title: t("微信公众平台 服务器域名（request、uploadFile、downloadFile 合法域名）包含本域名", "the WeChat console's domain lists (request, uploadFile, downloadFile) contain the domain"),
  run: async (tg) => {
    if (!tg.wechatApp) return skip("no AppID/AppSecret configured");
    const want = wanted(tg);
    let got: ServerDomains;
    try {
      got = await wechatServerDomains(tg.wechatApp);
    } catch (e) {
      // the lists could not be read: not a verdict on the domain, so a warning, never the root cause
      if (!(e instanceof WechatApiError)) throw e;
      return warn(show(want, ""), "the domain lists could not be read", e.reason, e.fix);
    }
    return compare(want, got);
  },
};
