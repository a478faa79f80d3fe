/**
 * @module The history store: the shards (D1 databases beside the main one)
 * and the R2 bucket, and where an application's live history may be, by the
 * routing rule (src/storage/layout.ts).
 */
import { shardFor, slotOf } from "./layout";

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
export function shardOf(store: HistoryStore, applicationId: string, slot: number): HistoryShard {
  return shardFor(store.shards, applicationId, slot);
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
    const shard = shardOf(store, applicationId, slot);
    const slots = plan.get(shard) ?? [];
    slots.push(slot);
    plan.set(shard, slots);
  }
  return plan;
}
