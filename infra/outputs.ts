// What a person needs after a deploy: the URLs for the mini program's config.js and the exact
// domain lists to paste into the WeChat console.
export function miniProgramUrls(domain: string) {
  const base = `https://${domain}`;
  return {
    baseUrl: base,
    apiBaseUrl: `${base}/api/miniprogram`,
    apiUrl: `${base}/api`,
    staticUrl: `${base}/static`,
    mediaUrl: `${base}/media`,
  };
}

/**
 * 微信公众平台 → 开发 → 开发管理 → 开发设置 → 服务器域名: every list the mini program needs,
 * request合法域名 (wx.request), uploadFile合法域名 (wx.uploadFile: photo uploads) and
 * downloadFile合法域名 (wx.downloadFile: media). The doctor compares the console with these.
 */
export function wechatDomainLists(domain: string): { request: string[]; upload: string[]; download: string[] } {
  const origin = `https://${domain}`;
  return { request: [origin], upload: [origin], download: [origin] };
}
