/**
 * @module Where history goes, free of any binding (the benchmark and the
 * end-to-end tests reason with it too): time slots, partitions, shards,
 * the archive's pages and a shard's limits.
 *
 * A slot is SLOT_MS long from the epoch; slot s is written to partition
 * s mod PARTITIONS of its shard (src/db/history-schema.ts). A slot is
 * archived once it ended more than the hot window ago, so that slot s − P
 * has left its table before slot s needs it: the hot window is at most
 * (PARTITIONS − 2) slots, which leaves a whole slot's time to archive.
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
import { PARTITIONS } from "../db/history-schema";
import { bucketOf } from "../lib/hash";
import { HOUR_MS } from "../lib/time";

/** Four hours: with 8 partitions, a hot window of up to 24 hours. */
export const SLOT_MS = 4 * HOUR_MS;

/** The longest hot window the ring of partitions allows (RELAY_HOT_HISTORY_HOURS at most). */
export const MAX_HOT_HOURS = ((PARTITIONS - 2) * SLOT_MS) / HOUR_MS;

export function slotOf(ms: number): number {
  return Math.floor(ms / SLOT_MS);
}

export function slotStart(slot: number): number {
  return slot * SLOT_MS;
}

export function slotEnd(slot: number): number {
  return (slot + 1) * SLOT_MS;
}

/** The partition (table index) a slot is written to. */
export function partitionOf(slot: number): number {
  return ((slot % PARTITIONS) + PARTITIONS) % PARTITIONS;
}

/** A UUIDv7's millisecond (its first 48 bits). */
export function idTime(id: string): number {
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

/** The slot of a UUIDv7's time: where an id's archived rows are looked for. */
export function idSlotOf(id: string): number {
  return slotOf(idTime(id));
}

/** The shard that holds `applicationId`'s history of `slot`, among `shards` (each in service from `since`, epoch ms). */
export function shardFor<S extends { since: number }>(shards: S[], applicationId: string, slot: number): S {
  const start = slotStart(slot);
  const serving = shards.filter((s) => s.since <= start);
  const shard = serving[bucketOf(`${applicationId}:${slot}`, serving.length)];
  if (!shard) throw new Error("no history shard serves this time: RELAY_HISTORY_SHARDS needs one without @since");
  return shard;
}

/** Rows of a partition archived per page, and so in one archive object at most (src/storage/archive.ts). */
export const ARCHIVE_PAGE = 1_000;

/** Past this share of its limit a shard takes no new publishes: what is in flight still has room (src/storage/health.ts). */
export const FULL_SHARE = 0.9;
/** Past this share, `storage.near_limit` is published (src/maintenance/storage-alerts.ts). */
export const NEAR_LIMIT_SHARE = 0.8;
