import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { parseCidr, parseIp } from "../../../src/security/ip";
import { checkWebhookUrl } from "../../../src/security/url-safety";

const strict = (url: string) => checkWebhookUrl(url, { allowPrivate: false });
const local = (url: string) => checkWebhookUrl(url, { allowPrivate: true });

/** Hostile spellings refused in production; `always`: refused even where private URLs are allowed. */
const HOSTILE: Array<[url: string, always: boolean]> = [
  ["https://127.0.0.1/", false],
  ["https://127.1/", false],
  ["https://127.0.1/", false],
  ["https://2130706433/", false],
  ["https://0x7f000001/", false],
  ["https://0x7f.0.0.1/", false],
  ["https://0177.0.0.1/", false],
  ["https://017700000001/", false],
  ["https://127.0.0.1./", false],
  ["https://localhost/", false],
  ["https://LOCALHOST/", false],
  ["https://localhost./", false],
  ["https://localhost../", false],
  ["https://api.localhost/", false],
  ["https://[::1]/", false],
  ["https://[0:0:0:0:0:0:0:1]/", false],
  ["https://[::]/", false],
  ["https://0.0.0.0/", false],
  ["https://0/", false],
  ["https://10.0.0.1/", false],
  ["https://10.255.255.255/", false],
  ["https://172.16.0.1/", false],
  ["https://172.31.255.254/", false],
  ["https://192.168.1.1/", false],
  ["https://0xc0a80101/", false],
  ["https://100.64.0.1/", false],
  ["https://198.18.0.1/", false],
  ["https://224.0.0.1/", false],
  ["https://255.255.255.255/", false],
  ["https://[fc00::1]/", false],
  ["https://[fd12:3456:789a::1]/", false],
  ["https://[ff02::1]/", false],
  ["https://[::ffff:127.0.0.1]/", false],
  ["https://[::ffff:7f00:1]/", false],
  ["https://[::ffff:10.0.0.1]/", false],
  ["https://[::127.0.0.1]/", false],
  ["https://[64:ff9b::10.0.0.1]/", false],
  ["https://[2002:c0a8:0101::1]/", false],
  ["https://printer.local/", false],
  ["https://intranet/", false],
  ["https://169.254.169.254/latest/meta-data/", true],
  ["https://169.254.169.254./", true],
  ["https://2852039166/", true],
  ["https://0xa9fea9fe/", true],
  ["https://0251.0376.0251.0376/", true],
  ["https://169.254.0.1/", true],
  ["https://[fe80::1]/", true],
  ["https://[febf::1]/", true],
  ["https://[::ffff:169.254.169.254]/", true],
  ["https://[::ffff:a9fe:a9fe]/", true],
  ["https://[fd00:ec2::254]/", true],
  ["https://metadata.google.internal/computeMetadata/v1/", true],
  ["https://metadata/", true],
  ["https://metadata.google.internal./", true],
  ["https://anything.internal/", true],
  // Issue #17: IPv6 forms that carry a refused IPv4 address, and deprecated ranges.
  ["https://[::ffff:0:7f00:1]/", false], // IPv4-translated 127.0.0.1
  ["https://[::ffff:0:127.0.0.1]/", false],
  ["https://[::ffff:0:a00:1]/", false], // translated 10.0.0.1
  ["https://[64:ff9b:1::7f00:1]/", false], // local-use NAT64, /96 layout
  ["https://[64:ff9b:1::10.0.0.1]/", false],
  ["https://[64:ff9b:1:7f00:0:100::]/", false], // local-use NAT64, RFC 6052 /48 layout
  ["https://[64:ff9b:1::5db8:d822]/", false], // local-use NAT64 is private whatever it carries
  ["https://[64:ff9b::7f00:1]/", false], // well-known NAT64 127.0.0.1
  ["https://[64:ff9b::127.0.0.1]/", false],
  ["https://[64:ff9b::c0a8:101]/", false],
  ["https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", false], // Teredo, client 127.0.0.1
  ["https://[2001:0:7f00:1::1]/", false], // Teredo, server 127.0.0.1
  ["https://[2001:0:5db8:d822:0:0:a247:dd4c]/", false], // Teredo, any: a tunnel
  ["https://[2002:7f00:1::]/", false], // 6to4 127.0.0.1
  ["https://[2002:a00:1::1]/", false], // 6to4 10.0.0.1
  ["https://[2002:7f00:0001:0:0:0:0:1]/", false],
  ["https://[fec0::1]/", false], // site-local
  ["https://[feff::1]/", false],
  ["https://192.88.99.1/", false], // 6to4 relay anycast
  ["https://[::ffff:0:a9fe:a9fe]/", true], // translated 169.254.169.254
  ["https://[64:ff9b:1::a9fe:a9fe]/", true], // local-use NAT64 169.254.169.254
  ["https://[64:ff9b::a9fe:a9fe]/", true],
  ["https://[64:ff9b::169.254.169.254]/", true],
  ["https://[2002:a9fe:a9fe::1]/", true], // 6to4 169.254.169.254
  ["https://[2001:0:a9fe:a9fe::1]/", true], // Teredo server 169.254.169.254
  ["https://[2001:0:4136:e378:8000:63bf:5601:5601]/", true], // Teredo client 169.254.169.254
  ["https://[::169.254.169.254]/", true],
  ["https://metadata.goog/computeMetadata/v1/", true],
  ["https://METADATA.GOOG./", true],
  // Issue #27: names private without DNS, and names that resolve to what they spell.
  ["https://localhost.localdomain/", false],
  ["https://db.localdomain/", false],
  ["https://kubernetes.default.svc/", false],
  ["https://kubernetes.default.svc.cluster.local/", false],
  ["https://router.home.arpa/", false],
  ["https://nas.lan/", false],
  ["https://wiki.corp/", false],
  ["https://localtest.me/", false],
  ["https://app.localtest.me/", false],
  ["https://lvh.me/", false],
  ["https://a.b.lvh.me./", false],
  ["https://vcap.me/", false],
  ["https://x.localhost.direct/", false],
  ["https://127.0.0.1.nip.io/", false],
  ["https://app.10.0.0.1.nip.io/", false],
  ["https://app-192-168-1-1.nip.io/", false],
  ["https://7f000001.nip.io/", false],
  ["https://app-7f000001.sslip.io/", false],
  ["https://127.000.000.001.sslip.io/", false],
  ["https://--1.sslip.io/", false],
  ["https://--ffff-7f00-1.sslip.io/", false],
  ["https://127.0.0.1.xip.io/", false],
  ["https://7f000001.93.184.216.34.nip.io/", false], // every position is read, not the service's alone
  ["https://169.254.169.254.nip.io/", true],
  ["https://a9fea9fe.sslip.io/", true],
  ["https://fe80--1.sslip.io/", true],
];

