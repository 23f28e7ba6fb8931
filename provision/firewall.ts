// Firewall: ufw default deny incoming; SSH from the admin CIDRs (or anywhere when none are given on
// a test host), 80 and 443 from anywhere. gunicorn's port (aistudio:app.port) is bound to 127.0.0.1 and
// never opened.
import { Step } from "./step";
import { q } from "./shell";
import { probeOf, ufwPolicyProbe, ufwRulesProbe } from "./probes";

export interface FirewallOptions {
  sshPort: number;
  adminCidrs: string[];
}

/** A CIDR as `ufw show added` prints it: one address without its /32 (/128), which ufw drops. */
export const ufwSource = (cidr: string): string => cidr.replace(/\/32$/, (m) => (cidr.includes(":") ? m : "")).replace(/\/128$/, "");

/** The exact ufw rules, in the syntax of `ufw show added` (minus the "ufw " prefix). */
export function firewallRules(o: FirewallOptions): string[] {
  // as ufw prints them: a /32 written as it is would never match, and every deploy would reset ufw
  const ssh = o.adminCidrs.length
    ? o.adminCidrs.map((c) => `allow from ${ufwSource(c)} to any port ${o.sshPort} proto tcp`)
    : [`allow ${o.sshPort}/tcp`];
  return [...ssh, "allow 80/tcp", "allow 443/tcp"];
}

export function firewallStep(o: FirewallOptions): Step {
  const rules = firewallRules(o);
  const want = rules.map((r) => `ufw ${r}`).join("\n");
  return {
    id: "firewall",
    description: `ufw: deny incoming except ssh, 80, 443`,
    files: [],
    apply: `
want=${q(want)}
have=$(ufw show added 2>/dev/null | sed -n 's/^ufw /ufw /p' || true)
status=$(ufw status verbose 2>/dev/null || true)
if [ "$have" != "$want" ] || ! grep -q '^Status: active' <<<"$status" || ! grep -q 'Default: deny (incoming)' <<<"$status"; then
  echo "configuring ufw"
  ufw --force reset >/dev/null
  ufw default deny incoming >/dev/null
  ufw default allow outgoing >/dev/null
${rules.map((r) => `  ufw ${r} >/dev/null`).join("\n")}
  ufw --force enable
  rm -f /etc/ufw/*.rules.[0-9]* /etc/ufw/*.rules.[0-9]*_[0-9]* 2>/dev/null || true
fi
`,
    ...probeOf(ufwPolicyProbe(), ufwRulesProbe(rules)),
  };
}
