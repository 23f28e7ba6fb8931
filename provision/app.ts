// The aistudio app: a dedicated system user, a release directory per app version, a shared
// virtualenv, the secret environment file and a hardened systemd unit running gunicorn on
// 127.0.0.1:8000. A new release is prepared beside the live one, its pre-start commands run in the
// unit's own sandbox, then `current` is switched and gunicorn reloaded gracefully. If the new
// release does not answer, `current` goes back to the previous release.
import { FileSpec, Step, sha256 } from "./step";
import { q } from "./shell";
import { fileProbe, linkProbe, listenProbe, probeOf, unitProbe } from "./probes";

export { APP_USER, APP_ROOT, MEDIA_DIR, STATIC_DIR, ENV_FILE, UNIT_PATH, APP_PORT } from "../core/constants";
import { APP_USER, APP_ROOT, MEDIA_DIR, STATIC_DIR, ENV_FILE, UNIT_PATH, APP_PORT } from "../core/constants";

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

function visitProbe(): string {
  return `curl -fsS -m 3 -H 'Content-Type: application/json' -d '{"sessionId":"aistudio-deploy-check","type":"launch"}' http://127.0.0.1:${APP_PORT}/api/user/visit`;
}

export function appStep(o: AppOptions): Step {
  const rid = releaseId(o);
  const rel = `${APP_ROOT}/releases/${rid}`;
  const unit = unitFile(o);
  const files: FileSpec[] = [
    { path: UNIT_PATH, content: unit, mode: "0644" },
    { path: ENV_FILE, content: envFileContent(o.env), mode: "0600", secret: true },
  ];
  let fetch: string;
  if (o.source.kind === "files") {
    for (const f of o.source.files) files.push({ path: `${rel}.incoming/${f.rel}`, content: f.content, mode: f.mode ?? "0644" });
    fetch = `mv ${q(rel + ".incoming")} ${q(rel + ".tmp")}
  find ${q(rel + ".tmp")} -name '*.aistudio-new' -exec sh -c 'mv "$1" "\${1%.aistudio-new}"' _ {} \\;`;
  } else {
    fetch = `git clone --quiet --depth 1 --branch ${q(o.source.ref)} ${q(o.source.url)} ${q(rel + ".tmp")}`;
  }
  const pipIndex = o.pipIndexUrl ? ` --index-url ${q(o.pipIndexUrl)}` : " --no-index";
  const preStart = o.preStart
    .map(
      (cmd) => `echo "pre-start: ${cmd.replace(/["\\$`]/g, "\\$&")}"
systemd-run --quiet --wait --pipe --collect --service-type=exec -p User=${APP_USER} -p Group=${APP_USER} \\
  -p EnvironmentFile=${ENV_FILE} -p WorkingDirectory=${q(rel + ".tmp")} -p Environment=PATH=${APP_ROOT}/venv/bin:/usr/bin:/bin \\
  -p ReadWritePaths=${MEDIA_DIR} -p ReadWritePaths=${STATIC_DIR} -p ProtectSystem=strict -p ProtectHome=yes -p PrivateTmp=yes \\
  /bin/sh -c ${q(cmd)} || { echo "pre-start command failed: the release ${rid} was not activated; the previous release keeps serving" >&2; rm -rf ${q(rel + ".tmp")}; exit 1; }`,
    )
    .join("\n");

  return {
    id: "app",
    description: `aistudio release ${rid}: gunicorn on 127.0.0.1:${APP_PORT} under a hardened systemd unit`,
    files,
    apply: `
getent group ${APP_USER} >/dev/null || groupadd --system ${APP_USER}
id -u ${APP_USER} >/dev/null 2>&1 || useradd --system --gid ${APP_USER} --home-dir ${APP_ROOT} --no-create-home --shell /usr/sbin/nologin ${APP_USER}
install -d -m 0755 -o root -g root ${APP_ROOT} ${APP_ROOT}/releases /etc/aistudio
install -d -m 0755 -o ${APP_USER} -g ${APP_USER} ${STATIC_DIR}
install -d -m 0755 -o root -g root /var/lib/aistudio
install -d -m 2750 -o ${APP_USER} -g www-data ${MEDIA_DIR}

