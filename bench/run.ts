// `npm run bench [-- --runs N --fleet 1,2,4,8 --quick --no-load --no-testssl --no-data --data-mib N --data-only --reliability-only --rollout-only --rollout-sizes 1,2,4 --no-rollout]`: prints the table
// and writes bench/results/<timestamp>.json. Progress goes to stderr.
import { FULL, QUICK, BenchOptions, runBench, renderTable } from "./harness";
import * as fs from "node:fs";
import { parseSizes } from "./rollout";

function parse(argv: string[]): BenchOptions | { table: string } {
  const o: BenchOptions = argv.includes("--quick") ? { ...QUICK } : { ...FULL };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case "--quick": break;
      case "--runs": o.runs = Number(val()); break;
      case "--fleet": o.fleet = val().split(",").map(Number); break;
      case "--no-load": o.load = false; break;
      case "--no-testssl": o.testssl = false; break;
      case "--no-data": o.data = false; break;
      case "--data-only": o.dataOnly = true; o.data ||= { uploadsMiB: 1024, visits: 100_000 }; break;
      case "--reliability-only": Object.assign(o, { reliabilityOnly: true, load: true, runs: 1, oneFile: false, refreshAndDrift: false, testssl: o.testssl }); break;
      case "--rollout-sizes": o.rollout = parseSizes(val()); break;
      case "--no-rollout": o.rollout = false; break;
      case "--rollout-only": Object.assign(o, { rolloutOnly: true, rollout: o.rollout || [1, 2, 4], runs: 1, data: false, oneFile: false, refreshAndDrift: false, testssl: false }); break;
      case "--data-mib": o.data = { uploadsMiB: Number(val()), visits: o.data ? o.data.visits : 100_000 }; break;
      case "--table": return { table: val() };
      case "-h": case "--help":
        console.log("usage: npm run bench -- [--runs N (3)] [--fleet 1,2,4,8] [--quick] [--no-load] [--no-testssl] [--no-data | --data-mib N (1024) | --data-only] [--reliability-only] [--rollout-only] [--rollout-sizes 1,2,4 | --no-rollout] [--table results.json]");
        process.exit(0);
      default: throw new Error(`unknown option ${a} (see --help)`);
    }
  }
  if (!Number.isInteger(o.runs) || o.runs < 1 || o.runs > 9) throw new Error("--runs must be 1..9");
  if (o.data && (!Number.isInteger(o.data.uploadsMiB) || o.data.uploadsMiB < 4 || o.data.uploadsMiB > 8192)) throw new Error("--data-mib must be 4..8192");
  if (o.fleet.some((n) => !Number.isInteger(n) || n < 1 || n > 16)) throw new Error("--fleet sizes must be 1..16");
  return o;
}

async function main() {
  const o = parse(process.argv.slice(2));
  if ("table" in o) {
    console.log(renderTable(JSON.parse(fs.readFileSync(o.table, "utf8"))));
    return;
  }
  const { table, file, results } = await runBench(o);
  console.log(table);
  console.log(`\nresults: ${file}`);
  process.exitCode = results.errors.length ? 1 : 0;
}

main().catch((e) => {
  console.error(`bench: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
