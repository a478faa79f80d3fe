/**
 * @module From an accepted message to events in their webhooks' Durable
 * Objects. Ingest stores the message and enqueues a pointer; everything per
 * webhook happens here, behind the queue.
 */
import { getEvent, insertEvents } from "../db/queries/events";
import { getMessage, markDispatched } from "../db/queries/messages";
import { listSubscribedWebhooks } from "../db/queries/webhooks";
import type { EventRow, MessageRow } from "../db/schema";
import type { Deps } from "../deps";
import { uuidv7 } from "../lib/ids";
import { toRfc3339 } from "../lib/time";
import { maxAttempts } from "./retry-policy";
import type { FanoutTask } from "./tasks";
import type { QueuedEvent } from "./webhook-do";

/** Events ready to hand over, per webhook. */
export type Handovers = Map<string, QueuedEvent[]>;

/**
 * Creates the message's events for every enabled webhook that wants its type
 * and returns them for hand-over. Safe to run again: events are unique per
 * (message, webhook), and only events never attempted are returned again.
 * Null when there is nothing to do (the message is gone or dispatched).
 */
export async function prepareFanOut(
  deps: Deps,
  messageId: string,
  requestId: string,
): Promise<Handovers | null> {
  const message = await getMessage(deps.db, messageId);
  if (!message || message.dispatchedAt) return null;
  const subscribed = await listSubscribedWebhooks(
    deps.db,
    message.applicationId,
    message.eventType,
  );
  const now = deps.now();
  const at = toRfc3339(now);
  const events = await insertEvents(
    deps.db,
    subscribed.map((webhook) => ({
      id: uuidv7(now.getTime()),
      webhookId: webhook.id,
      messageId: message.id,
      type: message.eventType,
      deliveryStatus: "pending" as const,
      maxAttempts: maxAttempts(webhook.retryPolicy),
      nextAttemptAt: at,
      createdAt: at,
      updatedAt: at,
    })),
  );
  const handovers: Handovers = new Map();
  for (const event of events) {
    if (event.deliveryStatus !== "pending") continue;
    handovers.set(event.webhookId, [toQueuedEvent(message, event, false, requestId)]);
  }
  return handovers;
}

/**
 * Fans out a batch of messages: one hand-over per webhook for the whole
 * batch, its events in publication (id) order, so a `fifo` webhook sees them
 * in order and each webhook's object is called once. Returns the ids of the
 * messages fully handed over; the others failed and should be retried.
 */
export async function fanOutBatch(deps: Deps, tasks: FanoutTask[]): Promise<Set<string>> {
  const prepared = await Promise.all(
    tasks.map(async ({ messageId: id, requestId }) => ({
      id,
      handovers: await prepareFanOut(deps, id, requestId ?? deps.requestId).catch(() => undefined),
    })),
  );
  const done = new Set<string>();
  const perWebhook: Handovers = new Map();
  for (const { id, handovers } of prepared) {
    if (handovers === undefined) continue;
    done.add(id);
    for (const [webhookId, items] of handovers ?? []) {
      perWebhook.set(webhookId, [...(perWebhook.get(webhookId) ?? []), ...items]);
    }
  }
  await Promise.all(
    [...perWebhook].map(async ([webhookId, items]) => {
      items.sort((a, b) => (a.messageId < b.messageId ? -1 : 1));
      try {
        await handOver(deps, webhookId, items);
      } catch (error) {
        deps.log("error", "hand-over failed", { webhook_id: webhookId, error: String(error) });
        for (const item of items) done.delete(item.messageId);
      }
    }),
  );
  await markDispatched(deps.db, [...done], toRfc3339(deps.now()));
  return done;
}

/** Hands events to their webhook's Durable Object, which holds them until delivered. */
export async function handOver(deps: Deps, webhookId: string, items: QueuedEvent[]) {
  const stub = deps.webhookObjects.get(deps.webhookObjects.idFromName(webhookId));
  await stub.enqueue(webhookId, items);
}

export function toQueuedEvent(
  message: MessageRow,
  event: EventRow,
  manual: boolean,
  requestId: string,
): QueuedEvent {
  return {
    eventId: event.id,
    messageId: message.id,
    eventType: message.eventType,
    payload: message.payload,
    messageCreatedAt: message.createdAt,
    resourceType: message.resourceType,
    resourceId: message.resourceId,
    attempts: event.deliveryAttempts,
    maxAttempts: event.maxAttempts,
    manual,
    requestId,
  };
}

/**
 * One more attempt for finished events of one webhook (manual retry,
 * recover): the webhook's object holds them first, then re-opens them in D1,
 * so a failure between the two can delay the attempt but never lose it.
 */
export async function resend(
  deps: Deps,
  webhookId: string,
  eventIds: string[],
): Promise<EventRow[]> {
  const items: QueuedEvent[] = [];
  for (const id of eventIds) {
    const event = await getEvent(deps.db, id);
    if (!event || (event.deliveryStatus !== "success" && event.deliveryStatus !== "failed"))
      continue;
    const message = await getMessage(deps.db, event.messageId);
    if (message) items.push(toQueuedEvent(message, event, true, deps.requestId));
  }
  if (items.length === 0) return [];
  const stub = deps.webhookObjects.get(deps.webhookObjects.idFromName(webhookId));
  return stub.resend(webhookId, items);
}
