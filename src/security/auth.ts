/**
 * @module Who a bearer token is: the admin token (RELAY_ADMIN_TOKEN, optionally
 * restricted to RELAY_ADMIN_ALLOWED_IPS) or an API key (found by its SHA-256,
 * optionally restricted to its `allowed_ips`). HTTP-free: the middleware in
 * `api/middleware/auth.ts` only reads headers and calls `resolvePrincipal`.
 */
import { getApiKeyByHash, touchApiKey } from "../db/queries/api-keys";
import type { Deps } from "../deps";
import { timingSafeEqual } from "../lib/crypto";
import { forbidden, notConfigured, unauthorized } from "../lib/errors";
import { describeError } from "../lib/log";
import { toRfc3339 } from "../lib/time";
import { hashApiKey, hashMatches, looksLikeApiKey } from "./api-keys";
import { type Cidr, ipAllowed, parseCidrList } from "./ip-allowlist";
import type { Principal } from "./principal";
import { encryptionKeyProblem } from "./secrets-at-rest";

export const ADMIN_PRINCIPAL_ID = "admin-token";

/** `last_used_at` is written at most this often per key, to keep D1 writes cheap. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** The token in `Authorization: Bearer <token>`, or null when the header is anything else. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer[ \t]+([\x21-\x7e]+)[ \t]*$/i.exec(header ?? "");
  return match ? match[1]! : null;
}

/** Parsed allowlists, by their text: settings and key rows repeat on every request. */
const allowlists = new Map<string, Cidr[] | null>();
const MAX_CACHED_ALLOWLISTS = 1000;

function allowlist(entries: readonly string[]): Cidr[] | null {
  const text = entries.join(",");
  let cidrs = allowlists.get(text);
  if (cidrs === undefined) {
    const parsed = parseCidrList([...entries]);
    cidrs = parsed.ok ? parsed.cidrs : null;
    if (allowlists.size >= MAX_CACHED_ALLOWLISTS) allowlists.clear();
    allowlists.set(text, cidrs);
  }
  return cidrs;
}

/**
 * Whether `address` (CF-Connecting-IP) is in `entries`. No address, or an
 * address that does not parse, is never allowed: restrictions fail closed.
 */
export function addressAllowed(address: string | null, cidrs: readonly Cidr[]): boolean {
  return address !== null && ipAllowed(address, [...cidrs]);
}

export type Resolved = {
  principal: Principal;
  /** Bookkeeping to finish after answering (`ctx.waitUntil`), if any. */
  background?: Promise<void>;
};

/**
 * The principal behind `token`, or a 401 (no or unknown token), 403 (known, but not
 * from this address) or 503 (the relay is not configured). The admin token is
 * compared first and in constant time, whatever the token looks like.
 */
export async function resolvePrincipal(
  deps: Deps,
  token: string | null,
  address: string | null,
): Promise<Resolved> {
  const { settings } = deps;
  if (!settings.adminToken) {
    throw notConfigured("RELAY_ADMIN_TOKEN is not set; the relay refuses API calls until it is.");
  }
  // Without its key the relay can neither store nor use a webhook's secrets.
  const keyProblem = encryptionKeyProblem(settings);
  if (keyProblem) throw notConfigured(keyProblem);
  if (token === null) throw unauthorized("Send the token as `Authorization: Bearer <token>`.");
  if (timingSafeEqual(token, settings.adminToken)) {
    if (settings.adminAllowedIps.length > 0) {
      const cidrs = allowlist(settings.adminAllowedIps);
      // A typo in the setting must not open the admin token to everyone.
      if (!cidrs) {
        throw notConfigured(
          "RELAY_ADMIN_ALLOWED_IPS is not a list of CIDR ranges; fix the setting.",
        );
      }
      if (!addressAllowed(address, cidrs)) {
        throw forbidden("The admin token is not accepted from this client address.");
      }
    }
    return {
      principal: {
        id: ADMIN_PRINCIPAL_ID,
        kind: "admin_token",
        scope: "admin",
        applicationId: null,
        allowedIps: settings.adminAllowedIps.length > 0 ? settings.adminAllowedIps : null,
      },
    };
  }

  if (!looksLikeApiKey(token)) throw unauthorized("The token is not valid.");
  const hash = await hashApiKey(token);
  const key = await getApiKeyByHash(deps.db, hash);
  if (!key || !hashMatches(key.keyHash, hash)) throw unauthorized("The token is not valid.");
  const now = deps.now();
  // Read from the row on every request, never cached: an expiry or a
  // revocation takes effect at the instant.
  if (key.expiresAt !== null && Date.parse(key.expiresAt) <= now.getTime()) {
    throw unauthorized(
      key.kind === "portal_link" ? "This portal link has expired." : "The token has expired.",
    );
  }
  if (key.allowedIps !== null) {
    const cidrs = allowlist(key.allowedIps);
    if (!cidrs || !addressAllowed(address, cidrs)) {
      throw forbidden("This API key is not accepted from this client address.");
    }
  }

  const staleBefore = toRfc3339(now.getTime() - LAST_USED_RESOLUTION_MS);
  const background =
    key.lastUsedAt === null || key.lastUsedAt < staleBefore
      ? touchApiKey(deps.db, key.id, toRfc3339(now), staleBefore).catch((error: unknown) => {
          deps.log("warn", "could not record last_used_at", {
            api_key_id: key.id,
            ...describeError(error),
          });
        })
      : undefined;
  return {
    principal: {
      id: key.id,
      kind: key.kind,
      scope: key.scope,
      applicationId: key.applicationId,
      allowedIps: key.allowedIps,
      expiresAt: key.expiresAt,
    },
    ...(background ? { background } : {}),
  };
}
