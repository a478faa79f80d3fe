/**
 * @module Event rows: written to the slot's partition of the application's
 * shard at each outcome, read back from the partitions an application's
 * live slots map to and from the archive, as one history.
 *
 * One event may have several copies: written again after a manual retry,
 * recover or replay (or once more after a crash) in a later slot than its
 * first outcome. The copy with the most attempts wins (a re-send always
 * adds one), then the one of the later slot. Its status and last HTTP
 * status change between copies, so a read that filters on them decides on
 * the winner: it takes candidates from each source with the filter, then
 * reads every copy of those ids and keeps the winners that still match.
 * Type and creation time never change between copies.
 *
 * Pages walk ids (UUIDv7, in publication order): each partition answers
 * its best `limit` rows; the archive's objects are opened id slot by id slot
 * until no further slot can beat the page (src/storage/archive.ts).
 */
import type { ReplaySelection } from "../db/schema";
import type { DeliveryStatus, EventRow } from "../domain/event";
import { uuidv7Floor } from "../lib/ids";
import { type ArchivedObject, type CreatedWindow, eventIdSlots, eventObjects, readLines } from "./archive";
import { decodeEvent, encodeEvent, hexOf, isRecordedStatus, statusNumber, type StoredEvent, uuidOf } from "./codec";
import { decodeSelectedEvent, partitionRead, readShard, type SelectedEvent, writeRows } from "./partitions";
import { idSlotOf, partitionOf, slotEnd, slotOf, slotStart } from "./layout";
import { type HistoryStore, shardOf, shardsOfApplication } from "./store";

/** Records finished events of one application's webhooks (written at their outcome, in batches). */
export async function writeEvents(store: HistoryStore, applicationId: string, rows: EventRow[]): Promise<void> {
  const slot = slotOf(store.clock());
  await writeRows(shardOf(store, applicationId, slot), slot, "events", rows.map(encodeEvent));
}

/** What a read selects of a webhook's recorded events; absent fields select anything. */
export type EventPredicate = {
  statuses?: DeliveryStatus[];
  types?: string[];
  httpStatusCodes?: number[];
  /** Creation time, epoch ms, both ends included. */
  created?: { from: number; to: number };
};

type Scope = { webhookId: string; applicationId: string };

/** One copy of an event: its row, and the slot it was written in. */
type Copy = { stored: StoredEvent; slot: number };

function wins(a: Copy, b: Copy): boolean {
  if (a.stored.a !== b.stored.a) return a.stored.a > b.stored.a;
  if (a.slot !== b.slot) return a.slot > b.slot;
  return a.stored.c + a.stored.u > b.stored.c + b.stored.u;
}

function matches(p: EventPredicate, e: StoredEvent): boolean {
  return (
    (!p.statuses || p.statuses.some((s) => isRecordedStatus(s) && statusNumber(s) === e.s)) &&
    (!p.types || p.types.includes(e.t)) &&
    (!p.httpStatusCodes || p.httpStatusCodes.includes(e.h)) &&
    (!p.created || (e.c >= p.created.from && e.c <= p.created.to))
  );
}

/** Whether copies of one event may differ on what the predicate looks at. */
const varies = (p: EventPredicate) => p.statuses !== undefined || p.httpStatusCodes !== undefined;

/** The predicate as SQL over `r`, with its binds. */
function predicateSql(p: EventPredicate): { sql: string; binds: unknown[] } {
  const parts: string[] = [];
  const binds: unknown[] = [];
  if (p.statuses) {
    // Literals (the statuses are the schema's), so that `status = 1` uses the partial index on failed events.
    const numbers = [...new Set(p.statuses.filter(isRecordedStatus).map(statusNumber))];
    parts.push(numbers.length === 0 ? "false" : numbers.length === 1 ? `r.status = ${numbers[0]}` : "true");
  }
  if (p.types) {
    parts.push("r.type IN (SELECT value FROM json_each(?))");
    binds.push(JSON.stringify(p.types));
  }
  if (p.httpStatusCodes) {
    parts.push("r.http IN (SELECT value FROM json_each(?))");
    binds.push(JSON.stringify(p.httpStatusCodes));
  }
  if (p.created) {
    parts.push("r.created BETWEEN ? AND ?");
    binds.push(p.created.from, p.created.to);
  }
  return { sql: parts.length > 0 ? parts.join(" AND ") : "true", binds };
}

/** Which way a page walks ids, from an exclusive cursor. */
type Walk = { direction: "desc" | "asc"; cursor: string | null; limit: number };

const beyond = (walk: Walk, id: string) =>
  walk.cursor === null || (walk.direction === "desc" ? id < walk.cursor : id > walk.cursor);

const before = (walk: Walk, a: string, b: string) => (walk.direction === "desc" ? a > b : a < b);

function groupSlots(slots: number[]): Map<number, number[]> {
  const byPartition = new Map<number, number[]>();
  for (const slot of slots) byPartition.set(partitionOf(slot), [...(byPartition.get(partitionOf(slot)) ?? []), slot]);
  return byPartition;
}

