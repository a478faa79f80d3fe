/**
 * @module Client-address allowlists (API keys' `allowed_ips`,
 * RELAY_ADMIN_ALLOWED_IPS): CIDR lists and membership, IPv4 and IPv6. A client
 * address written as IPv4-mapped IPv6 matches IPv4 ranges.
 */
import { type Cidr, inCidr, parseCidr, parseIp } from "./ip";

export type { Cidr };
export { parseCidr };

export type CidrList = { ok: true; cidrs: Cidr[] } | { ok: false; invalid: string };

/** Parses every entry, or names the first one that is not a CIDR. */
export function parseCidrList(list: string[]): CidrList {
  const cidrs: Cidr[] = [];
  for (const entry of list) {
    const cidr = parseCidr(entry);
    if (!cidr) return { ok: false, invalid: entry };
    cidrs.push(cidr);
  }
  return { ok: true, cidrs };
}

/** Whether `ip` (as CF-Connecting-IP gives it) is in any of `cidrs`; never for an unparsable address. */
export function ipAllowed(ip: string, cidrs: Cidr[]): boolean {
  const address = parseIp(ip.trim());
  if (!address) return false;
  return cidrs.some(
    (cidr) => inCidr(address, cidr) || (address.embeddedV4 !== undefined && inCidr(address.embeddedV4, cidr)),
  );
}
