/**
 * @module Portal links, free of HTTP: a row of `api_keys` of kind
 * `portal_link`, confined to one application, expiring, its token stored
 * only as a hash. What the token reaches is the principal's business
 * (src/security/principal.ts): a link is never an API key.
 */
import { insertApiKey, listApiKeys } from "../../db/queries/api-keys";
import { getApplication } from "../../db/queries/applications";
import { constraintViolated } from "../../db/errors";
import type { ApiKeyRow } from "../../db/schema";
import type { Deps } from "../../deps";
import { notFound } from "../../lib/errors";
import { uuidv7 } from "../../lib/ids";
import { toRfc3339 } from "../../lib/time";
import { issueApiKey } from "../../security/api-keys";
import { type Principal, requireAccess, requireApplication } from "../../security/principal";
import { requireWithinExpiry, revokeKey } from "../api-keys/service";
import { type CreatePortalLinkInput, DEFAULT_TTL_SECONDS } from "./schemas";

export type CreatedPortalLink = { row: ApiKeyRow; token: string };

/**
 * Issues a link's key. A confined admin key issues links for its own
 * application only (404 for another, as for anything of another's); a key
 * that expires issues links that expire no later (the ttl is cut short); a
 * key restricted to client addresses passes its restriction on, so a link
 * cannot shed it. The admin token's RELAY_ADMIN_ALLOWED_IPS is the
 * operator's, not passed on: the link is for the operator's customer.
 */
export async function createPortalLink(
  deps: Deps,
  principal: Principal,
  applicationId: string,
  input: CreatePortalLinkInput,
): Promise<CreatedPortalLink> {
  requireAccess(principal, "manage");
  requireApplication(principal, applicationId, "Application");
  if (!(await getApplication(deps.db, applicationId))) throw notFound("Application not found.");
  const now = deps.now().getTime();
  let expiresAt = now + (input.ttl_seconds ?? DEFAULT_TTL_SECONDS) * 1000;
  if (principal.expiresAt) expiresAt = Math.min(expiresAt, Date.parse(principal.expiresAt));
  requireWithinExpiry(principal, expiresAt);
  const issued = await issueApiKey();
  try {
    const row = await insertApiKey(deps.db, {
      id: uuidv7(),
      name: "portal link",
      scope: input.scope ?? "admin",
      applicationId,
      allowedIps:
        principal.kind === "admin_token" || !principal.allowedIps ? null : [...principal.allowedIps],
      keyHash: issued.hash,
      keyPrefix: issued.prefix,
      lastUsedAt: null,
      createdAt: toRfc3339(now),
      expiresAt: toRfc3339(expiresAt),
      kind: "portal_link",
    });
    return { row, token: issued.key };
  } catch (error) {
    // The application was deleted between the check above and the insert.
    if (constraintViolated(error) === "foreign_key") throw notFound("Application not found.");
    throw error;
  }
}

/** The dashboard's address with the token in the fragment, which browsers never send. */
export function portalUrl(origin: string, token: string): string {
  return `${origin}/#token=${token}`;
}

/**
 * The application's links that still work (not expired, not revoked), for
 * whoever may make them: admin keys within reach and the admin token.
 */
export async function pagePortalLinks(
  deps: Deps,
  principal: Principal,
  applicationId: string,
  before: string | undefined,
  limit: number,
): Promise<ApiKeyRow[]> {
  requireAccess(principal, "manage");
  requireApplication(principal, applicationId, "Application");
  if (!(await getApplication(deps.db, applicationId))) throw notFound("Application not found.");
  return listApiKeys(deps.db, {
    kind: "portal_link",
    applicationId,
    liveAt: toRfc3339(deps.now()),
    before,
    limit: limit + 1,
  });
}

/** Revokes a link at once: its token is a 401 from the next request on. */
export function revokePortalLink(deps: Deps, principal: Principal, id: string): Promise<void> {
  return revokeKey(deps, principal, id, "portal_link", "Portal link");
}
