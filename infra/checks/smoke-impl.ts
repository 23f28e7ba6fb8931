// Provider implementation of the post-deploy smoke test (see smoke.ts).
import { randomUUID } from "node:crypto";
import { visit, VisitResult } from "./visit";
import { fetchDiagnostics } from "./diagnostics";
import { Connection, runOnce } from "../runner/ssh";

export interface SmokeInputs {
  domain: string;
  connectTo?: string;
  /** "system" | "server-cert" (trust the certificate deployed on the server, test stacks) | PEM */
  trust: string;
  timeoutSeconds: number;
  connection: Connection;
  redact: string[];
  triggers: string[];
}

async function serverCert(c: Connection): Promise<string> {
  return (await runOnce(c, "cat /etc/aistudio/tls/fullchain.pem", 15_000)).stdout;
}

export async function runSmoke(i: SmokeInputs): Promise<{ result: VisitResult; attempts: number; seconds: number }> {
  const ca = i.trust === "system" ? undefined : i.trust === "server-cert" ? await serverCert(i.connection) : i.trust;
  const sessionId = `smoke-${randomUUID()}`;
  const start = Date.now();
  let attempts = 0;
  let result: VisitResult;
  for (;;) {
    attempts++;
    result = await visit({ domain: i.domain, connectTo: i.connectTo, ca, timeoutMs: 10_000 }, sessionId);
    if (result.ok || Date.now() - start > i.timeoutSeconds * 1000) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  return { result, attempts, seconds: Math.round((Date.now() - start) / 100) / 10 };
}

async function check(i: SmokeInputs) {
  const { result, attempts, seconds } = await runSmoke(i);
  if (!result.ok) {
    const diag = await fetchDiagnostics(i.connection, i.redact);
    throw new Error(
      `smoke test failed / 冒烟测试失败: POST https://${i.domain}/api/user/visit` +
        `${i.connectTo ? ` (via ${i.connectTo})` : ""} after ${attempts} attempts in ${seconds}s\n` +
        result.problems.map((p) => `  ✗ ${p}`).join("\n") +
        `\n\nserver diagnostics / 服务器诊断信息:\n${diag}`,
    );
  }
  return { ...i, status: result.status, body: result.body, attempts, seconds };
}

export async function create(i: SmokeInputs) {
  return { id: `smoke-${i.domain}`, outs: await check(i) };
}
export async function update(_id: string, _o: unknown, n: SmokeInputs) {
  return { outs: await check(n) };
}
export function diff(_id: string, o: SmokeInputs, n: SmokeInputs) {
  const changes = JSON.stringify(o.triggers) !== JSON.stringify(n.triggers) || o.domain !== n.domain || o.connectTo !== n.connectTo;
  return { changes };
}
