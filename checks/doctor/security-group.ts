// The cloud firewall (from the stack state): an ingress rule accepts 443/tcp from anywhere.
import { t } from "../../core/text";
import { Check, fail, ok, SecurityGroupRule, skip } from "./check";

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

export const securityGroupCheck: Check = {
  id: "security-group",
  title: t("阿里云安全组放行 443", "Alibaba Cloud security group allows 443"),
  run: async (tg) => {
    const rules = tg.securityGroupRules;
    if (!rules) return skip("no security group in this stack (local test host)");
    if (rules.some((r) => opensToWorld(r, 443))) return ok("443/tcp from 0.0.0.0/0");
    return fail("ingress 443/tcp from 0.0.0.0/0", rules.map((r) => `${r.portRange} ${r.cidrIp ?? ""}`).join(", ") || "no rules",
      t("安全组没有放行 443：手机无法连接（net::ERR_CONNECTION_CLOSED）", "the security group does not allow 443: phones cannot connect (net::ERR_CONNECTION_CLOSED)"),
      t("ECS 控制台 → 安全组 → 入方向 添加 443/tcp 0.0.0.0/0，或 pulumi up（代码中声明了该规则）", "ECS console → security group → inbound: add 443/tcp from 0.0.0.0/0, or pulumi up (the rule is declared in code)"));
  },
};
