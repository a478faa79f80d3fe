/**
 * @module The archive: history older than the hot window, moved from its
 * shard's partition to R2, and its index in the main database
 * (`archive_objects`, src/db/schema.ts).
 *
 * Each object is gzip JSON lines of stored rows (src/storage/codec.ts), of
 * one owner (a webhook's events; a shard's messages), one write slot, and
 * ids of one slot of their own time (`id_slot`), sorted by id and at most a
 * page (1,000 rows) each. So a read by id opens only objects of its id's
 * slot, and a page of a webhook's events newest first walks id slots
 * downwards, opening each slot's objects once.
 *
 * Archiving a partition is paged: a page of rows read, their objects
 * written, indexed, and the partition's cursor moved, so that any number of
 * rows is archived over as many cron runs as it takes, and a run cut short
 * repeats at most a page, writing the same objects under the same keys.
 * Then the partition is cleared (src/storage/partitions.ts).
 */
import type { ArchiveObjectRow } from "../db/schema";
import { jsonChunks } from "../lib/json-chunks";
import { type StoredEvent, type StoredMessage, uuidOf } from "./codec";
import {
  clearPartition,
  decodeSelectedEvent,
  type PartitionRow,
  partitionRead,
  readShard,
  type SelectedEvent,
  type SelectedMessage,
  updatePartition,
} from "./partitions";
import { payloadKey } from "./payloads";
import { ARCHIVE_PAGE, idSlotOf, slotEnd } from "./layout";
import type { HistoryShard, HistoryStore } from "./store";

const encoder = new TextEncoder();

/** Writes rows as one gzip JSON-lines object; returns its size. */
async function putLines(store: HistoryStore, key: string, rows: unknown[]): Promise<number> {
  const text = encoder.encode(rows.map((r) => JSON.stringify(r)).join("\n"));
  const gzip = await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
  await store.bucket.put(key, gzip);
  return gzip.byteLength;
}

/** Objects read of late, decoded, by key: a page after a page reads the same objects (they never change). */
const recent = new Map<string, unknown[]>();
const RECENT_OBJECTS = 32;

/** An object's rows; an object retention removed meanwhile has none. */
export async function readLines<T>(store: HistoryStore, key: string): Promise<T[]> {
  const cached = recent.get(key);
  if (cached) return cached as T[];
  const object = await store.bucket.get(key);
  if (!object) return [];
  const text = await new Response(object.body.pipeThrough(new DecompressionStream("gzip"))).text();
  const rows = text.split("\n").map((line) => JSON.parse(line) as T);
  recent.set(key, rows);
  if (recent.size > RECENT_OBJECTS) recent.delete(recent.keys().next().value!);
  return rows;
}

type ObjectRow = {
  key: string;
  kind: ArchiveObjectRow["kind"];
  owner: string;
  slot: number;
  id_slot: number;
  min_id: string;
  max_id: string;
  min_created: number;
  max_created: number;
  rows: number;
  bytes: number;
};

/** An archive object's index row, as the main database keeps it. */
export type ArchivedObject = { key: string; slot: number; idSlot: number; minId: string; maxId: string };

function fromRow(row: ObjectRow): ArchivedObject {
  return { key: row.key, slot: row.slot, idSlot: row.id_slot, minId: row.min_id, maxId: row.max_id };
}

/** A creation-time window objects must overlap, when a read selects by it. */
export type CreatedWindow = { from: number; to: number } | null;

const overlaps = (created: CreatedWindow) =>
  created ? { sql: "AND max_created >= ? AND min_created <= ?", binds: [created.from, created.to] } : { sql: "", binds: [] };

/**
 * The next id slots with archived events of the webhook, from `from` on
 * (included), downwards or upwards, that may hold events created in the window.
 */
