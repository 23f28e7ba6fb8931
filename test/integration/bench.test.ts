// The benchmark harness works (bench/README.md): the tiny case (--quick: one run, one host per tool,
// no load test, no testssl.sh) provisions with ours, Ansible and the floor script and writes a
// results JSON with the expected keys and sane numbers. The full `npm run bench` is not part of
// `npm test`.
import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { requireHosts } from "../support/capability";
import { QUICK, runBench } from "../../bench/harness";

const canRun = requireHosts();

describe.skipIf(!canRun)("bench harness (quick case)", () => {
  it("measures ours, Ansible and the floor on fresh hosts and writes the results JSON", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aistudio-bench-"));
    try {
      const { results: r, file, table } = await runBench({ ...QUICK, resultsDir: dir });
      console.log(table);
      expect(r.errors).toEqual([]);
      const json = JSON.parse(fs.readFileSync(file, "utf8"));
      expect(Object.keys(json)).toEqual(expect.arrayContaining(["version", "machine", "options", "seconds", "ssh", "fleet", "parity", "security", "notes", "errors"]));
      for (const t of ["ours", "ansible", "floor"]) {
        expect(json.seconds.cold[t].median, t).toBeGreaterThan(0);
        expect(json.seconds.cold[t].median, t).toBeLessThan(900);
      }
      expect(json.seconds.noop.ours.median).toBeGreaterThan(0);
      expect(json.seconds.noop.ansible.median).toBeGreaterThan(0);
      expect(json.seconds.cold.oursOverAnsible).toBeGreaterThan(0);
      expect(json.seconds.cold.oursOverFloor).toBeGreaterThan(0);
      // sshd saw our runner: at least one connection and one command per step on a cold provision
      expect(json.ssh.cold.ours.connections).toBeGreaterThanOrEqual(1);
      expect(json.ssh.cold.ours.commands).toBeGreaterThanOrEqual(5);
      expect(json.ssh.cold.floor).toMatchObject({ connections: 1, commands: 1 });
      expect(json.ssh.cold.ansible.commands).toBeGreaterThan(5);
      expect(json.fleet["1"].ours.seconds).toBe(json.seconds.cold.ours.median);
      // both tools shipped byte-identical files
      expect(json.parity.different.filter((l: string) => l.includes(" file "))).toEqual([]);
      expect(json.security.exposure.score).toBeGreaterThan(0);
      expect(json.security.tlsVersions).toMatchObject({ TLSv1: false, "TLSv1.1": false, "TLSv1.2": true, "TLSv1.3": true });
      expect(json.security.portsFromPeer).toMatchObject({ "443": "open", "8000": "closed" });
      expect(json.security.secretsInOutput.appEnvSecretKey).toBe(0);
      expect(table).toMatch(/cold provision/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
