/**
 * @module The safety net, run by the maintenance (src/maintenance.ts):
 * whatever was accepted but never handed to a webhook's object is enqueued
 * again. Together with the objects' own storage this is why no
 * accepted message is lost (docs/ARCHITECTURE.md).
 */
import { asc, gt } from "drizzle-orm";
import { listUndispatched } from "../db/queries/messages";
import { webhooks } from "../db/schema";
import type { Deps } from "../deps";
import { toRfc3339 } from "../lib/time";

/** A message younger than this is probably still in the queue; leave it be. */
const STRANDED_AFTER_MS = 30_000;
const BATCH = 500;

export type SweepResult = { requeued: number; woken: number };

/**
 * Re-enqueues messages stranded before the queue. `afterRestart`: a local
 * queue lives in memory, so after a restart nothing accepted earlier is in it;
 * every undispatched message is stranded, and every webhook's object is woken
 * so that an alarm lost with the process is armed again.
 */
export async function sweep(
  deps: Deps,
  options: { afterRestart?: boolean } = {},
): Promise<SweepResult> {
  const now = deps.now().getTime();
  const strandedBefore = options.afterRestart ? now + 1 : now - STRANDED_AFTER_MS;
  const stranded = await listUndispatched(deps.db, toRfc3339(strandedBefore), BATCH);
  for (let i = 0; i < stranded.length; i += 100) {
    await deps.queue.sendBatch(
      stranded.slice(i, i + 100).map((m) => ({
        body: { kind: "fanout" as const, messageId: m.id, requestId: deps.requestId },
      })),
    );
  }
  const woken = options.afterRestart ? await wakeAllWebhooks(deps) : 0;
  if (stranded.length || woken) deps.log("info", "sweep", { requeued: stranded.length, woken });
  return { requeued: stranded.length, woken };
}

/** Pokes every webhook's object, page by page, so each re-arms its alarm if it holds events. */
async function wakeAllWebhooks(deps: Deps): Promise<number> {
  let after = "";
  let woken = 0;
  while (true) {
    const page = await deps.db
      .select({ id: webhooks.id })
      .from(webhooks)
      .where(gt(webhooks.id, after))
      .orderBy(asc(webhooks.id))
      .limit(BATCH);
    await Promise.all(
      page.map(({ id }) => deps.webhookObjects.get(deps.webhookObjects.idFromName(id)).resume(id)),
    );
    woken += page.length;
    if (page.length < BATCH) return woken;
    after = page[page.length - 1]!.id;
  }
}
