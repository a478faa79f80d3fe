/**
 * @module Event rows, with their attempts: the delivery history SPEC §3
 * describes. Written once per event, at its outcome, in batches
 * (`writeHistory`); while an event is in flight its webhook's object serves it.
 */
import { and, asc, desc, eq, gt, gte, lt, lte, sql } from "drizzle-orm";
import type { AttemptRecord, DeliveryStatus } from "../../domain/event";
import type { Db } from "../client";
import { type EventRow, events } from "../schema";
import { runPerChunk } from "./json-rows";

/**
 * Writes finished events, attempts and all: one statement per megabyte of
 * rows, in one round trip however many. An event written again (a manual
 * retry's outcome) replaces its row; a replay after a crash, which knows
 * fewer attempts than were recorded, keeps the longer attempt log.
 */
export async function writeHistory(db: Db, rows: EventRow[]): Promise<void> {
  await runPerChunk(db, WRITE_EVENTS, rows);
}

const WRITE_EVENTS = `INSERT INTO events (webhook_id, id, message_id, type, delivery_status,
    delivery_attempts, max_attempts, http_status_code, error_message, next_attempt_at,
    attempt_log, created_at, updated_at)
  SELECT value->>'webhookId', value->>'id', value->>'messageId', value->>'type',
    value->>'deliveryStatus', value->>'deliveryAttempts', value->>'maxAttempts',
    value->>'httpStatusCode', value->>'errorMessage', value->>'nextAttemptAt',
    value->>'attemptLog', value->>'createdAt', value->>'updatedAt'
  FROM json_each(?) WHERE true
  ON CONFLICT (webhook_id, id) DO UPDATE SET
    delivery_status = excluded.delivery_status,
    delivery_attempts = max(events.delivery_attempts, excluded.delivery_attempts),
    max_attempts = excluded.max_attempts,
    http_status_code = excluded.http_status_code,
    error_message = excluded.error_message,
    next_attempt_at = excluded.next_attempt_at,
    attempt_log = CASE
      WHEN json_array_length(excluded.attempt_log) >= json_array_length(events.attempt_log)
      THEN excluded.attempt_log ELSE events.attempt_log END,
    updated_at = excluded.updated_at`;

export async function getEvent(
  db: Db,
  webhookId: string,
  id: string,
): Promise<EventRow | undefined> {
  const row = await db
    .select()
    .from(events)
    .where(and(eq(events.webhookId, webhookId), eq(events.id, id)))
    .get();
  return row;
}

/** Which of these events of a webhook D1 has recorded (they settled at least once). One query. */
export async function recordedEventIds(db: Db, webhookId: string, ids: string[]): Promise<Set<string>> {
  const { results } = await db.$client
    .prepare("SELECT id FROM events WHERE webhook_id = ? AND id IN (SELECT value FROM json_each(?))")
    .bind(webhookId, JSON.stringify(ids))
    .all<{ id: string }>();
  return new Set(results.map((r) => r.id));
}

/** Events by (webhook, id), one query. */
export async function getEventsByKey(
  db: Db,
  keys: { webhookId: string; id: string }[],
): Promise<EventRow[]> {
  if (keys.length === 0) return [];
  const { results } = await db.$client
    .prepare(
      `SELECT * FROM events WHERE (webhook_id, id) IN
        (SELECT value->>'webhookId', value->>'id' FROM json_each(?))`,
    )
    .bind(JSON.stringify(keys))
    .all<Record<string, unknown>>();
  return results.map(fromRawEvent);
}

function fromRawEvent(raw: Record<string, unknown>): EventRow {
  return {
    webhookId: raw.webhook_id as string,
    id: raw.id as string,
    messageId: raw.message_id as string,
    type: raw.type as string,
    deliveryStatus: raw.delivery_status as DeliveryStatus,
    deliveryAttempts: raw.delivery_attempts as number,
    maxAttempts: raw.max_attempts as number,
    httpStatusCode: raw.http_status_code as number,
    errorMessage: raw.error_message as string,
    nextAttemptAt: raw.next_attempt_at as string | null,
    attemptLog: JSON.parse(raw.attempt_log as string) as AttemptRecord[],
    createdAt: raw.created_at as string,
    updatedAt: raw.updated_at as string,
  };
}

