/** @module Event and attempt rows: the delivery history SPEC §3 describes. */
import { and, desc, eq, inArray, lt, sql } from "drizzle-orm";
import { toRfc3339 } from "../../lib/time";
import { chunked } from "../chunked";
import type { Db } from "../client";
import { attempts, type DeliveryStatus, type EventRow, events } from "../schema";

export type NewEvent = typeof events.$inferInsert;

/** Event rows an insert statement carries: 13 columns each, under D1's 100 parameters. */
const EVENTS_PER_INSERT = 7;
/** Statements a D1 batch (one round trip, one transaction) carries at most. */
const STATEMENTS_PER_BATCH = 50;

/**
 * Inserts events, skipping any (message, webhook) pair that exists already, so a
 * fan-out that runs twice creates each event once. Returns every event of the
 * rows' messages. A few round trips however many rows: the inserts go in
 * batches, the read-back by message ids.
 */
export async function insertEvents(db: Db, rows: NewEvent[]): Promise<EventRow[]> {
  const inserts = chunked(rows, EVENTS_PER_INSERT).map((part) =>
    db.insert(events).values(part).onConflictDoNothing(),
  );
  for (const [first, ...rest] of chunked(inserts, STATEMENTS_PER_BATCH)) {
    if (first) await db.batch([first, ...rest]);
  }
  const messageIds = [...new Set(rows.map((r) => r.messageId))];
  const found = await Promise.all(
    chunked(messageIds).map((part) =>
      db.select().from(events).where(inArray(events.messageId, part)),
    ),
  );
  return found.flat();
}

/** The events with these ids that exist, oldest first. */
export async function getEvents(db: Db, ids: string[]): Promise<EventRow[]> {
  const found = await Promise.all(
    chunked(ids).map((part) => db.select().from(events).where(inArray(events.id, part))),
  );
  return found.flat().sort((a, b) => (a.id < b.id ? -1 : 1));
}

export async function getEvent(db: Db, id: string): Promise<EventRow | undefined> {
  return db.select().from(events).where(eq(events.id, id)).get();
}

export type EventFilter = {
  webhookId: string;
  deliveryStatus?: DeliveryStatus;
  type?: string;
  before?: string;
  limit: number;
};

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
export function statusIs(status: DeliveryStatus | undefined) {
  return status ? sql.raw(`delivery_status = '${status}'`) : undefined;
}

export async function listEventsOfMessage(db: Db, messageId: string): Promise<EventRow[]> {
  return db.select().from(events).where(eq(events.messageId, messageId)).orderBy(events.id);
}

export type AttemptRecord = {
  id: string;
  eventId: string;
  attempt: number;
  startedAt: string;
  durationMs: number;
  httpStatusCode: number;
  responseBody: string;
  errorMessage: string;
  deliveryStatus: DeliveryStatus;
  nextAttemptAt: string | null;
  updatedAt: string;
};

/**
 * Writes one attempt and the event's summary in one batch (one transaction,
 * one round trip). An attempt replayed after a crash overwrites its own row.
 */
export function recordAttemptStatements(db: Db, r: AttemptRecord) {
  return [
    db
      .insert(attempts)
      .values({
        id: r.id,
        eventId: r.eventId,
        attempt: r.attempt,
        startedAt: r.startedAt,
        durationMs: r.durationMs,
        httpStatusCode: r.httpStatusCode,
        responseBody: r.responseBody,
        errorMessage: r.errorMessage,
      })
      .onConflictDoUpdate({
        target: [attempts.eventId, attempts.attempt],
        set: {
          startedAt: r.startedAt,
          durationMs: r.durationMs,
          httpStatusCode: r.httpStatusCode,
          responseBody: r.responseBody,
          errorMessage: r.errorMessage,
        },
      }),
    db
      .update(events)
      .set({
        deliveryStatus: r.deliveryStatus,
        deliveryAttempts: sql`max(${events.deliveryAttempts}, ${r.attempt})`,
        httpStatusCode: r.httpStatusCode,
        errorMessage: r.errorMessage,
        nextAttemptAt: r.nextAttemptAt,
        updatedAt: r.updatedAt,
      })
      .where(eq(events.id, r.eventId)),
  ] as const;
}

/** Marks events failed without an attempt, e.g. because their webhook was disabled. */
export async function failEvents(db: Db, ids: string[], reason: string, now: Date): Promise<void> {
  for (const part of chunked(ids)) {
    await db
      .update(events)
      .set({
        deliveryStatus: "failed",
        errorMessage: reason,
        nextAttemptAt: null,
        updatedAt: toRfc3339(now),
      })
      .where(inArray(events.id, part));
  }
}

/**
 * Re-opens finished events for one more manual attempt: `max_attempts` grows by
 * one and `delivery_attempts` keeps counting. Returns the events re-opened.
 */
export async function reopenEvents(db: Db, ids: string[], now: Date): Promise<EventRow[]> {
  const at = toRfc3339(now);
  const reopened: EventRow[] = [];
  for (const part of chunked(ids)) {
    const rows = await db
      .update(events)
      .set({
        deliveryStatus: "retrying",
        maxAttempts: sql`${events.maxAttempts} + 1`,
        nextAttemptAt: at,
        updatedAt: at,
      })
      .where(and(inArray(events.id, part), inArray(events.deliveryStatus, ["success", "failed"])))
      .returning();
    reopened.push(...rows);
  }
  return reopened;
}

export async function listAttempts(db: Db, eventId: string, after: number, limit: number) {
  return db
    .select()
    .from(attempts)
    .where(and(eq(attempts.eventId, eventId), sql`${attempts.attempt} > ${after}`))
    .orderBy(attempts.attempt)
    .limit(limit);
}
