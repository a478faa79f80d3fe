/**
 * @module Time slots: how history is cut for its partitions and the archive.
 * A slot is SLOT_MS long from the epoch; slot s is written to partition
 * s mod PARTITIONS of its shard (src/db/history-schema.ts). A slot is
 * archived once it ended more than the hot window ago, so that slot s − P
 * has left its table before slot s needs it: the hot window is at most
 * (PARTITIONS − 2) slots, which leaves a whole slot's time to archive.
 */
import { PARTITIONS } from "../db/history-schema";
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