export type EventFilter = {
  webhookId: string;
  deliveryStatus?: DeliveryStatus;
  type?: string;
  before?: string;
  limit: number;
};

/** A page of a webhook's recorded events, newest first. */
export async function listEvents(db: Db, f: EventFilter): Promise<EventRow[]> {
  return db
    .select()
    .from(events)
    .where(
      and(
        eq(events.webhookId, f.webhookId),
        statusIs(f.deliveryStatus),
        f.type ? eq(events.type, f.type) : undefined,
        f.before ? lt(events.id, f.before) : undefined,
      ),
    )
    .orderBy(desc(events.id))
    .limit(f.limit);
}

/**
 * The status condition, as a literal so that SQLite can use the partial index
 * on failed events (it cannot prove a bound parameter matches the index).
 */
function statusIs(status: DeliveryStatus | undefined) {
  return status ? sql.raw(`delivery_status = '${status}'`) : undefined;
}

/** Deletes these events, attempts and all, for retention. */
export async function deleteEvents(
  db: Db,
  keys: { webhookId: string; id: string }[],
): Promise<number> {
  const changes = await runPerChunk(
    db,
    `DELETE FROM events WHERE (webhook_id, id) IN
      (SELECT value->>'webhookId', value->>'id' FROM json_each(?))`,
    keys,
  );
  return changes.reduce((a, b) => a + b, 0);
}

/**
 * A selection of a webhook's recorded events by creation time (both ends
 * included), status, type and last HTTP status: what recover and replay
 * (SPEC §7.6) count and then page through, with the same condition.
 */
type EventSelection = {
  webhookId: string;
  since: string;
  until: string;
  deliveryStatuses: DeliveryStatus[];
  eventTypes: string[] | null;
  httpStatusCodes: number[] | null;
};

/** Recover's selection: the window's failed events. */
export function failedIn(w: { webhookId: string; since: string; until: string }): EventSelection {
  return { ...w, deliveryStatuses: ["failed"], eventTypes: null, httpStatusCodes: null };
}

function selected(f: EventSelection) {
  // One status is compared with `=`, so the partial index on failed events
  // serves recover; statuses are the schema's enum, so literals are safe. The
  // lists travel as one JSON parameter each (D1 binds 100 at most).
  const [only, ...more] = f.deliveryStatuses;
  return and(
    eq(events.webhookId, f.webhookId),
    more.length === 0
      ? statusIs(only)
      : sql.raw(`delivery_status IN (${f.deliveryStatuses.map((s) => `'${s}'`).join(", ")})`),
    gte(events.createdAt, f.since),
    lte(events.createdAt, f.until),
    f.eventTypes
      ? sql`${events.type} IN (SELECT value FROM json_each(${JSON.stringify(f.eventTypes)}))`
      : undefined,
    f.httpStatusCodes
      ? sql`${events.httpStatusCode} IN (SELECT value FROM json_each(${JSON.stringify(f.httpStatusCodes)}))`
      : undefined,
  );
}

export async function countSelected(db: Db, f: EventSelection): Promise<number> {
  const row = await db
    .select({ n: sql<number>`count(*)` })
    .from(events)
    .where(selected(f))
    .get();
  return row?.n ?? 0;
}

/** A page of the selection, oldest first, after the id `after`. */
export async function pageSelected(
  db: Db,
  f: EventSelection,
  after: string,
  limit: number,
): Promise<EventRow[]> {
  return db
    .select()
    .from(events)
    .where(and(selected(f), gt(events.id, after)))
    .orderBy(asc(events.id))
    .limit(limit);
}
