// The database: `database.mode local` runs PostgreSQL from the distribution on the server, its
// cluster on the data volume, reachable only over the unix socket (provision/scripts/database.sh);
// `external` only hands the app its URL; `none` leaves the app its own file database (SQLite) in
// its data dir. Either way the app finds DATABASE_URL in its environment (databaseUrl).
import { Step } from "./step";
import { scriptFromFile } from "./shell";
import { fileProbe, listenProbe, probeOf, unitProbe } from "./probes";

/** PostgreSQL's socket directory on Debian and Ubuntu. */
export const PG_SOCKET_DIR = "/run/postgresql";
export const PG_CONF = "/etc/aistudio/postgresql.conf";
export const PG_HBA = "/etc/aistudio/pg_hba.conf";
export const DB_PASSWORD_FILE = "/etc/aistudio/database.password";
/** Every cluster unit (postgresql@<major>-main) waits for the data volume. */
export const PG_DROPIN = "/etc/systemd/system/postgresql@.service.d/aistudio-volume.conf";

export interface LocalDatabaseOptions {
  /** The app's data dir, on the data volume: the cluster lives in <dataDir>/postgresql. */
  dataDir: string;
  name: string;
  user: string;
  /** Secret: staged in a root-only file, read by the script, sent to psql on stdin. */
  password: string;
}

/** The URL the app gets for a local database: the unix socket, password authentication. */
export function localDatabaseUrl(o: Pick<LocalDatabaseOptions, "name" | "user" | "password">): string {
  return `postgresql://${o.user}:${encodeURIComponent(o.password)}@/${o.name}?host=${PG_SOCKET_DIR}`;
}

export function postgresConf(): string {
  return [
    "# aistudio (provision/database.ts): the app's database, reachable only over the unix socket.",
    "listen_addresses = ''",
    `unix_socket_directories = '${PG_SOCKET_DIR}'`,
    `hba_file = '${PG_HBA}'`,
    "password_encryption = 'scram-sha-256'",
    "",
  ].join("\n");
}

/** Who may connect: postgres itself (peer: backups, maintenance) and the app's role with its password. */
export function pgHba(o: Pick<LocalDatabaseOptions, "name" | "user">): string {
  return [
    "# aistudio (provision/database.ts): unix socket only; nothing over TCP.",
    "local   all        postgres   peer",
    `local   ${o.name}   ${o.user}   scram-sha-256`,
    "",
  ].join("\n");
}

export function localDatabaseStep(o: LocalDatabaseOptions): Step {
  return {
    id: "database",
    description: `PostgreSQL on the data volume (${o.dataDir}/postgresql), database ${o.name}, unix socket only`,
    files: [
      { path: DB_PASSWORD_FILE, content: o.password, mode: "0600", secret: true },
      { path: PG_CONF, content: postgresConf(), mode: "0644" },
      { path: PG_HBA, content: pgHba(o), mode: "0640" },
    ],
    apply: scriptFromFile("database", {
      DATA_DIR: o.dataDir,
      DB_NAME: o.name,
      DB_USER: o.user,
      PASSWORD_FILE: DB_PASSWORD_FILE,
      PG_CONF,
      HBA_FILE: PG_HBA,
      DROPIN: PG_DROPIN,
      CREATECLUSTER_CONF: "/etc/postgresql-common/createcluster.conf",
      PG_LIB: "/usr/lib/postgresql",
      PG_ETC: "/etc/postgresql",
    }),
    // nothing may listen on 5432: the database is not reachable from another host
    ...probeOf(fileProbe(PG_CONF), fileProbe(PG_HBA), fileProbe(DB_PASSWORD_FILE), unitProbe("postgresql"), listenProbe(5432)),
  };
}
