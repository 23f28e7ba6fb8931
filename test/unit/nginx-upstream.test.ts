// The nginx site's upstream and retry rules (issue #14): a request gunicorn dropped is made once more
// when it is idempotent, never when it is a POST (a visit recorded twice, an upload stored twice).
// nginx's behaviour with these rules (GET retried, POST not): test/integration/zero-downtime.test.ts.
import { describe, expect, it } from "vitest";
import { nginxSite, UPSTREAM } from "../../provision/nginx";

const site = nginxSite({ domain: "photogooo.com", appPort: 8000, dataDir: "/var/lib/aistudio" });

/** The directive lines (trimmed, without the `;`) of the block opened by `header`, nested blocks included. */
function directives(text: string, header: string): string[] {
  const start = text.indexOf(header);
  expect(start, `no block "${header}"`).toBeGreaterThanOrEqual(0);
  let depth = 0;
  for (let i = text.indexOf("{", start); i < text.length; i++) {
    if (text[i] === "{") depth++;
    if (text[i] === "}" && --depth === 0) {
      return text.slice(start, i).split("\n").slice(1).map((l) => l.trim()).filter((l) => l.endsWith(";")).map((l) => l.slice(0, -1));
    }
  }
  throw new Error(`unbalanced block "${header}"`);
}

/** The arguments of every `name …;` line in the site. */
const all = (text: string, name: string) => [...text.matchAll(new RegExp(`^\\s*${name}(?: (.*))?;$`, "gm"))].map((m) => m[1] ?? "");

describe("the upstream aistudio_app", () => {
  it("holds the app's port twice, the second a backup: one gunicorn, room for one more attempt", () => {
    expect(UPSTREAM).toBe("aistudio_app");
    expect(directives(site, "upstream aistudio_app {")).toEqual(["server 127.0.0.1:8000 max_fails=0", "server 127.0.0.1:8000 max_fails=0 backup"]);
    const custom = nginxSite({ domain: "photogooo.com", appPort: 9123, dataDir: "/var/lib/aistudio" });
    expect(directives(custom, "upstream aistudio_app {")).toEqual(["server 127.0.0.1:9123 max_fails=0", "server 127.0.0.1:9123 max_fails=0 backup"]);
  });

  it("a failed attempt never marks the app down for the next requests (max_fails=0 on both)", () => {
    for (const s of all(site, "server").filter((a) => a.startsWith("127.0.0.1"))) expect(s).toContain("max_fails=0");
    expect(site).not.toMatch(/fail_timeout/);
  });

  it("is the one upstream, outside the servers, and every proxy_pass goes to it", () => {
    expect(site.match(/^upstream \S+ \{$/gm)).toEqual(["upstream aistudio_app {"]);
    expect(site.indexOf("upstream aistudio_app {")).toBeLessThan(site.indexOf("server {"));
    expect(all(site, "proxy_pass")).toEqual(["http://aistudio_app", "http://aistudio_app"]);
  });
});

describe("the retry rules", () => {
  const https = directives(site, "server {\n    listen 443 ssl http2;\n");

  it("retry on a refused or dropped connection and a connect timeout only; not on the app's own 5xx answers", () => {
    expect(all(site, "proxy_next_upstream")).toEqual(["error timeout"]);
    expect(https).toContain("proxy_next_upstream error timeout");
    expect(site).not.toMatch(/http_50[0-9]|http_429|http_404|http_403/);
  });

  it("POST, LOCK and PATCH are never retried: no non_idempotent anywhere", () => {
    expect(site).not.toContain("non_idempotent");
  });

  it("at most 2 attempts in all, within 10 s of the first (a read timeout, 60 s, is never retried)", () => {
    expect(all(site, "proxy_next_upstream_tries")).toEqual(["2"]);
    expect(all(site, "proxy_next_upstream_timeout")).toEqual(["10s"]);
    const seconds = (v: string) => Number(/^(\d+)s$/.exec(v)![1]);
    const [read] = all(site, "proxy_read_timeout");
    const [connect] = all(site, "proxy_connect_timeout");
    expect(seconds(connect)).toBeLessThan(10);
    expect(seconds(read)).toBeGreaterThanOrEqual(10);
  });

  it("the rules are the server's, so both /api/ and / (the pages, the admin) have them; no location overrides them", () => {
    const locationLines = site.split("\n").filter((l) => /^ {8}proxy_next_upstream/.test(l));
    expect(locationLines).toEqual([]);
  });

  it("the /api/ error pages stay JSON: a POST that is not retried gets nginx's JSON 502", () => {
    const api = directives(site, "location /api/ {");
    expect(api).toContain("error_page 502 = @api_502");
    expect(directives(site, "location @api_502 {")).toEqual(expect.arrayContaining(["default_type application/json"]));
    expect(site).toContain(`return 502 '{"success":false,"error":"bad_gateway"`);
  });
});
