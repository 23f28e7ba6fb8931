// The data figures (issue #12): backup and restore of the uploads and a database with many visits,
// against the floor (tar | ssh of the same data, in the same run), and a rebuild that keeps the
// data against a plain rebuild. Hosts: an object store (SeaweedFS, OSS's stand-in), a server with
// its volume, local PostgreSQL and backups, and a plain server for the plain rebuild.
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { booted, bootHost, downHost, hostCmd } from "./hosts";
import { REPO, say } from "./repo";
import { BenchStack, benchConfig } from "./stack";
import { must, pulumiOut } from "./scenarios";
import { rebuild } from "../stacks/rebuild";
import { testhostCacheDir } from "../infra/testhost";
import { round } from "./stats";

export interface DataOptions {
  /** MiB of uploads (4 MiB random files). */
  uploadsMiB: number;
  visits: number;
}

export interface DataResults {
  uploadsMiB: number;
  visits: number;
  /** Bytes restic reports processed by the backup. */
  backupBytes: number;
  backup: { ours: number; floor: number; oursOverFloor: number | null };
  restore: { ours: number; floor: number; oursOverFloor: number | null };
  /** pausedSeconds: how long the old app was paused (requests waiting) while the data was handed over. */
  rebuild: { withData: number; plain: number; withDataOverPlain: number | null; data: string; pausedSeconds?: number };
}

const S3 = "bn-s3";
const DATA = "bn-d1";
const PLAIN = "bn-p1";
const VOLUME = "bn-dvol";
const TESTHOST = path.join(REPO, "scripts/testhost.sh");
const seconds = async (f: () => Promise<unknown> | unknown): Promise<number> => {
  const t0 = Date.now();
  await f();
  return round((Date.now() - t0) / 1000, 2);
};
const ratio = (a: number, b: number) => (b > 0 ? round(a / b, 2) : null);

