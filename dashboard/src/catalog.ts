/**
 * @module The event catalog as the dashboard uses it (SPEC §8.3): every type,
 * by name, for the catalog page and the webhook form's picker, and whether
 * the one signed in may change it.
 */
import type { EventType } from "../../clients/typescript/src/client";
import type { Client } from "./connection";
import { readPortal } from "./state";

/**
 * The whole catalog, by name. A catalog lists the kinds of event a provider
 * sends, tens of them rather than thousands, so it is read whole, 100 a page.
 */
export async function loadCatalog(client: Client): Promise<EventType[]> {
  const types: EventType[] = [];
  for await (const type of client.eventTypes.iterate({ limit: 100 })) types.push(type);
  return types.sort(byName);
}

/** Alphabetical, as a customer scans the catalog for the type it wants. */
export function byName(a: EventType, b: EventType): number {
  return a.name.localeCompare(b.name, "en");
}

/**
 * Whether the one signed in may write the catalog: an operator (the admin
 * token, or an admin key confined to no application). The relay has no
 * "who am I" route; GET /v1/usage answers exactly the operators (the same
 * check as the catalog's writes) and changes nothing, so it is asked. A
 * portal link never may, and is not asked. Any refusal or failure reads as
 * "no": the page is then read-only, and the API judges every write anyway.
 */
export async function mayWriteCatalog(client: Client): Promise<boolean> {
  if (readPortal()) return false;
  try {
    await client.operations.usage();
    return true;
  } catch {
    return false;
  }
}

/** Whether a type's schema or example is there: null (or absent) means none. */
export function present(value: unknown): boolean {
  return value !== null && value !== undefined;
}
