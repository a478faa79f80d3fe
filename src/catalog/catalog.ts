/**
 * @module The event catalog as publishing sees it (SPEC §8.3): a payload
 * matches its type's schema, and with RELAY_REQUIRE_EVENT_TYPES only
 * catalogued types are published or subscribed to.
 *
 * Each isolate keeps the entries it has looked up for CATALOG_FOR_MS, and
 * each schema compiled for as long as its text is unchanged, so a publish
 * costs no D1 read and no compiling while its type's entry is fresh: a type
 * without a schema costs a Map lookup. What that allows: a schema added,
 * changed or removed, or a type deleted, takes up to CATALOG_FOR_MS to be
 * seen by the other isolates; the isolate that served the write sees it at
 * once. A type missing from an isolate's cache is read again before a
 * publish is refused for it, so a type just created is publishable everywhere
 * at once.
 */
import { existingEventTypeNames, getEventType } from "../db/queries/event-types";
import type { EventTypeRow } from "../db/schema";
import type { Deps } from "../deps";
import { type FieldError, unprocessable } from "../lib/errors";
import { type CompiledSchema, compileSchema, payloadProblems } from "./json-schema";
import { RELAY_EVENT_TYPES } from "./relay-types";

/** What a catalogued name may be: 1–100 of letters, digits, `_`, `.` and `-`. */
export const EVENT_TYPE_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** How long an isolate trusts what it read of an entry (or of its absence). */
export const CATALOG_FOR_MS = 30_000;
/** Entries kept per isolate; past it the oldest go (publishers may invent any number of names). */
const CACHE_MAX = 1_000;

type Cached = {
  row: EventTypeRow | null;
  until: number;
  /** The row's schema compiled, once first needed; kept across reads while its text is the same. */
  compiled?: CompiledSchema | FieldError[];
};

const cache = new Map<string, Cached>();

/** What this isolate now knows of `name`: a write's own answer, or null once deleted. */
export function rememberEventType(name: string, row: EventTypeRow | null): void {
  store(name, { row, until: Date.now() + CATALOG_FOR_MS });
}

function store(name: string, entry: Cached): void {
  cache.delete(name);
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(name, entry);
}

async function entryOf(deps: Deps, name: string, reread = false): Promise<Cached> {
  const known = cache.get(name);
  if (known && !reread && known.until > Date.now()) return known;
  const row = EVENT_TYPE_NAME.test(name) ? ((await getEventType(deps.db, name)) ?? null) : null;
  const entry: Cached = { row, until: Date.now() + CATALOG_FOR_MS };
  if (known?.compiled && row?.schema === known.row?.schema) entry.compiled = known.compiled;
  store(name, entry);
  return entry;
}

/**
 * What keeps a message of type `eventType` with this payload from being
 * published: its type is not catalogued while the catalog is required, or
 * the payload does not match the type's schema. Empty when nothing does.
 */
export async function publishProblems(
  deps: Deps,
  eventType: string,
  payload: unknown,
): Promise<FieldError[]> {
  let entry = await entryOf(deps, eventType);
  if (!entry.row && deps.settings.requireEventTypes) entry = await entryOf(deps, eventType, true);
  if (!entry.row) {
    return deps.settings.requireEventTypes
      ? [{ path: "event_type", message: "is not in the event catalog (RELAY_REQUIRE_EVENT_TYPES is on)" }]
      : [];
  }
  if (entry.row.schema === null) return [];
  entry.compiled ??= compileSchema(entry.row.schema);
  if (Array.isArray(entry.compiled)) {
    // Stored under rules an earlier version applied: the operator's to fix, not the publisher's fault.
    deps.log("error", "an event type's stored schema no longer compiles", { event_type: eventType });
    return [{ path: "event_type", message: "its schema in the catalog is not one this relay can apply; the operator must change it" }];
  }
  return payloadProblems(entry.compiled, payload);
}

/**
 * Throws 422 naming each of a webhook's `event_types` the catalog lacks, when
 * the catalog is required. The relay's own types are always allowed. Read
 * from D1, not the cache: webhooks are written rarely, and a type just
 * created must be subscribable at once.
 */
export async function requireCatalogued(deps: Deps, eventTypes: readonly string[]): Promise<void> {
  if (!deps.settings.requireEventTypes) return;
  const wanted = eventTypes.filter((t) => !RELAY_EVENT_TYPES.has(t));
  const found = await existingEventTypeNames(deps.db, wanted);
  const missing = eventTypes.flatMap((t, i) =>
    RELAY_EVENT_TYPES.has(t) || found.has(t)
      ? []
      : [{ path: `event_types.${i}`, message: `"${t}" is not in the event catalog (RELAY_REQUIRE_EVENT_TYPES is on)` }],
  );
  if (missing.length > 0) throw unprocessable(missing);
}
