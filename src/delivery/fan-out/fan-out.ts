/**
 * @module From accepted messages to events in their webhooks' Durable
 * Objects, a queue batch at a time: read the batch's applications' webhooks
 * once, hand each webhook its events in one call, then record the messages
 * (their payloads in one R2 object, their rows in one statement per history
 * shard, src/storage/messages.ts) and confirm them to the ingest objects
 * that held them.
 * A message recorded already was fanned out before and is skipped, so a
 * queue message delivered twice, or re-sent by its ingest object, adds
 * nothing (and a webhook's object skips events it holds or just recorded).
 */
import { existingApplicationIds } from "../../db/queries/applications";
import { listEnabledWebhooks } from "../../db/queries/webhooks";
import type { WebhookRow } from "../../db/schema";
import { type Deps, ingestObject, webhookObject } from "../../deps";
import { type Event, eventFieldsOf } from "../../domain/event";
import { eventIdFor } from "../../domain/event-ids";
import type { Message } from "../../domain/message";
import { maxAttempts } from "../../domain/retry-policy";
import type { PublishTask } from "../../domain/tasks";
import { describeError } from "../../lib/log";
import { toRfc3339 } from "../../lib/time";
import { findMessages, recordMessages } from "../../storage/messages";
import { type FilterSubject, matchesFilter } from "../filter";

/**
 * Payload characters one hand-over RPC carries at most: 8 Mi characters are
 * at most 24 MiB of UTF-8, under the 32 MiB limit of an RPC.
 */
export const HANDOVER_CHARS = 8 * 1024 * 1024;

/** Whether a webhook wants an event type: no types listed means all. */
function subscribes(webhook: WebhookRow, eventType: string): boolean {
  return webhook.eventTypes.length === 0 || webhook.eventTypes.includes(eventType);
}

/**
 * The message's webhooks among `webhooks`: of its application, wanting its
 * type, and passing their filter. The payload is parsed at most once, and
 * only when a filter needs it.
 */
function targetsOf(
  deps: Deps,
  webhooks: WebhookRow[],
  message: Pick<Message, "id" | "applicationId" | "eventType" | "payload">,
): WebhookRow[] {
  let subject: FilterSubject | null | undefined;
  const parsed = (): FilterSubject | null => {
    if (subject !== undefined) return subject;
    try {
      subject = { event_type: message.eventType, payload: JSON.parse(message.payload) as unknown };
    } catch (error) {
      // Not expected (ingest accepts JSON only); deliver rather than drop it.
      deps.log("error", "payload unreadable for filters", { message_id: message.id, ...describeError(error) });
      subject = null;
    }
    return subject;
  };
  return webhooks.filter((w) => {
    if (w.applicationId !== message.applicationId || !subscribes(w, message.eventType)) return false;
    if (w.filter === null) return true;
    const s = parsed();
    return s === null || matchesFilter(w.filter, s);
  });
}

/**
 * Fans out the messages of a batch of publish tasks. Returns the ids of the
 * messages done (recorded, now or before); the others failed and their tasks
 * should be retried.
 */
export async function fanOut(
  deps: Deps,
  tasks: PublishTask[],
  handoverChars = HANDOVER_CHARS,
): Promise<Set<string>> {
  const messages = await withPayloads(deps, tasks);
  // Only a task sent again can hold a message recorded already: a first
  // delivery costs no query here.
  const again = new Set(tasks.filter((t) => t.again).flatMap((t) => t.messages.map((m) => m.id)));
  const recorded = new Set(again.size > 0 ? (await findMessages(deps.history, [...again])).map((m) => m.id) : []);
  const fresh = messages.filter((m) => !recorded.has(m.id));
  const handed = await handOverAll(deps, fresh, handoverChars, again);
  // A message of an application deleted since its 202 had nowhere to go: done, recording nothing.
  const live = await existingApplicationIds(deps.db, [...new Set(handed.map((m) => m.applicationId))]);
  const orphans = handed.filter((m) => !live.has(m.applicationId)).map((m) => m.id);
  const now = await recordMessages(
    deps.history,
    handed.filter((m) => live.has(m.applicationId)),
  );
  for (const reason of now.refused) {
    deps.log("warn", "recording messages refused; their tasks come again", { ...describeError(reason) });
  }
  const done = new Set([...recorded, ...orphans, ...now.recorded]);
  await confirm(deps, tasks, done);
  return done;
}

