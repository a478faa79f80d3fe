/**
 * @module Whether a shard can take history, as this isolate last saw it:
 * its size (`meta.size_after`, which every D1 answer carries, so writes
 * keep it current for free), whether it failed of late, and whether the
 * partition of the current slot is free for it. A publish whose history
 * would go to a shard that is full, failing or behind with its archiving is
 * refused with 503 before it is accepted (src/ingest/publish.ts); a write to
 * a shard past its limit is refused and retried by its writer, which keeps
 * what it holds until the shard takes it.
 */
import { ApiError } from "../lib/errors";
import { FULL_SHARE, partitionOf, slotEnd, slotOf } from "./layout";
import { type HistoryShard, type HistoryStore, shardOf } from "./store";
/** How long a healthy answer is trusted. */
const FRESH_MS = 10_000;
/** How long a failure stands before the shard is asked again. */
const FAILED_MS = 2_000;
/** How long a client is asked to wait before publishing again. */
const RETRY_AFTER_SECONDS = 10;

type Seen = { bytes: number; at: number; failedAt: number; partitionBusy: boolean };

/** Per binding object, not per name: a test's stand-in for a shard never shares a shard's record. */
const seen = new WeakMap<D1Database, Seen>();

function record(shard: HistoryShard): Seen {
  let s = seen.get(shard.d1);
  if (!s) {
    s = { bytes: 0, at: 0, failedAt: 0, partitionBusy: false };
    seen.set(shard.d1, s);
  }
  return s;
}

/**
 * History that cannot be kept now: the API answers 503, a writer tries
 * again later. The detail names the shard and why in a word; the driver's
 * error, which may quote bound values, stays in `cause`, for the logs' code.
 */
export class HistoryUnavailableError extends ApiError {
  constructor(shard: string, why: string, cause?: unknown) {
    super(
      503,
      "Service Unavailable",
      `History cannot be kept right now (${shard}: ${why}); try again later.`,
      undefined,
      { "retry-after": String(RETRY_AFTER_SECONDS) },
      "history-unavailable",
    );
    if (cause !== undefined) this.cause = cause;
  }
}

/** What a D1 answer said of the shard's size. */
export function noteAnswer(shard: HistoryShard, meta: D1Meta | undefined): void {
  const s = record(shard);
  if (meta?.size_after !== undefined) s.bytes = meta.size_after;
  s.at = Date.now();
  s.failedAt = 0;
}

export function noteFailure(shard: HistoryShard): void {
  record(shard).failedAt = Date.now();
}

/** Runs a call to the shard, noting its failure: the caller sees HistoryUnavailableError. */
export async function onShard<T>(shard: HistoryShard, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof HistoryUnavailableError) throw error;
    noteFailure(shard);
    throw new HistoryUnavailableError(shard.name, "failing", error);
  }
}

/** Refuses a write to a shard at its limit (asked its size first, if this isolate has not seen it yet). */
export async function assertRoom(shard: HistoryShard): Promise<void> {
  const s = record(shard);
  if (s.at === 0) {
    const result = await onShard(shard, () => shard.d1.prepare("SELECT 1").all());
    noteAnswer(shard, result.meta);
  }
  if (s.bytes >= shard.limitBytes) throw new HistoryUnavailableError(shard.name, "full");
}

/**
 * Why the shard cannot take new history now, or null: asks it (one small
 * query) when what this isolate knows is stale.
 */
export async function refusal(store: HistoryStore, shard: HistoryShard): Promise<string | null> {
  const s = record(shard);
  const now = Date.now();
  const stale = s.failedAt > 0 ? now - s.failedAt > FAILED_MS : now - s.at > FRESH_MS;
  if (stale) await probe(store, shard);
  if (s.failedAt > 0) return "failing";
  if (s.bytes >= shard.limitBytes * FULL_SHARE) return "full";
  if (s.partitionBusy) return "archiving behind";
  return null;
}

/** How close to a slot's end a publish is also judged by the next slot's shard, where its history may land. */
const NEXT_SLOT_MARGIN_MS = 60_000;

/**
 * Why a message of this application cannot be accepted now (its history
 * could not be kept), or null: the shard of the current slot, where the
 * consumer records it and most of its outcomes land, must take history
 * (and the next slot's, near the end of one).
 */
export async function applicationRefusal(store: HistoryStore, applicationId: string): Promise<HistoryUnavailableError | null> {
  const now = store.clock();
  const slot = slotOf(now);
  const shards = new Set([shardOf(store, applicationId, slot)]);
  if (slotEnd(slot) - now < NEXT_SLOT_MARGIN_MS) shards.add(shardOf(store, applicationId, slot + 1));
  for (const shard of shards) {
    const why = await refusal(store, shard);
    if (why) return new HistoryUnavailableError(shard.name, why);
  }
  return null;
}

/** Asks the shard its size and whether the current slot's partition is free for it. */
export async function probe(store: HistoryStore, shard: HistoryShard): Promise<void> {
  const slot = slotOf(store.clock());
  try {
    const result = await shard.d1
      .prepare("SELECT slot, state FROM partitions WHERE idx = ?")
      .bind(partitionOf(slot))
      .all<{ slot: number | null; state: string }>();
    noteAnswer(shard, result.meta);
    const row = result.results[0];
    record(shard).partitionBusy = row !== undefined && row.state !== "free" && !(row.state === "live" && row.slot === slot);
  } catch {
    noteFailure(shard);
  }
}

/** The shard's size as last seen (bytes). */
export function bytesSeen(shard: HistoryShard): number {
  return record(shard).bytes;
}
