// No data lost (issue #12), on real test hosts: the sample app on a data volume with PostgreSQL on
// it, backed up by restic to a real S3 store (SeaweedFS on its own test host). Visits and uploads
// survive a backup + restore of an older snapshot and three rebuilds: beside the old server under
// load (the data handed over by a last backup), a failed one that leaves the old server serving,
// and one in place after the volume is lost (the backup comes back); the failures of the backup are
// loud and named by the doctor. Two hosts for the whole file (the server with its volume, the object
// store), and the rebuilds' new servers.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireHosts, REPO } from "../support/capability";
import { bootHost, bootObjectstore, hostCmd, hostCmdResult, localConfig, TestStack, unchanged } from "../support/hosts";
import { TestPki } from "../support/certs";
import { LoadGenerator } from "../../bench/load";
import { pauseAppCommand, resumeAppCommand } from "../../provision/app";
import { retireOldCommand, reviveOldCommand } from "../../stacks/handover";
import { readTesthost, testhostStateDir, type ObjectstoreRecord } from "../../infra/testhost";

const canRun = requireHosts();
const DOMAIN = "photogooo.com";
const HOST = "it-data";
const S3 = "it-s3";
const VOLUME = "it-data-vol";
const DB_PASSWORD = "it-db-pass-5d0e8a71c4b2";
const BACKUP_PASSWORD = "it-restic-pass-93be1f07aa";
const SECRET_KEY = "it-data-secret-7c1d92e0";
const ADMIN_PASSWORD = "it-data-admin-0f3a";
const pexec = promisify(execFile);

interface Answer { status: number; body: Buffer }

