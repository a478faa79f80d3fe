/**
 * @module Session and location: the token lives in sessionStorage only (gone
 * when the tab closes, never in a URL, never in localStorage), and the view is
 * chosen by the URL's hash, so reloads and the back button work without the
 * Worker knowing any dashboard path.
 */
import type { DeliveryStatus } from "../../clients/typescript/src/client";

/**
 * The statuses, as a value for the filter and the URL check. The API's list
 * lives beside the drizzle tables, which the bundle must not pull in; the
 * type check below fails if this one misses a status the API has.
 */
export const DELIVERY_STATUSES = [
  "pending",
  "retrying",
  "success",
  "failed",
] as const satisfies readonly DeliveryStatus[];
const _everyStatus: Exclude<DeliveryStatus, (typeof DELIVERY_STATUSES)[number]> extends never
  ? true
  : never = true;

const TOKEN_KEY = "hookrelay.token";

export function readToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    // Storage can be blocked (private modes, policies): then nobody is signed in.
    return null;
  }
}

export function saveToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Nothing stored.
  }
}

const PORTAL_KEY = "hookrelay.portal";

/**
 * A session opened by a portal link: confined to one application (learnt
 * from the API on first load), with no sign-in form to fall back to. `ended`
 * says why the link stopped working, so a reload still says it.
 */
export type Portal = { applicationId: string | null; ended?: string };

export function readPortal(): Portal | null {
  try {
    const text = sessionStorage.getItem(PORTAL_KEY);
    return text ? (JSON.parse(text) as Portal) : null;
  } catch {
    return null;
  }
}

export function savePortal(portal: Portal): void {
  sessionStorage.setItem(PORTAL_KEY, JSON.stringify(portal));
}

/**
 * A portal link's `#token=…`: into sessionStorage, and out of the address bar
 * and the history at once, so the token is neither bookmarked, shared with
 * the page's address, nor kept by the back button. True if there was one.
 */
export function adoptLinkToken(): boolean {
  const match = /^#token=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (!match) return false;
  history.replaceState(null, "", `${location.pathname}${location.search}#/`);
  try {
    saveToken(match[1]!);
    savePortal({ applicationId: null });
  } catch {
    // Storage blocked: nobody is signed in, and the sign-in form says how to.
  }
  return true;
}

export type EventQuery = { status?: DeliveryStatus; type?: string };

export type Route =
  | { view: "applications" }
  | { view: "application"; applicationId: string }
  | { view: "webhook"; webhookId: string; query: EventQuery }
  | { view: "event"; webhookId: string; eventId: string }
  | { view: "event-types" }
  | { view: "storage" }
  | { view: "not-found"; hash: string };

const ID = "[0-9a-fA-F-]{36}";

/** The route a hash names, e.g. `#/webhooks/<id>?status=failed`. */
export function parseRoute(hash: string): Route {
  const [path = "", search = ""] = hash.replace(/^#/, "").split("?", 2);
  const clean = path.replace(/\/+$/, "") || "/";
  let match: RegExpExecArray | null;
  if (clean === "/" || clean === "/applications") return { view: "applications" };
  if (clean === "/event-types") return { view: "event-types" };
  if (clean === "/storage") return { view: "storage" };
  match = new RegExp(`^/applications/(${ID})$`).exec(clean);
  if (match) return { view: "application", applicationId: match[1]! };
  match = new RegExp(`^/webhooks/(${ID})$`).exec(clean);
  if (match) {
    const params = new URLSearchParams(search);
    const query: EventQuery = {};
    const status = params.get("status");
    if (status && (DELIVERY_STATUSES as readonly string[]).includes(status))
      query.status = status as DeliveryStatus;
    const type = params.get("type");
    if (type) query.type = type;
    return { view: "webhook", webhookId: match[1]!, query };
  }
  match = new RegExp(`^/webhooks/(${ID})/events/(${ID})$`).exec(clean);
  if (match) return { view: "event", webhookId: match[1]!, eventId: match[2]! };
  return { view: "not-found", hash };
}

/** The hash for a route; the inverse of {@link parseRoute}. */
export function hrefFor(route: Exclude<Route, { view: "not-found" }>): string {
  switch (route.view) {
    case "applications":
      return "#/";
    case "application":
      return `#/applications/${route.applicationId}`;
    case "webhook": {
      const params = new URLSearchParams();
      if (route.query.status) params.set("status", route.query.status);
      if (route.query.type) params.set("type", route.query.type);
      const search = params.toString();
      return `#/webhooks/${route.webhookId}${search ? `?${search}` : ""}`;
    }
    case "event":
      return `#/webhooks/${route.webhookId}/events/${route.eventId}`;
    case "event-types":
      return "#/event-types";
    case "storage":
      return "#/storage";
  }
}

export function navigate(route: Exclude<Route, { view: "not-found" }>): void {
  const hash = hrefFor(route);
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}

/**
 * Names already seen, by id, for breadcrumbs: a page deep in an application
 * need not fetch the application again just to say what it is called.
 */
export const names = new Map<string, string>();
