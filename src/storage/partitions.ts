/**
 * @module The SQL of a history shard's partitions (src/db/history-schema.ts):
 * writing a slot's rows, reading them back, and clearing a partition.
 *
 * A write is one batch (one round trip, one transaction): claim the slot's
 * partition if it is free (a no-op that writes nothing otherwise), insert
 * the rows only if the partition holds this slot and is live, and count
 * them in the partition's row under the same condition. The count's
 * `changes` says whether the partition took them: a partition still
 * holding an older slot (its archiving behind) or being archived refuses,
 * and the writer tries again later.
 *
 * Clearing drops the partition's tables and creates them again from their
 * own DDL as `sqlite_master` has it, so the shape still comes from the
 * migrations alone; dropping writes no row.
 */
import { PARTITIONS, type PartitionState } from "../db/history-schema";
import { jsonChunks } from "../lib/json-chunks";
import type { StoredEvent, StoredMessage } from "./codec";
import { assertRoom, HistoryUnavailableError, noteAnswer, onShard } from "./health";
import { partitionOf } from "./layout";
import type { HistoryShard } from "./store";

export type PartitionRow = {
  idx: number;
  slot: number | null;
  state: PartitionState;
  generation: number;
  cursor: string;
  event_rows: number;
  message_rows: number;
  payload_objects: number;
  payload_bytes: number;
};

export type Kind = "events" | "messages";

/** An event row as a read selects it, with the slot of its partition (`ps`). */
export type SelectedEvent = Omit<StoredEvent, "l"> & { l: string; ps: number };
/** A message row as a read selects it, with the slot of its partition (`ps`). */
export type SelectedMessage = StoredMessage & { ps: number };

const EVENT_FIELDS = `lower(hex(r.webhook)) AS w, lower(hex(r.id)) AS i, lower(hex(r.message)) AS m,
  r.type AS t, r.status AS s, r.attempts AS a, r.max_attempts AS x, r.http AS h, r.error AS e,
  r.created AS c, r.updated AS u, r.log AS l`;

const MESSAGE_FIELDS = `lower(hex(r.id)) AS i, lower(hex(r.application)) AS a, r.type AS t,
  r.idempotency_key AS k, r.resource_type AS rt, r.resource_id AS ri, r.created AS c,
  lower(hex(r.webhooks)) AS w, lower(hex(r.payload_object)) AS p, r.payload_offset AS o,
  r.payload_length AS n`;

export function decodeSelectedEvent(row: SelectedEvent): StoredEvent {
  const { ps: _slot, l, ...rest } = row;
  return { ...rest, l: JSON.parse(l) as StoredEvent["l"] };
}

/** The condition under which partition `idx` takes rows of `slot` (bound as the statement's second parameter). */
const holds = (idx: number) => `(SELECT slot FROM partitions WHERE idx = ${idx} AND state = 'live') = ?2`;

