/**
 * Two tenants and a principal of every kind, made through the public API, for
 * the security suites: an admin, a publisher and a reader key confined to
 * application A, an admin key of application B, an admin key of A that is
 * only accepted from 203.0.113.0/24, presented from elsewhere, and an admin
 * and a reader portal link of A.
 */
import { ADMIN_TOKEN, api, createApplication } from "../../helpers/api";

export const PRINCIPALS = [
  "no token",
  "bad token",
  "admin token",
  "admin key",
  "publisher key",
  "reader key",
  "other app key",
  "refused address",
  "portal link admin",
  "portal link reader",
] as const;

export type Who = (typeof PRINCIPALS)[number];

/** Where requests come from unless a case says otherwise. */
export const CLIENT_ADDRESS = "192.0.2.10";
export const ALLOWED_RANGE = "203.0.113.0/24";
export const REFUSED_ADDRESS = "198.51.100.7";

/** Well-formed, never issued: the lookup runs and finds nothing. */
export const UNKNOWN_KEY = `hr_${"A".repeat(43)}`;

export type Tenants = {
  appA: string;
  appB: string;
  keys: Record<Exclude<Who, "no token" | "bad token" | "admin token">, string>;
};

export async function createKey(
  body: Record<string, unknown>,
  token?: string,
): Promise<{ id: string; key: string; [k: string]: unknown }> {
  const res = await api("POST", "/v1/api-keys", body, token === undefined ? {} : { token });
  if (res.status !== 201) throw new Error(`createKey: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A portal link's token, from the fragment of the URL its create answered. */
export function linkToken(url: string): string {
  const token = /#token=(.+)$/.exec(url)?.[1];
  if (!token) throw new Error(`no token in ${url}`);
  return token;
}

export async function createLink(
  applicationId: string,
  body: Record<string, unknown> = {},
  token?: string,
): Promise<{ id: string; url: string; token: string; expires_at: string; [k: string]: unknown }> {
  const res = await api(
    "POST",
    `/v1/applications/${applicationId}/portal-links`,
    body,
    token === undefined ? {} : { token },
  );
  if (res.status !== 201) throw new Error(`createLink: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...res.body, token: linkToken(res.body.url) };
}

export async function createTenants(): Promise<Tenants> {
  const a = await createApplication({ webhook_limit: 100 });
  const b = await createApplication();
  const key = async (scope: string, application_id: string, extra = {}) =>
    (await createKey({ name: `${scope} key`, scope, application_id, ...extra })).key;
  return {
    appA: a.id,
    appB: b.id,
    keys: {
      "admin key": await key("admin", a.id),
      "publisher key": await key("publisher", a.id),
      "reader key": await key("reader", a.id),
      "other app key": await key("admin", b.id),
      "refused address": await key("admin", a.id, {
        allowed_ips: [ALLOWED_RANGE],
      }),
      "portal link admin": (await createLink(a.id, { scope: "admin" })).token,
      "portal link reader": (await createLink(a.id, { scope: "reader" })).token,
    },
  };
}

/** How `who` calls: its token, and the client address Cloudflare would set. */
export function as(
  who: Who,
  tenants: Tenants,
): { token: string | null; headers: Record<string, string> } {
  const address = who === "refused address" ? REFUSED_ADDRESS : CLIENT_ADDRESS;
  const headers = { "cf-connecting-ip": address };
  switch (who) {
    case "no token":
      return { token: null, headers };
    case "bad token":
      return { token: UNKNOWN_KEY, headers };
    case "admin token":
      return { token: ADMIN_TOKEN, headers };
    default:
      return { token: tenants.keys[who], headers };
  }
}
