/** @module Event type rows: the catalog (SPEC §8.3). */
import { desc, eq, lt, sql } from "drizzle-orm";
import type { Db } from "../client";
import { type EventTypeRow, eventTypes } from "../schema";

export type NewEventType = typeof eventTypes.$inferInsert;
export type EventTypeChanges = Partial<Omit<NewEventType, "id" | "name" | "createdAt">>;

export async function getEventType(db: Db, name: string): Promise<EventTypeRow | undefined> {
  return db.select().from(eventTypes).where(eq(eventTypes.name, name)).get();
}

export async function insertEventType(db: Db, row: NewEventType): Promise<EventTypeRow> {
  const [created] = await db.insert(eventTypes).values(row).returning();
  return created!;
}

export async function updateEventType(
  db: Db,
  name: string,
  changes: EventTypeChanges,
): Promise<EventTypeRow | undefined> {
  const [updated] = await db
    .update(eventTypes)
    .set(changes)
    .where(eq(eventTypes.name, name))
    .returning();
  return updated;
}

/** Whether a row went: false when there was none of that name. */
export async function deleteEventType(db: Db, name: string): Promise<boolean> {
  const gone = await db
    .delete(eventTypes)
    .where(eq(eventTypes.name, name))
    .returning({ id: eventTypes.id });
  return gone.length > 0;
}

export async function listEventTypes(
  db: Db,
  f: { before?: string; limit: number },
): Promise<EventTypeRow[]> {
  return db
    .select()
    .from(eventTypes)
    .where(f.before ? lt(eventTypes.id, f.before) : undefined)
    .orderBy(desc(eventTypes.id))
    .limit(f.limit);
}

/** Which of `names` the catalog holds: one statement, one bound parameter, however many names. */
export async function existingEventTypeNames(db: Db, names: string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const rows = await db
    .select({ name: eventTypes.name })
    .from(eventTypes)
    .where(sql`${eventTypes.name} IN (SELECT value FROM json_each(${JSON.stringify(names)}))`);
  return new Set(rows.map((r) => r.name));
}
