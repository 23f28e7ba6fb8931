// The build fingerprint: what two servers built from the same code and config must share —
// digests of the managed files, package versions, unit settings, firewall rules, listeners, the
// enabled sites and the live release. Certificates are left out (a self-signed or ACME certificate
// differs per build). The fingerprint is a hash over the step's parsed probe records.
import { Step, sha256 } from "./step";
import { allPackages } from "./packages";
import { fileProbe, linkProbe, listenProbe, packageProbe, probeOf, ufwRulesProbe, unitPropsProbe } from "./probes";
import { enabledSitesProbes } from "./nginx";
import { canonicalProbe, parseProbe } from "../core/probe";
import { APP_ROOT, APP_UNIT } from "../core/constants";

/** The aistudio unit's settings that belong to the build (not its runtime state). */
const UNIT_PROPS = ["User", "Group", "ExecStart", "EnvironmentFiles", "ProtectSystem", "NoNewPrivileges", "Restart"];

/** `appPackages`: aistudio:app.packages, whose versions belong to the build like ours. */
export function fingerprintStep(o: { files: string[]; firewallRules: string[]; after: string[]; appPackages?: string[] }): Step {
  const files = [...new Set(o.files)].sort();
  return {
    id: "fingerprint",
    description: "record the build fingerprint (managed files, packages, unit, firewall, listeners)",
    files: [],
    // the step re-runs (and re-records) whenever any other step changed
    apply: `# after: ${o.after.join(" ")}\ntrue`,
    ...probeOf(
      ...files.map(fileProbe),
      ...[...new Set([...allPackages({ app: o.appPackages ?? [] }), "python3"])].map((p) => packageProbe(p, "version")),
      unitPropsProbe(APP_UNIT, UNIT_PROPS),
      ufwRulesProbe(o.firewallRules),
      listenProbe("*"),
      linkProbe(`${APP_ROOT}/current`),
      ...enabledSitesProbes(),
    ),
  };
}

/** The fingerprint of a fingerprint step's probe output: independent of record and field order. */
export function fingerprintOf(probeOutput: string): string {
  return sha256(canonicalProbe(parseProbe(probeOutput)));
}
