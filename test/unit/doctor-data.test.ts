// The doctor's data checks (checks/doctor/data.ts) with injected server facts: the data volume
// (mounted, its usage against 80 % / 95 %), the backups (the backup tool's status JSON: timer,
// last run, age of the last success) and the database (the app's `select 1`). Then which failure
// is named the cause (cause.ts), and the facts themselves: the script the doctor sends over SSH
// (server-facts.ts, checked by `bash -n`) and the parser of its records.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { BACKUP_TOOL } from "../../core/constants";
import { serializeProbe } from "../../core/probe";
import type { Connection } from "../../core/ssh";
import type { Check, CheckOutcome, CheckResult, DoctorTarget } from "../../checks/doctor/check";
import { backupCheck, databaseCheck, dataVolumeCheck } from "../../checks/doctor/data";
import { serverServicesCheck } from "../../checks/doctor/server-services";
import { firstFailure } from "../../checks/doctor/cause";
import { runDoctor } from "../../checks/doctor/run";
import { parseServerFacts, serverScript, type ServerFacts } from "../../checks/doctor/server-facts";

const SSH: Connection = { host: "203.0.113.5", port: 22, user: "root", hostKey: "unused", privateKey: "unused: the facts are injected" };
const SECRET = "Pa55w0rd-db-secret-0123";
const ACCESS_SECRET = "oss-secret-access-key-0123456789";
const DATA_DIR = "/var/lib/aistudio";

type Data = NonNullable<DoctorTarget["data"]>;
/** `null`: a stack without data settings. */
const target = (data: Partial<Data> | null = {}, over: Partial<DoctorTarget> = {}): DoctorTarget => ({
  domain: "photogooo.com",
  wechat: false,
  minCertDays: 20,
  ssh: SSH,
  redact: [SECRET, ACCESS_SECRET],
  data: data === null ? undefined : { dataDir: DATA_DIR, volume: true, database: "local", backup: { maxAgeHours: 26 }, ...data },
  ...over,
});
const run = (c: Check, tg: DoctorTarget, server: ServerFacts): Promise<CheckOutcome> => c.run(tg, { server });

const NOW = 1_750_000_000;
const SNAPSHOT = "4f9c2a1be8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1";
/** The backup tool's `status` output (provision/scripts/backup-tool.sh). */
const status = (o: { ageHours?: number | null; timer?: string; result?: string; error?: string } = {}) => JSON.stringify({
  now: NOW,
  lastSuccess: o.ageHours === null ? null : { time: NOW - Math.round((o.ageHours ?? 2) * 3600), snapshot: SNAPSHOT, seconds: 42 },
  timerEnabled: o.timer ?? "enabled",
  lastResult: o.result ?? "success",
  lastError: o.error ?? "",
});

describe("data-volume", () => {
  it("not mounted: fails, and explains the app, the database and the backups failing too", async () => {
    const r = await run(dataVolumeCheck, target(), { volume: "unmounted", volumeUsage: "3" });
    expect(r.status).toBe("fail");
    expect(r.expected).toBe(`the data volume mounted at ${DATA_DIR}`);
    expect(r.found).toBe(`${DATA_DIR}: unmounted`);
    expect(r.cause!.en).toMatch(/not mounted: the app does not start \(RequiresMountsFor\)/);
    expect(r.fix!.en).toContain(`\`mount ${DATA_DIR}\``);
    expect(r.explains).toEqual(expect.arrayContaining(["server-services", "database", "backup"]));
  });

  it("no mount record at all: fails as not probed", async () => {
    const r = await run(dataVolumeCheck, target(), { volumeUsage: "3" });
    expect(r).toMatchObject({ status: "fail", found: `${DATA_DIR}: not probed` });
  });

  it.each([
    ["0", "ok"], ["79", "ok"], ["80", "warn"], ["94", "warn"], ["95", "fail"], ["100", "fail"],
  ] as const)("mounted, %s%% used: %s", async (usage, verdict) => {
    const r = await run(dataVolumeCheck, target(), { volume: "mounted", volumeUsage: usage });
    expect(r.status).toBe(verdict);
    if (verdict === "ok") expect(r.found).toBe(`mounted, ${usage}% used`);
    else {
      expect(r).toMatchObject({ expected: "under 80% used", found: `${usage}% used` });
      expect(r.fix!.en).toContain(`du -sh ${DATA_DIR}/*`);
      expect(r.cause!.en).toMatch(verdict === "fail" ? /nearly full: uploads and database writes fail/ : /filling up/);
    }
  });

  it.each([[undefined], [""], ["n/a"]])("usage %j unknown: a warning naming df", async (usage) => {
    const facts: ServerFacts = { volume: "mounted" };
    if (usage !== undefined) facts.volumeUsage = usage;
    const r = await run(dataVolumeCheck, target(), facts);
    expect(r).toMatchObject({ status: "warn", found: "unknown" });
    expect(r.fix!.en).toBe(`\`df -h ${DATA_DIR}\``);
  });

  it("no volume configured: the system disk's usage, whatever the mount fact says", async () => {
    expect(await run(dataVolumeCheck, target({ volume: false }), { volumeUsage: "41" })).toMatchObject({ status: "ok", found: "system disk, 41% used" });
    expect((await run(dataVolumeCheck, target({ volume: false }), { volume: "unmounted", volumeUsage: "96" })).status).toBe("fail");
  });

  it("a stack without data settings: skipped", async () => {
    expect(await run(dataVolumeCheck, target(null), {})).toMatchObject({ status: "skip" });
  });
});

