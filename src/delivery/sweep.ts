/**
 * @module The safety net, run by the cron trigger (and by `npm start` at boot):
 * whatever was accepted but never handed over is enqueued again, and webhooks
 * with events overdue are woken. Together with the Durable Objects' own
 * storage this is why no accepted message is lost.
 */
import { and, eq, lt } from "drizzle-orm";
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

export type SweepResult = { requeued: number; handedOver: number };

export async function sweep(deps: Deps): Promise<SweepResult> {
  const now = deps.now().getTime();
  const stranded = await listUndispatched(deps.db, toRfc3339(now - STRANDED_AFTER_MS), BATCH);
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
    items.push(toQueuedEvent(message, event, false));
    byWebhook.set(event.webhookId, items);
  }
  await Promise.all([...byWebhook].map(([webhookId, items]) => handOver(deps, webhookId, items)));
  if (stranded.length || overdue.length) {
    deps.log("info", "sweep", { requeued: stranded.length, handed_over: overdue.length });
  }
  return { requeued: stranded.length, handedOver: overdue.length };
}