describe("webhook URL safety", () => {
  test(`${HOSTILE.length} hostile spellings are refused in production`, () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(40);
    for (const [url] of HOSTILE) {
      const verdict = strict(url);
      expect(verdict.ok, url).toBe(false);
    }
  });

  test("link-local and metadata addresses stay refused where private URLs are allowed", () => {
    for (const [url, always] of HOSTILE) {
      expect(local(url).ok, url).toBe(!always);
    }
  });

  test("public URLs pass, normalised", () => {
    const good = [
      "https://example.com/webhooks",
      "https://EXAMPLE.com/Hooks?x=1",
      "https://api.example.co.uk:8443/h",
      "https://hooks.example.com:443/a/b/c",
      "https://93.184.216.34/h",
      "https://[2606:4700:4700::1111]/h",
      "https://xn--bcher-kva.example/h",
      "https://bücher.example/h",
      "https://example.com:2053/h",
      "https://sub.domain.example.org/path%20with%20space",
      "https://172.32.0.1/h",
      "https://100.128.0.1/h",
      "https://[64:ff9b::5db8:d822]/h", // well-known NAT64 of a public address
      "https://[2002:5db8:d822::1]/h", // 6to4 of a public address
      "https://[2001:db8::1]/h".replace("2001:db8", "2a00:1450"),
      "https://[fe00::1]/h".replace("fe00", "2600"),
      // Near the private names, but public.
      "https://local.example.com/h",
      "https://svc.example.com/h",
      "https://localtest.me.example.com/h",
      "https://mylvh.me/h",
      "https://93.184.216.34.nip.io/h",
      "https://app-93-184-216-34.sslip.io/h",
      "https://nip.io/h",
    ];
    for (const url of good) {
      const verdict = strict(url);
      expect(verdict, url).toMatchObject({ ok: true });
    }
    expect(strict("https://EXAMPLE.com/x")).toEqual({ ok: true, url: "https://example.com/x" });
  });

  test("https only in production; http and any port locally", () => {
    expect(strict("http://example.com/")).toEqual({ ok: false, reason: "url must use https" });
    expect(strict("ftp://example.com/")).toMatchObject({ ok: false });
    expect(strict("javascript:alert(1)")).toMatchObject({ ok: false });
    expect(strict("file:///etc/passwd")).toMatchObject({ ok: false });
    expect(local("http://localhost:9000/h")).toMatchObject({ ok: true });
    expect(local("ftp://localhost/")).toMatchObject({ ok: false });
  });

  test("only ports a Worker can reach in production", () => {
    for (const port of [80, 443, 8080, 8443, 2053, 2096, 8880]) {
      expect(strict(`https://example.com:${port}/`).ok, String(port)).toBe(true);
    }
    for (const port of [22, 25, 3000, 5432, 6379, 9200, 65535]) {
      expect(strict(`https://example.com:${port}/`)).toEqual({
        ok: false,
        reason: `url port ${port} is not reachable from Cloudflare Workers`,
      });
      expect(local(`https://example.com:${port}/`).ok).toBe(true);
    }
  });

  test("credentials are refused in both modes, and never echoed", () => {
    for (const check of [strict, local]) {
      const verdict = check("https://user:s3cr3t-pass@example.com/");
      expect(verdict).toEqual({ ok: false, reason: "url must not contain credentials" });
      expect(JSON.stringify(verdict)).not.toContain("s3cr3t");
    }
    expect(strict("https://user@example.com/").ok).toBe(false);
  });

  test("garbage is refused, not thrown", () => {
    for (const bad of [
      "",
      "not a url",
      "https://",
      "https:///x",
      "//example.com",
      `https://example.com/${"a".repeat(3000)}`,
    ]) {
      expect(strict(bad).ok, bad).toBe(false);
    }
  });

  test("the URL length limit holds for the normalised form that is stored", () => {
    // 1,000 × "é" is 1,020 characters as given and 6,020 once percent-encoded.
    const long = `https://example.com/${"é".repeat(1000)}`;
    expect(long.length).toBeLessThanOrEqual(2048);
    for (const check of [strict, local]) {
      expect(check(long)).toEqual({
        ok: false,
        reason: "url must be at most 2048 characters once normalised",
      });
    }
    const fits = `https://example.com/${"é".repeat(300)}`;
    const verdict = strict(fits);
    expect(verdict.ok && verdict.url.length).toBeLessThanOrEqual(2048);
  });

  test("every IPv4 spelling is judged as the address fetch() would reach", () => {
    fc.assert(
      fc.property(fc.ipV4Extended(), (host) => {
        const canonical = new URL(`https://${host}/`).hostname;
        expect(strict(`https://${host}/`).ok).toBe(strict(`https://${canonical}/`).ok);
      }),
      { numRuns: 500 },
    );
  });

  test("an IPv4-mapped IPv6 address is judged as its IPv4 address", () => {
    fc.assert(
      fc.property(fc.ipV4(), (v4) => {
        expect(strict(`https://[::ffff:${v4}]/`).ok).toBe(strict(`https://${v4}/`).ok);
      }),
      { numRuns: 300 },
    );
  });
});

