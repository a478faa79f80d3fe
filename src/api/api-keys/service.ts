/** @module API key logic, free of HTTP: only admin-scope principals manage keys. */
import type { z } from "@hono/zod-openapi";
import {
  deleteApiKey,
  getApiKeyOfKind,
  insertApiKey,
  listApiKeys,
} from "../../db/queries/api-keys";
import { getApplication } from "../../db/queries/applications";
import { constraintViolated } from "../../db/errors";
import type { ApiKeyRow } from "../../db/schema";
import type { Deps } from "../../deps";
import { forbidden, notFound, unprocessable } from "../../lib/errors";
import { uuidv7 } from "../../lib/ids";
import { toRfc3339 } from "../../lib/time";
import { issueApiKey } from "../../security/api-keys";
import { cidrWithin, parseCidrList } from "../../security/ip-allowlist";
import { type Principal, requireAccess, requireApplication } from "../../security/principal";
import type { createApiKeySchema } from "./schemas";

type CreatedApiKey = { row: ApiKeyRow; key: string };

/**
 * Issues a key. A confined admin key may only issue keys confined to its own
 * application: it cannot mint a key that reaches further than itself.
 */
export async function createApiKey(
  deps: Deps,
  principal: Principal,
  input: z.infer<typeof createApiKeySchema>,
): Promise<CreatedApiKey> {
  requireAccess(principal, "manage");
  const applicationId = input.application_id ?? null;
  if (principal.applicationId !== null) {
    if (applicationId === null) {
      throw forbidden(
        "A key confined to one application may only create keys confined to it (application_id).",
      );
    }
    requireApplication(principal, applicationId, "Application");
  }
  requireWithinAllowlist(principal, input.allowed_ips ?? null);
  const expiresAt = input.expires_at ? Date.parse(input.expires_at) : null;
  if (expiresAt !== null && expiresAt <= deps.now().getTime()) {
    throw unprocessable([{ path: "expires_at", message: "must be in the future" }]);
  }
  requireWithinExpiry(principal, expiresAt);
  if (applicationId !== null && !(await getApplication(deps.db, applicationId))) {
    throw notFound("Application not found (application_id).");
  }
  const issued = await issueApiKey();
  try {
    const row = await insertApiKey(deps.db, {
      id: uuidv7(),
      name: input.name,
      scope: input.scope,
      applicationId,
      allowedIps: input.allowed_ips ?? null,
      keyHash: issued.hash,
      keyPrefix: issued.prefix,
      lastUsedAt: null,
      createdAt: toRfc3339(deps.now()),
      expiresAt: expiresAt === null ? null : toRfc3339(expiresAt),
      kind: "api_key",
    });
    return { row, key: issued.key };
  } catch (error) {
    // The application was deleted between the check above and the insert.
    if (constraintViolated(error) === "foreign_key") {
      throw notFound("Application not found (application_id).");
    }
    throw error;
  }
}

/**
 * A key restricted to client ranges mints keys restricted to (sub)ranges of
 * them: otherwise a stolen key used from an allowed address could mint one
 * usable from anywhere, shedding its own restriction.
 */
function requireWithinAllowlist(principal: Principal, requested: readonly string[] | null) {
  if (!principal.allowedIps || principal.allowedIps.length === 0) return;
  const own = parseCidrList([...principal.allowedIps]);
  const wanted = requested === null ? null : parseCidrList([...requested]);
  const fits =
    own.ok &&
    wanted !== null &&
    wanted.ok &&
    wanted.cidrs.every((range) => own.cidrs.some((allowed) => cidrWithin(range, allowed)));
  if (!fits) {
    throw forbidden(
      "This key is restricted to client addresses: allowed_ips is required and must lie within its own ranges.",
    );
  }
}

/**
 * A key that expires mints keys that expire no later: otherwise a portal
 * link, handed to a customer for an hour, could mint a key for ever.
 */
export function requireWithinExpiry(principal: Principal, expiresAtMs: number | null): void {
  if (!principal.expiresAt) return;
  if (expiresAtMs === null || expiresAtMs > Date.parse(principal.expiresAt)) {
    throw forbidden(
      `This key expires at ${principal.expiresAt}: expires_at is required and may not be later.`,
    );
  }
}

/** Keys the principal may manage: a confined admin key sees its application's only. */
export async function pageApiKeys(
  deps: Deps,
  principal: Principal,
  applicationId: string | undefined,
  before: string | undefined,
  limit: number,
): Promise<ApiKeyRow[]> {
  requireAccess(principal, "manage");
  if (applicationId) requireApplication(principal, applicationId, "Application");
  return listApiKeys(deps.db, {
    // Portal links are not keys: they have their own list.
    kind: "api_key",
    applicationId: principal.applicationId ?? applicationId,
    before,
    limit: limit + 1,
  });
}

/** Revokes a key at once: the next request that presents it is a 401. */
export function revokeApiKey(deps: Deps, principal: Principal, id: string): Promise<void> {
  return revokeKey(deps, principal, id, "api_key", "API key");
}

/** Revokes a key or a portal link, if the principal can see it: 404 otherwise. */
export async function revokeKey(
  deps: Deps,
  principal: Principal,
  id: string,
  kind: ApiKeyRow["kind"],
  what: string,
): Promise<void> {
  requireAccess(principal, "manage");
  const key = await getApiKeyOfKind(deps.db, id, kind);
  // An unconfined key is out of a confined principal's reach, like another application's.
  if (!key || (principal.applicationId !== null && key.applicationId !== principal.applicationId)) {
    throw notFound(`${what} not found.`);
  }
  await deleteApiKey(deps.db, id);
}
