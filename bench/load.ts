// Bounded load generator: POST /api/user/visit to one test host only, over HTTPS with keep-alive
// off (every request is a new TCP + TLS connection), a few requests at a time. Stops at
// maxRequests, at maxSeconds, or when stop() is called, whichever comes first. Records failed
// requests and the longest gap between successful responses.
import { httpsRequest } from "../checks/visit";

export interface LoadOptions {
  /** Address of the test host (198.18.0.0/24): the only target. */
  address: string;
  domain: string;
  /** PEM the client trusts (the test host's self-signed certificate). */
  ca: string;
  concurrency: number;
  maxRequests: number;
  maxSeconds: number;
}

export interface LoadResult {
  requests: number;
  ok: number;
  failed: number;
  /** A few failures, for the report. */
  failures: string[];
  /** Longest time without a successful response (ms), including the start and the end. */
  longestGapMs: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export class LoadGenerator {
  private stopped = false;
  private done?: Promise<LoadResult>;

  constructor(readonly o: LoadOptions) {
    if (!/^198\.18\.0\.\d{1,3}$/.test(o.address) && o.address !== "127.0.0.1") throw new Error(`load generator: ${o.address} is not a test host`);
  }

  start(): this {
    const o = this.o;
    const t0 = Date.now();
    const deadline = t0 + o.maxSeconds * 1000;
    let sent = 0, ok = 0, failed = 0;
    const failures: string[] = [];
    const successTimes: number[] = [];
    const latencies: number[] = [];
    const body = JSON.stringify({ sessionId: "bench-load", type: "launch" });
    const worker = async () => {
      while (!this.stopped && sent < o.maxRequests && Date.now() < deadline) {
        sent++;
        const s = Date.now();
        try {
          const r = await httpsRequest({ domain: o.domain, connectTo: o.address, ca: o.ca, timeoutMs: 10_000 }, "POST", "/api/user/visit", body);
          let success = false;
          try { success = JSON.parse(r.body).success === true; } catch { /* not JSON */ }
          if (r.status === 200 && success) {
            ok++;
            successTimes.push(Date.now());
          } else {
            failed++;
            if (failures.length < 10) failures.push(`${new Date().toISOString()} HTTP ${r.status} ${r.body.slice(0, 120)}`);
          }
        } catch (e) {
          failed++;
          if (failures.length < 10) failures.push(`${new Date().toISOString()} ${(e as Error).message}`);
        }
        latencies.push(Date.now() - s);
      }
    };
    this.done = Promise.all(Array.from({ length: o.concurrency }, worker)).then(() => {
      const end = Date.now();
      const marks = [t0, ...successTimes.sort((a, b) => a - b), end];
      let gap = 0;
      for (let i = 1; i < marks.length; i++) gap = Math.max(gap, marks[i] - marks[i - 1]);
      latencies.sort((a, b) => a - b);
      const pct = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : NaN);
      const seconds = (end - t0) / 1000;
      return { requests: sent, ok, failed, failures, longestGapMs: gap, seconds, requestsPerSecond: Math.round((sent / seconds) * 10) / 10, p50Ms: pct(0.5), p99Ms: pct(0.99) };
    });
    return this;
  }

  stop(): Promise<LoadResult> {
    this.stopped = true;
    if (!this.done) throw new Error("load generator not started");
    return this.done;
  }
}
