// The TypeScript side of the probe helpers (core/probe-sh.ts, in every step's prelude): each
// function names the items a helper call prints records for (core/probe.ts) and the bash line that
// calls it. A step builds its `manages` and its `probe` from one list of these, so the two cannot
// disagree.
import type { ProbeItem } from "../core/probe";
import type { Step } from "./step";
import { q, words } from "./shell";

export interface Probe {
  /** The records this line always prints, one per item. */
  items: ProbeItem[];
  /** Bash using the helpers of provision/prelude.ts. */
  sh: string;
}

const one = (kind: string, subject: string, sh: string): Probe => ({ items: [{ kind, subject }], sh });

/** `file PATH sha256= mode= owner=` or `state=missing`. */
export const fileProbe = (path: string): Probe => one("file", path, `probe_file ${q(path)}`);

/** `unit NAME enabled= active=`. */
export const unitProbe = (name: string): Probe => one("unit", name, `probe_unit ${q(name)}`);

/** `unit NAME PROP=…` for the given systemd properties (the fingerprint). */
export const unitPropsProbe = (name: string, props: string[]): Probe => one("unit", name, `probe_unit_props ${words(name, props.join(","))}`);

/** `package NAME status=`; with `version`, `package NAME version=` (the fingerprint). */
export const packageProbe = (name: string, what: "status" | "version" = "status"): Probe =>
  one("package", name, `probe_package ${q(name)}${what === "version" ? " version" : ""}`);

/** `KIND PATH target=`: where a symlink points (kind `link`, or `site` for nginx's sites-enabled). */
export const linkProbe = (path: string, kind = "link"): Probe => one(kind, path, `probe_link ${words(path, kind)}`);

/**
 * A `KIND DIR/NAME target=` record for every entry of DIR other than `keep`. Declares no item:
 * it prints nothing while the directory holds only what we manage, and each line it prints is drift.
 */
export const extraLinksProbe = (dir: string, kind: string, keep: string[]): Probe => ({ items: [], sh: `probe_extra_links ${words(dir, kind, ...keep)}` });

/** `listen :PORT addresses=` (`:*`: every listening address). */
export const listenProbe = (port: number | "*"): Probe => one("listen", `:${port}`, `probe_listen ${q(String(port))}`);

/** `ufw policy status= incoming= outgoing= routed=`. */
export const ufwPolicyProbe = (): Probe => one("ufw", "policy", "probe_ufw_policy");

/** `ufw RULE added=yes|no` per wanted rule; any other added rule prints `ufw RULE added=yes` (drift). */
export const ufwRulesProbe = (rules: string[]): Probe => ({
  items: rules.map((subject) => ({ kind: "ufw", subject })),
  sh: `probe_ufw_rules ${words(...rules)}`.trimEnd(),
});

/** `cert PATH subject= issuer= san= notAfter=`; `names`: subject and SAN only (renewals are not drift). */
export const certProbe = (path: string, what: "full" | "names" = "full"): Probe =>
  one("cert", path, `probe_cert ${q(path)}${what === "names" ? " names" : ""}`);

/** `key PATH mode= owner= matches=` (whether the key belongs to the certificate); never the key. */
export const keyProbe = (path: string, cert: string): Probe => one("key", path, `probe_key ${words(path, cert)}`);

/** `renewal CONF server=`: the ACME server certbot renews from. */
export const renewalProbe = (conf: string): Probe => one("renewal", conf, `probe_renewal ${q(conf)}`);

/** `mount DIR state= fstype= uuid= label= fstab=`: what is mounted at DIR and what fstab mounts there. */
export const mountProbe = (dir: string): Probe => one("mount", dir, `probe_mount ${q(dir)}`);

/** A step's `manages` and `probe` from its probe lines. */
export function probeOf(...probes: Probe[]): Pick<Step, "manages" | "probe"> {
  return { manages: probes.flatMap((p) => p.items), probe: probes.map((p) => p.sh).join("\n") };
}