export async function eventIdSlots(
  store: HistoryStore,
  webhookId: string,
  from: number,
  direction: "desc" | "asc",
  created: CreatedWindow,
  limit: number,
): Promise<number[]> {
  const window = overlaps(created);
  const { results } = await store.main
    .prepare(
      `SELECT DISTINCT id_slot FROM archive_objects
       WHERE owner = ? AND kind = 'events' AND id_slot ${direction === "desc" ? "<=" : ">="} ? ${window.sql}
       ORDER BY id_slot ${direction === "desc" ? "DESC" : "ASC"} LIMIT ?`,
    )
    .bind(webhookId, from, ...window.binds, limit)
    .all<{ id_slot: number }>();
  return results.map((r) => r.id_slot);
}

/** The webhook's archived event objects of these id slots. */
export async function eventObjects(
  store: HistoryStore,
  webhookId: string,
  idSlots: number[],
  created: CreatedWindow,
): Promise<ArchivedObject[]> {
  if (idSlots.length === 0) return [];
  const window = overlaps(created);
  const { results } = await store.main
    .prepare(
      `SELECT * FROM archive_objects WHERE owner = ? AND kind = 'events'
       AND id_slot IN (SELECT value FROM json_each(?)) ${window.sql}`,
    )
    .bind(webhookId, JSON.stringify([...new Set(idSlots)]), ...window.binds)
    .all<ObjectRow>();
  return results.map(fromRow);
}

/** Archived message objects that may hold any id in [from, to] (ids of one slot's time each). */
export async function messageObjects(store: HistoryStore, ranges: { from: string; to: string }[]): Promise<ArchivedObject[]> {
  if (ranges.length === 0) return [];
  const { results } = await store.main
    .prepare(
      `SELECT DISTINCT o.* FROM archive_objects o, json_each(?) r
       WHERE o.kind = 'messages' AND o.id_slot = r.value->>'s'
         AND o.min_id <= r.value->>'to' AND o.max_id >= r.value->>'from'`,
    )
    .bind(JSON.stringify(ranges.map((r) => ({ s: idSlotOf(r.from), from: r.from, to: r.to }))))
    .all<ObjectRow>();
  return results.map(fromRow);
}

/** A run of rows of one owner and id slot, in id order: one object. */
type Group<R> = { owner: string; idSlot: number; rows: R[] };

function groupRows<R>(rows: R[], ownerOf: (row: R) => string, idOf: (row: R) => string): Group<R>[] {
  const groups: Group<R>[] = [];
  for (const row of rows) {
    const owner = ownerOf(row);
    const idSlot = idSlotOf(idOf(row));
    const last = groups[groups.length - 1];
    if (last && last.owner === owner && last.idSlot === idSlot) last.rows.push(row);
    else groups.push({ owner, idSlot, rows: [row] });
  }
  return groups;
}

/** Writes the groups as objects and indexes them (one statement per megabyte of index rows). */
async function archiveGroups<R>(
  store: HistoryStore,
  partition: PartitionRow & { slot: number },
  kind: "events" | "messages",
  groups: Group<R>[],
  /** A row's id, as a UUID. */
  idOf: (row: R) => string,
  createdOf: (row: R) => number,
): Promise<void> {
  const indexRows = await Promise.all(
    groups.map(async (group) => {
      const first = idOf(group.rows[0]!);
      const last = idOf(group.rows[group.rows.length - 1]!);
      const key = `archive/${kind}/${partition.slot}/${group.owner}/${partition.generation}-${first}`;
      const bytes = await putLines(store, key, group.rows);
      const created = group.rows.map(createdOf);
      return {
        key,
        kind,
        owner: group.owner,
        slot: partition.slot,
        id_slot: group.idSlot,
        min_id: first,
        max_id: last,
        min_created: Math.min(...created),
        max_created: Math.max(...created),
        rows: group.rows.length,
        bytes,
      } satisfies ObjectRow;
    }),
  );
  await indexObjects(store, indexRows);
}

async function indexObjects(store: HistoryStore, rows: ObjectRow[]): Promise<void> {
  if (rows.length === 0) return;
  const main = store.main;
  await main.batch(
    jsonChunks(rows).map((json) =>
      main
        .prepare(
          `INSERT OR REPLACE INTO archive_objects
             (key, kind, owner, slot, id_slot, min_id, max_id, min_created, max_created, rows, bytes)
           SELECT value->>'key', value->>'kind', value->>'owner', value->>'slot', value->>'id_slot',
             value->>'min_id', value->>'max_id', value->>'min_created', value->>'max_created',
             value->>'rows', value->>'bytes'
           FROM json_each(?)`,
        )
        .bind(json),
    ),
  );
}