/** The private ranges, one address drawn inside each. */
const privateV4 = fc.oneof(
  fc.tuple(fc.constant(10), fc.nat(255), fc.nat(255), fc.nat(255)),
  fc.tuple(fc.constant(127), fc.nat(255), fc.nat(255), fc.nat(255)),
  fc.tuple(fc.constant(172), fc.integer({ min: 16, max: 31 }), fc.nat(255), fc.nat(255)),
  fc.tuple(fc.constant(192), fc.constant(168), fc.nat(255), fc.nat(255)),
  fc.tuple(fc.constant(100), fc.integer({ min: 64, max: 127 }), fc.nat(255), fc.nat(255)),
  fc.tuple(fc.constant(0), fc.nat(255), fc.nat(255), fc.nat(255)),
);
/** Labels that spell no address themselves (not eight hex digits, no dashes): the prefix of a name. */
const label = fc.stringMatching(/^[g-z][a-z0-9]{0,11}$/);
const labels = fc.array(label, { maxLength: 3 });
const hex8 = (parts: number[]) => parts.map((p) => p.toString(16).padStart(2, "0")).join("");

/** The ways nip.io, sslip.io and xip.io spell an address in a name, each with a prefix of labels. */
const spellings = (parts: number[], prefix: string[]) => {
  const dotted = [...prefix, parts.join(".")].join(".");
  const dashed = [...prefix.slice(0, -1), [prefix.at(-1), parts.join("-")].filter(Boolean).join("-")].join(".");
  const hex = [...prefix.slice(0, -1), [prefix.at(-1), hex8(parts)].filter(Boolean).join("-")].join(".");
  return [dotted, dashed, hex].filter((s) => s !== "");
};