/** Runs one statement per live partition of the application's shards (`where` after the webhook), collecting copies. */
async function acrossPartitions(
  store: HistoryStore,
  scope: Scope,
  where: string,
  tail: string,
  binds: unknown[],
): Promise<{ copies: Copy[]; pages: number[] }> {
  const copies: Copy[] = [];
  const pages: number[] = [];
  await Promise.all(
    [...shardsOfApplication(store, scope.applicationId)].map(async ([shard, slots]) => {
      const results = await readShard<SelectedEvent>(
        shard,
        [...groupSlots(slots)].map(([idx, partitionSlots]) =>
          partitionRead(shard.d1, "events", idx, partitionSlots, `r.webhook = unhex(?) AND ${where}`, tail, [
            hexOf(scope.webhookId),
            ...binds,
          ]),
        ),
      );
      for (const page of results) {
        pages.push(page.length);
        for (const row of page) copies.push({ stored: decodeSelectedEvent(row), slot: row.ps });
      }
    }),
  );
  return { copies, pages };
}

/** Rows from each live partition of the application's shards: the best `limit` of each, with the predicate. */
async function fromPartitions(store: HistoryStore, scope: Scope, p: EventPredicate, walk: Walk): Promise<{ copies: Copy[]; full: boolean }> {
  const where = predicateSql(p);
  const cursor = walk.cursor === null ? [] : [hexOf(walk.cursor)];
  const { copies, pages } = await acrossPartitions(
    store,
    scope,
    `${where.sql}${cursor.length ? ` AND r.id ${walk.direction === "desc" ? "<" : ">"} unhex(?)` : ""}`,
    `ORDER BY r.id ${walk.direction === "desc" ? "DESC" : "ASC"} LIMIT ?`,
    [...where.binds, ...cursor, walk.limit],
  );
  return { copies, full: pages.some((n) => n >= walk.limit) };
}

/** Every copy of these events in the live partitions. */
async function copiesInPartitions(store: HistoryStore, scope: Scope, ids: string[]): Promise<Copy[]> {
  const found = await acrossPartitions(store, scope, "r.id IN (SELECT unhex(value) FROM json_each(?))", "", [
    JSON.stringify(ids.map(hexOf)),
  ]);
  return found.copies;
}

/** The copies an archived object holds that `keep` wants. */
async function fromObjects(store: HistoryStore, objects: ArchivedObject[], keep: (e: StoredEvent) => boolean): Promise<Copy[]> {
  const copies = await Promise.all(
    objects.map(async (o) =>
      (await readLines<StoredEvent>(store, o.key)).filter(keep).map((stored) => ({ stored, slot: o.slot })),
    ),
  );
  return copies.flat();
}

/** Every copy of these events in the archive: in the objects of their ids' slots. */
async function copiesInArchive(store: HistoryStore, scope: Scope, ids: string[]): Promise<Copy[]> {
  const wanted = new Set(ids.map(hexOf));
  const objects = await eventObjects(store, scope.webhookId, ids.map(idSlotOf), null);
  return fromObjects(store, objects, (e) => wanted.has(e.i));
}

/** The winning copy of each event among `copies`, by id. */
function winners(copies: Copy[]): Map<string, Copy> {
  const best = new Map<string, Copy>();
  for (const copy of copies) {
    const current = best.get(copy.stored.i);
    if (!current || wins(copy, current)) best.set(copy.stored.i, copy);
  }
  return best;
}

/** Id slots of the archive read per look-up of the index. */
const ID_SLOTS_PER_LOOKUP = 8;

/**
 * Adds archived candidates to `copies`, id slot after id slot in the walk's
 * direction, until the slots left cannot beat the page's `limit`th id.
 * Answers whether the archive has nothing more in that direction.
 */
async function fromArchive(store: HistoryStore, scope: Scope, p: EventPredicate, walk: Walk, copies: Copy[]): Promise<boolean> {
  const created: CreatedWindow = p.created ?? null;
  const keep = (e: StoredEvent) => matches(p, e) && beyond(walk, uuidOf(e.i));
  let from = walk.cursor !== null ? idSlotOf(walk.cursor) : walk.direction === "desc" ? Number.MAX_SAFE_INTEGER : 0;
  while (true) {
    const idSlots = await eventIdSlots(store, scope.webhookId, from, walk.direction, created, ID_SLOTS_PER_LOOKUP);
    for (const idSlot of idSlots) {
      const ids = [...new Set(copies.map((c) => c.stored.i))].sort();
      if (walk.direction === "asc") ids.reverse();
      const nth = ids.length >= walk.limit ? ids[ids.length - walk.limit] : undefined;
      // Every id of this slot, and of those after it, is beyond the page's last.
      if (nth !== undefined) {
        const edge = hexOf(uuidv7Floor(walk.direction === "desc" ? slotEnd(idSlot) : slotStart(idSlot)));
        if (walk.direction === "desc" ? nth >= edge : nth < edge) return false;
      }
      copies.push(...(await fromObjects(store, await eventObjects(store, scope.webhookId, [idSlot], created), keep)));
    }
    if (idSlots.length < ID_SLOTS_PER_LOOKUP) return true;
    from = idSlots[idSlots.length - 1]! + (walk.direction === "desc" ? -1 : 1);
  }
}

