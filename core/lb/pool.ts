// The load balancer's server pool, as the rolling deploy and the doctor see it (issue #15): the same
// interface over Alibaba Cloud's ALB server group (core/lb/alb.ts, its OpenAPI) and the local stack's
// HAProxy (core/lb/haproxy.ts, its runtime API over SSH), so the rollout logic that runs locally is
// the code that runs in the cloud. Drain and restore are written once, here, on top of it.

/** How a member looks to the load balancer right now. */
export type MemberHealth = "healthy" | "unhealthy" | "unknown";

export interface MemberState {
  /** The member's id in the pool: the ECS instance id (ALB), the server's name in the backend (HAProxy). */
  id: string;
  /** Its share of new requests; 0 takes it out of rotation (requests in flight finish). */
  weight: number;
  /** The load balancer's own health check verdict. */
  health: MemberHealth;
  /** Requests/connections it is still serving, or undefined when the load balancer does not say (ALB). */
  active?: number;
  /** The load balancer's words for its last check (HAProxy "L7STS/500 in 3ms", ALB's reason code), for the evidence. */
  detail: string;
}

export interface ServerPool {
  /** What this pool is, for messages ("HAProxy backend aistudio on 198.18.0.9", "ALB server group sgp-…"). */
  readonly name: string;
  members(): Promise<MemberState[]>;
  setWeight(id: string, weight: number): Promise<void>;
  close(): Promise<void>;
}

export interface WaitOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Ask the load balancer this often. */
  pollMs?: number;
  /** Progress lines for a long wait. */
  onProgress?: (line: string) => void;
}

/** The weight every server is given in rotation (ALB's scale is 0-100). */
export const FULL_WEIGHT = 100;

/** Fully in rotation: at full weight and healthy in the load balancer's own check (what restore leaves). */
export const inRotation = (m: MemberState): boolean => m.weight >= FULL_WEIGHT && m.health === "healthy";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function member(pool: ServerPool, id: string): Promise<MemberState> {
  const m = (await pool.members()).find((x) => x.id === id);
  if (!m) throw new Error(`${id} is not a member of ${pool.name} / ${id} 不在负载均衡的服务器组中: check the load balancer's configuration (the rollout only changes weights of members it declared)`);
  return m;
}

/**
 * Takes a member out of rotation (weight 0) and waits until it serves nothing. A pool that does not
 * report requests in flight (ALB drains by itself, for its connection-drain timeout) waits `minMs`.
 * Returns the milliseconds spent; a member still busy at the timeout is an error naming it.
 */
export async function drain(pool: ServerPool, id: string, o: WaitOptions & { minMs?: number }): Promise<number> {
  const t0 = Date.now();
  const before = await member(pool, id);
  await pool.setWeight(id, 0);
  // a member failing its health checks is sent nothing (a new server, not serving yet)
  if (before.health === "unhealthy" && !before.active) return Date.now() - t0;
  let last: MemberState | undefined;
  for (;;) {
    last = await member(pool, id);
    const waited = Date.now() - t0;
    if (last.active === 0 || (last.active === undefined && waited >= (o.minMs ?? 0))) return waited;
    if (waited >= o.timeoutMs) {
      throw new Error(`${id} still serves ${last.active} request(s) ${Math.round(waited / 1000)} s after it was taken out of ${pool.name} / 摘除后仍有请求未完成: a request longer than the drain timeout, or a client holding a connection open; its weight stays 0`);
    }
    o.onProgress?.(`draining ${id}: ${last.active ?? "?"} in flight`);
    await sleep(o.pollMs ?? 250);
  }
}

/**
 * Puts a member back (weight `weight`) and waits until the load balancer reports it healthy: the
 * next server of a rollout goes out only once this one takes requests again.
 */
export async function restore(pool: ServerPool, id: string, o: WaitOptions & { weight?: number }): Promise<number> {
  const t0 = Date.now();
  await pool.setWeight(id, o.weight ?? FULL_WEIGHT);
  for (;;) {
    const m = await member(pool, id);
    const waited = Date.now() - t0;
    if (m.health === "healthy") return waited;
    if (waited >= o.timeoutMs) {
      throw new Error(`${id} is not healthy in ${pool.name} ${Math.round(waited / 1000)} s after it was put back (${m.health}: ${m.detail}) / 放回负载均衡后健康检查未通过: the load balancer's health check fails where the smoke test passed; see the detail, then run the doctor`);
    }
    o.onProgress?.(`waiting for ${id} to be healthy: ${m.health} (${m.detail})`);
    await sleep(o.pollMs ?? 500);
  }
}
