/**
 * @module The safety net after a restart, run by the maintenance
 * (src/maintenance/run.ts). A local queue (`npm start`) lives in memory, so after
 * a restart nothing accepted earlier is in it: every ingest object re-sends
 * the messages it holds unconfirmed, and every webhook's object is woken so
 * that an alarm lost with the process is armed again. On Cloudflare the queue
 * is durable and each ingest object's own alarm re-sends what stays
 * unconfirmed; routine runs have nothing to do here.
 */
import { listApplicationIds } from "../db/queries/applications";
import { listWebhookIds } from "../db/queries/webhooks";
import { type Deps, ingestObject, webhookObject } from "../deps";
import { allIngestShards } from "../ingest/shards";

const PAGE = 500;

export type SweepResult = { requeued: number; woken: number };

export async function sweep(
  deps: Deps,
  options: { afterRestart?: boolean } = {},
): Promise<SweepResult> {
  if (!options.afterRestart) return { requeued: 0, woken: 0 };
  let requeued = 0;
  await eachPage(
    (after) => listApplicationIds(deps.db, after, PAGE),
    async (id) => {
      for (const shard of allIngestShards(id)) {
        // Not `requeued += await …`: that reads the total before the await, and
        // the applications of a page run at once, so one would overwrite another's count.
        const sent = await ingestObject(deps, shard).resume(shard);
        requeued += sent;
      }
    },
  );
  const woken = await eachPage(
    (after) => listWebhookIds(deps.db, after, PAGE),
    (id) => webhookObject(deps, id).resume(id),
  );
  if (requeued || woken) deps.log("info", "sweep", { requeued, woken });
  return { requeued, woken };
}

/** Calls `visit` for every id, a page at a time (ids ascending); returns how many. */
async function eachPage(
  page: (after: string) => Promise<string[]>,
  visit: (id: string) => Promise<unknown>,
): Promise<number> {
  let after = "";
  let count = 0;
  while (true) {
    const ids = await page(after);
    await Promise.all(ids.map(visit));
    count += ids.length;
    if (ids.length < PAGE) return count;
    after = ids[ids.length - 1]!;
  }
}