/** One page of candidates: the winners among them that match, the last candidate's id, and whether nothing is left. */
async function page(
  store: HistoryStore,
  scope: Scope,
  p: EventPredicate,
  walk: Walk,
): Promise<{ rows: Copy[]; last: string | null; exhausted: boolean }> {
  const hot = await fromPartitions(store, scope, p, walk);
  const copies = hot.copies;
  const archiveDone = await fromArchive(store, scope, p, walk, copies);
  const candidates = [...winners(copies).values()]
    .sort((a, b) => (before(walk, a.stored.i, b.stored.i) ? -1 : 1))
    .slice(0, walk.limit);
  const last = candidates.length > 0 ? uuidOf(candidates[candidates.length - 1]!.stored.i) : null;
  const exhausted = !hot.full && archiveDone && candidates.length < walk.limit;
  if (!varies(p) || candidates.length === 0) return { rows: candidates, last, exhausted };
  // Candidates chosen by a status or HTTP status: the copy that wins may say otherwise.
  const ids = candidates.map((c) => uuidOf(c.stored.i));
  const all = winners([
    ...candidates,
    ...(await copiesInPartitions(store, scope, ids)),
    ...(await copiesInArchive(store, scope, ids)),
  ]);
  const rows = candidates.map((c) => all.get(c.stored.i)!).filter((c) => matches(p, c.stored));
  return { rows, last, exhausted };
}

/** Up to `walk.limit` events of the webhook that match, in the walk's order. */
async function walkEvents(store: HistoryStore, scope: Scope, p: EventPredicate, walk: Walk): Promise<EventRow[]> {
  // Pending and retrying events are in their webhook's object, never recorded.
  if (p.statuses && !p.statuses.some(isRecordedStatus)) return [];
  const out: EventRow[] = [];
  let cursor = walk.cursor;
  while (out.length < walk.limit) {
    const next = await page(store, scope, p, { ...walk, cursor });
    out.push(...next.rows.map((c) => decodeEvent(c.stored)));
    if (next.exhausted || next.last === null) break;
    cursor = next.last;
  }
  return out.slice(0, walk.limit);
}

/** A page of the webhook's recorded events, newest first, before the id `before`. */
export function listEvents(
  store: HistoryStore,
  scope: Scope,
  filter: { deliveryStatus?: DeliveryStatus; type?: string; before?: string; limit: number },
): Promise<EventRow[]> {
  const p: EventPredicate = {
    ...(filter.deliveryStatus ? { statuses: [filter.deliveryStatus] } : {}),
    ...(filter.type !== undefined ? { types: [filter.type] } : {}),
  };
  return walkEvents(store, scope, p, { direction: "desc", cursor: filter.before ?? null, limit: filter.limit });
}

/** A page of the webhook's events that the predicate selects, oldest first, after the id `after` ("" from the start). */
export function pageSelected(store: HistoryStore, scope: Scope, p: EventPredicate, after: string, limit: number): Promise<EventRow[]> {
  return walkEvents(store, scope, p, { direction: "asc", cursor: after === "" ? null : after, limit });
}

/** How many of the webhook's events the predicate selects: a walk through them all, a page at a time. */
export async function countSelected(store: HistoryStore, scope: Scope, p: EventPredicate): Promise<number> {
  const PAGE = 1_000;
  let count = 0;
  let after = "";
  while (true) {
    const rows = await pageSelected(store, scope, p, after, PAGE);
    count += rows.length;
    if (rows.length < PAGE) return count;
    after = rows[rows.length - 1]!.id;
  }
}

/** These events of one webhook as recorded (the winning copy of each), in no particular order. */
export async function getEvents(store: HistoryStore, scope: Scope, ids: string[]): Promise<EventRow[]> {
  if (ids.length === 0) return [];
  const copies = [...(await copiesInPartitions(store, scope, ids)), ...(await copiesInArchive(store, scope, ids))];
  return [...winners(copies).values()].map((c) => decodeEvent(c.stored));
}

/** Recover's selection: the window's failed events (both ends included). */
export function failedIn(window: { since: string; until: string }): EventPredicate {
  return { statuses: ["failed"], created: { from: Date.parse(window.since), to: Date.parse(window.until) } };
}

/** A replay's selection (SPEC §7.6) as a predicate. */
export function selectedBy(selection: ReplaySelection): EventPredicate {
  return {
    statuses: selection.deliveryStatuses,
    ...(selection.eventTypes ? { types: selection.eventTypes } : {}),
    ...(selection.httpStatusCodes ? { httpStatusCodes: selection.httpStatusCodes } : {}),
    created: { from: Date.parse(selection.since), to: Date.parse(selection.until) },
  };
}
