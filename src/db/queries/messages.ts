/** @module Message rows: the durable record of every accepted publish. */
import { and, asc, eq, inArray, isNull, lt } from "drizzle-orm";
import { chunked } from "../chunked";
import type { Db } from "../client";
import { type MessageRow, messages } from "../schema";

export type NewMessage = typeof messages.$inferInsert;

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

/**
 * Inserts the message unless its idempotency key is taken; returns the row
 * inserted, or undefined when the key already belongs to another message.
 */
export async function insertMessage(db: Db, row: NewMessage): Promise<MessageRow | undefined> {
  const [created] = await db.insert(messages).values(row).onConflictDoNothing().returning();
  return created;
}

export async function getMessageByIdempotencyKey(
  db: Db,
  applicationId: string,
  key: string,
): Promise<MessageRow | undefined> {
  return db
    .select()
    .from(messages)
    .where(and(eq(messages.applicationId, applicationId), eq(messages.idempotencyKey, key)))
    .get();
}

/** Frees an expired idempotency key so that a new message may take it. */
export async function releaseIdempotencyKey(db: Db, id: string): Promise<void> {
  await db.update(messages).set({ idempotencyKey: null }).where(eq(messages.id, id));
}

export async function markDispatched(db: Db, ids: string[], at: string): Promise<void> {
  for (const part of chunked(ids)) {
    await db
      .update(messages)
      .set({ dispatchedAt: at })
      .where(and(inArray(messages.id, part), isNull(messages.dispatchedAt)));
  }
}

/** Messages accepted before `createdBefore` whose fan-out never finished. */
export async function listUndispatched(
  db: Db,
  createdBefore: string,
  limit: number,
): Promise<Pick<MessageRow, "id">[]> {
  return db
    .select({ id: messages.id })
    .from(messages)
    .where(and(isNull(messages.dispatchedAt), lt(messages.createdAt, createdBefore)))
    .orderBy(asc(messages.createdAt))
    .limit(limit);
}
