// nginx site for the domain. Port 80 answers ACME HTTP-01 challenges and redirects the rest to
// HTTPS (308). Port 443 terminates TLS 1.2/1.3 with Mozilla's intermediate ciphers, serves /static/
// and /media/ (<app.dataDir>/media) from disk and proxies everything else — the pages, the admin
// backend, /api/ — to gunicorn on 127.0.0.1:<app.port> (the upstream aistudio_app). Under /api/
// nginx's own errors are JSON, never HTML (the mini program and the admin's scripts fail with
// "Unexpected token '<'" on HTML); elsewhere the app's own pages pass through. Requests for any
// other name (or the bare IP) get nothing: catch-all default servers close the connection (80) or
// refuse the TLS handshake (443).
//
// A request that gunicorn drops (a worker killed or restarted while it held the connection) is made
// a second time when that is safe: the upstream lists the one gunicorn twice, so nginx has a next
// attempt, and nginx never retries POST/LOCK/PATCH once sent (no non_idempotent); see UPSTREAM.
//
// Every change is written beside the live config, checked with `nginx -t`, and only then kept and
// reloaded; a failing check restores the previous config and fails the deploy with nginx's message
// (provision/scripts/nginx.sh).
import { posix } from "node:path";
import { Step } from "./step";
import { FULLCHAIN, PRIVKEY, ACME_WEBROOT, TLS_DIR } from "./tls";
import { STATIC_DIR, mediaDir } from "./app";
import { ShellVars, scriptFromFile } from "./shell";
import { Probe, extraLinksProbe, fileProbe, linkProbe, listenProbe, probeOf, unitProbe } from "./probes";

export { NGINX_SITE_PATH as SITE_PATH, NGINX_SITE_LINK as SITE_LINK } from "../core/constants";
import { NGINX_SITE_PATH as SITE_PATH, NGINX_SITE_LINK as SITE_LINK } from "../core/constants";

/** Mozilla "intermediate" TLS 1.2 cipher list (ECDHE with AES-GCM or CHACHA20 only). */
export const CIPHERS = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
].join(":");

const API_ERRORS: [number, string, string][] = [
  [404, "not_found", "接口不存在 / API endpoint not found"],
  [413, "payload_too_large", "请求体过大 / request body too large"],
  [502, "bad_gateway", "后端服务未响应，请检查 aistudio 服务 / backend (aistudio) is not answering"],
  [503, "service_unavailable", "服务暂不可用 / service unavailable"],
  [504, "gateway_timeout", "后端响应超时 / backend timed out"],
];

export interface NginxOptions {
  domain: string;
  /** gunicorn's port on 127.0.0.1 (aistudio:app.port). */
  appPort: number;
  /** The app's data directory (aistudio:app.dataDir): /media/ serves <dataDir>/media. */
  dataDir: string;
  /**
   * Who serves /media/: "disk" (default) nginx from <dataDir>/media; "app" the app, which streams
   * the uploads from the object store every server sees (aistudio:uploads.store s3, issue #15).
   */
  media?: "disk" | "app";
  /** Client body limit, e.g. "20m" (photo uploads). */
  maxBodySize?: string;
  /** HSTS max-age in seconds; 0 disables the header (test stacks with throwaway certificates). */
  hstsMaxAge?: number;
  /** Extra directives for the 443 server block (validated by `nginx -t` on the server). */
  extraServerConfig?: string;
}

const indent = (text: string, pad: string) => text.split("\n").map((l) => (l ? pad + l : l)).join("\n");

/**
 * TLS scanner findings decided on purpose, by testssl.sh id, with the reason. The bench prints
 * testssl.sh's findings with these noted instead of counting them as open.
 *
 * cipher_order: `ssl_prefer_server_ciphers off` stays, as in Mozilla's intermediate configuration
 * (guidelines v5.7, nginx generator): every cipher offered is an AEAD with forward secrecy, so any
 * client choice is safe, and a client picks what is fast on its hardware: phones without AES
 * instructions (many of the Android phones WeChat runs on) choose ChaCha20-Poly1305. testssl.sh 3.0
 * rates "no server cipher order" HIGH whatever the list holds; with no weak cipher in the list
 * there is nothing for a server order to protect against.
 */
export const TLS_DECISIONS: Record<string, string> = {
  cipher_order: "kept: ssl_prefer_server_ciphers off as in Mozilla intermediate (only AEAD + forward-secret ciphers offered; phones without AES instructions pick ChaCha20) - provision/nginx.ts",
};

/**
 * The TLS settings of both 443 servers: the handshake is made with the default server's protocols
 * and ciphers before nginx picks the server by SNI, so the catch-all carries the same ones.
 * `ssl_prefer_server_ciphers off`: see TLS_DECISIONS (cipher_order).
 */
