// The aistudio app: a dedicated system user, a release directory per app version, a shared
// virtualenv, the secret environment file and a hardened systemd unit running gunicorn with the
// configured WSGI entry point on 127.0.0.1:<app.port>. The app may write only its data directory
// (app.dataDir; uploads in <dataDir>/media, served by nginx). A new release is prepared beside the
// live one, its pre-start commands run in the unit's own sandbox, then `current` is switched and
// gunicorn reloaded gracefully. If the new release does not answer, `current` goes back to the
// previous release (provision/scripts/app.sh).
import { FileSpec, Step, sha256 } from "./step";
import { ShellVars, scriptFromFile } from "./shell";
import { fileProbe, linkProbe, listenProbe, probeOf, unitProbe } from "./probes";

export { APP_USER, APP_ROOT, STATIC_DIR, ENV_FILE, UNIT_PATH, SOCKET_PATH } from "../core/constants";
import { APP_USER, APP_UNIT, APP_ROOT, STATIC_DIR, ENV_FILE, UNIT_PATH, SOCKET_PATH, VISIT_PATH } from "../core/constants";

export const CONF_DIR = "/etc/aistudio";
/** gunicorn's settings file: read at start and on every graceful reload (see gunicornConf). */
export const GUNICORN_CONF = `${CONF_DIR}/gunicorn.conf.py`;
/** The group nginx's workers run as: it reads the uploads in <dataDir>/media. */
export const NGINX_GROUP = "www-data";

/** Where the app's uploads live, served by nginx at /media/. */
export const mediaDir = (dataDir: string): string => `${dataDir}/media`;

export interface AppFile {
  /** Path relative to the app directory, with forward slashes. */
  rel: string;
  content: string;
  mode?: string;
}

export interface AppOptions {
  /** The app's files (kind dir) or a git source. */
  source: { kind: "files"; files: AppFile[] } | { kind: "git"; url: string; ref: string };
  workers: number;
  /** WSGI entry point, module.path:callable (aistudio:app.wsgi), handed to gunicorn as it is. */
  wsgi: string;
  /** gunicorn listens on 127.0.0.1:<port> (aistudio:app.port); never opened to the outside. */
  port: number;
  /** The app's one writable directory (aistudio:app.dataDir); uploads go to <dataDir>/media. */
  dataDir: string;
  preStart: string[];
  env: Record<string, string>;
  /** A local PostgreSQL keeps its cluster in <dataDir>/postgresql (provision/database.ts). */
  localDatabase?: boolean;
  pipIndexUrl?: string;
}

/**
 * Pauses the app's processes (SIGSTOP) and resumes them (SIGCONT): its listening socket is systemd's
 * (aistudio.socket), so while paused the kernel keeps accepting connections and requests wait in the
 * backlog instead of failing. A rebuild pauses the old server's app while its data is handed over.
 * The gunicorn master stops first and resumes last, so it never sees its paused workers as hung (their
 * heartbeat is older than its timeout) before they run again. By pid: `systemctl kill` failed on the
 * sandboxed unit ("Failed to send signal SIGSTOP to auxiliary processes: Input/output error").
 */
export const pauseAppCommand = (): string =>
  `${APP_MAIN_PID}; ${APP_RUNNING}; kill -STOP "$main"; for p in $(pgrep -P "$main"); do kill -STOP "$p"; done`;
export const resumeAppCommand = (): string =>
  `${APP_MAIN_PID}; ${APP_RUNNING}; for p in $(pgrep -P "$main"); do kill -CONT "$p"; done; kill -CONT "$main"`;
/**
 * Retires a paused app for good, its held requests answered 502 at once (nginx's JSON) instead of
 * hanging until the client gives up: a runtime drop-in stops systemd from starting it again (neither
 * Restart= nor a connection to the socket may run it on the old data), the paused processes are
 * SIGKILLed (never resumed: they would answer from data the new server no longer shares), then the
 * socket is closed. Not `systemctl stop`: it sends SIGCONT, and the paused requests would be served.
 */
export const retireAppCommand = (): string =>
  `install -d ${RETIRED_DROPIN.replace(/\/[^/]+$/, "")} && printf '[Service]\\nRestart=no\\nExecStartPre=\\nExecStartPre=/bin/false\\n' >${RETIRED_DROPIN} && systemctl daemon-reload; ` +
  `${APP_MAIN_PID}; if [ "\${main:-0}" -gt 0 ]; then for p in $(pgrep -P "$main"); do kill -KILL "$p"; done; kill -KILL "$main"; fi; ` +
  `systemctl stop ${APP_UNIT}.socket`;
/**
 * Undoes a pause or a retire that was never followed by a switch (a rebuild stopped in between): the
 * retire's drop-in goes, paused processes get SIGCONT, and the socket and service start. Harmless on
 * an app that runs.
 */