describe("backup", () => {
  it("no backups configured: a warning pointing at aistudio:backup (even without SSH facts)", async () => {
    const r = await run(backupCheck, target({ backup: undefined }), { error: "cannot SSH" });
    expect(r).toMatchObject({ status: "warn", found: "no aistudio:backup on this stack" });
    expect(r.fix!.en).toMatch(/set aistudio:backup/);
  });

  it("the tool's output is not JSON (missing tool): fails, showing what it printed", async () => {
    const missing = `bash: line 40: ${BACKUP_TOOL}: No such file or directory`;
    const r = await run(backupCheck, target(), { backup: missing });
    expect(r).toMatchObject({ status: "fail", expected: "the backup tool's status", found: missing });
    expect(r.fix!.en).toMatch(/pulumi up/);
    expect(await run(backupCheck, target(), {})).toMatchObject({ status: "fail", found: "nothing" });
  });

  it.each([["disabled"], [""]])("timer %j: fails, naming systemctl enable", async (timer) => {
    const r = await run(backupCheck, target(), { backup: status({ timer }) });
    expect(r).toMatchObject({ status: "fail", found: `aistudio-backup.timer ${timer || "missing"}` });
    expect(r.fix!.en).toContain("systemctl enable --now aistudio-backup.timer");
  });

  it("last run exit-code: fails with the last error line, secrets redacted by the target's list", async () => {
    const error = `Fatal: unable to open config file: Stat: The AccessKey ${ACCESS_SECRET} is invalid\nrepository s3:https://oss/photogooo-backup/restic: password ${SECRET} rejected\n`;
    const r = await run(backupCheck, target(), { backup: status({ result: "exit-code", error }) });
    expect(r.status).toBe("fail");
    expect(r.found).toBe("the last backup run failed (exit-code): repository s3:https://oss/photogooo-backup/restic: password *** rejected");
    expect(r.found).not.toContain(SECRET);
    expect(r.cause!.en).toMatch(/last backup run failed/);
    expect(r.fix!.en).toContain("journalctl -u aistudio-backup");
    // a secret on the last line is redacted whatever it is
    const r2 = await run(backupCheck, target(), { backup: status({ result: "exit-code", error: `key ${ACCESS_SECRET}` }) });
    expect(r2.found).toBe("the last backup run failed (exit-code): key ***");
  });

  it("no successful backup yet on a new server (timer enabled, no failed run): warns, naming npm run backup", async () => {
    const r = await run(backupCheck, target(), { backup: status({ ageHours: null }) });
    expect(r).toMatchObject({ status: "warn", found: "no successful backup yet (timer enabled)" });
    expect(r.fix!.en).toContain("npm run backup");
  });

  it("last success 27 h ago with maxAgeHours 26: fails; 25 h: ok", async () => {
    const old = await run(backupCheck, target(), { backup: status({ ageHours: 27 }) });
    expect(old).toMatchObject({ status: "fail", expected: "timer enabled, last success within 26 h", found: "last success 27 h ago (snapshot 4f9c2a1b)" });
    expect(old.cause!.en).toMatch(/too old/);
    expect((await run(backupCheck, target(), { backup: status({ ageHours: 25 }) })).status).toBe("ok");
    // the limit is the target's
    expect((await run(backupCheck, target({ backup: { maxAgeHours: 48 } }), { backup: status({ ageHours: 27 }) })).status).toBe("ok");
  });

  it("last success 2 h ago: ok, naming the snapshot's first 8 characters", async () => {
    expect(await run(backupCheck, target(), { backup: status({ ageHours: 2 }) })).toMatchObject({ status: "ok", found: "last success 2 h ago (snapshot 4f9c2a1b)" });
  });
});

