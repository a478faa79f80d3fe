/**
 * @module IP addresses as numbers: strict IPv4 and IPv6 parsing, CIDR ranges,
 * and the IPv4 addresses an IPv6 one may carry (mapped, translated,
 * compatible, NAT64, 6to4, Teredo), so that no spelling of an address escapes
 * a range check.
 */

export type IpAddress = {
  version: 4 | 6;
  value: bigint;
  /**
   * Every IPv4 address this IPv6 address may carry, by every convention that
   * can route it there; empty or absent for IPv4 and plain IPv6 addresses.
   */
  carriedV4?: IpAddress[];
};

export type Cidr = { version: 4 | 6; network: bigint; prefix: number };

/** Dotted decimal only: four parts 0–255, no leading zeros (those mean octal elsewhere). */
function parseIPv4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

/** RFC 4291 text forms, with `::` and a trailing dotted quad; no zone ids. */
function parseIPv6(text: string): bigint | null {
  if (!/^[0-9a-f:.]+$/i.test(text) || text.split("::").length > 2) return null;
  let tail = text;
  let v4: bigint | null = null;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    v4 = parseIPv4(text.slice(lastColon + 1));
    if (v4 === null) return null;
    tail = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head, rest] = tail.includes("::") ? tail.split("::") : [tail, undefined];
  const groups = (s: string | undefined) => (s ? s.split(":") : []);
  const left = groups(head);
  const right = groups(rest);
  const missing = 8 - left.length - right.length;
  if (rest === undefined ? missing !== 0 : missing < 1) return null;
  const all = [...left, ...Array<string>(rest === undefined ? 0 : missing).fill("0"), ...right];
  let value = 0n;
  for (const group of all) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return null;
    value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  }
  if (v4 !== null) value = (value & ~0xffffffffn) | v4;
  return value;
}

const V4 = (value: bigint): IpAddress => ({ version: 4, value });

const MASK_32 = 0xffffffffn;

/**
 * The IPv4 addresses an IPv6 address carries, by each convention that routes
 * it as IPv4: mapped ::ffff:0:0/96, translated ::ffff:0:0:0/96 (RFC 2765),
 * compatible ::/96, NAT64 64:ff9b::/96 (RFC 6052) and the local-use
 * 64:ff9b:1::/48 (RFC 8215, both as /96 and in RFC 6052's /48 layout), 6to4
 * 2002::/16 and Teredo 2001::/32 (server, and the client bits inverted).
 */
function carried(value: bigint): IpAddress[] {
  const high96 = value >> 32n;
  const low32 = value & MASK_32;
  if (high96 === 0xffffn || high96 === 0xffff0000n) return [V4(low32)];
  if (high96 === 0n) return low32 > 1n ? [V4(low32)] : [];
  if (high96 === 0x0064ff9b0000000000000000n) return [V4(low32)];
  if (value >> 80n === 0x0064ff9b0001n) {
    const layout48 = (((value >> 64n) & 0xffffn) << 16n) | ((value >> 40n) & 0xffffn);
    return [V4(low32), V4(layout48)];
  }
  if (value >> 112n === 0x2002n) return [V4((value >> 80n) & MASK_32)];
  if (value >> 96n === 0x20010000n) return [V4((value >> 64n) & MASK_32), V4(~low32 & MASK_32)];
  return [];
}

/**
 * The IPv4 address an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is, else the
 * address itself. Only that form is the same host as its IPv4: the one a
 * dual-stack socket reports for an IPv4 client.
 */
export function unmapped(address: IpAddress): IpAddress {
  return address.version === 6 && address.value >> 32n === 0xffffn
    ? V4(address.value & MASK_32)
    : address;
}

export function parseIp(text: string): IpAddress | null {
  const v4 = parseIPv4(text);
  if (v4 !== null) return V4(v4);
  const v6 = parseIPv6(text);
  if (v6 === null) return null;
  const inner = carried(v6);
  return inner.length > 0 ? { version: 6, value: v6, carriedV4: inner } : { version: 6, value: v6 };
}

/** `a.b.c.d/n` or `x::y/n`; a bare address is a range of one. */
export function parseCidr(text: string): Cidr | null {
  const [addressText, prefixText, extra] = text.trim().split("/");
  if (extra !== undefined || !addressText) return null;
  const address = parseIp(addressText);
  if (!address) return null;
  const bits = address.version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return null;
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
  return { version: address.version, network: address.value & mask, prefix };
}

const cidrCache = new Map<string, Cidr>();

export function inCidr(address: IpAddress, cidr: Cidr): boolean {
  if (address.version !== cidr.version) return false;
  const bits = cidr.version === 4 ? 32 : 128;
  const shift = BigInt(bits - cidr.prefix);
  return address.value >> shift === cidr.network >> shift;
}

/** Whether `address` is in the range written as `cidrText` (a constant of ours). */
export function isInRange(address: IpAddress, cidrText: string): boolean {
  let cidr = cidrCache.get(cidrText);
  if (!cidr) {
    const parsed = parseCidr(cidrText);
    if (!parsed) throw new Error(`bad range constant ${cidrText}`);
    cidr = parsed;
    cidrCache.set(cidrText, cidr);
  }
  return inCidr(address, cidr);
}