put_file ${ENV_FILE} 0600 root root; env_changed=$CHANGED; CHANGED=0
put_file ${UNIT_PATH} 0644 root root; unit_changed=$CHANGED; CHANGED=0

# virtualenv shared by releases; it sees Debian's gunicorn through --system-site-packages
if ! [ -x ${APP_ROOT}/venv/bin/python ]; then
  python3 -m venv --system-site-packages ${APP_ROOT}/venv
  venv_changed=1
else
  venv_changed=0
fi

# the release
# a release is complete once its RELEASE file exists (written last)
if [ -f ${q(rel + "/RELEASE")} ]; then
  rm -rf ${q(rel + ".incoming")}
else
  echo "preparing release ${rid}"
  rm -rf ${q(rel)} ${q(rel + ".tmp")}
  ${fetch}
  chown -R root:root ${q(rel + ".tmp")}; chmod -R go-w ${q(rel + ".tmp")}
  if [ -f ${q(rel + ".tmp/requirements.txt")} ]; then
    req=$(sha256sum < ${q(rel + ".tmp/requirements.txt")} | cut -d' ' -f1)
    if [ "$(cat ${APP_ROOT}/venv/.requirements.sha256 2>/dev/null)" != "$req" ]; then
      echo "installing requirements into ${APP_ROOT}/venv"
      ${APP_ROOT}/venv/bin/pip install --quiet --disable-pip-version-check${pipIndex} -r ${q(rel + ".tmp/requirements.txt")}
      echo "$req" > ${APP_ROOT}/venv/.requirements.sha256
      venv_changed=1
    fi
  fi
${preStart}
  echo ${q(rid)} > ${q(rel + ".tmp/RELEASE")}
  mv -T ${q(rel + ".tmp")} ${q(rel)}
fi

prev=$(readlink ${APP_ROOT}/current 2>/dev/null || true)
systemctl daemon-reload
systemctl enable aistudio.service >/dev/null 2>&1
if [ "$prev" != ${q(rel)} ]; then
  ln -sfn ${q(rel)} ${APP_ROOT}/current.new && mv -Tf ${APP_ROOT}/current.new ${APP_ROOT}/current
  [ -n "$prev" ] && echo "$prev" > ${APP_ROOT}/previous
  code_changed=1
else
  code_changed=0
fi

if ! systemctl is-active --quiet aistudio; then
  systemctl start aistudio || true
elif [ "$env_changed$unit_changed$venv_changed" != "000" ]; then
  echo "restarting aistudio (unit, environment or virtualenv changed)"
  systemctl restart aistudio || true
elif [ "$code_changed" = 1 ]; then
  echo "reloading aistudio gracefully (new release ${rid})"
  systemctl reload aistudio || true
fi

# the new release must answer; otherwise go back to the previous one
ok=0
for i in $(seq 1 40); do
  # the app must answer JSON on 127.0.0.1:${APP_PORT}; the business answer is the smoke test's job
  if out=$(${visitProbe()} 2>/dev/null) && [[ "$out" == "{"* ]]; then ok=1; break; fi
  sleep 0.5
done
if [ "$ok" != 1 ]; then
  echo "aistudio does not answer POST /api/user/visit on 127.0.0.1:${APP_PORT} after the deploy" >&2
  journalctl -u aistudio -n 30 --no-pager >&2 || true
  if [ "$code_changed" = 1 ] && [ -n "$prev" ] && [ -d "$prev" ]; then
    echo "rolling back to $prev" >&2
    ln -sfn "$prev" ${APP_ROOT}/current.new && mv -Tf ${APP_ROOT}/current.new ${APP_ROOT}/current
    systemctl restart aistudio || true
  fi
  exit 1
fi

# keep the live release and the previous one
keep1=$(readlink -f ${APP_ROOT}/current); keep2=$(cat ${APP_ROOT}/previous 2>/dev/null || true)
for d in ${APP_ROOT}/releases/*; do
  [ -d "$d" ] || continue
  [ "$d" = "$keep1" ] || [ "$d" = "$keep2" ] || [[ "$d" == *.incoming ]] || rm -rf "$d"
done
`,
    ...probeOf(fileProbe(UNIT_PATH), fileProbe(ENV_FILE), linkProbe(`${APP_ROOT}/current`), unitProbe("aistudio"), listenProbe(APP_PORT)),
  };
}
