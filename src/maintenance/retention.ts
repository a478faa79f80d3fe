/**
 * @module Retention, run by the cron: delivery history whose slot ended more
 * than RELAY_RETENTION_DAYS ago goes (src/storage/upkeep.ts): a shard's
 * partition of that slot dropped whole, its archive objects and payload
 * objects deleted. Bounded per run by what it touches (partitions, pages
 * of objects), not by the rows they hold, which cost nothing to drop.
 * Events still in flight are in their webhook's object, not in the
 * history, and are not touched. And what else has served its time:
 * expired portal links, finished replays, the operational events' tally.
 */
import { deleteExpiredPortalLinks } from "../db/queries/api-keys";
import { deleteTallyBefore } from "../db/queries/operational-tally";
import { deleteReplaysBefore } from "../db/queries/replays";
import type { Deps } from "../deps";
import { uuidv7Floor } from "../lib/ids";
import { DAY_MS, toRfc3339 } from "../lib/time";
import { type Purged, purgeExpired } from "../storage/upkeep";

/** Pages of archive and payload objects (1,000 each) deleted per run. */
const RETENTION_BATCHES = 10;

export type PurgeResult = Purged;

export async function purgeHistory(deps: Deps, batches = RETENTION_BATCHES): Promise<PurgeResult> {
  const now = deps.now().getTime();
  const cutoffMs = now - deps.settings.retentionDays * DAY_MS;
  const purged = await purgeExpired(deps.history, now, batches);
  if (purged.events || purged.messages) {
    deps.log("info", "retention purge", {
      cutoff: toRfc3339(cutoffMs),
      events: purged.events,
      messages: purged.messages,
    });
  }
  await purgeSpent(deps, uuidv7Floor(cutoffMs));
  return purged;
}

/** An expired portal link stays this long, so that its 401 says "expired" rather than "not valid". */
const EXPIRED_LINKS_KEPT_MS = DAY_MS;

/** The operational events' tally only decides minutes still being published: a day is plenty. */
const TALLY_KEPT_MS = DAY_MS;

/**
 * What is of no more use: portal links a day past their expiry (one row per
 * link made, which a busy provider makes by the thousand), finished replays
 * as old as the history they replayed, and the operational events' tally of
 * minutes long past.
 */
async function purgeSpent(deps: Deps, replayIdFloor: string): Promise<void> {
  const now = deps.now().getTime();
  const [links, replays, tally] = await Promise.all([
    deleteExpiredPortalLinks(deps.db, toRfc3339(now - EXPIRED_LINKS_KEPT_MS)),
    deleteReplaysBefore(deps.db, replayIdFloor),
    deleteTallyBefore(deps.db, toRfc3339(now - TALLY_KEPT_MS)),
  ]);
  if (links || replays || tally) {
    deps.log("info", "retention purge", { portal_links: links, replays, operational_tally: tally });
  }
}
