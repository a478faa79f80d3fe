/** @module Replay rows: a replay's selection and its progress (SPEC §7.6). */
import { and, eq, lt, sql } from "drizzle-orm";
import type { Db } from "../client";
import { type ReplayRow, replays } from "../schema";

type NewReplay = typeof replays.$inferInsert;

export async function insertReplay(db: Db, row: NewReplay): Promise<ReplayRow> {
  const [created] = await db.insert(replays).values(row).returning();
  return created!;
}

export async function getReplay(db: Db, id: string): Promise<ReplayRow | undefined> {
  return db.select().from(replays).where(eq(replays.id, id)).get();
}

/**
 * Records a page handed over: only if the replay is still at `from`, so a
 * page handled twice (a task the queue delivered again) counts once.
 */
export async function advanceReplay(
  db: Db,
  id: string,
  from: string,
  to: { cursor: string; handed: number; done: boolean; at: string },
): Promise<void> {
  await db
    .update(replays)
    .set({
      cursor: to.cursor,
      queued: sql`${replays.queued} + ${to.handed}`,
      status: to.done ? "done" : "running",
      updatedAt: to.at,
    })
    .where(and(eq(replays.id, id), eq(replays.cursor, from)));
}

/** Deletes finished replays created before the id `before` (UUIDv7: by time, along the key). */
export async function deleteReplaysBefore(db: Db, before: string): Promise<number> {
  const result = await db
    .delete(replays)
    .where(and(lt(replays.id, before), eq(replays.status, "done")));
  return result.meta.changes;
}
