/**
 * @module Retention, run by the cron: delivery history older than
 * RELAY_RETENTION_DAYS goes, in bounded batches, oldest first. Only finished
 * work is touched: pending and retrying events, undispatched messages and
 * messages that still have events are kept whatever their age.
 */
import { and, inArray, isNotNull, lt, notExists, sql } from "drizzle-orm";
import { events, messages } from "./db/schema";
import type { Deps } from "./deps";
import { uuidv7Floor } from "./lib/ids";
import { DAY_MS, toRfc3339 } from "./lib/time";

/** Rows deleted per statement, so one run never holds D1 for long. */
export const RETENTION_BATCH = 200;
/** Batches per cron run: bounds the work of one invocation. */
const MAX_BATCHES = 10;

export type PurgeResult = { events: number; messages: number };

export async function purgeHistory(deps: Deps, batch = RETENTION_BATCH): Promise<PurgeResult> {
  const cutoffMs = deps.now().getTime() - deps.settings.retentionDays * DAY_MS;
  const cutoff = toRfc3339(cutoffMs);
  const idFloor = uuidv7Floor(cutoffMs);
  const purged: PurgeResult = { events: 0, messages: 0 };
  for (let i = 0; i < MAX_BATCHES; i++) {
    const old = await deps.db
      .select({ id: events.id })
      .from(events)
      // UUIDv7 ids sort by creation time: the primary key walks oldest first.
      .where(and(lt(events.id, idFloor), inArray(events.deliveryStatus, ["success", "failed"])))
      .orderBy(events.id)
      .limit(batch);
    if (old.length === 0) break;
    // Attempts go with their event (ON DELETE CASCADE).
    await deps.db.delete(events).where(
      inArray(
        events.id,
        old.map((e) => e.id),
      ),
    );
    purged.events += old.length;
    if (old.length < batch) break;
  }
  for (let i = 0; i < MAX_BATCHES; i++) {
    const old = await deps.db
      .select({ id: messages.id })
      .from(messages)
      .where(
        and(
          lt(messages.createdAt, cutoff),
          isNotNull(messages.dispatchedAt),
          notExists(
            deps.db
              .select({ one: sql`1` })
              .from(events)
              .where(sql`${events.messageId} = ${messages.id}`),
          ),
        ),
      )
      .limit(batch);
    if (old.length === 0) break;
    await deps.db.delete(messages).where(
      inArray(
        messages.id,
        old.map((m) => m.id),
      ),
    );
    purged.messages += old.length;
    if (old.length < batch) break;
  }
  if (purged.events || purged.messages) {
    deps.log("info", "retention purge", {
      cutoff,
      events: purged.events,
      messages: purged.messages,
    });
  }
  return purged;
}
