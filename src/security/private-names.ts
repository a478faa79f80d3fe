/**
 * @module Host names whose destination is private without asking DNS: names
 * that never leave a local network by convention or standard (`localhost`,
 * `.internal`, `.local`, Kubernetes' `.svc`…), public names that exist only
 * to resolve to loopback (`localtest.me`, `lvh.me`…), and wildcard DNS
 * services that answer the address written in the name (`10.0.0.1.nip.io`,
 * `127-0-0-1.sslip.io`). The relay cannot resolve names itself (a Worker
 * cannot pin a resolution), so this is what it can refuse when a webhook is
 * created or changed; SECURITY.md says what Cloudflare's fetch() refuses
 * beyond it.
 */
import { type IpAddress, parseIp } from "./ip";

/**
 * Suffixes that are private by standard or by wide convention: RFC 6761
 * (`localhost`), RFC 6762 (`local`, mDNS), RFC 8375 (`home.arpa`), ICANN's
 * private-use `internal`, and what resolvers, routers and Kubernetes
 * clusters answer locally (`localdomain`, `lan`, `svc`, `cluster.local`,
 * `intranet`, `corp`, `home`: ICANN will never delegate the last two).
 */
const PRIVATE_SUFFIXES = [
  "localhost",
  "local",
  "home.arpa",
  "internal",
  "localdomain",
  "lan",
  "svc",
  "intranet",
  "corp",
  "home",
];

/** Public domains whose every name resolves to loopback (or may, by the owner's choice). */
const LOOPBACK_DOMAINS = [
  "localtest.me",
  "lvh.me",
  "vcap.me",
  "lacolhost.com",
  "localho.st",
  "smackaho.st",
  "fuf.me",
  "localhost.direct",
  "traefik.me",
];

/** Wildcard DNS services: a name answers the address it spells (dots, dashes or hex). */
const ADDRESS_DOMAINS = ["nip.io", "sslip.io", "xip.io", "nip.lol"];

/** `name` is `domain` or below it. */
function under(name: string, domain: string): boolean {
  return name === domain || name.endsWith(`.${domain}`);
}

/**
 * Whether `host` (lower case, no trailing dot, not an IP literal) is
 * private by its name alone: under a private suffix or a loopback domain.
 * (A single label is too, judged by the caller: it is resolved against the
 * resolver's search domains, never as a public name.)
 */
export function isPrivateName(host: string): boolean {
  return (
    PRIVATE_SUFFIXES.some((suffix) => under(host, suffix)) ||
    LOOPBACK_DOMAINS.some((domain) => under(host, domain))
  );
}

/** Four decimal parts 0–255, leading zeros read as decimal, as these services read them. */
function v4FromParts(parts: string[]): IpAddress | null {
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
    return null;
  }
  const value = parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
  return { version: 4, value };
}

/**
 * Every address a wildcard DNS service may answer for `host`: four dotted
 * labels (`app.10.0.0.1.nip.io`), four dashed numbers ending a label
 * (`app-10-0-0-1.nip.io`), eight hex digits ending a label
 * (`app-7f000001.nip.io`) and a dashed IPv6 label (`--1.sslip.io`). Every
 * position is read, not only the one the service uses, so that no service's
 * reading escapes. Empty for any other name.
 */
export function embeddedAddresses(host: string): IpAddress[] {
  const domain = ADDRESS_DOMAINS.find((d) => host.endsWith(`.${d}`));
  if (!domain) return [];
  const labels = host.slice(0, -domain.length - 1).split(".");
  const found: IpAddress[] = [];
  const add = (address: IpAddress | null) => {
    if (address) found.push(address);
  };
  for (let i = 0; i + 4 <= labels.length; i++) add(v4FromParts(labels.slice(i, i + 4)));
  for (const label of labels) {
    const dashed = /(?:^|-)(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})$/.exec(label);
    if (dashed) add(v4FromParts(dashed.slice(1)));
    const hex = /(?:^|-)([0-9a-f]{8})$/.exec(label);
    if (hex) add({ version: 4, value: BigInt(`0x${hex[1]}`) });
    // Colons spelt as dashes; any IPv4 the IPv6 address carries comes with it.
    add(parseIp(label.replaceAll("-", ":")));
  }
  return found;
}