const TLS_SETTINGS = `ssl_protocols TLSv1.2 TLSv1.3;
ssl_ciphers ${CIPHERS};
ssl_prefer_server_ciphers off;
ssl_session_cache shared:aistudio_ssl:10m;
ssl_session_timeout 1d;
ssl_session_tickets off;`;

/** The name of the upstream block holding gunicorn's address. */
export const UPSTREAM = "aistudio_app";

/**
 * gunicorn as an upstream with room for one retry. There is one gunicorn, so the same address is
 * listed twice, the second as backup: nginx's retry rules only move on to a *next* peer, and with a
 * single peer proxy_next_upstream has nothing to try. max_fails=0: a failed attempt never marks the
 * app unavailable, so one dropped connection never turns the next requests into 502s (nginx's default
 * max_fails=1 would, for fail_timeout=10s).
 */
const upstreamBlock = (port: number) => `upstream ${UPSTREAM} {
    server 127.0.0.1:${port} max_fails=0;
    # the same gunicorn again: the second attempt of a request it dropped
    server 127.0.0.1:${port} max_fails=0 backup;
}`;

/**
 * When nginx makes the second attempt. \`error\`: gunicorn refused or dropped the connection before
 * answering (a restart or a killed worker). \`timeout\`: the connect timed out; a read timeout (60 s)
 * is past proxy_next_upstream_timeout, so a slow request is never run twice. Not http_502/http_503:
 * gunicorn never answers 502 itself, so those codes would come from the app, which decided to answer
 * them; running the request again would double its work. Not non_idempotent: nginx then never retries
 * a POST, LOCK or PATCH once it was sent to gunicorn: POST /api/user/visit records a visit and an
 * upload must not be stored twice; such a request gets the 502 (JSON under /api/) and the client decides.
 */
const RETRY_RULES = `proxy_next_upstream error timeout;
proxy_next_upstream_tries 2;
proxy_next_upstream_timeout 10s;`;

const mediaFromDisk = (dataDir: string) => `    location /media/ {
        alias ${mediaDir(dataDir)}/;
        expires 1d;
    }`;

/**
 * The uploads are in the object store: the app streams them (a day in caches, ETag and ranges from
 * the store; JSON 404/503). No add_header here, which would drop the server's HSTS and nosniff:
 * those apply, and the app's own nosniff is hidden so it is sent once.
 */
const mediaFromApp = (upstream: string) => `    # uploads in the object store (aistudio:uploads.store s3): the app streams them from it
    location /media/ {
        proxy_pass ${upstream};
        proxy_hide_header X-Content-Type-Options;
    }`;

export function nginxSite(o: NginxOptions): string {
  const d = o.domain;
  const hsts = o.hstsMaxAge ?? 31536000;
  // add_header in a location replaces the server's headers, so the error locations repeat them
  const hstsLine = hsts > 0 ? `        add_header Strict-Transport-Security "max-age=${hsts}" always;\n` : "";
  const errorPages = API_ERRORS.map(([code]) => `        error_page ${code} = @api_${code};`).join("\n");
  const errorLocations = API_ERRORS.map(
    ([code, err, msg]) =>
      `    location @api_${code} {\n        default_type application/json;\n        add_header Cache-Control "no-store" always;\n${hstsLine}        add_header X-Content-Type-Options nosniff always;\n        return ${code} '{"success":false,"error":"${err}","message":"${msg}"}';\n    }`,
  ).join("\n\n");
  const upstream = `http://${UPSTREAM}`;
  return `# Managed by aistudio-infra (pulumi). Local edits are reported as drift and reverted by \`pulumi up\`.

# gunicorn, listed twice so that a request it dropped can be made once more (idempotent ones only)
${upstreamBlock(o.appPort)}

# Any other name, or the server's bare IP: nothing is served. Port 80 closes the connection without
# an answer; port 443 refuses the TLS handshake (no certificate is shown).
server {
    listen 80 default_server;
    listen [::]:80 default_server;
    server_name _;
    return 444;
}

server {
    listen 443 ssl http2 default_server;
    listen [::]:443 ssl http2 default_server;
    server_name _;
    ssl_reject_handshake on;
${indent(TLS_SETTINGS, "    ")}
}

server {
    listen 80;
    listen [::]:80;
    server_name ${d};

    # ACME HTTP-01 challenges (certbot --webroot)
    location ^~ /.well-known/acme-challenge/ {
        root ${ACME_WEBROOT};
        default_type text/plain;
        try_files $uri =404;
    }

    location / {
        return 308 https://${d}$request_uri;
    }
}

server {
    listen 443 ssl http2;
    listen [::]:443 ssl http2;
    server_name ${d};

    ssl_certificate ${FULLCHAIN};
    ssl_certificate_key ${PRIVKEY};
${indent(TLS_SETTINGS, "    ")}
    # No OCSP stapling: Let's Encrypt stopped running OCSP responders in 2025.
${hsts > 0 ? `    add_header Strict-Transport-Security "max-age=${hsts}" always;\n` : ""}    add_header X-Content-Type-Options nosniff always;

    client_max_body_size ${o.maxBodySize ?? "20m"};
    server_tokens off;

    # how both proxied locations (/api/ and /) talk to gunicorn
    proxy_http_version 1.1;
    proxy_set_header Host $host;
    proxy_set_header X-Real-IP $remote_addr;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header Connection "";
    proxy_connect_timeout 5s;
    proxy_send_timeout 60s;
    proxy_read_timeout 60s;
    # a second attempt when gunicorn dropped the connection; never for POST/LOCK/PATCH (nginx's default)
${indent(RETRY_RULES, "    ")}

    location /api/ {
        proxy_pass ${upstream};
        # nginx's own errors under /api/ answer JSON, never HTML
${errorPages}
    }

${errorLocations}

    location /static/ {
        alias ${STATIC_DIR}/;
        expires 7d;
        access_log off;
    }

${o.media === "app" ? mediaFromApp(upstream) : mediaFromDisk(o.dataDir)}

    # everything else is the app's: its pages, the admin backend, its own error pages
    location / {
        proxy_pass ${upstream};
    }
${o.extraServerConfig ? "\n    # aistudio:nginx.extraServerConfig\n" + indent(o.extraServerConfig.trim(), "    ") + "\n" : ""}}
`;
}

