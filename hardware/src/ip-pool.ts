// Address allocation for the simulated packet core: one data-only address per IMSI, by default
// from the shared address space 100.64.0.0/10 [RFC6598 §7], kept for the IMSI's lifetime in the
// simulator so a device keeps its address across location updates and re-attaches. Nothing ever
// connects to these addresses; they only label the session, like the Framed-IP-Address of
// RADIUS. Another IPv4 CIDR can be given, e.g. 127.100.0.0/16 so that devices on loopback really
// come from their session's address (network attestation in tests).

export const DEFAULT_POOL = '100.64.0.0/10';

function dotted(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

/** Parses an IPv4 CIDR with prefix 8-30; RangeError otherwise (host bits must be zero). */
export function parseCidr(cidr: string): { base: number; size: number } {
  const m = typeof cidr === 'string' ? /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr) : null;
  if (!m) throw new RangeError(`ip pool ${String(cidr)} is not an IPv4 CIDR like 100.64.0.0/10`);
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix < 8 || prefix > 30) throw new RangeError(`ip pool ${cidr}: octets 0-255, prefix 8-30`);
  const base = octets.reduce((n, o) => ((n << 8) | o) >>> 0, 0);
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) throw new RangeError(`ip pool ${cidr}: host bits must be zero`);
  return { base, size };
}

export class IpPool {
  private next = 1;
  private readonly byImsi = new Map<string, string>();
  private readonly base: number;
  private readonly size: number;

  constructor(readonly cidr: string = DEFAULT_POOL) {
    ({ base: this.base, size: this.size } = parseCidr(cidr));
  }

  /** The IMSI's address, allocating the next free one on first use. */
  addressOf(imsi: string): string {
    const known = this.byImsi.get(imsi);
    if (known !== undefined) return known;
    // Skip host octets .0 and .255: valid in a /10, but confusing in logs and to some stacks.
    while ((this.next & 0xff) === 0 || (this.next & 0xff) === 0xff) this.next++;
    if (this.next >= this.size - 1) throw new RangeError(`address pool ${this.cidr} exhausted`);
    const ip = dotted((this.base + this.next) >>> 0);
    this.next++;
    this.byImsi.set(imsi, ip);
    return ip;
  }
}
