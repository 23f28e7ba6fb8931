// The post-deploy smoke test's logic: the smoke request (the guide's visit call unless configured),
// retried until it passes or the time budget runs out, then each extra probe; on failure, a message
// with expected vs found and the server's diagnostics.
// The Pulumi resource that runs it after every deploy is infra/components/smoke-test.ts.
import { randomUUID } from "node:crypto";
import { apiCall, probeCall, SmokeProbe, SmokeRequest, VISIT_REQUEST, VisitResult } from "./visit";
import { fetchDiagnostics } from "./diagnostics";
import { Connection, runOnce } from "../core/ssh";
import { FULLCHAIN } from "../core/constants";

export interface SmokeTarget {
  domain: string;
  connectTo?: string;
  /** "system" | "server-cert" (trust the certificate deployed on the server, test stacks) | PEM */
  trust: string;
  timeoutSeconds: number;
  connection: Connection;
  redact: string[];
  /** Default: the guide's visit call expecting success:true. */
  request?: SmokeRequest;
  probes?: SmokeProbe[];
  /** gunicorn's port, for the diagnostics (default 8000). */
  appPort?: number;
}

export interface SmokeOutcome {
  result: VisitResult;
  attempts: number;
  seconds: number;
}

async function serverCert(c: Connection): Promise<string> {
  return (await runOnce(c, `cat ${FULLCHAIN}`, 15_000)).stdout;
}

export async function runSmoke(i: SmokeTarget): Promise<SmokeOutcome> {
  const ca = i.trust === "system" ? undefined : i.trust === "server-cert" ? await serverCert(i.connection) : i.trust;
  const sessionId = `smoke-${randomUUID()}`;
  const start = Date.now();
  let attempts = 0;
  let result: VisitResult;
  const target = { domain: i.domain, connectTo: i.connectTo, ca, timeoutMs: 10_000 };
  for (;;) {
    attempts++;
    result = await apiCall(target, i.request ?? VISIT_REQUEST, sessionId);
    if (result.ok || Date.now() - start > i.timeoutSeconds * 1000) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  // the extra probes once the app answers: each must get its status and kind of answer
  if (result.ok) {
    for (const p of i.probes ?? []) {
      const pr = await probeCall(target, p);
      if (!pr.ok) result = { ...result, ok: false, problems: [...result.problems, ...pr.problems] };
    }
  }
  return { result, attempts, seconds: Math.round((Date.now() - start) / 100) / 10 };
}

/** Runs the smoke test; throws expected vs found plus the server's diagnostics when it fails. */
export async function smokeOrThrow(i: SmokeTarget): Promise<SmokeOutcome> {
  const outcome = await runSmoke(i);
  const { result, attempts, seconds } = outcome;
  if (!result.ok) {
    const diag = await fetchDiagnostics(i.connection, i.redact, i.appPort);
    throw new Error(
      `smoke test failed / 冒烟测试失败: ${(i.request ?? VISIT_REQUEST).method} https://${i.domain}${(i.request ?? VISIT_REQUEST).path}` +
        `${i.connectTo ? ` (via ${i.connectTo})` : ""} after ${attempts} attempts in ${seconds}s\n` +
        result.problems.map((p) => `  ✗ ${p}`).join("\n") +
        `\n\nserver diagnostics / 服务器诊断信息:\n${diag}`,
    );
  }
  return outcome;
}
