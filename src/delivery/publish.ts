/**
 * @module From an accepted message to events in their webhooks' Durable
 * Objects. Ingest stores the message and enqueues a pointer; everything per
 * webhook happens here, behind the queue.
 */
import { getEvents, insertEvents } from "../db/queries/events";
import { getMessages, markDispatched } from "../db/queries/messages";
import { listEnabledWebhooks } from "../db/queries/webhooks";
import type { EventRow, MessageRow, WebhookRow } from "../db/schema";
import type { Deps } from "../deps";
import { uuidv7 } from "../lib/ids";
import { toRfc3339 } from "../lib/time";
import { maxAttempts } from "./retry-policy";
import type { FanoutTask } from "./tasks";
import type { QueuedEvent } from "./webhook-do";

/**
 * Payload characters one hand-over RPC carries at most: 8 Mi characters are
 * at most 24 MiB of UTF-8, under the 32 MiB limit of an RPC.
 */
export const HANDOVER_CHARS = 8 * 1024 * 1024;

/** Events ready to hand over, per webhook. */
export type Handovers = Map<string, QueuedEvent[]>;

/** Whether a webhook wants an event type: no types listed means all. */
function subscribes(webhook: WebhookRow, eventType: string): boolean {
  return webhook.eventTypes.length === 0 || webhook.eventTypes.includes(eventType);
}

/**
 * Creates the events of a batch of messages, one for every enabled webhook of
 * the message's application that wants its type, and returns those never
 * attempted, per webhook, for hand-over. Messages that are gone or dispatched
 * add nothing. Safe to run again: events are unique per (message, webhook).
 * A handful of D1 round trips per batch, whatever its size.
 */
export async function prepareFanOut(deps: Deps, tasks: FanoutTask[]): Promise<Handovers> {
  const requestIds = new Map(tasks.map((t) => [t.messageId, t.requestId ?? deps.requestId]));
  const open = (await getMessages(deps.db, [...requestIds.keys()])).filter((m) => !m.dispatchedAt);
  const webhooks = await listEnabledWebhooks(deps.db, [
    ...new Set(open.map((m) => m.applicationId)),
  ]);
  const now = deps.now();
  const at = toRfc3339(now);
  const events = await insertEvents(
    deps.db,
    open.flatMap((message) =>
      webhooks
        .filter((w) => w.applicationId === message.applicationId && subscribes(w, message.eventType))
        .map((webhook) => ({
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
    ),
  );
  const byId = new Map(open.map((m) => [m.id, m]));
  const perWebhook: Handovers = new Map();
  for (const event of events) {
    const message = byId.get(event.messageId);
    if (!message || event.deliveryStatus !== "pending") continue;
    const items = perWebhook.get(event.webhookId) ?? [];
    items.push(toQueuedEvent(message, event, false, requestIds.get(message.id) ?? deps.requestId));
    perWebhook.set(event.webhookId, items);
  }
  return perWebhook;
}

/**
 * Fans out a batch of messages: one hand-over per webhook for the whole
 * batch, its events in publication (id) order, so a `fifo` webhook sees them
 * in order and each webhook's object is called once. Returns the ids of the
 * messages fully handed over; the others failed and should be retried.
 */
export async function fanOutBatch(
  deps: Deps,
  tasks: FanoutTask[],
  handoverChars = HANDOVER_CHARS,
): Promise<Set<string>> {
  const perWebhook = await prepareFanOut(deps, tasks);
  const done = new Set(tasks.map((t) => t.messageId));
  await Promise.all(
    [...perWebhook].map(async ([webhookId, items]) => {
      items.sort((a, b) => (a.messageId < b.messageId ? -1 : 1));
      try {
        // In order, one part after another, so a fifo webhook holds them in order.
        for (const part of bySize(items, handoverChars)) await handOver(deps, webhookId, part);
      } catch (error) {
        deps.log("error", "hand-over failed", { webhook_id: webhookId, error: String(error) });
        for (const item of items) done.delete(item.messageId);
      }
    }),
  );
  await markDispatched(deps.db, [...done], toRfc3339(deps.now()));
  return done;
}

/** Consecutive runs of items whose payloads add up to at most `limit` characters (one at least). */
function bySize(items: QueuedEvent[], limit: number): QueuedEvent[][] {
  const parts: QueuedEvent[][] = [];
  let size = 0;
  for (const item of items) {
    const last = parts[parts.length - 1];
    if (last && size + item.payload.length <= limit) {
      last.push(item);
      size += item.payload.length;
    } else {
      parts.push([item]);
      size = item.payload.length;
    }
  }
  return parts;
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
  const finished = (await getEvents(deps.db, eventIds)).filter(
    (e) => e.deliveryStatus === "success" || e.deliveryStatus === "failed",
  );
  const messages = new Map(
    (await getMessages(deps.db, [...new Set(finished.map((e) => e.messageId))])).map((m) => [
      m.id,
      m,
    ]),
  );
  const items = finished.flatMap((event) => {
    const message = messages.get(event.messageId);
    return message ? [toQueuedEvent(message, event, true, deps.requestId)] : [];
  });
  if (items.length === 0) return [];
  const stub = deps.webhookObjects.get(deps.webhookObjects.idFromName(webhookId));
  return stub.resend(webhookId, items);
}