export const reviveAppCommand = (): string =>
  `rm -f ${RETIRED_DROPIN} && systemctl daemon-reload; ` +
  `${APP_MAIN_PID}; if [ "\${main:-0}" -gt 0 ]; then for p in $(pgrep -P "$main"); do kill -CONT "$p"; done; kill -CONT "$main"; fi; ` +
  `systemctl start ${APP_UNIT}.socket ${APP_UNIT}.service`;
/** The retire's runtime drop-in (gone at the next boot, like the retire itself). */
const RETIRED_DROPIN = `/run/systemd/system/${APP_UNIT}.service.d/zz-retired.conf`;
/** The shell lines they share: the gunicorn master's pid in $main, and a refusal when there is none. */
const APP_MAIN_PID = `main=$(systemctl show -p MainPID --value ${APP_UNIT}.service)`;
const APP_RUNNING = `[ "\${main:-0}" -gt 0 ] || { echo "${APP_UNIT}.service is not running" >&2; exit 3; }`;

/** A release id that changes exactly when the code changes: only `source` counts. */
export function releaseId(o: Pick<AppOptions, "source"> & Partial<AppOptions>): string {
  if (o.source.kind === "git") return "git-" + sha256(o.source.url + "#" + o.source.ref).slice(0, 12);
  const h = sha256(
    o.source.files
      .slice()
      .sort((a, b) => a.rel.localeCompare(b.rel))
      .map((f) => `${f.rel}\0${f.mode ?? "0644"}\0${sha256(f.content)}`)
      .join("\0"),
  );
  return h.slice(0, 12);
}

export function envFileContent(env: Record<string, string>): string {
  // systemd EnvironmentFile syntax: KEY="value" with \ and " escaped.
  return Object.keys(env)
    .sort()
    .map((k) => `${k}="${env[k].replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`)
    .join("\n") + (Object.keys(env).length ? "\n" : "");
}

/**
 * What the app finds in its environment besides the secret environment file: where it may write.
 * (AISTUDIO_RELEASE comes from gunicornConf, so that it follows a graceful reload.)
 */
export function appEnvironment(dataDir: string): string[] {
  return ["PYTHONUNBUFFERED=1", `AISTUDIO_DATA_DIR=${dataDir}`, `AISTUDIO_MEDIA_DIR=${mediaDir(dataDir)}`];
}

/**
 * The unit's sandbox, one systemd setting a line; the pre-start commands run in the same one
 * (provision/scripts/app.sh hands each line to systemd-run -p). Nothing is writable but the data
 * directory. UMask 0027: what the app writes is never world-readable; its uploads are readable by
 * nginx through the setgid group of <dataDir>/media (see app.sh), its database is not.
 */
export function sandbox(dataDir: string): string[] {
  return [
    "UMask=0027",
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    `ReadWritePaths=${dataDir}`,
    "ProtectHome=yes",
    "PrivateTmp=yes",
    "PrivateDevices=yes",
    "DevicePolicy=closed",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectKernelLogs=yes",
    "ProtectControlGroups=yes",
    "ProtectClock=yes",
    "ProtectHostname=yes",
    "ProtectProc=invisible",
    "ProcSubset=pid",
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
    "RestrictNamespaces=yes",
    "RestrictRealtime=yes",
    "RestrictSUIDSGID=yes",
    "LockPersonality=yes",
    "MemoryDenyWriteExecute=yes",
    "RemoveIPC=yes",
    "CapabilityBoundingSet=",
    "AmbientCapabilities=",
    "SystemCallArchitectures=native",
    "SystemCallFilter=@system-service",
    "SystemCallFilter=~@clock @cpu-emulation @debug @module @mount @obsolete @raw-io @reboot @swap @resources @chown",
    "SystemCallErrorNumber=EPERM",
  ];
}

export function unitFile(o: Pick<AppOptions, "workers" | "wsgi" | "port" | "dataDir">): string {
  return `# Managed by aistudio-infra (pulumi). Local edits are reported as drift and reverted by \`pulumi up\`.
[Unit]
Description=aistudio backend (gunicorn, WeChat mini program API)
Documentation=https://photogooo.com
# a local database starts first; the data dir's volume must be mounted (never write to the system disk under it)
After=network-online.target postgresql.service ${APP_UNIT}.socket
Wants=network-online.target
RequiresMountsFor=${o.dataDir}
# systemd holds the listening socket (aistudio.socket) and hands it to gunicorn (LISTEN_FDS; --bind is
# then only documentation): a restart of gunicorn queues requests in the socket instead of failing them
Requires=${APP_UNIT}.socket

[Service]
Type=exec
User=${APP_USER}
Group=${APP_USER}
WorkingDirectory=${APP_ROOT}/current
EnvironmentFile=${ENV_FILE}
${appEnvironment(o.dataDir).map((e) => `Environment=${e}`).join("\n")}
ExecStart=${APP_ROOT}/venv/bin/python -m gunicorn -c ${GUNICORN_CONF} --bind 127.0.0.1:${o.port} --workers ${o.workers} --pythonpath ${APP_ROOT}/current --graceful-timeout 20 --access-logfile - --error-logfile - ${o.wsgi}
ExecReload=/bin/kill -s HUP $MAINPID
Restart=on-failure
RestartSec=1
KillMode=mixed
TimeoutStopSec=30

# Sandbox: the app may write only its data directory; the pre-start commands run in the same one.
# gunicorn's workers call setuid() to their own uid, so @setuid stays allowed; with no capabilities
# and NoNewPrivileges they cannot change to any other user.
${sandbox(o.dataDir).join("\n")}

[Install]
WantedBy=multi-user.target
`;
}