/**
 * systemd restarts nginx when it dies (Debian's nginx.service has no Restart=): without this a
 * killed or crashed nginx master stays down until someone logs in (measured in the bench's
 * reliability section: not back within 120 s before, a few seconds after).
 */
/** Debian's main config: the step narrows its http-level ssl_protocols to TLSv1.2 TLSv1.3 (nginx.sh). */
export const NGINX_CONF = "/etc/nginx/nginx.conf";
export const RESTART_DROPIN_PATH = "/etc/systemd/system/nginx.service.d/aistudio-restart.conf";
export const RESTART_DROPIN = `# Managed by aistudio-infra (pulumi): nginx comes back by itself when its master dies.
[Service]
Restart=on-failure
RestartSec=1s
# Workers of a master that died still hold 80/443 until they are gone. systemd kills them with the
# unit's cgroup where it can; where it cannot (containers on a cgroup v1 host) the new master would
# fail to bind forever. They are asked to finish their requests and leave (QUIT) first; they close
# their listening sockets at once (and nginx retries a busy bind for 2.5 s anyway).
ExecStartPre=-/bin/sh -c "pkill -QUIT -x nginx && sleep 0.2; exit 0"
`;

/** The header of provision/scripts/nginx.sh: every value the nginx step's apply script uses. */
export function nginxScriptVars(o: Pick<NginxOptions, "domain">): ShellVars {
  return {
    DOMAIN: o.domain,
    ACME_WEBROOT,
    TLS_DIR,
    FULLCHAIN,
    PRIVKEY,
    SITE_PATH,
    SITE_LINK,
    DEFAULT_SITE_LINK: "/etc/nginx/sites-enabled/default",
    RESTART_DROPIN: RESTART_DROPIN_PATH,
    NGINX_CONF,
  };
}

/** Our site's link in sites-enabled, and a record for any other site enabled beside it (drift). */
export function enabledSitesProbes(): Probe[] {
  return [linkProbe(SITE_LINK, "site"), extraLinksProbe(posix.dirname(SITE_LINK), "site", [posix.basename(SITE_LINK)])];
}

export function nginxStep(o: NginxOptions): Step {
  const site = nginxSite(o);
  return {
    id: "nginx",
    description: `nginx site for ${o.domain}: 80 -> 308 https, 443 TLS1.2+/HTTP2, / and /api/ -> 127.0.0.1:${o.appPort}, other names refused`,
    files: [{ path: SITE_PATH, content: site, mode: "0644" }, { path: RESTART_DROPIN_PATH, content: RESTART_DROPIN, mode: "0644" }],
    apply: scriptFromFile("nginx", nginxScriptVars(o)),
    // our site enabled, no other site beside it, nginx.conf as the step left it, nginx restarted by
    // systemd, running, and listening on 443
    ...probeOf(fileProbe(SITE_PATH), ...enabledSitesProbes(), fileProbe(NGINX_CONF), fileProbe(RESTART_DROPIN_PATH), unitProbe("nginx"), listenProbe(443)),
  };
}