/** ssh to a test host as root, for the floor's pipes (the same key and pinned host key as testhost.sh ssh). */
function sshArgs(host: string): string[] {
  return ["-i", path.join(testhostCacheDir(), "id_ed25519"), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", `root@${host}`];
}

export async function dataBench(o: DataOptions, newStack: (name: string, config: Record<string, unknown>) => Promise<BenchStack>): Promise<DataResults> {
  say(`data: object store ${S3}, server ${DATA} with volume ${VOLUME}, plain server ${PLAIN}`);
  booted.add(S3);
  booted.add(DATA);
  try { execFileSync("bash", [TESTHOST, "down", S3], { stdio: "ignore" }); } catch { /* not there */ }
  execFileSync("bash", [path.join(REPO, "scripts/objectstore.sh"), "up", S3], { stdio: ["ignore", "ignore", "inherit"] });
  try { execFileSync("bash", [TESTHOST, "down", DATA], { stdio: "ignore" }); } catch { /* not there */ }
  try { execFileSync("bash", [TESTHOST, "volume", "rm", VOLUME], { stdio: "ignore" }); } catch { /* not there */ }
  execFileSync("bash", [TESTHOST, "up", DATA, "--volume", VOLUME], { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, AISTUDIO_VOLUME_SIZE: `${Math.max(4, Math.ceil((o.uploadsMiB * 3) / 1024) + 2)}G` } });
  const plainRec = await bootHost(PLAIN);
  const s3ip = JSON.parse(execFileSync("bash", [path.join(REPO, "scripts/objectstore.sh"), "info", S3], { encoding: "utf8" })).host as string;
  const dataIp = JSON.parse(execFileSync("bash", [TESTHOST, "ls", "--json"], { encoding: "utf8" })).find((h: { name: string }) => h.name === DATA).host as string;

  const stack = await newStack("data", { ...benchConfig(DATA), app: { dir: "provision/sample-app", workers: 2, preStart: ["python3 migrate.py"] }, data: { volume: true }, database: { mode: "local" }, backup: { objectstore: S3 } });
  await stack.setSecrets({ databasePassword: "bench-db-password-0123", backupPassword: "bench-restic-password-0123" });
  const plain = await newStack("plain", benchConfig(plainRec.name));
  say("data: deploying both servers");
  const [up, upPlain] = await Promise.all([stack.up(), plain.up()]);
  must("pulumi up (data server)", up, pulumiOut(up));
  must("pulumi up (plain server)", upPlain, pulumiOut(upPlain));

  say(`data: seeding ${o.uploadsMiB} MiB of uploads and ${o.visits} visits (not timed)`);
  await hostCmd(DATA, [
    "set -e; d=/var/lib/aistudio/media/uploads; install -d -o aistudio -g www-data -m 2750 $d",
    `for i in $(seq ${Math.ceil(o.uploadsMiB / 4)}); do head -c 4M /dev/urandom > $d/bench-$i.jpg; done; chown aistudio:www-data $d/*`,
    `cd / && runuser -u postgres -- psql -q -d aistudio -c "insert into visits (session_id, type, release, created_at) select 'bench-' || g, 'launch', 'bench', extract(epoch from now())::bigint from generate_series(1, ${o.visits}) g"`,
  ].join("\n"));

  say("data: ours: aistudio-backup run (restic to the S3 store)");
  let summary = "";
  const backupOurs = await seconds(async () => { summary = await hostCmd(DATA, "/usr/local/sbin/aistudio-backup run bench 2>/dev/null | tail -1"); });
  const run = JSON.parse(summary) as { snapshot: string; bytesProcessed: number };
  say(`  backup ours: ${backupOurs} s (${Math.round(run.bytesProcessed / 2 ** 20)} MiB)`);

  say("data: floor: pg_dump + tar of the same data, piped over ssh to the object store host");
  const floorScript = "cd / && runuser -u postgres -- pg_dump -Fc -d aistudio > /var/tmp/floor.pgdump && tar cf - var/tmp/floor.pgdump var/lib/aistudio/media";
  const backupFloor = await seconds(() => execFileSync("bash", ["-c", `ssh ${sshArgs(dataIp).join(" ")} '${floorScript}' | ssh ${sshArgs(s3ip).join(" ")} 'cat > /var/tmp/floor.tar'`], { stdio: ["ignore", "ignore", "inherit"] }));
  say(`  backup floor: ${backupFloor} s`);

  say("data: ours: aistudio-backup restore (app stopped, database and files put back, app started)");
  const restoreOurs = await seconds(() => hostCmd(DATA, `AISTUDIO_NO_PRE_RESTORE=1 /usr/local/sbin/aistudio-backup restore ${run.snapshot.slice(0, 8)} 2>/dev/null`));
  say("data: floor: the tar back over ssh, unpacked, the dump restored");
  const restoreScript = [
    "cd / && systemctl stop aistudio && rm -rf /var/lib/aistudio/media && tar xf - && systemctl start aistudio",
    "runuser -u postgres -- dropdb --force aistudio && runuser -u postgres -- createdb -O aistudio aistudio",
    "runuser -u postgres -- pg_restore --no-owner --role=aistudio -d aistudio < /var/tmp/floor.pgdump",
  ].join(" && ");
  const restoreFloor = await seconds(() => execFileSync("bash", ["-c", `ssh ${sshArgs(s3ip).join(" ")} 'cat /var/tmp/floor.tar' | ssh ${sshArgs(dataIp).join(" ")} '${restoreScript}'`], { stdio: ["ignore", "ignore", "inherit"] }));
  say(`  restore ours ${restoreOurs} s, floor ${restoreFloor} s`);

  say("data: rebuild with data (fresh backup, a new host beside the old one, the data handed over) and a plain rebuild");
  const withData = await rebuild(stack.spec());
  if (!withData.ok) throw new Error(`rebuild with data failed: ${withData.error}`);
  const plainR = await rebuild(plain.spec());
  if (!plainR.ok) throw new Error(`plain rebuild failed: ${plainR.error}`);

  for (const h of [DATA, PLAIN, S3]) await downHost(h);
  // the rebuild keeps the old server's volume as VOLUME-old
  for (const v of [VOLUME, `${VOLUME}-old`]) {
    try { execFileSync("bash", [TESTHOST, "volume", "rm", v], { stdio: "ignore" }); } catch { /* gone */ }
  }
  return {
    uploadsMiB: o.uploadsMiB,
    visits: o.visits,
    backupBytes: run.bytesProcessed,
    backup: { ours: backupOurs, floor: backupFloor, oursOverFloor: ratio(backupOurs, backupFloor) },
    restore: { ours: restoreOurs, floor: restoreFloor, oursOverFloor: ratio(restoreOurs, restoreFloor) },
    rebuild: { withData: withData.seconds, plain: plainR.seconds, withDataOverPlain: ratio(withData.seconds, plainR.seconds), data: withData.data ?? "none", pausedSeconds: withData.pausedSeconds },
  };
}
