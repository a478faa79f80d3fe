/**
 * @module Who is calling, and what that lets them reach. Three kinds of
 * caller: the operator's admin token, a provider's API keys, and portal links,
 * which a provider hands to its customer (SPEC §7.8). A link is not a key
 * that happens to be confined: it is its own kind, and reaches only the
 * application's webhooks and their history, whatever its scope.
 */
import { forbidden, notFound } from "../lib/errors";

export type Scope = "admin" | "publisher" | "reader";

export type PrincipalKind = "admin_token" | "api_key" | "portal_link";

export type Principal = {
  /** `admin-token` for RELAY_ADMIN_TOKEN, else the API key's or portal link's id. */
  id: string;
  kind: PrincipalKind;
  scope: Scope;
  /** Set when the caller is confined to one application (always, for a portal link). */
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

/**
 * What a request does, and so who may do it:
 * - `read`: read within reach: applications, webhooks (not their secrets),
 *   messages, events, attempts, stats, replays;
 * - `webhooks`: create, edit, enable, disable and delete webhooks, read their
 *   secrets, rotate, test, recover, replay and retry: the customer's own endpoints;
 * - `publish`: publish messages;
 * - `manage`: the provider's own: API keys, portal links, the application
 *   record (create, change, delete), the names of client certificates.
 */
export type Access = "read" | "webhooks" | "publish" | "manage";

const KEY_ACCESS: Record<Scope, readonly Access[]> = {
  admin: ["read", "webhooks", "publish", "manage"],
  publisher: ["publish"],
  reader: ["read"],
};

/** A customer's reach: its application's webhooks and their history, never the provider's. */
const LINK_ACCESS: Record<Scope, readonly Access[]> = {
  admin: ["read", "webhooks"],
  publisher: [],
  reader: ["read"],
};

const DOING: Record<Access, string> = {
  read: "read this resource",
  webhooks: "change webhooks",
  publish: "publish messages",
  manage: "manage API keys, portal links or applications",
};

/** Whether the principal may do `access` (within its reach: see requireApplication). */
export function mayDo(principal: Principal, access: Access): boolean {
  const table = principal.kind === "portal_link" ? LINK_ACCESS : KEY_ACCESS;
  return table[principal.scope].includes(access);
}

/** Throws 403 unless the principal may do `access`. */
export function requireAccess(principal: Principal, access: Access): void {
  if (mayDo(principal, access)) return;
  const who =
    principal.kind === "portal_link" ? `A ${principal.scope} portal link` : `A ${principal.scope} key`;
  throw forbidden(`${who} may not ${DOING[access]}.`);
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
