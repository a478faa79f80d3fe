/**
 * @module The safety net, run by the cron trigger (and by `npm start` at boot):
 * whatever was accepted but never handed over is enqueued again, and webhooks
 * with events overdue are woken. Together with the Durable Objects' own
 * storage this is why no accepted message is lost.
 */
import { and, eq, inArray, lt } from "drizzle-orm";
import { getMessage, listUndispatched } from "../db/queries/messages";
import { events } from "../db/schema";
import type { Deps } from "../deps";
import { toRfc3339 } from "../lib/time";
import { handOver, toQueuedEvent } from "./publish";
import type { QueuedEvent } from "./webhook-do";

/** A message younger than this is probably still in the queue; leave it be. */
const STRANDED_AFTER_MS = 30_000;
/** An event this far past its next attempt is overdue. */
const OVERDUE_AFTER_MS = 600_000;
const BATCH = 500;

export type SweepResult = { requeued: number; handedOver: number; woken: number };

/**
 * The cron expression `npm start` sends once at boot. A local queue lives in
 * memory, so after a restart nothing accepted earlier is in it: every
 * undispatched message is stranded, and every webhook with open events needs
 * its alarm looked at.
 */
export const BOOT_CRON = "@boot";

export async function sweep(deps: Deps, options: { boot?: boolean } = {}): Promise<SweepResult> {
  const now = deps.now().getTime();
  const strandedBefore = options.boot ? now + 1 : now - STRANDED_AFTER_MS;
  const stranded = await listUndispatched(deps.db, toRfc3339(strandedBefore), BATCH);
  for (let i = 0; i < stranded.length; i += 100) {
    await deps.queue.sendBatch(
      stranded
        .slice(i, i + 100)
        .map((m) => ({ body: { kind: "fanout" as const, messageId: m.id } })),
    );
  }
  // A retry that is long overdue was re-opened in D1 but never reached its
  // object (manual retry or recover interrupted): hand it over again. Events
  // the object already holds are left as they are.
  const overdue = await deps.db
    .select()
    .from(events)
    .where(
      and(
        eq(events.deliveryStatus, "retrying"),
        lt(events.nextAttemptAt, toRfc3339(now - OVERDUE_AFTER_MS)),
      ),
    )
    .limit(BATCH);
  const byWebhook = new Map<string, QueuedEvent[]>();
  for (const event of overdue) {
    const message = await getMessage(deps.db, event.messageId);
    if (!message) continue;
    const items = byWebhook.get(event.webhookId) ?? [];
    items.push(toQueuedEvent(message, event, false, deps.requestId));
    byWebhook.set(event.webhookId, items);
  }
  await Promise.all([...byWebhook].map(([webhookId, items]) => handOver(deps, webhookId, items)));
  const woken = options.boot ? await wakeOpenWebhooks(deps) : 0;
  if (stranded.length || overdue.length || woken) {
    deps.log("info", "sweep", { requeued: stranded.length, handed_over: overdue.length, woken });
  }
  return { requeued: stranded.length, handedOver: overdue.length, woken };
}

/** Pokes every webhook that has events still to deliver, so its alarm runs. */
async function wakeOpenWebhooks(deps: Deps): Promise<number> {
  const open = await deps.db
    .selectDistinct({ webhookId: events.webhookId })
    .from(events)
    .where(inArray(events.deliveryStatus, ["pending", "retrying"]))
    .limit(BATCH);
  await Promise.all(
    open.map(({ webhookId }) =>
      deps.webhookObjects.get(deps.webhookObjects.idFromName(webhookId)).resume(webhookId),
    ),
  );
  return open.length;
}
