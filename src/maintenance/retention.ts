/**
 * @module Retention, run by the cron: delivery history older than
 * RELAY_RETENTION_DAYS goes, in bounded batches, oldest first. It walks old
 * messages (UUIDv7 ids sort by time) and removes each with its events, whose
 * ids derive from the message and the webhooks it went to; so what a deleted
 * application or webhook left goes too. Events still in flight are in their
 * webhook's object, not in D1, and are not touched.
 */
import { deleteExpiredPortalLinks } from "../db/queries/api-keys";
import { deleteEvents } from "../db/queries/events";
import { deleteMessages, oldestMessages } from "../db/queries/messages";
import { deleteTallyBefore } from "../db/queries/operational-tally";
import { deleteReplaysBefore } from "../db/queries/replays";
import type { Deps } from "../deps";
import { eventKeysOf } from "../domain/event-ids";
import { uuidv7Floor } from "../lib/ids";
import { DAY_MS, toRfc3339 } from "../lib/time";

/** Messages removed per batch, so one run never holds D1 for long. */
const RETENTION_BATCH = 200;
/** Batches per cron run: bounds the work of one invocation. */
const MAX_BATCHES = 10;

export type PurgeResult = { events: number; messages: number };

export async function purgeHistory(deps: Deps, batch = RETENTION_BATCH): Promise<PurgeResult> {
  const cutoffMs = deps.now().getTime() - deps.settings.retentionDays * DAY_MS;
  const idFloor = uuidv7Floor(cutoffMs);
  const purged: PurgeResult = { events: 0, messages: 0 };
  for (let i = 0; i < MAX_BATCHES; i++) {
    const old = await oldestMessages(deps.db, idFloor, batch);
    if (old.length === 0) break;
    const keys = (await Promise.all(old.map(eventKeysOf))).flat();
    purged.events += await deleteEvents(deps.db, keys);
    await deleteMessages(
      deps.db,
      old.map((m) => m.id),
    );
    purged.messages += old.length;
    if (old.length < batch) break;
  }
  if (purged.events || purged.messages) {
    deps.log("info", "retention purge", {
      cutoff: toRfc3339(cutoffMs),
      events: purged.events,
      messages: purged.messages,
    });
  }
  await purgeSpent(deps, idFloor);
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
