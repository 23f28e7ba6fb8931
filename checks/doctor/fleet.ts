// A fleet (servers.count > 1, issue #15): the load balancer and every server behind it. Through the
// same pool the rolling deploy drives (core/lb: ALB's API, or HAProxy's runtime API on the local
// stack), each server must be in rotation (full weight) and healthy in the load balancer's own
// check, and answer the health path when asked directly. The verdict names every server that is
// not, with the load balancer's words for it (HAProxy "L7STS 500", ALB's reason code).
import { t } from "../../core/text";
import { FULL_WEIGHT, MemberState, ServerPool } from "../../core/lb/pool";
import { openPool } from "../../core/lb/open";
import { httpsRequest } from "../visit";
import { Check, fail, ok, skip } from "./check";

export interface FleetTarget {
  /** How to reach the pool (PoolSpec: secret, it may hold an SSH key). */
  pool: Parameters<typeof openPool>[0];
  /** The servers the stack declared: their id in the pool and their own address. */
  servers: { member: string; address: string }[];
  /** The load balancer's health check path (servers.healthCheckPath). */
  healthCheckPath: string;
}

/** What is wrong with one server, or undefined: membership, weight, the load balancer's check, a direct GET. */
export function serverProblem(m: MemberState | undefined, direct: string | undefined): string | undefined {
  if (!m) return "not in the load balancer's server group";
  const problems: string[] = [];
  if (m.weight < FULL_WEIGHT) problems.push(`out of rotation (weight ${m.weight}): a rollout stopped at it`);
  if (m.health !== "healthy") problems.push(`${m.health} in the load balancer's check (${m.detail})`);
  if (direct) problems.push(`direct: ${direct}`);
  return problems.length ? problems.join("; ") : undefined;
}

async function directHealth(address: string, domain: string, path: string, ca: string | undefined): Promise<string | undefined> {
  try {
    const r = await httpsRequest({ domain, connectTo: address, ca, timeoutMs: 5000 }, "GET", path);
    return r.status === 200 ? undefined : `GET ${path} answered ${r.status}`;
  } catch (e) {
    return `GET ${path}: ${(e as Error).message}`;
  }
}

export const loadBalancerCheck: Check = {
  id: "load-balancer",
  title: t("负载均衡: 每台服务器都在轮询中且健康", "Load balancer: every server in rotation and healthy"),
  run: async (tg, ctx) => {
    const f = tg.fleet;
    if (!f) return skip("one server: no load balancer");
    let pool: ServerPool | undefined;
    let members: MemberState[];
    try {
      pool = openPool(f.pool);
      members = await pool.members();
    } catch (e) {
      return fail("the load balancer's server group, readable", (e as Error).message.split("\n")[0],
        t("无法读取负载均衡的服务器组", "the load balancer's server group cannot be read"),
        t("本地: 检查负载均衡测试机 (`npm run testhost -- ls`) 和 `systemctl status haproxy`; 阿里云: 检查 ALB 和 AccessKey 权限", "locally: check the load-balancer test host (`npm run testhost -- ls`) and `systemctl status haproxy` on it; on Alibaba Cloud: the ALB and the AccessKey's permissions"));
    } finally {
      await pool?.close().catch(() => undefined);
    }
    const ca = ctx.ca ?? (tg.ca && tg.ca !== "server-cert" ? tg.ca : undefined);
    const verdicts = await Promise.all(f.servers.map(async (s) => {
      const m = members.find((x) => x.id === s.member);
      return { s, problem: serverProblem(m, await directHealth(s.address, tg.domain, f.healthCheckPath, ca)) };
    }));
    const bad = verdicts.filter((v) => v.problem);
    const expected = `${f.servers.length} servers at weight ${FULL_WEIGHT}, healthy, answering GET ${f.healthCheckPath}`;
    if (bad.length === 0) return ok(`${f.servers.map((s) => s.member).join(", ")}: in rotation and healthy`, expected);
    const names = bad.map((v) => v.s.member).join(", ");
    return fail(expected, bad.map((v) => `${v.s.member} (${v.s.address}): ${v.problem}`).join("\n"),
        t(`${names} 不在服务: 其余服务器承担全部请求, 再坏一台网站就会中断`, `${names} ${bad.length === 1 ? "is" : "are"} not serving: the others carry every request, and one more failure takes the site down`),
        t(`查看该服务器 (\`systemctl status aistudio nginx\`、\`journalctl -u aistudio -n 50\`); 修复后 \`pulumi up\` 会把它放回负载均衡 (已停机的先启动)`, `look at that server (\`systemctl status aistudio nginx\`, \`journalctl -u aistudio -n 50\`); once fixed, \`pulumi up\` puts it back in the load balancer (boot it first if it is down)`));
  },
};
