/**
 * @module What the cron does to history (src/maintenance/run.ts): archive
 * the slots past the hot window, purge what is past retention, and say
 * what each shard and the archive hold (GET /v1/operations/storage).
 *
 * Purging costs no row per row: a slot's partition is dropped whole
 * (src/storage/partitions.ts), its archive objects and payload objects
 * deleted (R2 deletes are free), and the archive's index rows go one per
 * object, never one per event.
 */
import { archivable, archivePartition } from "./archive";
import { bytesSeen, probe } from "./health";
import { clearPartition, type PartitionRow, readPartitions } from "./partitions";
import { PAYLOADS_PREFIX } from "./payloads";
import { slotEnd, slotOf } from "./layout";
import type { HistoryStore } from "./store";

/** Archives what is due at `now` in every shard, until `deadline`; answers how many partitions it finished. */
export async function archiveDue(store: HistoryStore, now: number, deadline: number): Promise<number> {
  const done = await Promise.all(
    store.shards.map(async (shard) => {
      let finished = 0;
      for (const partition of await readPartitions(shard)) {
        if (!archivable(store, partition, now) || Date.now() >= deadline) continue;
        if (await archivePartition(store, shard, partition, deadline)) finished += 1;
      }
      return finished;
    }),
  );
  return done.reduce((a, b) => a + b, 0);
}

export type Purged = { events: number; messages: number };

/** Whether the partition's slot ended before the retention horizon. */
function expired(store: HistoryStore, partition: PartitionRow, now: number): partition is PartitionRow & { slot: number } {
  return partition.slot !== null && partition.state !== "free" && slotEnd(partition.slot) <= now - store.retentionMs;
}

/**
 * Purges history whose write slot ended before `now` − retention: live
 * partitions dropped (their counters say how much went), then at most
 * `batches` pages of 1,000 archive objects and of payload objects.
 */
export async function purgeExpired(store: HistoryStore, now: number, batches: number): Promise<Purged> {
  const purged: Purged = { events: 0, messages: 0 };
  await Promise.all(
    store.shards.map(async (shard) => {
      for (const partition of await readPartitions(shard)) {
        if (!expired(store, partition, now)) continue;
        await clearPartition(shard, partition);
        purged.events += partition.event_rows;
        purged.messages += partition.message_rows;
      }
    }),
  );
  const cutoffSlot = slotOf(now - store.retentionMs);
  for (let i = 0; i < batches; i++) {
    const { results } = await store.main
      .prepare("SELECT key, kind, rows FROM archive_objects WHERE slot < ? LIMIT 1000")
      .bind(cutoffSlot)
      .all<{ key: string; kind: string; rows: number }>();
    if (results.length === 0) break;
    const objects = results.filter((r) => r.kind !== "payloads").map((r) => r.key);
    if (objects.length > 0) await store.bucket.delete(objects);
    for (const r of results) {
      if (r.kind === "events") purged.events += r.rows;
      if (r.kind === "messages") purged.messages += r.rows;
    }
    await store.main
      .prepare("DELETE FROM archive_objects WHERE key IN (SELECT value FROM json_each(?))")
      .bind(JSON.stringify(results.map((r) => r.key)))
      .run();
  }
  await purgePayloads(store, cutoffSlot, batches);
  return purged;
}

/** Deletes the payload objects of slots before `cutoffSlot`: a listing of the slots, then of each one's objects. */
async function purgePayloads(store: HistoryStore, cutoffSlot: number, batches: number): Promise<void> {
  const listed = await store.bucket.list({ prefix: PAYLOADS_PREFIX, delimiter: "/" });
  const old = listed.delimitedPrefixes.filter((prefix) => Number(prefix.slice(PAYLOADS_PREFIX.length, -1)) < cutoffSlot);
  let left = batches;
  for (const prefix of old) {
    while (left > 0) {
      left -= 1;
      const page = await store.bucket.list({ prefix, limit: 1000 });
      if (page.objects.length > 0) await store.bucket.delete(page.objects.map((o) => o.key));
      if (!page.truncated) break;
    }
  }
}

/** What one shard holds, as GET /v1/operations/storage answers it. */
export type ShardReport = { name: string; rows: number; bytes: number; limit_bytes: number };

/**
 * Every shard's rows and bytes (its size as D1 reports it), and what the
 * archive holds: its objects and bytes, the payload objects included
 * (counted by their partitions while these live, then by the index).
 */
export async function storageReport(
  store: HistoryStore,
): Promise<{ databases: ShardReport[]; archive: { objects: number; bytes: number } }> {
  const payloads = { objects: 0, bytes: 0 };
  const databases = await Promise.all(
    store.shards.map(async (shard): Promise<ShardReport> => {
      await probe(store, shard);
      let rows = 0;
      for (const p of await readPartitions(shard)) {
        rows += p.event_rows + p.message_rows;
        payloads.objects += p.payload_objects;
        payloads.bytes += p.payload_bytes;
      }
      return { name: shard.name, rows, bytes: bytesSeen(shard), limit_bytes: shard.limitBytes };
    }),
  );
  const archived = await store.main
    .prepare(
      `SELECT coalesce(sum(CASE WHEN kind = 'payloads' THEN rows ELSE 1 END), 0) AS objects,
              coalesce(sum(bytes), 0) AS bytes FROM archive_objects`,
    )
    .first<{ objects: number; bytes: number }>();
  return {
    databases,
    archive: { objects: (archived?.objects ?? 0) + payloads.objects, bytes: (archived?.bytes ?? 0) + payloads.bytes },
  };
}
