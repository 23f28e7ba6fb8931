// The cloud firewall: an ingress rule accepts 443/tcp from anywhere, and every rule the last deploy
// made is still there. The rules are read from the cloud when the target can (a live reader), else
// from the stack state — which does not see a rule deleted in the console since, and says so.
import { t } from "../../core/text";
import { Check, CheckOutcome, fail, ok, SecurityGroupRule, skip } from "./check";

/** Is the port inside an Alibaba Cloud port range "from/to"? "-1/-1" means every port. */
function portIn(range: string, port: number): boolean {
  const [a, b] = range.split("/").map(Number);
  if (a === -1) return true;
  return port >= a && port <= (b ?? a);
}

/** Does this rule let anyone on the Internet reach the port? (Unset fields take Alibaba Cloud's defaults.) */
function opensToWorld(r: SecurityGroupRule, port: number): boolean {
  return (r.type ?? "ingress") === "ingress" && (r.policy ?? "accept") === "accept" && portIn(r.portRange, port) && (r.cidrIp ?? "0.0.0.0/0") === "0.0.0.0/0";
}

const show = (r: SecurityGroupRule) => `${r.portRange} ${r.cidrIp ?? ""}`;
/** Live and state rules are the same resource: by name when both have one, else by port range and source. */
const same = (a: SecurityGroupRule, b: SecurityGroupRule) => (a.name && b.name ? a.name === b.name : a.portRange === b.portRange && (a.cidrIp ?? "0.0.0.0/0") === (b.cidrIp ?? "0.0.0.0/0"));

export const FROM_STATE = "from the stack state (last deploy); a rule deleted in the console since is not seen — run `npm run drift`";

/** The 443 verdict on one set of rules; `source` is appended to what was found. */
function verdict(rules: SecurityGroupRule[], source: string): CheckOutcome {
  if (rules.some((r) => opensToWorld(r, 443))) return ok(`443/tcp from 0.0.0.0/0 (${source})`);
  return fail("ingress 443/tcp from 0.0.0.0/0", `${rules.map(show).join(", ") || "no rules"} (${source})`,
    t("安全组没有放行 443：手机无法连接（net::ERR_CONNECTION_CLOSED）", "the security group does not allow 443: phones cannot connect (net::ERR_CONNECTION_CLOSED)"),
    t("ECS 控制台 → 安全组 → 入方向 添加 443/tcp 0.0.0.0/0，或 pulumi up（代码中声明了该规则）", "ECS console → security group → inbound: add 443/tcp from 0.0.0.0/0, or pulumi up (the rule is declared in code)"));
}

export const securityGroupCheck: Check = {
  id: "security-group",
  title: t("阿里云安全组放行 443", "Alibaba Cloud security group allows 443"),
  run: async (tg) => {
    const state = tg.securityGroupRules;
    if (!state && !tg.liveSecurityGroupRules) return skip("no security group in this stack (local test host)");
    let live: SecurityGroupRule[] | undefined;
    let why = "";
    try {
      live = await tg.liveSecurityGroupRules?.();
    } catch (e) {
      why = `the cloud could not be read (${(e as Error).message.split("\n")[0].slice(0, 200)}); `;
    }
    if (!live) return verdict(state ?? [], `${why}${FROM_STATE}`);
    const deleted = (state ?? []).filter((s) => !live!.some((l) => same(s, l)));
    if (deleted.length) {
      const names = deleted.map((r) => `${r.name ?? "rule"} ${show(r).trim()}`).join(", ");
      const has443 = deleted.some((r) => opensToWorld(r, 443));
      return fail(`the deployed rules: ${state!.map(show).join(", ")}`, `deleted in the console: ${names} (read from the cloud just now)`,
        t(`部署后有人在控制台删除了安全组规则：${names}${has443 ? "；443 被删，手机无法连接（net::ERR_CONNECTION_TIMED_OUT）" : ""}`,
          `deleted in the console since the last deploy: ${names}${has443 ? "; with 443 gone, phones cannot connect (net::ERR_CONNECTION_TIMED_OUT)" : ""}`),
        t("pulumi up 恢复这些规则（`npm run drift` 列出所有偏离）；或在 ECS 控制台 → 安全组 → 入方向 重新添加", "pulumi up restores them (`npm run drift` lists everything that changed); or add them again under ECS console → security group → inbound"));
    }
    return verdict(live, "read from the cloud just now");
  },
};
