/** @module Who is calling, and what that lets them reach. */
import { forbidden, notFound } from "../lib/errors";

export type Scope = "admin" | "publisher" | "reader";

export type Principal = {
  /** `admin-token` for RELAY_ADMIN_TOKEN, else the API key's id. */
  id: string;
  scope: Scope;
  /** Set when the caller is confined to one application. */
  applicationId: string | null;
  /**
   * The client ranges the caller's credential is accepted from (the key's
   * `allowed_ips`, or RELAY_ADMIN_ALLOWED_IPS for the admin token); absent or
   * null: any address. Keys it mints must stay inside them.
   */
  allowedIps?: readonly string[] | null;
  /**
   * When the caller's credential expires (RFC 3339); absent or null: never.
   * Keys and portal links it mints must expire no later.
   */
  expiresAt?: string | null;
};

export type Access = "read" | "publish" | "manage";

const ALLOWED: Record<Scope, Access[]> = {
  admin: ["read", "publish", "manage"],
  publisher: ["publish"],
  reader: ["read"],
};

/** Throws 403 unless the principal's scope allows `access`. */
export function requireAccess(principal: Principal, access: Access): void {
  if (!ALLOWED[principal.scope].includes(access)) {
    throw forbidden(
      `A ${principal.scope} key may not ${access === "manage" ? "change" : access} this resource.`,
    );
  }
}

/**
 * Throws 403 unless the principal is an operator: the admin token or an admin
 * key confined to no application. Relay-wide operations are not a tenant's.
 */
export function requireOperator(principal: Principal): void {
  if (principal.scope !== "admin" || principal.applicationId !== null) {
    throw forbidden("Only the admin token or an unconfined admin key may do this.");
  }
}

/**
 * Throws 404 when a confined principal asks about another application's
 * resource: it must not even learn that the resource exists.
 */
export function requireApplication(
  principal: Principal,
  applicationId: string,
  what: string,
): void {
  if (principal.applicationId !== null && principal.applicationId !== applicationId) {
    throw notFound(`${what} not found.`);
  }
}