function claim(d1: D1Database, slot: number, generation: number): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT INTO partitions (idx, slot, state, generation) VALUES (?1, ?2, 'live', ?3)
       ON CONFLICT (idx) DO UPDATE SET slot = excluded.slot, state = 'live', generation = excluded.generation,
         cursor = '', event_rows = 0, message_rows = 0, payload_objects = 0, payload_bytes = 0
       WHERE partitions.state = 'free'`,
    )
    .bind(partitionOf(slot), slot, generation);
}

const INSERT_EVENTS = (idx: number) => `INSERT INTO events_${idx}
    (webhook, id, message, type, status, attempts, max_attempts, http, error, created, updated, log)
  SELECT unhex(value->>'w'), unhex(value->>'i'), unhex(value->>'m'), value->>'t', value->>'s',
    value->>'a', value->>'x', value->>'h', value->>'e', value->>'c', value->>'u', value->'l'
  FROM json_each(?1) WHERE ${holds(idx)}
  ON CONFLICT (webhook, id) DO UPDATE SET
    status = excluded.status,
    attempts = max(attempts, excluded.attempts),
    max_attempts = excluded.max_attempts,
    http = excluded.http,
    error = excluded.error,
    updated = excluded.updated,
    log = CASE WHEN json_array_length(excluded.log) >= json_array_length(log) THEN excluded.log ELSE log END`;

const INSERT_MESSAGES = (idx: number) => `INSERT INTO messages_${idx}
    (id, application, type, idempotency_key, resource_type, resource_id, created, webhooks,
     payload_object, payload_offset, payload_length)
  SELECT unhex(value->>'i'), unhex(value->>'a'), value->>'t', value->>'k', value->>'rt', value->>'ri',
    value->>'c', unhex(value->>'w'), unhex(value->>'p'), value->>'o', value->>'n'
  FROM json_each(?1) WHERE ${holds(idx)}
  ON CONFLICT (id) DO NOTHING`;

/**
 * Writes rows of `kind` into `slot`'s partition of the shard. An event
 * written again (a manual retry's outcome, or once more after a crash)
 * replaces its row but keeps the longer attempt log; a message recorded
 * already is left as it is. Throws HistoryUnavailableError when the shard
 * is full, failing, or its partition is not this slot's.
 */
export async function writeRows(
  shard: HistoryShard,
  slot: number,
  kind: Kind,
  rows: StoredEvent[] | StoredMessage[],
  payload: { objects: number; bytes: number } = { objects: 0, bytes: 0 },
): Promise<void> {
  if (rows.length === 0) return;
  await assertRoom(shard);
  const idx = partitionOf(slot);
  const d1 = shard.d1;
  const insert = kind === "events" ? INSERT_EVENTS(idx) : INSERT_MESSAGES(idx);
  const count =
    kind === "events"
      ? d1
          .prepare(`UPDATE partitions SET event_rows = event_rows + ?1 WHERE idx = ${idx} AND slot = ?2 AND state = 'live'`)
          .bind(rows.length, slot)
      : d1
          .prepare(
            `UPDATE partitions SET message_rows = message_rows + ?1, payload_objects = payload_objects + ?3,
               payload_bytes = payload_bytes + ?4 WHERE idx = ${idx} AND slot = ?2 AND state = 'live'`,
          )
          .bind(rows.length, slot, payload.objects, payload.bytes);
  const results = await onShard(shard, () =>
    d1.batch([
      claim(d1, slot, Date.now()),
      ...jsonChunks(rows).map((json) => d1.prepare(insert).bind(json, slot)),
      count,
    ]),
  );
  const counted = results[results.length - 1]!;
  noteAnswer(shard, counted.meta);
  if (counted.meta.changes !== 1) throw new HistoryUnavailableError(shard.name, `the partition of slot ${slot} is busy`);
}

/**
 * One statement reading partition `idx`'s rows of `kind` (as `r`, its
 * partition as `p`): `where` and `tail` use the binds after the slots'.
 */
export function partitionRead(
  d1: D1Database,
  kind: Kind,
  idx: number,
  /** The slots the partition may hold for this read; null: whichever it holds. */
  slots: number[] | null,
  where: string,
  tail: string,
  binds: unknown[],
): D1PreparedStatement {
  const fields = kind === "events" ? EVENT_FIELDS : MESSAGE_FIELDS;
  const slotCondition = slots ? "AND p.slot IN (SELECT value FROM json_each(?))" : "";
  return d1
    .prepare(
      `SELECT p.slot AS ps, ${fields} FROM partitions p JOIN ${kind}_${idx} r
        ON p.idx = ${idx} AND p.state != 'free' ${slotCondition}
       WHERE ${where} ${tail}`,
    )
    .bind(...(slots ? [JSON.stringify(slots)] : []), ...binds);
}

/** Runs reads on one shard in one batch; their rows, statement by statement. */
export async function readShard<T>(shard: HistoryShard, statements: D1PreparedStatement[]): Promise<T[][]> {
  if (statements.length === 0) return [];
  const results = await onShard(shard, () => shard.d1.batch<T>(statements));
  noteAnswer(shard, results[0]?.meta);
  return results.map((r) => r.results);
}

/** Every partition of the shard: its slot, state and counters. */
export async function readPartitions(shard: HistoryShard): Promise<PartitionRow[]> {
  const result = await onShard(shard, () => shard.d1.prepare("SELECT * FROM partitions ORDER BY idx").all<PartitionRow>());
  noteAnswer(shard, result.meta);
  return result.results;
}

/** Every partition index: reads by id, which do not know the slot, look at each. */
export const ALL_PARTITIONS = Array.from({ length: PARTITIONS }, (_, i) => i);

/**
 * Moves a partition from one state to another, if it is still as expected
 * (the same slot and generation): archiving starts, or its cursor moves.
 * Answers whether it was.
 */
export async function updatePartition(
  shard: HistoryShard,
  expected: Pick<PartitionRow, "idx" | "slot" | "generation" | "state" | "cursor">,
  next: Pick<PartitionRow, "state" | "cursor">,
): Promise<boolean> {
  const result = await onShard(shard, () =>
    shard.d1
      .prepare(
        `UPDATE partitions SET state = ?1, cursor = ?2
         WHERE idx = ?3 AND slot = ?4 AND generation = ?5 AND state = ?6 AND cursor = ?7`,
      )
      .bind(next.state, next.cursor, expected.idx, expected.slot, expected.generation, expected.state, expected.cursor)
      .run(),
  );
  return result.meta.changes === 1;
}

/**
 * Drops the partition's tables and creates them again, empty, and frees it,
 * in one transaction, if it is still as expected: a first statement that
 * fails otherwise (SQLite evaluates `json('…')` only when reached) rolls the
 * whole batch back, so a partition claimed again meanwhile is never cleared.
 * Writes no row per row held.
 */
export async function clearPartition(
  shard: HistoryShard,
  expected: Pick<PartitionRow, "idx" | "slot" | "generation" | "state">,
): Promise<void> {
  const { idx } = expected;
  const d1 = shard.d1;
  await onShard(shard, async () => {
    const ddl = await d1
      .prepare(
        `SELECT sql FROM sqlite_master WHERE tbl_name IN ('events_${idx}', 'messages_${idx}') AND sql IS NOT NULL
         ORDER BY type = 'index', name`,
      )
      .all<{ sql: string }>();
    await d1.batch([
      d1
        .prepare(
          `SELECT CASE WHEN EXISTS (SELECT 1 FROM partitions WHERE idx = ?1 AND slot = ?2 AND generation = ?3 AND state = ?4)
             THEN 1 ELSE json('the partition changed') END`,
        )
        .bind(idx, expected.slot, expected.generation, expected.state),
      d1.prepare(`DROP TABLE events_${idx}`),
      d1.prepare(`DROP TABLE messages_${idx}`),
      ...ddl.results.map((r) => d1.prepare(r.sql)),
      d1.prepare(
        `UPDATE partitions SET state = 'free', slot = NULL, cursor = '', event_rows = 0, message_rows = 0,
           payload_objects = 0, payload_bytes = 0 WHERE idx = ${idx}`,
      ),
    ]);
  });
}
