import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ipAllowed, parseCidrList } from "../../../src/security/ip-allowlist";

function cidrs(list: string[]) {
  const parsed = parseCidrList(list);
  if (!parsed.ok) throw new Error(`not a CIDR: ${parsed.invalid}`);
  return parsed.cidrs;
}

describe("client-address allowlists", () => {
  test("a list parses whole, or names its first bad entry", () => {
    expect(parseCidrList(["203.0.113.0/24", "2001:db8::/32", "198.51.100.7"]).ok).toBe(true);
    expect(parseCidrList(["203.0.113.0/24", "nope", "10.0.0.0/33"])).toEqual({ ok: false, invalid: "nope" });
    expect(parseCidrList(["10.0.0.0/33"])).toEqual({ ok: false, invalid: "10.0.0.0/33" });
  });

  test("IPv4 and IPv6 membership, a bare address as a range of one", () => {
    const list = cidrs(["203.0.113.0/24", "2001:db8::/32", "198.51.100.7"]);
    expect(ipAllowed("203.0.113.200", list)).toBe(true);
    expect(ipAllowed("203.0.114.1", list)).toBe(false);
    expect(ipAllowed("198.51.100.7", list)).toBe(true);
    expect(ipAllowed("198.51.100.8", list)).toBe(false);
    expect(ipAllowed("2001:db8:1234::1", list)).toBe(true);
    expect(ipAllowed("2001:db9::1", list)).toBe(false);
    expect(ipAllowed(" 203.0.113.5 ", list)).toBe(true);
  });

  test("an IPv4-mapped IPv6 client matches IPv4 ranges; garbage matches nothing", () => {
    const list = cidrs(["203.0.113.0/24"]);
    expect(ipAllowed("::ffff:203.0.113.9", list)).toBe(true);
    expect(ipAllowed("::ffff:203.0.114.9", list)).toBe(false);
    expect(ipAllowed("", cidrs(["0.0.0.0/0"]))).toBe(false);
    expect(ipAllowed("not an address", cidrs(["0.0.0.0/0", "::/0"]))).toBe(false);
    expect(ipAllowed("203.0.113.9", [])).toBe(false);
  });

  test("every IPv4 address is in its own /32 and in 0.0.0.0/0, and in a /24 exactly when its first three octets match", () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV4(), (a, b) => {
        expect(ipAllowed(a, cidrs([`${a}/32`]))).toBe(true);
        expect(ipAllowed(a, cidrs(["0.0.0.0/0"]))).toBe(true);
        const net = `${b.split(".").slice(0, 3).join(".")}.0/24`;
        const same = a.split(".").slice(0, 3).join(".") === b.split(".").slice(0, 3).join(".");
        expect(ipAllowed(a, cidrs([net]))).toBe(same);
      }),
    );
  });
});
