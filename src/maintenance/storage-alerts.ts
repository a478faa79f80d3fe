/**
 * @module `storage.near_limit` (SPEC §8.1): the cron asks each history shard
 * its size, and for one past 80 % of its limit publishes the operational
 * event `{database, used_bytes, limit_bytes}` to the operations application,
 * keyed by the shard and the day: at most one a day per shard while it
 * stays past, however often the cron runs. A publish refused (the
 * operations application's own shard full) is tried again by the next run.
 */
import { newMessageOf } from "../delivery/operational-events/operational-budget";
import { operationsApplicationId } from "../delivery/operational-events/operations";
import type { Deps } from "../deps";
import { publish } from "../ingest/publish";
import { toRfc3339 } from "../lib/time";
import { bytesSeen, probe } from "../storage/health";
import { NEAR_LIMIT_SHARE } from "../storage/layout";

/** Publishes `storage.near_limit` for each shard past the share; answers for how many. */
export async function alertNearLimits(deps: Deps): Promise<number> {
  const store = deps.history;
  await Promise.all(store.shards.map((shard) => probe(store, shard)));
  const near = store.shards.filter((shard) => bytesSeen(shard) >= shard.limitBytes * NEAR_LIMIT_SHARE);
  if (near.length === 0) return 0;
  const opsId = await operationsApplicationId(deps);
  if (opsId === null) return 0;
  const at = toRfc3339(deps.now());
  const messages = near.map((shard) =>
    newMessageOf(
      opsId,
      {
        type: "storage.near_limit",
        timestamp: at,
        data: { database: shard.name, used_bytes: bytesSeen(shard), limit_bytes: shard.limitBytes },
      },
      `hookrelay:storage.near_limit:${shard.name}:${at.slice(0, 10)}`,
    ),
  );
  await publish(deps, messages);
  return near.length;
}
