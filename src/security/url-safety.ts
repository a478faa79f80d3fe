/**
 * @module Webhook destination safety (SPEC §6): which URLs the relay may be
 * asked to POST to. Hosts are judged by what WHATWG URL parsing (the parser
 * fetch() uses) makes of them, so decimal, hex, octal and short IPv4
 * spellings are caught as the address they are. Names are not resolved
 * (Workers cannot pin a resolution); what a name alone tells is judged here
 * (src/security/private-names.ts), and SECURITY.md ("Destinations") says
 * what Cloudflare's fetch() refuses beyond it.
 */
import { type IpAddress, isInRange, parseIp } from "./ip";
import { embeddedAddresses, isPrivateName } from "./private-names";

type UrlCheck = { ok: true; url: string } | { ok: false; reason: string };

const MAX_URL_LENGTH = 2048;

/** Ports a Worker's fetch() can reach in production (Cloudflare's HTTP and HTTPS ports). */
const WORKER_PORTS = new Set([
  "",
  "80",
  "443",
  "8080",
  "8880",
  "2052",
  "2082",
  "2086",
  "2095",
  "2053",
  "2083",
  "2087",
  "2096",
  "8443",
]);

/** Never reachable, even where private URLs are allowed: link-local and cloud metadata. */
const ALWAYS_REFUSED = [
  "169.254.0.0/16",
  "fe80::/10",
  "fd00:ec2::254/128",
  "100.100.100.200/32", // Alibaba Cloud metadata
];

/** Refused unless private URLs are allowed. */
const PRIVATE = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "224.0.0.0/4",
  "240.0.0.0/4",
  "::/128",
  "::1/128",
  "fc00::/7",
  "ff00::/8",
  "fec0::/10", // site-local, deprecated (RFC 3879) but still routed inside some networks
  "64:ff9b:1::/48", // local-use NAT64 (RFC 8215): a private translator by definition
  "2001::/32", // Teredo: a tunnel to whatever IPv4 host the bits name
  "192.88.99.0/24", // the deprecated 6to4 relay anycast (RFC 7526)
];

const METADATA_NAMES = new Set([
  "metadata",
  "metadata.google.internal",
  "metadata.goog",
  "instance-data",
]);

/** Whether `input` may be a webhook URL; `url` is the normalised form to store. */
export function checkWebhookUrl(input: string, options: { allowPrivate: boolean }): UrlCheck {
  if (input.length > MAX_URL_LENGTH)
    return refuse(`url must be at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return refuse("url is not a valid absolute URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return refuse("url must use https");
  if (url.protocol === "http:" && !options.allowPrivate) return refuse("url must use https");
  if (url.username || url.password) return refuse("url must not contain credentials");
  if (!options.allowPrivate && !WORKER_PORTS.has(url.port)) {
    return refuse(`url port ${url.port} is not reachable from Cloudflare Workers`);
  }
  const verdict = judgeHost(url.hostname, options.allowPrivate);
  if (verdict) return verdict;
  // Normalisation percent-encodes: one "é" becomes "%C3%A9". The stored form is what must fit.
  if (url.href.length > MAX_URL_LENGTH) {
    return refuse(`url must be at most ${MAX_URL_LENGTH} characters once normalised`);
  }
  return { ok: true, url: url.href };
}

function refuse(reason: string): UrlCheck {
  return { ok: false, reason };
}

/** A refusal for the host, or null when it may be used. */
function judgeHost(hostname: string, allowPrivate: boolean): UrlCheck | null {
  // Trailing dots name the same host ("localhost." is localhost).
  const host = hostname.replace(/\.+$/, "").toLowerCase();
  const address = parseIp(host.startsWith("[") ? host.slice(1, -1) : host);
  if (address) return judgeAddress(address, allowPrivate);
  if (host === "") return refuse("url has no host");
  if (METADATA_NAMES.has(host) || host.endsWith(".internal")) {
    return refuse("url points to a link-local or metadata address");
  }
  // A wildcard DNS name answers the address it spells: judged as that address.
  for (const address of embeddedAddresses(host)) {
    const verdict = judgeAddress(address, allowPrivate);
    if (verdict) return verdict;
  }
  if (allowPrivate) return null;
  if (!host.includes(".")) return refuse("url host must be a public name");
  if (isPrivateName(host)) return refuse("url host is a private or loopback name");
  return null;
}

function judgeAddress(address: IpAddress, allowPrivate: boolean): UrlCheck | null {
  // An IPv6 address that carries IPv4 (mapped, translated, compatible, NAT64,
  // 6to4, Teredo) is refused if any IPv4 address it may reach is.
  const judged = [address, ...(address.carriedV4 ?? [])];
  const inAny = (ranges: string[]) =>
    judged.some((candidate) => ranges.some((range) => isInRange(candidate, range)));
  if (inAny(ALWAYS_REFUSED)) return refuse("url points to a link-local or metadata address");
  if (allowPrivate) return null;
  if (judged.some((candidate) => candidate.version === 4 && candidate.value === 0xffffffffn)) {
    return refuse("url points to a private address");
  }
  if (inAny(PRIVATE)) return refuse("url points to a private address");
  return null;
}