/** The messages of the tasks, with the payloads that travelled by reference read back. */
async function withPayloads(deps: Deps, tasks: PublishTask[]): Promise<Message[]> {
  const messages = tasks.flatMap((t) => t.messages);
  const fetched: Record<string, string> = {};
  for (const [shard, ids] of groupBy(
    messages.filter((m) => m.payload === null),
    (m) => m.shard,
    (m) => m.id,
  )) {
    Object.assign(fetched, await ingestObject(deps, shard).payloads(ids));
  }
  return messages.flatMap((message) => {
    const payload = message.payload ?? fetched[message.id];
    // Not held any more: recorded already by an earlier delivery of this task.
    return payload === undefined ? [] : [{ ...message, payload }];
  });
}

function groupBy<T, V>(items: T[], key: (item: T) => string, value: (item: T) => V): Map<string, V[]> {
  const groups = new Map<string, V[]>();
  for (const item of items) {
    const list = groups.get(key(item)) ?? [];
    list.push(value(item));
    groups.set(key(item), list);
  }
  return groups;
}

/**
 * Creates the events of these messages, one for every enabled webhook of the
 * message's application that wants its type, and hands them over: one call
 * per webhook, its events in publication order. Returns the messages whose
 * every hand-over succeeded, with the webhooks they went to.
 */
async function handOverAll(
  deps: Deps,
  messages: Message[],
  handoverChars: number,
  /** Messages of tasks sent again: their webhooks' objects check which events settled already. */
  again: Set<string>,
): Promise<(Message & { webhookIds: string[] })[]> {
  if (messages.length === 0) return [];
  const webhooks = await listEnabledWebhooks(deps.db, [
    ...new Set(messages.map((m) => m.applicationId)),
  ]);
  const createdAt = toRfc3339(deps.now());
  const perWebhook = new Map<string, Event[]>();
  const fanned: (Message & { webhookIds: string[] })[] = [];
  for (const message of [...messages].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const targets = targetsOf(deps, webhooks, message);
    fanned.push({ ...message, webhookIds: targets.map((w) => w.id) });
    for (const webhook of targets) {
      const events = perWebhook.get(webhook.id) ?? [];
      events.push({
        ...eventFieldsOf(message),
        eventId: await eventIdFor(message.id, webhook.id),
        createdAt,
        attempts: 0,
        attemptLog: [],
        maxAttempts: maxAttempts(webhook.retryPolicy),
        manual: false,
        requestId: message.requestId || deps.requestId,
      });
      perWebhook.set(webhook.id, events);
    }
  }
  const failed = new Set<string>();
  await Promise.all(
    [...perWebhook].map(async ([webhookId, events]) => {
      try {
        // In order, one part after another, so a fifo webhook holds them in order.
        for (const part of bySize(events, handoverChars)) {
          await webhookObject(deps, webhookId).enqueue(webhookId, part, part.some((e) => again.has(e.messageId)));
        }
      } catch (error) {
        deps.log("error", "hand-over failed", { webhook_id: webhookId, ...describeError(error) });
        for (const event of events) failed.add(event.messageId);
      }
    }),
  );
  return fanned.filter((m) => !failed.has(m.id));
}

/** Tells the ingest objects which of their messages are recorded; they may forget them. */
async function confirm(deps: Deps, tasks: PublishTask[], done: Set<string>): Promise<void> {
  const byShard = groupBy(
    tasks.flatMap((t) => t.messages).filter((m) => done.has(m.id)),
    (m) => m.shard,
    (m) => ({ id: m.id, idempotencyKey: m.idempotencyKey }),
  );
  await Promise.all(
    [...byShard].map(async ([shard, list]) => {
      try {
        await ingestObject(deps, shard).confirm(list);
      } catch (error) {
        // Harmless: the object re-sends them later and fan-out finds them recorded.
        deps.log("warn", "confirming messages failed", { shard, ...describeError(error) });
      }
    }),
  );
}

/** Consecutive runs of items whose payloads add up to at most `limit` characters (one at least). */
export function bySize<T extends Event>(items: T[], limit: number): T[][] {
  const parts: T[][] = [];
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
