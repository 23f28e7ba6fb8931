// A ServerPool from a plain description (PoolSpec), so that a Pulumi dynamic provider can hold the
// spec as a (secret) input and open the pool itself: ALB's OpenAPI on Alibaba Cloud, HAProxy's
// runtime API over SSH on the local stack. The spec holds no cloud credential (ALB's come from the
// environment, core/lb/alb.ts); the HAProxy one holds the LB host's SSH key, hence secret.
import type { Connection } from "../ssh";
import type { ServerPool } from "./pool";
import { AlbPool } from "./alb";
import { HaproxyPool } from "./haproxy";

export type PoolSpec =
  | { kind: "haproxy"; connection: Connection; backend?: string; socket?: string }
  | { kind: "alb"; region: string; serverGroupId: string; listenerId: string; endpoint?: string };

export function openPool(spec: PoolSpec): ServerPool {
  switch (spec.kind) {
    case "haproxy":
      return new HaproxyPool({ connection: spec.connection, backend: spec.backend, socket: spec.socket });
    case "alb":
      return new AlbPool({ region: spec.region, serverGroupId: spec.serverGroupId, listenerId: spec.listenerId, endpoint: spec.endpoint });
    default:
      throw new Error(`openPool: unknown load balancer kind ${JSON.stringify((spec as { kind?: unknown }).kind)} (haproxy or alb)`);
  }
}
