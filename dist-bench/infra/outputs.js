"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.miniProgramUrls = miniProgramUrls;
exports.requestDomains = requestDomains;
// What a person needs after a deploy: the URLs for the mini program's config.js and the exact
// request domain list for the WeChat console.
function miniProgramUrls(domain) {
    const base = `https://${domain}`;
    return {
        baseUrl: base,
        apiBaseUrl: `${base}/api/miniprogram`,
        apiUrl: `${base}/api`,
        staticUrl: `${base}/static`,
        mediaUrl: `${base}/media`,
    };
}
/** 微信公众平台 → 开发 → 开发管理 → 开发设置 → 服务器域名 → request合法域名 */
function requestDomains(domain) {
    return [`https://${domain}`];
}
//# sourceMappingURL=outputs.js.map