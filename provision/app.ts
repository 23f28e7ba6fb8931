// The aistudio app: a dedicated system user, a release directory per app version, a shared
// virtualenv, the secret environment file and a hardened systemd unit running gunicorn on
// 127.0.0.1:8000. A new release is prepared beside the live one, its pre-start commands run in the
// unit's own sandbox, then `current` is switched and gunicorn reloaded gracefully. If the new
// release does not answer, `current` goes back to the previous release (provision/scripts/app.sh).
import { FileSpec, Step, sha256 } from "./step";
import { ShellVars, scriptFromFile } from "./shell";
import { fileProbe, linkProbe, listenProbe, probeOf, unitProbe } from "./probes";

export { APP_USER, APP_ROOT, MEDIA_DIR, STATIC_DIR, ENV_FILE, UNIT_PATH, APP_PORT } from "../core/constants";
import { APP_USER, APP_UNIT, APP_ROOT, MEDIA_DIR, STATIC_DIR, ENV_FILE, UNIT_PATH, APP_PORT, VISIT_PATH } from "../core/constants";

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
  /** WSGI entry point, module:callable. */
  wsgi: string;
  preStart: string[];
  env: Record<string, string>;
  pipIndexUrl?: string;
}

/** A release id that changes exactly when the code changes. */
export function releaseId(o: AppOptions): string {
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

export function unitFile(o: { workers: number; wsgi: string }): string {
  return `# Managed by aistudio-infra (pulumi). Local edits are reported as drift and reverted by \`pulumi up\`.
[Unit]
Description=aistudio backend (gunicorn, WeChat mini program API)
Documentation=https://photogooo.com
After=network-online.target
Wants=network-online.target

[Service]
Type=exec
User=${APP_USER}
Group=${APP_USER}
WorkingDirectory=${APP_ROOT}/current
EnvironmentFile=${ENV_FILE}
Environment=PYTHONUNBUFFERED=1
ExecStart=${APP_ROOT}/venv/bin/python -m gunicorn --bind 127.0.0.1:${APP_PORT} --workers ${o.workers} --pythonpath ${APP_ROOT}/current --graceful-timeout 20 --access-logfile - --error-logfile - ${o.wsgi}
ExecReload=/bin/kill -s HUP $MAINPID
Restart=on-failure
RestartSec=1
KillMode=mixed
TimeoutStopSec=30

# Sandbox: the app may write only its media directory.
UMask=0027
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=${MEDIA_DIR}
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
DevicePolicy=closed
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
ProcSubset=pid
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
RemoveIPC=yes
CapabilityBoundingSet=
AmbientCapabilities=
SystemCallArchitectures=native
SystemCallFilter=@system-service
# gunicorn's workers call setuid() to their own uid, so @setuid stays allowed; with no capabilities
# and NoNewPrivileges they cannot change to any other user.
SystemCallFilter=~@clock @cpu-emulation @debug @module @mount @obsolete @raw-io @reboot @swap @resources @chown
SystemCallErrorNumber=EPERM

[Install]
WantedBy=multi-user.target
`;
}

/** The header of provision/scripts/app.sh: every value the app step's apply script uses. */
export function appScriptVars(o: AppOptions): ShellVars {
  return {
    APP_USER,
    APP_UNIT,
    APP_PORT,
    VISIT_URL_PATH: VISIT_PATH,
    APP_ROOT,
    STATIC_DIR,
    STATE_DIR: "/var/lib/aistudio",
    MEDIA_DIR,
    CONF_DIR: "/etc/aistudio",
    ENV_FILE,
    UNIT_PATH,
    RELEASE_ID: releaseId(o),
    SOURCE_KIND: o.source.kind,
    GIT_URL: o.source.kind === "git" ? o.source.url : "",
    GIT_REF: o.source.kind === "git" ? o.source.ref : "",
    PIP_INDEX_URL: o.pipIndexUrl ?? "",
    PRE_START: o.preStart,
  };
}

export function appStep(o: AppOptions): Step {
  const rid = releaseId(o);
  const rel = `${APP_ROOT}/releases/${rid}`;
  const files: FileSpec[] = [
    { path: UNIT_PATH, content: unitFile(o), mode: "0644" },
    { path: ENV_FILE, content: envFileContent(o.env), mode: "0600", secret: true },
  ];
  if (o.source.kind === "files") {
    for (const f of o.source.files) files.push({ path: `${rel}.incoming/${f.rel}`, content: f.content, mode: f.mode ?? "0644" });
  }
  return {
    id: "app",
    description: `aistudio release ${rid}: gunicorn on 127.0.0.1:${APP_PORT} under a hardened systemd unit`,
    files,
    apply: scriptFromFile("app", appScriptVars(o)),
    ...probeOf(fileProbe(UNIT_PATH), fileProbe(ENV_FILE), linkProbe(`${APP_ROOT}/current`), unitProbe(APP_UNIT), listenProbe(APP_PORT)),
  };
}
