// The load balancer in front of a fleet (issue #15) on a host of its own: HAProxy standing in for
// Alibaba Cloud's ALB on the local stack, with the same behaviour the rollout relies on (weights,
// health checks, connection draining) and driven through the same interface (core/lb/haproxy.ts).
//
//  - :80 answers 301 to https (ALB's redirect listener; 308 would keep a POST a POST, but nothing
//    posts to http://: the mini program only speaks https).
//  - :443 terminates TLS 1.2/1.3 with Mozilla's intermediate ciphers (the list nginx uses,
//    provision/nginx.ts CIPHERS), no session tickets, ALPN h2 and http/1.1. The backends see the
//    client's address in X-Forwarded-For (a client's own X-Forwarded-For is dropped first: it could
//    claim any address) and X-Forwarded-Proto https.
//  - backend "aistudio": round robin over the app servers at weight HAPROXY_WEIGHT (= FULL_WEIGHT),
//    over TLS to each server's nginx with SNI and a health check `GET healthCheckPath` (Host: domain)
//    that must answer 200, every second, 2 failures to go down and 2 successes to come back.
//    `verify none`: the servers' certificates are the site's own (or self-signed on test stacks) and
//    the LB reaches them by private address, which no certificate names.
//  - Retries, and why a POST is never sent twice: see RETRY_RULES.
//  - The admin socket (mode 600, root only) is what HaproxyPool talks to; `haproxy -c` checks a new
//    config before it replaces the old one, and a change is a seamless reload (see the script).
//
// The firewall is the normal firewall step's (provision/firewall.ts: deny incoming, 22 from the admin
// networks, 80 and 443): an LB host is given that step too. This step adds no ufw rule of its own,
// which that step would see as an unmanaged rule (drift) and remove with its reset.
//
// Packages: haproxy and socat (the runtime API's client), installed by this step's script when
// absent, until the packages step lists them for LB hosts.
import { Step } from "./step";
import { CIPHERS } from "./nginx";
import { ShellVars, q, scriptFromFile, words } from "./shell";
import { Probe, certProbe, fileProbe, keyProbe, listenProbe, packageProbe, probeOf, unitProbe } from "./probes";
import { HAPROXY_ADMIN_SOCKET, HAPROXY_BACKEND, HAPROXY_WEIGHT, SERVER_NAME } from "../core/lb/haproxy-stat";

export const HAPROXY_CONFIG = "/etc/haproxy/haproxy.cfg";
/** Certificate chain and key in one file, as HAProxy's `crt` reads them: 0600 root, secret. */
export const HAPROXY_PEM = "/etc/haproxy/aistudio.pem";
/** Where the servers' runtime state (weights set by a rollout) is kept across one reload of ours. */
export const HAPROXY_STATE_FILE = "/run/haproxy/aistudio-server-state";
export const LB_PACKAGES = ["haproxy", "socat"] as const;
/** TLS 1.3 suites (TLS 1.3 has only AEAD suites; these are OpenSSL's defaults, named so they are fixed). */
export const TLS13_SUITES = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

export interface LbServer {
  /** The server's name in the backend (the rollout's member id). */
  name: string;
  /** Its address as the LB reaches it (private IP, or host name resolved at start). */
  address: string;
  /** Its HTTPS port (default 443; the integration test's stand-in servers listen elsewhere). */
  port?: number;
}

export interface LoadBalancerOptions {
  domain: string;
  /** PEM certificate and chain for the domain. */
  certificate: string;
  /** PEM private key (secret). */
  privateKey: string;
  servers: LbServer[];
  /** Path the health check GETs on each server; must answer 200 (the sample app's /api/health). */
  healthCheckPath: string;
  httpsPort?: number;
}

/**
 * When HAProxy makes a request again, on the next server (`option redispatch 1`), at most twice:
 *  - conn-failure: the connection or TLS handshake to a server failed, so the request was never sent
 *    (a server stopping, restarting or drained away): safe for every method, a POST included.
 *  - empty-response: the server closed the connection after the request was sent, answering
 *    nothing (a worker killed mid-request). The request may have run: HAProxy's retry-on does not
 *    look at the method (its manual: "it is very dangerous to use any retry-on value beside
 *    conn-failure and none" unless replaying has no consequence), so `disable-l7-retry` turns this
 *    off for everything but GET, HEAD and OPTIONS: POST /api/user/visit records a visit, an upload
 *    stores a file, and neither may happen twice. Such a request gets the 502 and the client decides.
 * Not response-timeout (a slow request would run twice) and no status codes (the app chose them).
 */
export const RETRY_RULES = [
  "retries 2",
  "retry-on conn-failure empty-response",
  "option redispatch 1",
  "# a request that reached a server is made again only when it is safe to: GET, HEAD, OPTIONS",
  "http-request disable-l7-retry unless METH_GET || METH_OPTIONS",
];

/** One `server` line (the probe reports each one). */
export function serverLine(s: LbServer, domain: string): string {
  return `server ${s.name} ${s.address}:${s.port ?? 443} ssl verify none sni str(${domain}) check check-sni ${domain} weight ${HAPROXY_WEIGHT}`;
}

function validate(o: LoadBalancerOptions): void {
  const bad: string[] = [];
  if (!/^[a-z0-9.-]+$/.test(o.domain)) bad.push(`domain ${JSON.stringify(o.domain)}`);
  if (!/^\/[A-Za-z0-9._~\/-]*$/.test(o.healthCheckPath)) bad.push(`healthCheckPath ${JSON.stringify(o.healthCheckPath)}`);
  if (o.servers.length === 0) bad.push("servers: none");
  const names = new Set<string>();
  for (const s of o.servers) {
    if (!SERVER_NAME.test(s.name) || names.has(s.name)) bad.push(`server name ${JSON.stringify(s.name)} (letters, digits, _.:- and unique)`);
    names.add(s.name);
    if (!/^[A-Za-z0-9.:-]+$/.test(s.address)) bad.push(`server address ${JSON.stringify(s.address)}`);
  }
  if (bad.length) throw new Error(`loadBalancerStep: unusable ${bad.join(", ")}`);
}

