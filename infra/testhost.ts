// Reads a test host's record (written by scripts/testhost.sh) so the local stack can target it:
// address, pinned host key and the SSH key that the test host trusts.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface TesthostRecord {
  name: string;
  host: string;
  port: number;
  user: string;
  hostKey: string;
  privateKeyPath: string;
  root: string;
  /** The data volume attached as /dev/vdb (testhost.sh up NAME --volume VOL), if any. */
  volume?: string;
}

export function testhostStateDir(): string {
  return process.env.AISTUDIO_TESTHOST_STATE ?? "/var/lib/aistudio-testhost";
}

export function testhostCacheDir(): string {
  return path.join(process.env.AISTUDIO_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "aistudio-infra"), "testhost");
}

export function readTesthost(name: string): TesthostRecord {
  const dir = path.join(testhostStateDir(), "hosts", name);
  if (!fs.existsSync(path.join(dir, "ip"))) {
    throw new Error(`aistudio:testhost: no test host named "${name}" (looked in ${dir}). Boot it with \`npm run testhost -- up ${name}\`.`);
  }
  const pub = fs.readFileSync(path.join(dir, "root/etc/ssh/ssh_host_ed25519_key.pub"), "utf8").trim().split(/\s+/);
  return {
    name,
    host: fs.readFileSync(path.join(dir, "ip"), "utf8").trim(),
    port: 22,
    user: "root",
    hostKey: `${pub[0]} ${pub[1]}`,
    privateKeyPath: path.join(testhostCacheDir(), "id_ed25519"),
    root: path.join(dir, "root"),
    volume: fs.existsSync(path.join(dir, "volume")) ? fs.readFileSync(path.join(dir, "volume"), "utf8").trim() : undefined,
  };
}

/** An S3 object store on a test host (scripts/objectstore.sh): the local stack's stand-in for OSS. */
export interface ObjectstoreRecord {
  name: string;
  host: string;
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export function readObjectstore(name: string): ObjectstoreRecord {
  const file = path.join(testhostStateDir(), "hosts", name, "objectstore.json");
  if (!fs.existsSync(file)) {
    throw new Error(`no object store named "${name}" (looked for ${file}). Boot it with \`bash scripts/objectstore.sh up ${name}\`.`);
  }
  return JSON.parse(fs.readFileSync(file, "utf8")) as ObjectstoreRecord;
}
