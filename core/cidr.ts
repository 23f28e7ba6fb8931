// IPv4 CIDR arithmetic, pure: parsing (plain decimal dotted quads only), the network a CIDR means,
// and how many addresses a set of CIDRs admits together. The config (infra/config-values.ts) and
// the policy pack (policy/policies.ts) both measure SSH sources with it, so they refuse the same sets.

export interface Cidr {
  /** The address as written. */
  addr: string;
  bits: number;
  /** The address as a number (0 … 2^32-1). */
  ip: number;
  /** The first address of the network (host bits cleared). */
  network: number;
  /** How many addresses it admits: 2^(32-bits). */
  size: number;
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** "a.b.c.d/n" with decimal numbers only (no leading zeros, no spaces), or undefined. */
export function parseCidr(text: string): Cidr | undefined {
  const m = /^([^./]+)\.([^./]+)\.([^./]+)\.([^./]+)\/([^./]+)$/.exec(text);
  if (!m || !m.slice(1).every((p) => DECIMAL.test(p))) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) return undefined;
  const ip = octets.reduce((n, o) => n * 256 + o, 0);
  const size = 2 ** (32 - bits);
  return { addr: m.slice(1, 5).join("."), bits, ip, network: ip - (ip % size), size };
}

export function formatIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** The network the CIDR means, "203.0.113.0/24" for "203.0.113.10/24". */
export function networkOf(c: Cidr): string {
  return `${formatIp(c.network)}/${c.bits}`;
}

/** How many addresses the CIDRs admit together (overlaps counted once). */
export function unionSize(cidrs: Cidr[]): number {
  const spans = cidrs.map((c) => [c.network, c.network + c.size] as const).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -1;
  for (const [from, to] of spans) {
    if (to <= end) continue;
    total += to - Math.max(from, end);
    end = to;
  }
  return total;
}

/** The whole IPv4 Internet: 2^32 addresses. */
export const ALL_ADDRESSES = 2 ** 32;

/** The addresses one CIDR of prefix length `bits` admits. */
export const sizeOfPrefix = (bits: number): number => 2 ** (32 - bits);
