/**
 * @module The tally of operational events per source application and minute
 * (src/delivery/operational-events/operational-budget.ts): each event's
 * place in its minute, what was held back, and retention. Plain functions
 * taking the db first.
 */
import { lt } from "drizzle-orm";
import type { Db } from "../client";
import { operationalTally } from "../schema";

export type TallyEntry = { key: string; applicationId: string; windowStart: string; type: string };

/**
 * Gives each entry not tallied yet the next place among its application's
 * entries of its minute, and answers every entry's place by key, in one
 * round trip. One INSERT hands out the places and D1 runs one statement at a
 * time, so objects tallying the same application at once never share a
 * place; an entry tallied before keeps its place.
 */
export async function placeInTally(db: Db, entries: TallyEntry[]): Promise<Map<string, number>> {
  if (entries.length === 0) return new Map();
  const d1 = db.$client;
  const json = JSON.stringify(entries);
  const [, placed] = await d1.batch<{ key: string; ordinal: number }>([
    d1
      .prepare(
        `INSERT INTO operational_tally (key, application_id, window_start, type, ordinal)
         SELECT n.k, n.app, n.win, n.type,
           coalesce((SELECT max(t.ordinal) FROM operational_tally t
                     WHERE t.window_start = n.win AND t.application_id = n.app), 0)
           + row_number() OVER (PARTITION BY n.app, n.win ORDER BY n.idx)
         FROM (SELECT j.value ->> 'key' AS k, j.value ->> 'applicationId' AS app,
                      j.value ->> 'windowStart' AS win, j.value ->> 'type' AS type, j.key AS idx
               FROM json_each(?1) AS j) AS n
         WHERE NOT EXISTS (SELECT 1 FROM operational_tally t WHERE t.key = n.k)`,
      )
      .bind(json),
    d1
      .prepare(
        `SELECT key, ordinal FROM operational_tally
         WHERE key IN (SELECT value ->> 'key' FROM json_each(?1))`,
      )
      .bind(json),
  ]);
  return new Map((placed?.results ?? []).map((row) => [row.key, row.ordinal]));
}

/** How many of an application's events of a minute were placed after `cap`, by type. */
export async function countPlacedAfter(
  db: Db,
  applicationId: string,
  windowStart: string,
  cap: number,
): Promise<Record<string, number>> {
  const { results } = await db.$client
    .prepare(
      `SELECT type, count(*) AS n FROM operational_tally
       WHERE window_start = ? AND application_id = ? AND ordinal > ? GROUP BY type`,
    )
    .bind(windowStart, applicationId, cap)
    .all<{ type: string; n: number }>();
  return Object.fromEntries(results.map((row) => [row.type, row.n]));
}

/** Forgets the minutes before `windowStart`. */
export async function deleteTallyBefore(db: Db, windowStart: string): Promise<number> {
  const result = await db.delete(operationalTally).where(lt(operationalTally.windowStart, windowStart));
  return result.meta.changes;
}
