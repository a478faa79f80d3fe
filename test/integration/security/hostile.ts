/**
 * What the hostile-input properties share: the relay's row counts (to prove a
 * refusal stored nothing) and arbitraries for hostile strings and URLs.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { recordedTotals } from "../../helpers/history";

/** Rows in every table a write route can add to, the history shards' included. */
export async function rowCounts() {
  const main = await env.DB.prepare(
    `SELECT (SELECT count(*) FROM applications) AS applications,
            (SELECT count(*) FROM webhooks) AS webhooks,
            (SELECT count(*) FROM api_keys) AS api_keys,
            (SELECT count(*) FROM event_types) AS event_types`,
  ).first();
  return { ...main, ...(await recordedTotals()) };
}

export const printable = (maxLength: number) => fc.string({ unit: "grapheme-ascii", maxLength });

export const hostileStrings = fc.constantFrom(
  "",
  " ",
  "\u0000",
  "null",
  "undefined",
  "NaN",
  "-0",
  "1e400",
  "__proto__",
  "constructor",
  "../../etc/passwd",
  "%00",
  "%zz",
  "%E0%A4%A",
  "' OR 1=1 --",
  '"; DROP TABLE applications; --',
  "<script>alert(1)</script>",
  "${jndi:ldap://x}",
  "\u202eevil",
  "💥".repeat(300),
  "a".repeat(5000),
  "whsec_",
  "hr_",
  "2026-02-30T25:61:61Z",
  "9999-12-31T23:59:59Z",
  "0000-01-01T00:00:00Z",
);

export const hostileUrls = fc.oneof(
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.ipV4Extended().map((h) => `https://${h}/hook`),
  fc.ipV6().map((h) => `https://[${h}]/hook`),
  fc.constantFrom(
    "javascript:alert(1)",
    "file:///etc/passwd",
    "data:text/plain,hi",
    "ftp://example.com/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/",
    "http://metadata.google.internal/",
    "https://user:pass@example.com/",
    "https://example.com:0/",
    "https://example.com:65536/",
    "https://[fe80::1%25eth0]/",
    "http://0x7f.1/",
    "http://2130706433/",
    "https://exa mple.com/",
    "//example.com/",
    "https://",
    "https://example.com/\r\nX-Injected: 1",
    `https://example.com/${"a".repeat(3000)}`,
    "https://xn--80ak6aa92e.com/",
    "https://例え.テスト/",
    // Issue #17: IPv6 forms carrying refused IPv4, metadata names, length once normalised.
    "https://[::ffff:0:7f00:1]/",
    "https://[::ffff:0:a9fe:a9fe]/",
    "https://[64:ff9b:1::7f00:1]/",
    "https://[64:ff9b:1::a9fe:a9fe]/",
    "https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",
    "https://[2002:7f00:1::]/",
    "https://[fec0::1]/",
    "https://metadata.goog/",
    `https://example.com/${"é".repeat(1000)}`,
  ),
  printable(200),
);
