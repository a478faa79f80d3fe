/**
 * @module Client-address allowlists (API keys' `allowed_ips`,
 * RELAY_ADMIN_ALLOWED_IPS): CIDR lists and membership, IPv4 and IPv6. IPv6
 * addresses are matched as IPv6: only the IPv4-mapped form ::ffff:a.b.c.d is
 * its IPv4 address (and ::ffff:a.b.c.d/n ranges, n ≥ 96, IPv4 ranges). A
 * NAT64, 6to4 or Teredo address is another host, whatever IPv4 bits it holds.
 */
import { type Cidr, inCidr, parseCidr, parseIp, unmapped } from "./ip";

export type { Cidr };
export { parseCidr };

export type CidrList = { ok: true; cidrs: Cidr[] } | { ok: false; invalid: string };

/** Parses every entry, or names the first one that is not a CIDR. */
export function parseCidrList(list: string[]): CidrList {
  const cidrs: Cidr[] = [];
  for (const entry of list) {
    const cidr = parseCidr(entry);
    if (!cidr) return { ok: false, invalid: entry };
    cidrs.push(unmappedCidr(cidr));
  }
  return { ok: true, cidrs };
}

/** Whether `ip` (as CF-Connecting-IP gives it) is in any of `cidrs`; never for an unparsable address. */
export function ipAllowed(ip: string, cidrs: Cidr[]): boolean {
  const address = parseIp(ip.trim());
  if (!address) return false;
  const canonical = unmapped(address);
  return cidrs.some((cidr) => inCidr(canonical, unmappedCidr(cidr)));
}

/** ::ffff:a.b.c.d/n (n ≥ 96) as the IPv4 range a.b.c.d/(n − 96) it is; any other range as it is. */
export function unmappedCidr(cidr: Cidr): Cidr {
  if (cidr.version !== 6 || cidr.prefix < 96 || cidr.network >> 32n !== 0xffffn) {
    return cidr;
  }
  return { version: 4, network: cidr.network & 0xffffffffn, prefix: cidr.prefix - 96 };
}

/** Whether every address of `inner` is also in `outer`. */
export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
  const a = unmappedCidr(inner);
  const b = unmappedCidr(outer);
  if (a.version !== b.version || a.prefix < b.prefix) return false;
  const shift = BigInt((b.version === 4 ? 32 : 128) - b.prefix);
  return a.network >> shift === b.network >> shift;
}
