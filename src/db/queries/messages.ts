/** @module Message rows: the record of every message fanned out. */
import { and, asc, eq, gte, inArray, lt } from "drizzle-orm";
import { chunked } from "../chunked";
import type { Db } from "../client";
import { type MessageRow, messages } from "../schema";
import { runPerChunk } from "./json-rows";

type NewMessage = typeof messages.$inferInsert;

export async function getMessage(db: Db, id: string): Promise<MessageRow | undefined> {
  return db.select().from(messages).where(eq(messages.id, id)).get();
}

/** The messages with these ids that exist, in no particular order. */
export async function getMessages(db: Db, ids: string[]): Promise<MessageRow[]> {
  const found = await Promise.all(
    chunked(ids).map((part) => db.select().from(messages).where(inArray(messages.id, part))),
  );
  return found.flat();
}

/** Which of these messages are recorded already (fanned out before). One query per 1,000 ids. */
export async function recordedMessageIds(db: Db, ids: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const part of chunked(ids, 1000)) {
    const { results } = await db.$client
      .prepare("SELECT id FROM messages WHERE id IN (SELECT value FROM json_each(?))")
      .bind(JSON.stringify(part))
      .all<{ id: string }>();
    for (const row of results) found.add(row.id);
  }
  return found;
}

/**
 * Records messages, many to a statement: the rows travel as one JSON
 * parameter (D1 allows 100 parameters a statement, not 100 rows). A message
 * recorded already is left as it is; one whose application is gone is dropped.
 */
export async function insertMessages(db: Db, rows: NewMessage[]): Promise<void> {
  await runPerChunk(
    db,
    `INSERT INTO messages (id, application_id, event_type, payload, idempotency_key,
        resource_type, resource_id, created_at, webhook_ids)
      SELECT value->>'id', value->>'applicationId', value->>'eventType', value->>'payload',
        value->>'idempotencyKey', value->>'resourceType', value->>'resourceId',
        value->>'createdAt', value->>'webhookIds'
      FROM json_each(?)
      WHERE EXISTS (SELECT 1 FROM applications WHERE applications.id = value->>'applicationId')
      ON CONFLICT (id) DO NOTHING`,
    rows,
  );
}

/** Messages whose id lies in [from, to): the candidates for an event id's message. */
export async function messagesInIdRange(
  db: Db,
  range: { from: string; to: string },
): Promise<Pick<MessageRow, "id" | "applicationId" | "webhookIds">[]> {
  return db
    .select({ id: messages.id, applicationId: messages.applicationId, webhookIds: messages.webhookIds })
    .from(messages)
    .where(and(gte(messages.id, range.from), lt(messages.id, range.to)));
}

/** The oldest messages created before `idFloor` (UUIDv7 ids sort by time), for retention. */
export async function oldestMessages(
  db: Db,
  idFloor: string,
  limit: number,
): Promise<Pick<MessageRow, "id" | "webhookIds">[]> {
  return db
    .select({ id: messages.id, webhookIds: messages.webhookIds })
    .from(messages)
    .where(lt(messages.id, idFloor))
    .orderBy(asc(messages.id))
    .limit(limit);
}

export async function deleteMessages(db: Db, ids: string[]): Promise<void> {
  for (const part of chunked(ids)) await db.delete(messages).where(inArray(messages.id, part));
}
