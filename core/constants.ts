// Names and places shared by the provisioning steps, the checks and the commands: the one
// definition of each. (Issue #11 turns the app's port into config; until then it is fixed here.)

/** The system user gunicorn runs as. */
export const APP_USER = "aistudio";
/** The systemd unit of the backend. */
export const APP_UNIT = "aistudio";
/** The local fleet's HAProxy backend holding the servers (provision/loadbalancer.ts; issue #15). */
export const LB_BACKEND = "aistudio";
/** Where gunicorn listens (127.0.0.1 only): the troubleshooting guide's port. */
export const APP_PORT = 8000;
export const APP_ROOT = "/srv/aistudio";
export const MEDIA_DIR = "/var/lib/aistudio/media";
export const STATIC_DIR = `${APP_ROOT}/static`;
export const ENV_FILE = "/etc/aistudio/aistudio.env";
export const UNIT_PATH = "/etc/systemd/system/aistudio.service";
/** The app's listening socket, held by systemd: it outlives gunicorn's restarts (provision/app.ts socketFile). */
export const SOCKET_PATH = "/etc/systemd/system/aistudio.socket";

export const TLS_DIR = "/etc/aistudio/tls";
/** The certificate nginx serves: leaf + intermediates. */
export const FULLCHAIN = `${TLS_DIR}/fullchain.pem`;
export const PRIVKEY = `${TLS_DIR}/privkey.pem`;
export const ACME_WEBROOT = "/var/www/acme";

export const NGINX_SITE_PATH = "/etc/nginx/sites-available/aistudio.conf";
export const NGINX_SITE_LINK = "/etc/nginx/sites-enabled/aistudio.conf";
export const NGINX_ERROR_LOG = "/var/log/nginx/error.log";

/** The guide's smoke request. */
export const VISIT_PATH = "/api/user/visit";

/** The backup tool on the server (provision/backup.ts installs it; the doctor asks it for its status). */
export const BACKUP_TOOL = "/usr/local/sbin/aistudio-backup";

/** Written by a package whose update needs a reboot (provision/updates.ts; the doctor's reboot-required check). */
export const REBOOT_REQUIRED = "/run/reboot-required";
/** fail2ban's jail for sshd (provision/fail2ban.ts JAIL; the doctor's fail2ban check). */
export const FAIL2BAN_JAIL = "sshd";
