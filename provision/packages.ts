// Packages and base: exactly what the server needs, installed unattended on Debian 12 and
// Ubuntu 22.04/24.04 (the Alibaba Cloud images), plus the Debian packages the app needs
// (aistudio:app.packages) — provision/scripts/packages.sh.
import { Step } from "./step";
import { ShellVars, scriptFromFile } from "./shell";
import { packageProbe, probeOf } from "./probes";

/** Debian/Ubuntu package names the other steps rely on. */
export const PACKAGES = [
  "nginx",        // reverse proxy + TLS termination
  "certbot",      // ACME client (tls.mode acme); Debian ships certbot.timer for renewal
  "openssl",      // self-signed bootstrap certificate, certificate checks
  "ufw",          // host firewall
  "python3-venv", // the app's virtualenv
  "gunicorn",     // WSGI server; the venv sees it through --system-site-packages when no PyPI is reachable
  "ca-certificates",
  "git",          // app.git sources
  "fail2ban",     // bans addresses that keep failing SSH logins (provision/fail2ban.ts)
  "python3-systemd", // fail2ban reads sshd's journal with it (Debian 12 has no auth.log)
  "nftables",     // fail2ban's bans, in their own table ahead of ufw
  "logrotate",    // rotates nginx's logs (Debian's nginx ships /etc/logrotate.d/nginx; minimal images lack logrotate)
] as const;

/** The config key that lists the app's packages: an unknown one fails the step naming it. */
export const APP_PACKAGES_KEY = "aistudio:app.packages";

/**
 * The load-balancer host of the local fleet (issue #15; HAProxy standing in for ALB): the
 * firewall, SSH protection and logs as on the servers, no nginx (HAProxy holds 80 and 443).
 */
export const LOAD_BALANCER_PACKAGES = ["haproxy", "socat", "ufw", "ca-certificates", "fail2ban", "python3-systemd", "nftables", "logrotate"] as const;

export interface PackagesOptions {
  /** What the steps rely on: PACKAGES (a server) unless given (LOAD_BALANCER_PACKAGES). */
  base?: readonly string[];
  /** The app's own Debian packages (e.g. python3-pil); the venv sees them (--system-site-packages). */
  app: string[];
  /** What the data features need (dataPackages): restic, the PostgreSQL client and driver. */
  data?: string[];
}

/** The packages of the data features: backups (restic), a PostgreSQL database (client, driver). */
export function dataPackages(o: { backup: boolean; database: "none" | "local" | "external" }): string[] {
  return [
    ...(o.backup ? ["restic"] : []),
    // pg_dump for backups of an external database; the sample app's driver (the venv sees it)
    ...(o.database !== "none" ? ["postgresql-client", "python3-psycopg2"] : []),
  ];
}

const ours = (o: PackagesOptions): string[] => [...new Set([...(o.base ?? PACKAGES), ...(o.data ?? [])])];

/** Every package the step installs and probes: ours, then the app's (without repeats). */
export function allPackages(o: PackagesOptions): string[] {
  return [...new Set([...ours(o), ...o.app])];
}

/** The header of provision/scripts/packages.sh. */
export function packagesScriptVars(o: PackagesOptions): ShellVars {
  return { PACKAGES: ours(o), APP_PACKAGES: allPackages(o).slice(ours(o).length), APP_PACKAGES_KEY };
}

export function packagesStep(o: PackagesOptions = { app: [] }): Step {
  const app = allPackages(o).slice(ours(o).length);
  return {
    id: "packages",
    description: o.base ? `install ${o.base.join(", ")}` : `install nginx, certbot, ufw, python3-venv, gunicorn${app.length ? ` and the app's ${app.join(", ")}` : ""}`,
    files: [],
    apply: scriptFromFile("packages", packagesScriptVars(o)),
    ...probeOf(...allPackages(o).map((p) => packageProbe(p))),
  };
}
