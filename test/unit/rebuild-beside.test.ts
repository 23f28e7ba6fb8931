// The pure parts of the rebuild beside the old server (stacks/rebuild-beside.ts): the new server's
// name and volume, the copy of the stack's settings it is converged with, and the commands that pause
// and resume the old app and restore onto the new server. The flow itself runs on real test hosts in
// test/integration/data.test.ts.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { besideConfig, besideNames } from "../../stacks/rebuild-beside";
import { pauseAppCommand, resumeAppCommand, retireAppCommand } from "../../provision/app";
import { backupNowCommand, restoreCommand } from "../../provision/backup";

describe("the new server's name and volume", () => {
  it("takes the first free NAME-N and a volume VOL-next", () => {
    expect(besideNames("it-data", "it-data-vol", () => false)).toEqual({ host: "it-data-1", volume: "it-data-vol-next" });
    const taken = new Set(["it-data-1", "it-data-2"]);
    expect(besideNames("it-data", undefined, (h) => taken.has(h))).toEqual({ host: "it-data-3", volume: undefined });
  });

  it("fits the test host's 11 characters and the volume's 31, and never reuses the old server's name", () => {
    const r = besideNames("abcdefghijk", "v".repeat(31), () => false);
    expect(r.host).toBe("abcdefghi-1");
    expect(r.host.length).toBeLessThanOrEqual(11);
    expect(r.volume!.length).toBeLessThanOrEqual(31);
    // a server already named like a new one (it took an older one's place): the next number
    expect(besideNames("demo-1", undefined, () => false).host).toBe("demo-1-1");
    expect(besideNames("abcdefghi-1", undefined, () => false).host).toBe("abcdefghi-2");
  });

  it("says what to clean up when every name is taken", () => {
    expect(() => besideNames("demo", undefined, () => true)).toThrow(/demo-1 … demo-9 are all in use.*testhost -- down/);
  });
});

describe("the copy of the stack's settings", () => {
  const entries = {
    "aistudio:target": { value: "local", secret: false },
    "aistudio:testhost": { value: "demo", secret: false },
    "aistudio:app": { value: JSON.stringify({ dir: "provision/sample-app", workers: 2 }), secret: false },
    "aistudio:databasePassword": { value: "pw-8c1e", secret: true },
    "aistudio:appEnv": { value: JSON.stringify({ SECRET_KEY: "k-42" }), secret: true },
    "other:key": { value: "x", secret: false },
  };

  it("keeps every aistudio setting, objects as objects, with the new test host", () => {
    const { plain } = besideConfig(entries, "demo-1");
    expect(plain).toEqual({ target: "local", testhost: "demo-1", app: { dir: "provision/sample-app", workers: 2 } });
  });

  it("shares what the stack derives from its name (the backup repository's path, the uploads' prefix) instead of the copy's own", () => {
    const withStores = {
      ...entries,
      "aistudio:backup": { value: JSON.stringify({ objectstore: "demo-s3" }), secret: false },
      "aistudio:uploads": { value: JSON.stringify({ store: "s3", objectstore: "demo-s3" }), secret: false },
    };
    const { plain } = besideConfig(withStores, "demo-1", { backupRepository: "s3:http://198.18.0.11:8333/aistudio-backup/local", uploadsPrefix: "uploads/local/" });
    expect(plain.backup).toEqual({ objectstore: "demo-s3", repository: "s3:http://198.18.0.11:8333/aistudio-backup/local" });
    expect(plain.uploads).toEqual({ store: "s3", objectstore: "demo-s3", prefix: "uploads/local/" });
    // nothing to pin: nothing added
    expect(besideConfig(entries, "demo-1", { uploadsPrefix: "uploads/local/" }).plain.uploads).toBeUndefined();
  });

  it("keeps secrets apart, to be set as secrets (never written in plain text)", () => {
    const { plain, secrets } = besideConfig(entries, "demo-1");
    expect(secrets).toEqual({ databasePassword: "pw-8c1e", appEnv: JSON.stringify({ SECRET_KEY: "k-42" }) });
    expect(JSON.stringify(plain)).not.toMatch(/pw-8c1e|k-42/);
  });
});

describe("the hand-over's commands", () => {
  it("pause the gunicorn master and then its workers with SIGSTOP, resume the workers first, leaving the socket (systemd's) open", () => {
    const pause = pauseAppCommand(), resume = resumeAppCommand();
    expect(pause).toMatch(/systemctl show -p MainPID --value aistudio\.service/);
    expect(pause.indexOf('kill -STOP "$main"')).toBeLessThan(pause.indexOf('kill -STOP "$p"'));
    expect(resume.indexOf('kill -CONT "$p"')).toBeLessThan(resume.indexOf('kill -CONT "$main"'));
    expect(pause + resume).not.toMatch(/socket|systemctl (stop|kill)/);
  });

  it("retire kills the paused app without resuming it, after systemd is stopped from starting it again, then closes the socket", () => {
    const retire = retireAppCommand();
    const at = (x: string) => { const i = retire.indexOf(x); expect(i, x).toBeGreaterThanOrEqual(0); return i; };
    expect(at("Restart=no")).toBeLessThan(at('kill -KILL "$main"'));
    expect(at("ExecStartPre=/bin/false")).toBeLessThan(at('kill -KILL "$main"'));
    expect(at("systemctl daemon-reload")).toBeLessThan(at('kill -KILL "$p"'));
    expect(at('kill -KILL "$main"')).toBeLessThan(at("systemctl stop aistudio.socket"));
    // never a signal that resumes it (systemctl stop of the service sends SIGCONT)
    expect(retire).not.toMatch(/SIGCONT|-CONT|systemctl stop aistudio\.service|systemctl restart/);
  });

  it("pause refuses an app that is not running (nothing to pause is not a paused app)", () => {
    const r = spawnSync("bash", ["-c", pauseAppCommand().replace(/systemctl show [^)]*/, "echo 0")]);
    expect(r.status).toBe(3);
    expect(r.stderr.toString()).toMatch(/aistudio\.service is not running/);
  });

  it("restore onto a new server without a pre-restore snapshot of its near-empty data dir", () => {
    expect(restoreCommand("0123abcd")).toBe("/usr/local/sbin/aistudio-backup restore 0123abcd");
    expect(restoreCommand("0123abcd", { keepReplaced: false })).toBe("AISTUDIO_NO_PRE_RESTORE=1 /usr/local/sbin/aistudio-backup restore 0123abcd");
    expect(() => restoreCommand("latest; rm -rf /")).toThrow(/not a restic snapshot id/);
    // the hand-over: only the changes since the snapshot the new server already holds
    expect(restoreCommand("89abcdef", { keepReplaced: false, over: "0123abcd" })).toBe("AISTUDIO_NO_PRE_RESTORE=1 /usr/local/sbin/aistudio-backup restore 89abcdef --over 0123abcd");
    expect(() => restoreCommand("89abcdef", { over: "latest" })).toThrow(/not a restic snapshot id/);
    expect(() => restoreCommand("89abcdef", { over: "0123abcd --x" })).toThrow(/not a restic snapshot id/);
  });

  it("tag the hand-over's backup, and refuse a tag that is not a plain word", () => {
    expect(backupNowCommand("handover")).toBe("/usr/local/sbin/aistudio-backup run handover");
    expect(() => backupNowCommand("x; reboot")).toThrow(/not a backup tag/);
  });
});