describe("names private without DNS (issue #27)", () => {
  test("any name below a private suffix or a loopback domain is refused in production, allowed locally", () => {
    const suffixes = [
      "localhost", "local", "home.arpa", "localdomain", "lan", "svc", "svc.cluster.local",
      "intranet", "corp", "home", "localtest.me", "lvh.me", "vcap.me", "lacolhost.com",
      "localho.st", "smackaho.st", "fuf.me", "localhost.direct", "traefik.me",
    ];
    fc.assert(
      fc.property(labels, fc.constantFrom(...suffixes), fc.boolean(), fc.boolean(), (prefix, suffix, upper, dot) => {
        let host = [...prefix, suffix].join(".");
        if (upper) host = host.toUpperCase();
        if (dot) host += ".";
        const url = `https://${host}/hook`;
        // A bare "localhost" or "corp" is refused as a single label, the rest by name.
        expect(strict(url), url).toMatchObject({
          ok: false,
          reason: expect.stringMatching(/^url host (is a private or loopback name|must be a public name)$/),
        });
        expect(local(url).ok, url).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  test("a wildcard DNS name that spells a private address is refused, in every spelling", () => {
    fc.assert(
      fc.property(privateV4, labels, fc.constantFrom("nip.io", "sslip.io", "xip.io"), (parts, prefix, domain) => {
        for (const name of spellings(parts, prefix)) {
          const url = `https://${name}.${domain}/`;
          expect(strict(url).ok, url).toBe(false);
        }
      }),
      { numRuns: 400 },
    );
  });

  test("a wildcard DNS name is judged as the address it spells", () => {
    fc.assert(
      fc.property(fc.ipV4(), labels, fc.constantFrom("nip.io", "sslip.io"), (v4, prefix, domain) => {
        const parts = v4.split(".").map(Number);
        for (const name of spellings(parts, prefix)) {
          for (const check of [strict, local]) {
            const url = `https://${name}.${domain}/`;
            expect(check(url).ok, url).toBe(check(`https://${v4}/`).ok);
          }
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe("IP parsing", () => {
  test("strict dotted decimal and RFC 4291 forms", () => {
    expect(parseIp("192.168.0.1")?.value).toBe(0xc0a80001n);
    expect(parseIp("010.0.0.1")).toBeNull();
    expect(parseIp("256.0.0.1")).toBeNull();
    expect(parseIp("1.2.3")).toBeNull();
    expect(parseIp("::1")?.value).toBe(1n);
    expect(parseIp("2001:db8::8a2e:370:7334")?.version).toBe(6);
    expect(parseIp("::ffff:1.2.3.4")?.carriedV4?.[0]?.value).toBe(0x01020304n);
    expect(parseIp("::ffff:0:1.2.3.4")?.carriedV4?.[0]?.value).toBe(0x01020304n);
    expect(parseIp("64:ff9b:1:102:3:400::")?.carriedV4?.map((a) => a.value)).toContain(0x01020304n);
    expect(parseIp("2001:0:4136:e378:8000:63bf:fefd:fcfb")?.carriedV4?.map((a) => a.value)).toEqual([
      0x4136e378n,
      0x01020304n,
    ]);
    expect(parseIp("2606:4700::1111")?.carriedV4).toBeUndefined();
    expect(parseIp("1::2::3")).toBeNull();
    expect(parseIp("12345::")).toBeNull();
    expect(parseIp("fe80::1%eth0")).toBeNull();
  });

  test("CIDR ranges", () => {
    expect(parseCidr("10.0.0.0/8")).toEqual({ version: 4, network: 0x0a000000n, prefix: 8 });
    expect(parseCidr("10.1.2.3/8")?.network).toBe(0x0a000000n);
    expect(parseCidr("2001:db8::/32")?.prefix).toBe(32);
    expect(parseCidr("1.2.3.4")?.prefix).toBe(32);
    expect(parseCidr("1.2.3.4/33")).toBeNull();
    expect(parseCidr("::/129")).toBeNull();
    expect(parseCidr("1.2.3.4/x")).toBeNull();
    expect(parseCidr("1.2.3.4/8/9")).toBeNull();
  });
});

describe("client address allowlists", () => {
  test("IPv4 and IPv6 ranges, mapped addresses, garbage", async () => {
    const { ipAllowed, parseCidrList } = await import("../../../src/security/ip-allowlist");
    const parsed = parseCidrList(["203.0.113.0/24", "2001:db8::/32", "198.51.100.7"]);
    expect(parsed.ok).toBe(true);
    const cidrs = parsed.ok ? parsed.cidrs : [];
    expect(ipAllowed("203.0.113.9", cidrs)).toBe(true);
    expect(ipAllowed("203.0.114.9", cidrs)).toBe(false);
    expect(ipAllowed("2001:db8:1::5", cidrs)).toBe(true);
    expect(ipAllowed("2001:db9::5", cidrs)).toBe(false);
    expect(ipAllowed("::ffff:203.0.113.77", cidrs)).toBe(true);
    expect(ipAllowed("198.51.100.7", cidrs)).toBe(true);
    expect(ipAllowed("198.51.100.8", cidrs)).toBe(false);
    expect(ipAllowed("not an ip", cidrs)).toBe(false);
    expect(ipAllowed("", cidrs)).toBe(false);
    expect(parseCidrList(["10.0.0.0/8", "nope"])).toEqual({ ok: false, invalid: "nope" });
  });

  /** [client address, allowlist entry, allowed?]: IPv6 matches as IPv6, only ::ffff:a.b.c.d as its IPv4. */
  const SPELLINGS: Array<[string, string, boolean]> = [
    ["::ffff:203.0.113.5", "203.0.113.0/24", true],
    ["::ffff:cb00:7105", "203.0.113.0/24", true],
    ["203.0.113.5", "::ffff:203.0.113.0/120", true],
    ["::ffff:203.0.113.5", "::ffff:203.0.113.0/120", true],
    ["203.0.114.5", "::ffff:203.0.113.0/120", false],
    ["::ffff:0:203.0.113.5", "203.0.113.0/24", false], // IPv4-translated: another host
    ["::ffff:0:cb00:7105", "203.0.113.0/24", false],
    ["::203.0.113.5", "203.0.113.0/24", false], // IPv4-compatible
    ["64:ff9b::203.0.113.5", "203.0.113.0/24", false], // NAT64
    ["64:ff9b::cb00:7105", "203.0.113.0/24", false],
    ["64:ff9b:1::cb00:7105", "203.0.113.0/24", false], // local-use NAT64
    ["2002:cb00:7105::1", "203.0.113.0/24", false], // 6to4
    ["2001:0:cb00:7105::1", "203.0.113.0/24", false], // Teredo server
    ["2001:0:4136:e378:8000:63bf:34ff:8efa", "203.0.113.0/24", false], // Teredo client
    ["2002:cb00:7105::1", "2002::/16", true],
    ["64:ff9b::cb00:7105", "64:ff9b::/96", true],
    ["2001:db8::5", "2001:db8::/32", true],
    ["2001:DB8::5", "2001:db8::/32", true],
    ["127.0.0.1", "::1/128", false],
    ["::1", "127.0.0.0/8", false],
    ["::ffff:127.0.0.1", "127.0.0.0/8", true],
    ["0.0.0.0", "::/0", false],
    // The mapped form is the host 1.2.3.4, which an IPv6 range does not hold, however it arrives.
    ["::ffff:1.2.3.4", "::/0", false],
  ];

  test.each(SPELLINGS)("%s against %s: %s", async (address, entry, allowed) => {
    const { ipAllowed, parseCidrList } = await import("../../../src/security/ip-allowlist");
    const parsed = parseCidrList([entry]);
    expect(parsed.ok).toBe(true);
    expect(ipAllowed(address, parsed.ok ? parsed.cidrs : [])).toBe(allowed);
  });
});
