/**
 * @module From an accepted message to events in their webhooks' Durable
 * Objects. Ingest stores the message and enqueues a pointer; everything per
 * webhook happens here, behind the queue.
 */
import { insertEvents, reopenEvents } from "../db/queries/events";
import { getMessage, markDispatched } from "../db/queries/messages";
import { listSubscribedWebhooks } from "../db/queries/webhooks";
import type { EventRow, MessageRow } from "../db/schema";
import type { Deps } from "../deps";
import { uuidv7 } from "../lib/ids";
import { toRfc3339 } from "../lib/time";
import { maxAttempts } from "./retry-policy";
import type { QueuedEvent } from "./webhook-do";

/**
 * Creates the message's events for every enabled webhook that wants its type
 * and hands each to its webhook's object. Safe to run again: events are unique
 * per (message, webhook), and only events never attempted are handed over again.
 */
export async function fanOut(deps: Deps, messageId: string): Promise<void> {
  const message = await getMessage(deps.db, messageId);
  if (!message || message.dispatchedAt) return;
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
  await Promise.all(
    events
      .filter((e) => e.deliveryStatus === "pending")
      .map((e) => handOver(deps, e.webhookId, [toQueuedEvent(message, e, false)])),
  );
  await markDispatched(deps.db, message.id, toRfc3339(deps.now()));
}

/** Hands events to their webhook's Durable Object, which holds them until delivered. */
export async function handOver(deps: Deps, webhookId: string, items: QueuedEvent[]) {
  const stub = deps.webhookObjects.get(deps.webhookObjects.idFromName(webhookId));
  await stub.enqueue(webhookId, items);
}

export function toQueuedEvent(message: MessageRow, event: EventRow, manual: boolean): QueuedEvent {
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
  };
}

/**
 * One more attempt for finished events of one webhook (manual retry, recover):
 * each is re-opened in D1, then handed over as a manual attempt.
 */
export async function resend(
  deps: Deps,
  webhookId: string,
  eventIds: string[],
): Promise<EventRow[]> {
  const reopened = await reopenEvents(deps.db, eventIds, deps.now());
  const items: QueuedEvent[] = [];
  for (const event of reopened) {
    const message = await getMessage(deps.db, event.messageId);
    if (message) items.push(toQueuedEvent(message, event, true));
  }
  if (items.length > 0) await handOver(deps, webhookId, items);
  return reopened;
}
