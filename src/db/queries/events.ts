/**
 * @module Event and attempt rows: the delivery history SPEC §3 describes.
 * Written once per event, at its outcome, in batches (`writeHistory`); while
 * an event is in flight its webhook's object serves it.
 */
import { and, asc, desc, eq, gt, gte, lt, lte, sql } from "drizzle-orm";
import type { Db } from "../client";
import {
  type AttemptRecord,
  type AttemptRow,
  attempts,
  type DeliveryStatus,
  type EventRow,
  events,
} from "../schema";
import { jsonChunks } from "./json-rows";

/**
 * Writes finished events and their later attempts (the first rides in the
 * event's row): a few statements in one round trip whatever their number. An
 * event written again (a manual retry's outcome, a replay after a crash)
 * keeps its first attempt and creation time.
 */
export async function writeHistory(db: Db, rows: EventRow[], later: AttemptRow[]): Promise<void> {
  const d1 = db.$client;
  const statements = [
    ...jsonChunks(rows).map((json) => d1.prepare(WRITE_EVENTS).bind(json)),
    ...jsonChunks(later).map((json) => d1.prepare(WRITE_ATTEMPTS).bind(json)),
  ];
  if (statements.length > 0) await d1.batch(statements);
}

const WRITE_EVENTS = `INSERT INTO events (webhook_id, id, message_id, type, delivery_status,
    delivery_attempts, max_attempts, http_status_code, error_message, next_attempt_at,
    first_attempt, created_at, updated_at)
  SELECT value->>'webhookId', value->>'id', value->>'messageId', value->>'type',
    value->>'deliveryStatus', value->>'deliveryAttempts', value->>'maxAttempts',
    value->>'httpStatusCode', value->>'errorMessage', value->>'nextAttemptAt',
    value->>'firstAttempt', value->>'createdAt', value->>'updatedAt'
  FROM json_each(?) WHERE true
  ON CONFLICT (webhook_id, id) DO UPDATE SET
    delivery_status = excluded.delivery_status,
    delivery_attempts = max(events.delivery_attempts, excluded.delivery_attempts),
    max_attempts = excluded.max_attempts,
    http_status_code = excluded.http_status_code,
    error_message = excluded.error_message,
    next_attempt_at = excluded.next_attempt_at,
    first_attempt = coalesce(events.first_attempt, excluded.first_attempt),
    updated_at = excluded.updated_at`;

const WRITE_ATTEMPTS = `INSERT INTO attempts (event_id, attempt, id, started_at, duration_ms,
    http_status_code, response_body, error_message)
  SELECT value->>'eventId', value->>'attempt', value->>'id', value->>'startedAt',
    value->>'durationMs', value->>'httpStatusCode', value->>'responseBody',
    value->>'errorMessage'
  FROM json_each(?) WHERE true
  ON CONFLICT (event_id, attempt) DO UPDATE SET id = excluded.id,
    started_at = excluded.started_at, duration_ms = excluded.duration_ms,
    http_status_code = excluded.http_status_code,
    response_body = excluded.response_body, error_message = excluded.error_message`;

/** An event without a first attempt reads back with null, never undefined. */
function normalise(row: EventRow): EventRow {
  return { ...row, firstAttempt: row.firstAttempt ?? null };
}

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
  return row && normalise(row);
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
    firstAttempt: raw.first_attempt ? (JSON.parse(raw.first_attempt as string) as AttemptRecord) : null,
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
  const rows = await db
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
  return rows.map(normalise);
}

/**
 * The status condition, as a literal so that SQLite can use the partial index
 * on failed events (it cannot prove a bound parameter matches the index).
 */
function statusIs(status: DeliveryStatus | undefined) {
  return status ? sql.raw(`delivery_status = '${status}'`) : undefined;
}

/** A window of a webhook's failed events, as recover selects them (ids sort by time). */
export type FailedWindow = { webhookId: string; since: string; until: string };

function failedIn(w: FailedWindow) {
  return and(
    eq(events.webhookId, w.webhookId),
    statusIs("failed"),
    gte(events.createdAt, w.since),
    lte(events.createdAt, w.until),
  );
}

export async function countFailed(db: Db, w: FailedWindow): Promise<number> {
  const row = await db
    .select({ n: sql<number>`count(*)` })
    .from(events)
    .where(failedIn(w))
    .get();
  return row?.n ?? 0;
}

/** A page of the window's failed events, oldest first, after the id `after`. */
export async function pageFailed(
  db: Db,
  w: FailedWindow,
  after: string,
  limit: number,
): Promise<EventRow[]> {
  const rows = await db
    .select()
    .from(events)
    .where(and(failedIn(w), gt(events.id, after)))
    .orderBy(asc(events.id))
    .limit(limit);
  return rows.map(normalise);
}

/** Attempts after the first (which lives in the event's row), oldest first. */
export async function listLaterAttempts(
  db: Db,
  eventId: string,
  after: number,
  limit: number,
): Promise<AttemptRow[]> {
  return db
    .select()
    .from(attempts)
    .where(and(eq(attempts.eventId, eventId), gt(attempts.attempt, after)))
    .orderBy(asc(attempts.attempt))
    .limit(limit);
}

/** Deletes these events and their attempts, for retention. */
export async function deleteEvents(
  db: Db,
  keys: { webhookId: string; id: string }[],
): Promise<number> {
  const d1 = db.$client;
  let deleted = 0;
  for (const json of jsonChunks(keys)) {
    const [gone] = await d1.batch([
      d1
        .prepare(
          `DELETE FROM events WHERE (webhook_id, id) IN
            (SELECT value->>'webhookId', value->>'id' FROM json_each(?))`,
        )
        .bind(json),
      d1
        .prepare("DELETE FROM attempts WHERE event_id IN (SELECT value->>'id' FROM json_each(?))")
        .bind(json),
    ]);
    deleted += gone?.meta.changes ?? 0;
  }
  return deleted;
}