describe.skipIf(!canRun)("no data lost: volume, PostgreSQL, restic backups to S3, restore, rebuild", () => {
  let ip: string;
  // a provided certificate (as production's): every server the rebuilds make answers with the same one
  const pki = new TestPki();
  const leaf = pki.leaf(DOMAIN);
  const ca = pki.rootPem;
  let store: ObjectstoreRecord;
  let stack: TestStack;
  let config: Record<string, unknown>;
  /** What the app must still hold: its visit count and each upload's URL and bytes. */
  const uploads: { url: string; bytes: Buffer }[] = [];
  const outputs: string[] = [];

  const request = (method: string, p: string, body?: string | Buffer, type = "application/json"): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = https.request({
        host: ip, port: 443, servername: DOMAIN, method, path: p, ca, agent: false, timeout: 15_000,
        headers: { Host: DOMAIN, "Content-Type": type, ...(body !== undefined ? { "Content-Length": Buffer.byteLength(body) } : {}) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      });
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", reject);
      req.end(body);
    });
  const visits = async (): Promise<number> => JSON.parse((await request("GET", "/api/visits/stats")).body.toString()).count;
  /** The users' visits: every row but the deploy's own checks (smoke test, release check, doctor). */
  const userVisits = (): string => hostCmd(HOST, "cd / && runuser -u postgres -- psql -qAt -d aistudio -c \"select count(*) || ' ' || md5(string_agg(session_id, ',' order by id)) from visits where session_id not like 'smoke-%' and session_id <> 'aistudio-deploy-check' and session_id not like 'doctor-%' and session_id <> 'bench-load'\"").trim();
  const addVisits = async (n: number, tag: string) => {
    for (let i = 0; i < n; i++) {
      const a = await request("POST", "/api/user/visit", JSON.stringify({ sessionId: `${tag}-${i}`, type: "launch" }));
      expect(a.status, a.body.toString()).toBe(200);
    }
  };
  const upload = async (name: string, size: number, seed: number) => {
    const bytes = Buffer.from(Array.from({ length: size }, (_, i) => (i * seed + (i >> 8)) % 256));
    const a = await request("POST", `/api/upload?name=${name}`, bytes, "application/octet-stream");
    expect(a.status, a.body.toString()).toBe(200);
    const u = { url: JSON.parse(a.body.toString()).url as string, bytes };
    uploads.push(u);
    return u;
  };
  const expectUploads = async (list: { url: string; bytes: Buffer }[]) => {
    for (const u of list) {
      const got = await request("GET", u.url);
      expect(got.status, u.url).toBe(200);
      expect(got.body.equals(u.bytes), `${u.url} byte-equal`).toBe(true);
    }
  };
  const aistudio = async (...args: string[]) => {
    const r = await pexec("node", [path.join(REPO, "bin/aistudio.js"), ...args, "--stack", stack.name, "--config-file", stack.configFile], { env: stack.env(), cwd: REPO, maxBuffer: 32 << 20 })
      .catch((e) => e as { code: number; stdout: string; stderr: string });
    const out = { code: typeof (r as { code?: unknown }).code === "number" ? (r as { code: number }).code : 0, stdout: r.stdout, stderr: r.stderr };
    outputs.push(out.stdout, out.stderr);
    return out;
  };
  const status = () => JSON.parse(hostCmd(HOST, "/usr/local/sbin/aistudio-backup status"));
  const snapshots = (): { id: string; tags: string[] }[] => JSON.parse(hostCmd(HOST, "/usr/local/sbin/aistudio-backup snapshots"));

  beforeAll(async () => {
    store = bootObjectstore(S3);
    ip = bootHost(HOST, undefined, { volume: VOLUME }).host;
    // what the rebuilds leave or make: the old server's volume, and a new server's if a rebuild fails
    if (process.env.AISTUDIO_RUN_HOSTS) fs.appendFileSync(process.env.AISTUDIO_RUN_HOSTS, `${HOST}-1\nvolume:${VOLUME}-old\nvolume:${VOLUME}-next\n`);
    stack = new TestStack("itdata", config = localConfig(HOST, {
      tls: { mode: "provided", certificate: leaf.fullchain, caBundle: pki.rootPem },
      app: { dir: "provision/sample-app", workers: 2, preStart: ["python3 migrate.py"] },
      data: { volume: true },
      database: { mode: "local" },
      backup: { objectstore: S3 },
    }));
    await stack.init();
    await stack.setSecrets({ tlsPrivateKey: leaf.key, databasePassword: DB_PASSWORD, backupPassword: BACKUP_PASSWORD, appEnv: JSON.stringify({ SECRET_KEY, ADMIN_PASSWORD }) });
  });
  afterAll(() => {
    stack?.cleanup();
    pki.cleanup();
  });

  it("deploys the data dir on the volume, PostgreSQL on it behind a unix socket only, backups set up; a second up changes nothing", async () => {
    const r = await stack.up();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(hostCmd(HOST, "findmnt -n -o SOURCE,FSTYPE /var/lib/aistudio").trim()).toBe("/dev/vdb ext4");
    expect(hostCmd(HOST, "grep ' /var/lib/aistudio ' /etc/fstab")).toMatch(/^UUID=[0-9a-f-]+ \/var\/lib\/aistudio ext4 /);
    expect(hostCmd(HOST, "ls -d /var/lib/aistudio/postgresql/*/main")).toMatch(/\/var\/lib\/aistudio\/postgresql\/\d+\/main/);
    // nothing listens on TCP for PostgreSQL, and the visits are in it (not in a SQLite file)
    expect(hostCmd(HOST, "ss -Htln '( sport = :5432 )' | wc -l").trim()).toBe("0");
    await addVisits(1, "first");
    expect(hostCmd(HOST, "cd / && runuser -u postgres -- psql -qAt -d aistudio -c 'select count(*) from visits'").trim()).toBe(String(await visits()));
    expect(hostCmd(HOST, "ls /var/lib/aistudio")).not.toMatch(/\.sqlite3/);
    expect(status().timerEnabled).toBe("enabled");
    const again = await stack.up();
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(unchanged(again), JSON.stringify(again.changes)).toBe(true);
  });

  it("the database is not reachable from another host", () => {
    const r = hostCmdResult(S3, `timeout 3 bash -c 'exec 3<>/dev/tcp/${ip}/5432' && echo open || echo closed`);
    expect(r.out.trim()).toBe("closed");
  });

  let first: string;
  let countAtFirst: string;
  it("visits and uploads, then `aistudio backup` (with progress) writes a snapshot that `aistudio backups` lists", async () => {
    await addVisits(20, "before-backup");
    await upload("a.jpg", 300_000, 7);
    await upload("b.png", 40_000, 13);
    countAtFirst = userVisits();
    const b = await aistudio("backup");
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toMatch(/\[backup\] dumping PostgreSQL database aistudio/);
    const m = /snapshot ([0-9a-f]{8})/.exec(b.stdout);
    expect(m, b.stdout).not.toBeNull();
    first = m![1];
    const list = await aistudio("backups");
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain(first);
    expect(list.stdout).toMatch(/manual/);
  });

  it("the timer's service runs and writes a snapshot", () => {
    const n = snapshots().length;
    hostCmd(HOST, "systemctl start aistudio-backup.service");
    const s = status();
    expect(s.lastResult).toBe("success");
    expect(s.lastSuccess.tag).toBe("scheduled");
    expect(snapshots().length).toBe(n + 1);
  });

  it("restore of a chosen older snapshot over newer data: the old rows and files are back, the newer ones gone (kept in a pre-restore snapshot)", async () => {
    await addVisits(5, "after-backup");
    const late = await upload("late.jpg", 20_000, 3);
    expect(userVisits()).not.toBe(countAtFirst);
    const noYes = await aistudio("restore", "--snapshot", first);
    expect(noYes.code, "asks first: without a terminal it needs --yes").toBe(2);
    const r = await aistudio("restore", "--snapshot", first, "--yes");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/smoke test passed/);
    expect(userVisits()).toBe(countAtFirst);
    await expectUploads(uploads.filter((u) => u !== late));
    expect((await request("GET", late.url)).status).toBe(404);
    uploads.splice(uploads.indexOf(late), 1);
    expect(snapshots().some((s) => s.tags.includes("pre-restore"))).toBe(true);
  });

  it("restore --over: only what changed since the snapshot the data dir holds is fetched and put back (the rebuild's hand-over)", async () => {
    const tool = "/usr/local/sbin/aistudio-backup";
    const snap = (tag: string) => JSON.parse(hostCmd(HOST, `${tool} run ${tag} 2>/dev/null | tail -1`)).snapshot.slice(0, 8) as string;
    const uploadsDir = "/var/lib/aistudio/media/uploads";
    hostCmd(HOST, `head -c 50000 /dev/urandom > ${uploadsDir}/gone.bin && chown aistudio: ${uploadsDir}/gone.bin`);
    const base = snap("manual");
    // the full restore of BASE: the data dir holds it from here
    hostCmd(HOST, `AISTUDIO_NO_PRE_RESTORE=1 ${tool} restore ${base} 2>/dev/null`);
    await addVisits(2, "over");
    const added = await upload("over.jpg", 70_000, 11);
    hostCmd(HOST, `rm ${uploadsDir}/gone.bin`);
    const count = userVisits();
    const next = snap("manual");
    // the server still holds NEXT's data; go back to BASE in full, then forward with the changes only
    hostCmd(HOST, `AISTUDIO_NO_PRE_RESTORE=1 ${tool} restore ${base} 2>/dev/null`);
    expect(hostCmd(HOST, `test -e ${uploadsDir}/gone.bin && echo there`).trim()).toBe("there");
    const over = hostCmdResult(HOST, `AISTUDIO_NO_PRE_RESTORE=1 ${tool} restore ${next} --over ${base} 2>&1`);
    expect(over.code, over.out).toBe(0);
    expect(over.out).toMatch(new RegExp(`fetching the changes from snapshot ${base} to ${next} \\(\\d+ paths\\)`));
    expect(over.out).toMatch(/putting back what changed in the data dir/);
    expect(userVisits()).toBe(count);
    await expectUploads(uploads);
    expect(uploads).toContain(added);
    expect(hostCmd(HOST, `test -e ${uploadsDir}/gone.bin && echo there || echo gone`).trim()).toBe("gone");
    // --over the snapshot restored last, but the files changed since: a full restore, said so
    hostCmd(HOST, `AISTUDIO_NO_PRE_RESTORE=1 ${tool} restore ${base} 2>/dev/null && touch ${uploadsDir}/gone.bin`);
    const changed = hostCmdResult(HOST, `AISTUDIO_NO_PRE_RESTORE=1 ${tool} restore ${next} --over ${base} 2>&1`);
    expect(changed.code, changed.out).toBe(0);
    expect(changed.out).toMatch(new RegExp(`the data dir changed since snapshot ${base} was restored: restoring ${next} in full`));
    expect(hostCmd(HOST, `test -e ${uploadsDir}/gone.bin && echo there || echo gone`).trim()).toBe("gone");
    // --over a snapshot the data dir does not hold: a full restore, said so
    const wrong = hostCmdResult(HOST, `AISTUDIO_NO_PRE_RESTORE=1 ${tool} restore ${next} --over ${base} 2>&1`);
    expect(wrong.code, wrong.out).toBe(0);
    expect(wrong.out).toMatch(new RegExp(`the data dir is not snapshot ${base} \\(the last restore here was ${next}\\): restoring ${next} in full`));
    expect(userVisits()).toBe(count);
  });

  it("a wrong repository password or an unreachable store fails the backup loudly, and the doctor names it", async () => {
    const env = "/etc/aistudio/backup.env";
    hostCmd(HOST, `cp -p ${env} /root/backup.env.good && sed -i 's/^RESTIC_PASSWORD=.*/RESTIC_PASSWORD="wrong-password-000000"/' ${env}`);
    const run = hostCmdResult(HOST, "systemctl start aistudio-backup.service");
    expect(run.code).not.toBe(0);
    expect(hostCmd(HOST, "systemctl is-failed aistudio-backup.service || true").trim()).toBe("failed");
    expect(hostCmd(HOST, "journalctl -u aistudio-backup -n 20 --no-pager")).toMatch(/wrong password|repository is not usable/i);
    const d = await aistudio("doctor", "--json");
    const backup = JSON.parse(d.stdout).results.find((x: { id: string }) => x.id === "backup");
    expect(d.code).toBe(1);
    expect(backup.status, JSON.stringify(backup)).toBe("fail");
    expect(backup.found).toMatch(/last backup run failed/);
    hostCmd(HOST, `cp -p /root/backup.env.good ${env}`);

    hostCmd(S3, "systemctl stop aistudio-s3");
    const down = await aistudio("backup");
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/backup failed|not usable|connection refused|dial tcp/i);
    hostCmd(S3, "systemctl start aistudio-s3");
    // back to healthy: the next scheduled run succeeds and the doctor passes the check
    for (let i = 0; i < 30 && hostCmdResult(HOST, "systemctl start aistudio-backup.service").code !== 0; i++) await new Promise((r) => setTimeout(r, 1000));
    const ok = await aistudio("doctor", "--json");
    expect(JSON.parse(ok.stdout).results.find((x: { id: string }) => x.id === "backup").status).toBe("ok");
    expect(JSON.parse(ok.stdout).results.find((x: { id: string }) => x.id === "data-volume").status).toBe("ok");
    expect(JSON.parse(ok.stdout).results.find((x: { id: string }) => x.id === "database").status).toBe("ok");
  });

  it("drift sees a disabled backup timer and an unmounted volume; the doctor names the volume first", async () => {
    hostCmd(HOST, "systemctl disable --now aistudio-backup.timer");
    const timer = await aistudio("drift");
    expect(timer.code, timer.stdout + timer.stderr).toBe(1);
    expect(timer.stdout + timer.stderr).toMatch(/aistudio-backup\.timer/);
    hostCmd(HOST, "systemctl enable --now aistudio-backup.timer");

    hostCmd(HOST, "systemctl stop aistudio.socket aistudio 'postgresql@*' && umount /var/lib/aistudio");
    try {
      const vol = await aistudio("drift");
      expect(vol.code).toBe(1);
      expect(vol.stdout + vol.stderr).toMatch(/\/var\/lib\/aistudio[\s\S]*unmounted|unmounted[\s\S]*\/var\/lib\/aistudio/);
      const d = await aistudio("doctor", "--json");
      const report = JSON.parse(d.stdout);
      expect(report.firstFailure, JSON.stringify(report.results.filter((x: { status: string }) => x.status !== "ok"))).toBe("data-volume");
    } finally {
      // a test host has no udev to resolve fstab's UUID=: the device by its name
      hostCmd(HOST, "mount -o noatime /dev/vdb /var/lib/aistudio && systemctl start 'postgresql@15-main' aistudio.socket aistudio");
    }
    const clean = await aistudio("drift");
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
  });

  /** The visits the load generator wrote (bench/load.ts posts sessionId "bench-load"). */
  const loadRows = (): number => Number(hostCmd(HOST, "cd / && runuser -u postgres -- psql -qAt -d aistudio -c \"select count(*) from visits where session_id = 'bench-load'\"").trim());
  const hostKey = (): string => readTesthost(HOST).hostKey;

  it("pausing the app (the rebuild's hand-over) holds requests instead of failing them; resuming answers them", async () => {
    hostCmd(HOST, pauseAppCommand());
    let answered: Answer | undefined;
    const pending = request("POST", "/api/user/visit", JSON.stringify({ sessionId: "paused-1", type: "launch" })).then((a) => (answered = a));
    try {
      await new Promise((r) => setTimeout(r, 4000));
      expect(answered, "answered while the app was paused").toBeUndefined();
      expect(hostCmd(HOST, "ps -o stat= -p $(systemctl show -p MainPID --value aistudio.service)").trim()).toMatch(/^T/);
    } finally {
      hostCmd(HOST, resumeAppCommand());
    }
    const a = await pending;
    expect(a.status, a.body.toString()).toBe(200);
    expect(JSON.parse(a.body.toString()).success).toBe(true);
  });

  it("a paused app that was retired (a rebuild stopped before its switch) is revived by the next rebuild's command, backup timers too", async () => {
    const timers = () => hostCmd(HOST, "systemctl is-active aistudio-backup.timer aistudio-backup-check.timer || true").trim().split("\n");
    hostCmd(HOST, pauseAppCommand());
    const held = request("POST", "/api/user/visit", JSON.stringify({ sessionId: "retired-1", type: "launch" }));
    await new Promise((r) => setTimeout(r, 1000));
    hostCmd(HOST, retireOldCommand());
    // the held request gets nginx's JSON 502 at once, and nothing starts the app again
    expect((await held).status).toBe(502);
    await new Promise((r) => setTimeout(r, 1000));
    for (const state of hostCmd(HOST, "systemctl is-active aistudio.service aistudio.socket || true").trim().split("\n")) expect(state).toMatch(/^(inactive|failed)$/);
    expect((await request("POST", "/api/user/visit", JSON.stringify({ sessionId: "retired-2", type: "launch" }))).status).toBe(502);
    // no scheduled backup of the retired server's data (it would become the newest snapshot)
    expect(timers()).toEqual(["inactive", "inactive"]);
    hostCmd(HOST, reviveOldCommand());
    expect(timers()).toEqual(["active", "active"]);
    const a = await request("POST", "/api/user/visit", JSON.stringify({ sessionId: "revived-1", type: "launch" }));
    expect(a.status, a.body.toString()).toBe(200);
    expect(JSON.parse(a.body.toString()).success).toBe(true);
    // and the revival is harmless on an app that runs
    hostCmd(HOST, reviveOldCommand());
    expect((await request("POST", "/api/user/visit", JSON.stringify({ sessionId: "revived-2", type: "launch" }))).status).toBe(200);
  });

  it("a rebuild whose new server fails (a broken preStart in the settings) leaves the old server serving, unchanged, under load", async () => {
    const keyBefore = hostKey();
    const count = userVisits();
    const app = config.app as { preStart: string[] };
    await stack.reconfigure({ ...config, app: { ...app, preStart: [...app.preStart, "python3 -c 'raise SystemExit(\"the migration failed\")'"] } });
    const gen = new LoadGenerator({ address: ip, domain: DOMAIN, ca, concurrency: 4, maxRequests: 20_000, maxSeconds: 400 }).start();
    let r: Awaited<ReturnType<typeof aistudio>>;
    try {
      r = await aistudio("rebuild");
    } finally {
      await stack.reconfigure(config);
    }
    const load = await gen.stop();
    console.log(`[data] failed rebuild under load: ${load.requests} requests, ${load.failed} failed, longest gap ${load.longestGapMs} ms`);
    expect(r.code, r.stderr.slice(-3000)).toBe(1);
    expect(r.stderr).toMatch(/converging the new server failed/);
    expect(r.stderr).toMatch(/the migration failed/);
    expect(r.stderr).toMatch(new RegExp(`old server ${HOST} \\(${ip.replace(/\./g, "\\.")}\\) was not changed and keeps serving`));
    // the same machine at the same address, its data and app untouched, and nothing left of the new one
    expect(hostKey()).toBe(keyBefore);
    expect(userVisits()).toBe(count);
    await expectUploads(uploads);
    expect(fs.existsSync(path.join(testhostStateDir(), "hosts", `${HOST}-1`))).toBe(false);
    expect(fs.existsSync(path.join(testhostStateDir(), "volumes", `${VOLUME}-next.img`))).toBe(false);
    expect(load.failed, load.failures.join("\n")).toBe(0);
    expect(load.ok).toBeGreaterThan(0);
  });

  it("rebuild beside the old server, under load: a new server at the same address with the same rows, byte-equal files and every acknowledged visit", async () => {
    const keyBefore = hostKey();
    const count = userVisits();
    const loadBefore = loadRows();
    const gen = new LoadGenerator({ address: ip, domain: DOMAIN, ca, concurrency: 4, maxRequests: 20_000, maxSeconds: 400 }).start();
    const r = await aistudio("rebuild");
    const load = await gen.stop();
    console.log(`[data] rebuild beside under load: ${load.requests} requests, ${load.failed} failed, longest gap ${load.longestGapMs} ms`);
    console.log(r.stderr.split("\n").filter((l) => /^==>|hand-over|rebuilt|data:/.test(l)).join("\n"));
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.stderr).toMatch(/backup before the rebuild: [0-9a-f]{8}/);
    expect(r.stderr).toMatch(/hand-over backup: [0-9a-f]{8} \(the old app paused [\d.]+s until the address moved\)/);
    expect(r.stderr).toMatch(/data: handed over/);
    // another machine answers at the address, with the same data
    expect(hostKey()).not.toBe(keyBefore);
    expect(readTesthost(HOST).host).toBe(ip);
    expect(userVisits()).toBe(count);
    await expectUploads(uploads);
    // no acknowledged write is lost: every visit the load generator saw succeed is on the new server
    expect(loadRows() - loadBefore).toBeGreaterThanOrEqual(load.ok);
    // the only failures: the requests the paused old app held (one per client at most), answered the
    // JSON 502 at once when it was retired (never served from the old data), and the clients' instant
    // retries in the fraction of a second before the address moved (502, or a reset of a connection
    // the old server had opened, which the new one does not know); none left hanging until the
    // client gives up (a timeout)
    expect(load.failed, load.failures.join("\n")).toBeLessThanOrEqual(12);
    for (const f of load.failures) expect(f).toMatch(/HTTP 502 \{"success":false,"error":"bad_gateway"|ECONNRESET|socket hang up|aborted/);
    // the old server's volume is kept; the stack's state is the new server's
    expect(fs.existsSync(path.join(testhostStateDir(), "volumes", `${VOLUME}-old.img`))).toBe(true);
    expect(readTesthost(HOST).volume).toBe(VOLUME);
    const clean = await aistudio("drift");
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
  });

  it("rebuild --in-place after the volume is lost: the new server gets a blank volume and the fresh backup back", async () => {
    await addVisits(3, "before-loss");
    const count = userVisits();
    // the disk is gone: the next boot of this host gets a new, blank volume
    fs.writeFileSync(path.join(testhostStateDir(), "hosts", HOST, "volume"), `${VOLUME}-new\n`);
    if (process.env.AISTUDIO_RUN_HOSTS) fs.appendFileSync(process.env.AISTUDIO_RUN_HOSTS, `volume:${VOLUME}-new\n`);
    const r = await aistudio("rebuild", "--in-place");
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.stderr).toMatch(/data: restored from the backup/);
    expect(userVisits()).toBe(count);
    await expectUploads(uploads);
  });

  it("restic check passes on the repository after all that, and no secret is in any output or the state", () => {
    expect(hostCmd(HOST, "/usr/local/sbin/aistudio-backup check 2>&1")).toMatch(/no errors were found/);
    const text = [...stack.transcript, ...outputs, stack.stateText()].join("\n");
    for (const secret of [DB_PASSWORD, encodeURIComponent(DB_PASSWORD), BACKUP_PASSWORD, store.secretAccessKey, SECRET_KEY, ADMIN_PASSWORD, leaf.key.split("\n")[1]]) {
      expect(text.includes(secret), `a secret leaked: ${secret.slice(0, 6)}…`).toBe(false);
    }
  });
});