export function haproxyConfig(o: LoadBalancerOptions): string {
  validate(o);
  const https = o.httpsPort ?? 443;
  return `# Managed by aistudio (provision/loadbalancer.ts); hand edits are reported as drift and replaced.
global
    log /dev/log local0
    log /dev/log local1 notice
    chroot /var/lib/haproxy
    # the runtime API of the rollout (core/lb/haproxy.ts): root only
    stats socket ${HAPROXY_ADMIN_SOCKET} mode 600 level admin
    stats timeout 30s
    user haproxy
    group haproxy
    # the weights a rollout set survive a reload of ours (the script saves them just before)
    server-state-file ${HAPROXY_STATE_FILE}
    ssl-default-bind-ciphers ${CIPHERS}
    ssl-default-bind-ciphersuites ${TLS13_SUITES}
    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets
    ssl-default-server-options ssl-min-ver TLSv1.2

defaults
    mode http
    log global
    option httplog
    option dontlognull
    load-server-state-from-file global
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    timeout http-keep-alive 10s
    timeout queue 30s
    timeout check 2s

frontend http
    bind :80
    http-request redirect scheme https code 301

frontend https
    bind :${https} ssl crt ${HAPROXY_PEM} alpn h2,http/1.1
    # the client's address as HAProxy saw it, never one the client wrote itself
    http-request del-header X-Forwarded-For
    option forwardfor
    http-request set-header X-Forwarded-Proto https
    default_backend ${HAPROXY_BACKEND}

backend ${HAPROXY_BACKEND}
    balance roundrobin
    option httpchk
    http-check send meth GET uri ${o.healthCheckPath} ver HTTP/1.1 hdr Host ${o.domain}
    http-check expect status 200
    default-server inter 1s fall 2 rise 2
${RETRY_RULES.map((l) => `    ${l}`).join("\n")}
${o.servers.map((s) => `    ${serverLine(s, o.domain)}`).join("\n")}
`;
}

/**
 * `haproxy-server NAME line=` for each `server` line of the config file (its address and options
 * as HAProxy reads them), and a record for any server line we did not write (drift).
 */
export function serverLinesProbe(names: string[]): Probe {
  return {
    items: names.map((subject) => ({ kind: "haproxy-server", subject })),
    sh: `probe_haproxy_servers() {
  local cfg=$1 n line all; shift
  all=$(awk '$1 == "server" { n = $2; $1 = ""; $2 = ""; sub(/^ +/, ""); print n "\\t" $0 }' "$cfg" 2>/dev/null) || all=""
  for n in "$@"; do
    line=$(awk -F'\\t' -v n="$n" '$1 == n { print $2; exit }' <<<"$all")
    probe_record haproxy-server "$n" "line=\${line:-(missing)}"
  done
  while IFS=$'\\t' read -r n line; do
    if [ -n "$n" ] && ! probe_in "$n" "$@"; then probe_record haproxy-server "$n" "line=$line"; fi
  done <<<"$all"
}
probe_haproxy_servers ${words(HAPROXY_CONFIG, ...names)}`,
  };
}

/** `socket PATH mode= owner=` of the admin socket (a runtime API open to others is full control of the LB). */
export function socketProbe(path: string): Probe {
  return { items: [{ kind: "socket", subject: path }], sh: `if [ -S ${q(path)} ]; then probe_record socket ${q(path)} "mode=$(stat -c '%a' ${q(path)})" "owner=$(stat -c '%U:%G' ${q(path)})"; else probe_record socket ${q(path)} state=missing; fi` };
}

/** The header of provision/scripts/loadbalancer.sh. */
export function loadBalancerScriptVars(): ShellVars {
  return { CONFIG_PATH: HAPROXY_CONFIG, PEM_PATH: HAPROXY_PEM, STATE_FILE: HAPROXY_STATE_FILE, ADMIN_SOCKET: HAPROXY_ADMIN_SOCKET, LB_PACKAGES: [...LB_PACKAGES] };
}

export function loadBalancerStep(o: LoadBalancerOptions): Step {
  const config = haproxyConfig(o);
  const https = o.httpsPort ?? 443;
  return {
    id: "loadbalancer",
    description: `HAProxy for ${o.domain}: 80 -> 301 https, ${https} TLS1.2+/HTTP2 -> ${o.servers.map((s) => s.name).join(", ")} (health ${o.healthCheckPath})`,
    files: [
      { path: HAPROXY_CONFIG, content: config, mode: "0644" },
      { path: HAPROXY_PEM, content: `${o.certificate.trim()}\n${o.privateKey.trim()}\n`, mode: "0600", secret: true },
    ],
    apply: scriptFromFile("loadbalancer", loadBalancerScriptVars()),
    // the config as written (a hand edit changes its digest), the certificate and that the key
    // matches it (never the key), the packages, haproxy running and listening, each server line
    ...probeOf(
      fileProbe(HAPROXY_CONFIG),
      certProbe(HAPROXY_PEM),
      keyProbe(HAPROXY_PEM, HAPROXY_PEM),
      ...LB_PACKAGES.map((p) => packageProbe(p)),
      unitProbe("haproxy"),
      socketProbe(HAPROXY_ADMIN_SOCKET),
      listenProbe(80),
      listenProbe(https),
      serverLinesProbe(o.servers.map((s) => s.name)),
    ),
  };
}