/**
 * The app's listening socket: systemd opens 127.0.0.1:<app.port> and hands it to gunicorn at every
 * start. A restart of gunicorn (an environment, unit or virtualenv change) closes nothing: the kernel
 * queues what arrives meanwhile (up to Backlog) and the new gunicorn accepts it, so no request fails.
 * Only a change of the socket itself (app.port) stops the port for a moment (provision/scripts/app.sh).
 */
export function socketFile(port: number): string {
  return `# Managed by aistudio-infra (pulumi). Local edits are reported as drift and reverted by \`pulumi up\`.
[Unit]
Description=aistudio backend's listening socket (127.0.0.1:${port}), kept open across gunicorn restarts

[Socket]
ListenStream=127.0.0.1:${port}
# a restart is a few seconds: the kernel holds the connections that arrive meanwhile
Backlog=2048
NoDelay=true

[Install]
WantedBy=sockets.target
`;
}

/**
 * gunicorn's settings file (-c): it sets AISTUDIO_RELEASE to the release `current` points to.
 * gunicorn reads it at start and again on a graceful reload (HUP), so the variable follows a
 * release switch without a restart; an Environment= line in the unit would keep the old value.
 */
export function gunicornConf(releaseFile = `${APP_ROOT}/current/RELEASE`): string {
  return `# Managed by aistudio-infra (pulumi). Local edits are reported as drift and reverted by \`pulumi up\`.
# Read by gunicorn at start and on every graceful reload (HUP): AISTUDIO_RELEASE names the live release.
try:
    with open(${JSON.stringify(releaseFile)}, encoding="utf-8") as f:
        raw_env = ["AISTUDIO_RELEASE=" + f.read().strip()]
except OSError:
    pass
`;
}

/** The header of provision/scripts/app.sh: every value the app step's apply script uses. */
export function appScriptVars(o: AppOptions): ShellVars {
  return {
    APP_USER,
    APP_UNIT,
    APP_PORT: o.port,
    VISIT_URL_PATH: VISIT_PATH,
    APP_ROOT,
    STATIC_DIR,
    DATA_DIR: o.dataDir,
    // others may traverse (not list) the data dir only when postgres must reach its cluster inside
    DATA_DIR_MODE: o.localDatabase ? "0751" : "0750",
    MEDIA_DIR: mediaDir(o.dataDir),
    NGINX_GROUP,
    CONF_DIR,
    ENV_FILE,
    UNIT_PATH,
    SOCKET_PATH,
    GUNICORN_CONF,
    RELEASE_ID: releaseId(o),
    SOURCE_KIND: o.source.kind,
    GIT_URL: o.source.kind === "git" ? o.source.url : "",
    GIT_REF: o.source.kind === "git" ? o.source.ref : "",
    PIP_INDEX_URL: o.pipIndexUrl ?? "",
    PRE_START: o.preStart,
    APP_ENVIRONMENT: appEnvironment(o.dataDir),
    SANDBOX: sandbox(o.dataDir),
  };
}

export function appStep(o: AppOptions): Step {
  const rid = releaseId(o);
  const rel = `${APP_ROOT}/releases/${rid}`;
  const files: FileSpec[] = [
    { path: UNIT_PATH, content: unitFile(o), mode: "0644" },
    { path: SOCKET_PATH, content: socketFile(o.port), mode: "0644" },
    { path: GUNICORN_CONF, content: gunicornConf(), mode: "0644" },
    { path: ENV_FILE, content: envFileContent(o.env), mode: "0600", secret: true },
  ];
  if (o.source.kind === "files") {
    for (const f of o.source.files) files.push({ path: `${rel}.incoming/${f.rel}`, content: f.content, mode: f.mode ?? "0644" });
  }
  return {
    id: "app",
    description: `aistudio release ${rid}: gunicorn ${o.wsgi} on 127.0.0.1:${o.port} under a hardened systemd unit, writing only ${o.dataDir}`,
    files,
    apply: scriptFromFile("app", appScriptVars(o)),
    ...probeOf(
      fileProbe(UNIT_PATH), fileProbe(SOCKET_PATH), fileProbe(GUNICORN_CONF), fileProbe(ENV_FILE), linkProbe(`${APP_ROOT}/current`),
      unitProbe(`${APP_UNIT}.socket`), unitProbe(APP_UNIT), listenProbe(o.port),
    ),
  };
}