/**
 * Archives one page of the partition from its cursor on, and moves the
 * cursor; at the end, indexes the slot's payload objects and clears the
 * partition. Answers whether the partition is done (cleared, or taken by
 * another run meanwhile).
 */
async function archivePage(store: HistoryStore, shard: HistoryShard, partition: PartitionRow & { slot: number }): Promise<boolean> {
  const { idx, cursor } = partition;
  const d1 = shard.d1;
  let next: string;
  if (cursor === "" || cursor.startsWith("e:")) {
    const [, w, i] = cursor.split(":");
    const after = w && i ? { where: "(r.webhook, r.id) > (unhex(?), unhex(?))", binds: [w, i] } : { where: "true", binds: [] };
    const [page = []] = await readShard<SelectedEvent>(shard, [
      partitionRead(d1, "events", idx, null, after.where, "ORDER BY r.webhook, r.id LIMIT ?", [...after.binds, ARCHIVE_PAGE]),
    ]);
    const rows = page.map(decodeSelectedEvent);
    const idOf = (r: StoredEvent) => uuidOf(r.i);
    await archiveGroups(store, partition, "events", groupRows(rows, (r) => uuidOf(r.w), idOf), idOf, (r) => r.c);
    const last = rows[rows.length - 1];
    next = rows.length === ARCHIVE_PAGE && last ? `e:${last.w}:${last.i}` : "m:";
  } else if (cursor.startsWith("m:")) {
    const after = cursor.slice(2);
    const [page = []] = await readShard<SelectedMessage>(shard, [
      partitionRead(d1, "messages", idx, null, after ? "r.id > unhex(?)" : "true", "ORDER BY r.id LIMIT ?", [
        ...(after ? [after] : []),
        ARCHIVE_PAGE,
      ]),
    ]);
    const rows = page.map(({ ps: _slot, ...row }): StoredMessage => row);
    const idOf = (r: StoredMessage) => uuidOf(r.i);
    await archiveGroups(store, partition, "messages", groupRows(rows, () => shard.name, idOf), idOf, () => 0);
    const last = rows[rows.length - 1];
    next = rows.length === ARCHIVE_PAGE && last ? `m:${last.i}` : "done";
  } else {
    await indexObjects(store, [
      {
        // Not an object: the slot's payload objects (under its prefix), counted.
        key: `${payloadKey(partition.slot, "")}#${shard.name}-${partition.generation}`,
        kind: "payloads",
        owner: shard.name,
        slot: partition.slot,
        id_slot: partition.slot,
        min_id: "",
        max_id: "",
        min_created: 0,
        max_created: 0,
        rows: partition.payload_objects,
        bytes: partition.payload_bytes,
      },
    ]);
    await clearPartition(shard, partition);
    return true;
  }
  const moved = await updatePartition(shard, partition, { state: "archiving", cursor: next });
  partition.cursor = next;
  return !moved;
}

/** Archives the partition (live or under way) until it is done or `deadline` (epoch ms) passes; answers whether it is done. */
export async function archivePartition(
  store: HistoryStore,
  shard: HistoryShard,
  partition: PartitionRow & { slot: number },
  deadline: number,
): Promise<boolean> {
  if (partition.state === "live") {
    if (!(await updatePartition(shard, partition, { state: "archiving", cursor: "" }))) return true;
    partition.state = "archiving";
    partition.cursor = "";
  }
  while (Date.now() < deadline) {
    if (await archivePage(store, shard, partition)) return true;
  }
  return false;
}

/** Whether a partition's slot is old enough to archive at `now`, and not so old that retention takes it instead. */
export function archivable(store: HistoryStore, partition: PartitionRow, now: number): partition is PartitionRow & { slot: number } {
  if (partition.slot === null || partition.state === "free") return false;
  const end = slotEnd(partition.slot);
  return end <= now - store.hotMs && end > now - store.retentionMs;
}