describe("database", () => {
  it("database.mode none: skipped", async () => {
    expect(await run(databaseCheck, target({ database: "none" }), { database: "garbage" })).toMatchObject({ status: "skip" });
  });

  it("\"1\": ok, naming the mode", async () => {
    expect(await run(databaseCheck, target(), { database: "1" })).toMatchObject({ status: "ok", found: "the app's DATABASE_URL answers (local)" });
    expect(await run(databaseCheck, target({ database: "external" }), { database: " 1\n" })).toMatchObject({ status: "ok", found: "the app's DATABASE_URL answers (external)" });
  });

  it("an error: fails with the secret redacted; the cause is local PostgreSQL or the external database", async () => {
    const answer = `psql: error: connection to server on socket "/run/postgresql/.s.PGSQL.5432" failed: FATAL:  password authentication failed for user "aistudio" (${SECRET})`;
    const local = await run(databaseCheck, target(), { database: answer });
    expect(local.status).toBe("fail");
    expect(local.found).toBe(answer.replace(SECRET, "***"));
    expect(local.found).not.toContain(SECRET);
    expect(local.cause!.en).toMatch(/local PostgreSQL is not usable/);
    expect(local.fix!.en).toMatch(/postgresql@/);
    expect(local.explains).toEqual(["admin-json", "api-json"]);
    const external = await run(databaseCheck, target({ database: "external" }), { database: answer });
    expect(external.status).toBe("fail");
    expect(external.cause!.en).toMatch(/external database is unreachable \(RDS whitelist/);
    expect(external.fix!.en).toMatch(/aistudio:databaseUrl/);
    expect(external.cause!.en).not.toBe(local.cause!.en);
  });

  it("no answer at all: fails", async () => {
    expect(await run(databaseCheck, target(), { database: "" })).toMatchObject({ status: "fail", found: "no answer" });
  });
});

describe("all three", () => {
  const checks = [dataVolumeCheck, backupCheck, databaseCheck];

  it.each(checks.map((c) => [c.id, c] as const))("%s: an SSH error fails with the SSH cause", async (_id, c) => {
    const r = await run(c, target(), { error: "cannot SSH to root@203.0.113.5:22: connect ECONNREFUSED" });
    expect(r).toMatchObject({ status: "fail", expected: "an SSH session", found: "cannot SSH to root@203.0.113.5:22: connect ECONNREFUSED" });
    expect(r.cause!.en).toBe("cannot SSH to the server");
  });

  it.each(checks.map((c) => [c.id, c] as const))("%s: skipped without SSH access", async (_id, c) => {
    expect(await run(c, target({}, { ssh: undefined }), { volume: "unmounted", backup: "x", database: "x" })).toMatchObject({ status: "skip", found: "no SSH access configured" });
  });

  it("in a doctor run: the injected facts reach all three; the unmounted volume is named before the stopped app", async () => {
    const facts: ServerFacts = { volume: "unmounted", volumeUsage: "2", backup: status({ ageHours: 2 }), database: "psql: error: no such file", nginx: "active", aistudio: "inactive" };
    let asked: DoctorTarget | undefined;
    const tg = target({}, { connectTo: "127.0.0.1", port: 9, hostsFile: "/dev/null" });
    const results = await runDoctor(tg, { readFacts: async (t) => { asked = t; return facts; }, readEvidence: async () => ({ journal: "", nginx: "" }) });
    expect(asked).toBe(tg);
    const byId = new Map(results.map((r) => [r.id, r]));
    expect(byId.get("data-volume")?.status).toBe("fail");
    expect(byId.get("backup")?.status).toBe("ok");
    expect(byId.get("database")?.status).toBe("fail");
    expect(byId.get("server-services")?.status).toBe("fail");
    // (the network checks depend on this machine's network: only the server's are compared)
    const server = results.filter((r) => ["server-services", "data-volume", "database", "backup"].includes(r.id));
    expect(server.map((r) => r.id)).toEqual(["server-services", "data-volume", "database", "backup"]);
    expect(firstFailure(server)?.id).toBe("data-volume");
  }, 30_000);
});

describe("the cause named", () => {
  const result = (id: string, o: Partial<CheckResult> = {}): CheckResult => ({ id, status: "fail", title: { zh: id, en: id }, ms: 0, ...o });

  it("data-volume over server-services when both fail, in either order, also for a 502", async () => {
    const volume = { id: "data-volume", title: dataVolumeCheck.title, ms: 0, ...(await run(dataVolumeCheck, target(), { volume: "unmounted" })) } as CheckResult;
    const services = { id: "server-services", title: serverServicesCheck.title, ms: 0, ...(await run(serverServicesCheck, target(), { nginx: "active", aistudio: "failed" })) } as CheckResult;
    expect(volume.status).toBe("fail");
    expect(services.status).toBe("fail");
    expect(firstFailure([services, volume])?.id).toBe("data-volume");
    expect(firstFailure([volume, services])?.id).toBe("data-volume");
    // 502 names server-services first, but the unmounted volume explains it
    expect(firstFailure([services, volume, result("api-json")], "502 Bad Gateway")?.id).toBe("data-volume");
    // a full disk (no explains of its own) is still the root over the services
    expect(firstFailure([services, result("database"), result("data-volume")])?.id).toBe("data-volume");
    // the database below server-services, the backup last
    expect(firstFailure([result("backup"), result("database")])?.id).toBe("database");
    expect(firstFailure([result("backup"), result("api-json")])?.id).toBe("api-json");
  });
});

describe("the facts: the script sent over SSH and its parser", () => {
  const SPEC = { dataDir: DATA_DIR, volume: true, backup: true, database: "local" as const };

  it("the script probes the mount, the backup tool's status and the database as the app, and parses with bash -n", () => {
    const script = serverScript(false, 8000, SPEC);
    expect(script).toContain(`probe_mount ${DATA_DIR}\n`); // a plain path needs no quotes (core/quote.ts)
    expect(script).toContain(`${BACKUP_TOOL} status`);
    expect(script).toMatch(/runuser -u aistudio -- psql "\$url" -qAtc 'select 1'/);
    expect(script).toContain("df --output=pcent");
    const r = spawnSync("bash", ["-n"], { input: script, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    // bash -n does fail on a broken script (the check above can fail)
    expect(spawnSync("bash", ["-n"], { input: `${script}\nif then`, encoding: "utf8" }).status).not.toBe(0);
  });

  it("without a volume, backups or a database, none of their probes", () => {
    const script = serverScript(false, 8000, { dataDir: DATA_DIR, volume: false, backup: false, database: "none" });
    expect(script).not.toContain(`probe_mount '${DATA_DIR}'`);
    expect(script).not.toContain(`${BACKUP_TOOL} status`);
    expect(script).not.toContain("psql");
    expect(script).toContain("df --output=pcent");
    expect(serverScript(false, 8000)).not.toContain("df --output=pcent");
  });

  it("parseServerFacts reads each fact from its record", () => {
    const json = status({ ageHours: 2, error: "line one\nline\ttwo" });
    const out = serializeProbe([
      { kind: "mount", subject: DATA_DIR, fields: { state: "mounted", fstype: "ext4", uuid: "0b1c2d3e-aaaa-bbbb-cccc-0123456789ab", label: "aistudio-data", fstab: "0b1c2d3e-aaaa-bbbb-cccc-0123456789ab" } },
      { kind: "disk", subject: DATA_DIR, fields: { usage: "37" } },
      { kind: "backup", subject: "status", fields: { json } },
      { kind: "database", subject: "app", fields: { result: "1" } },
      { kind: "unit", subject: "nginx", fields: { enabled: "enabled", active: "active" } },
      { kind: "unit", subject: "aistudio", fields: { enabled: "enabled", active: "active" } },
    ]) + "\nwarning: not a record\n";
    expect(out.split("\n")[0]).toBe(`mount\t${DATA_DIR}\tstate=mounted\tfstype=ext4\tuuid=0b1c2d3e-aaaa-bbbb-cccc-0123456789ab\tlabel=aistudio-data\tfstab=0b1c2d3e-aaaa-bbbb-cccc-0123456789ab`);
    const facts = parseServerFacts(out, 8000, SPEC);
    expect(facts).toMatchObject({ volume: "mounted", volumeUsage: "37", backup: json, database: "1", nginx: "active", aistudio: "active", unparsed: "warning: not a record" });
    expect(JSON.parse(facts.backup)).toMatchObject({ lastError: "line one\nline\ttwo" });
    // the same output read without the data spec has no data facts
    const plain = parseServerFacts(out, 8000);
    expect(plain.volume).toBeUndefined();
    expect(plain.backup).toBeUndefined();
  });

  it("an unmounted volume and a failing database, as the probe prints them, fail their checks", async () => {
    const out = [
      `mount\t${DATA_DIR}\tstate=unmounted\tfstab=0b1c2d3e`,
      `disk\t${DATA_DIR}\tusage=5`,
      `database\tapp\tresult=psql: error: connection to server on socket "/run/postgresql/.s.PGSQL.5432" failed\\nNo such file or directory`,
    ].join("\n");
    const facts = parseServerFacts(out, 8000, SPEC);
    expect(facts).toMatchObject({ volume: "unmounted", volumeUsage: "5" });
    expect(facts.database).toContain("failed\nNo such file");
    expect((await run(dataVolumeCheck, target(), facts)).status).toBe("fail");
    expect((await run(databaseCheck, target(), facts)).status).toBe("fail");
  });
});
