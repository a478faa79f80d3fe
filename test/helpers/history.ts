/**
 * The history as its shards hold it, for tests inside workerd: rows counted
 * and read straight from every partition of every shard (copies included),
 * and history seeded through the storage layer, as the consumer and the
 * webhooks' objects write it.
 */
import { env } from "cloudflare:workers";
import { PARTITIONS } from "../../src/db/history-schema";
import { makeDeps } from "../../src/deps";
import type { EventRow } from "../../src/domain/event";
import type { MessageRow } from "../../src/domain/message";
import { decodeEvent, hexOf, type StoredEvent } from "../../src/storage/codec";
import { writeEvents } from "../../src/storage/events";
import { getMessage, recordMessages } from "../../src/storage/messages";

export function historyStore() {
  return makeDeps(env).history;
}

/** Runs `sql` (`{t}` standing for each partition table of `kind`) on every partition of every shard. */
async function everyPartition<T>(kind: "events" | "messages", sql: string, ...binds: unknown[]): Promise<T[]> {
  const rows: T[] = [];
  for (const shard of historyStore().shards) {
    for (let i = 0; i < PARTITIONS; i++) {
      const { results } = await shard.d1.prepare(sql.replaceAll("{t}", `${kind}_${i}`)).bind(...binds).all<T>();
      rows.push(...results);
    }
  }
  return rows;
}

async function count(kind: "events" | "messages", where: string, ...binds: unknown[]): Promise<number> {
  const rows = await everyPartition<{ n: number }>(kind, `SELECT count(*) AS n FROM {t} WHERE ${where}`, ...binds);
  return rows.reduce((n, r) => n + r.n, 0);
}

/** Event rows the shards hold for the webhook. */
export function recordedEventCount(webhookId: string): Promise<number> {
  return count("events", "webhook = unhex(?)", hexOf(webhookId));
}

/** Message rows the shards hold for the application. */
export function recordedMessageCount(applicationId: string): Promise<number> {
  return count("messages", "application = unhex(?)", hexOf(applicationId));
}

/** Every message and event row the shards hold. */
export async function recordedTotals(): Promise<{ messages: number; events: number }> {
  return { messages: await count("messages", "true"), events: await count("events", "true") };
}

/** The webhook's event rows as the shards hold them, decoded. */
export async function recordedEvents(webhookId: string): Promise<EventRow[]> {
  const rows = await everyPartition<Omit<StoredEvent, "l"> & { l: string }>(
    "events",
    `SELECT lower(hex(webhook)) AS w, lower(hex(id)) AS i, lower(hex(message)) AS m, type AS t, status AS s,
       attempts AS a, max_attempts AS x, http AS h, error AS e, created AS c, updated AS u, log AS l
     FROM {t} WHERE webhook = unhex(?)`,
    hexOf(webhookId),
  );
  return rows.map((r) => decodeEvent({ ...r, l: JSON.parse(r.l) as StoredEvent["l"] }));
}

/** The webhooks a recorded message went to, or null when it is not recorded. */
export async function recordedWebhookIds(messageId: string): Promise<string[] | null> {
  const message = await getMessage(historyStore(), messageId);
  return message ? [...message.webhookIds].sort() : null;
}

/** Deletes a message's row, as if the consumer had died before recording it. */
export async function unrecordMessage(messageId: string): Promise<void> {
  await everyPartition("messages", "DELETE FROM {t} WHERE id = unhex(?)", hexOf(messageId));
}

/** Records messages and finished events as the consumer and the webhooks' objects would. */
export async function seedHistory(messages: MessageRow[], events: { applicationId: string; rows: EventRow[] }[]): Promise<void> {
  const store = historyStore();
  const { refused } = await recordMessages(store, messages);
  if (refused.length > 0) throw refused[0];
  for (const { applicationId, rows } of events) await writeEvents(store, applicationId, rows);
}
