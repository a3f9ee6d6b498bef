// Address allocation for the simulated packet core: one data-only address per IMSI from the
// shared address space 100.64.0.0/10 [RFC6598 §7], kept for the IMSI's lifetime in the simulator
// so a device keeps its address across location updates and re-attaches. Nothing ever connects
// to these addresses; they only label the session, like the Framed-IP-Address of RADIUS.

const BASE = (100 << 24) | (64 << 16); // 100.64.0.0
const SIZE = 1 << 22; // a /10

function dotted(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

export class IpPool {
  private next = 1;
  private readonly byImsi = new Map<string, string>();

  /** The IMSI's address, allocating the next free one on first use. */
  addressOf(imsi: string): string {
    const known = this.byImsi.get(imsi);
    if (known !== undefined) return known;
    // Skip host octets .0 and .255: valid in a /10, but confusing in logs and to some stacks.
    while ((this.next & 0xff) === 0 || (this.next & 0xff) === 0xff) this.next++;
    if (this.next >= SIZE - 1) throw new RangeError('address pool 100.64.0.0/10 exhausted');
    const ip = dotted((BASE + this.next) >>> 0);
    this.next++;
    this.byImsi.set(imsi, ip);
    return ip;
  }
}
