/**
 * @module The history store: the shards (D1 databases beside the main one),
 * the R2 bucket, and the rule that says which shard holds what.
 *
 * Routing: an application's history of one slot lives in one shard, chosen
 * by a hash of (application, slot) among the shards in service for that
 * slot. So one application's history spreads over every shard as time goes
 * by (a large tenant is never bound to one database), a slot's writes for
 * one application go to one place, and a read knows where to look. A shard
 * added later names the time it takes effect from (`HISTORY_2@2027-01-15T00:00Z`
 * in RELAY_HISTORY_SHARDS): slots before it keep their shards, so adding one
 * moves nothing and needs no downtime.
 */
import { bucketOf } from "../lib/hash";
import { slotOf, slotStart } from "./slots";

export type HistoryShard = {
  /** Its binding's name, as GET /v1/operations/storage names it. */
  name: string;
  d1: D1Database;
  /** Epoch ms from which slots may be routed to it; 0: from the start. */
  since: number;
  /** What it may hold: D1's 10 GB, or less (a smaller plan, or headroom). */
  limitBytes: number;
};

export type HistoryStore = {
  shards: HistoryShard[];
  bucket: R2Bucket;
  /** The main database, which keeps the archive's index (`archive_objects`). */
  main: D1Database;
  /** Events older than this (ms) leave D1 for the archive (RELAY_HOT_HISTORY_HOURS). */
  hotMs: number;
  /** History older than this (ms) is purged (RELAY_RETENTION_DAYS). */
  retentionMs: number;
  /**
   * The wall clock that decides the slot a row is written to and the slots
   * a read looks at. Not the injectable clock of Deps: that one moves the
   * relay's sense of time in tests, where partitions must keep to the real one.
   */
  clock: () => number;
};

/** The shard that holds `applicationId`'s history of `slot`. */
export function shardFor(store: HistoryStore, applicationId: string, slot: number): HistoryShard {
  const start = slotStart(slot);
  const serving = store.shards.filter((s) => s.since <= start);
  const shard = serving[bucketOf(`${applicationId}:${slot}`, serving.length)];
  if (!shard) throw new Error("no history shard serves this time: RELAY_HISTORY_SHARDS needs one without @since");
  return shard;
}

/**
 * The slots whose rows may still be in D1 now: from before the retention
 * horizon (a slot not purged yet) to the next one (a writer's clock a little ahead).
 */
export function liveSlotWindow(store: HistoryStore): number[] {
  const now = store.clock();
  const first = slotOf(now - store.retentionMs) - 1;
  const last = slotOf(now) + 1;
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** The shards an application's live history may be in, each with the slots it may hold of it. */
export function shardsOfApplication(store: HistoryStore, applicationId: string): Map<HistoryShard, number[]> {
  const plan = new Map<HistoryShard, number[]>();
  for (const slot of liveSlotWindow(store)) {
    const shard = shardFor(store, applicationId, slot);
    const slots = plan.get(shard) ?? [];
    slots.push(slot);
    plan.set(shard, slots);
  }
  return plan;
}
