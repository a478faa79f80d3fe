/**
 * Fan-out of a whole queue batch at once (src/delivery/publish.ts): the
 * right events for every message, whatever applications and event types the
 * batch mixes, nothing for what is gone or already dispatched, and nothing
 * twice when the batch is handled again.
 */
import { env } from "cloudflare:workers";
import { describe, expect, inject, test } from "vitest";
import { createDb } from "../../src/db/client";
import { meterD1, newUsage } from "../../src/db/metered";
import { makeDeps } from "../../src/deps";
import { fanOutBatch } from "../../src/delivery/publish";
import { uuidv7 } from "../../src/lib/ids";
import { api, createApplication, createWebhook, eventually } from "../helpers/api";
import { newHook } from "../helpers/hooks";

const receiverUrl = inject("receiverUrl");

/** A message stored as the API stores it, but never enqueued: only this test fans it out. */
async function storeMessage(
  applicationId: string,
  eventType: string,
  dispatched = false,
  payload: unknown = {},
) {
  // UUIDv7-like order is what fifo follows; random v4 ids would not sort by time.
  const id = uuidv7();
  const at = new Date().toISOString();
  await env.DB.prepare(
    "INSERT INTO messages (id, application_id, event_type, payload, created_at, dispatched_at) VALUES (?, ?, ?, ?, ?, ?)",
  )
    .bind(id, applicationId, eventType, JSON.stringify(payload), at, dispatched ? at : null)
    .run();
  return id;
}

async function eventsOf(messageId: string): Promise<string[]> {
  const { results } = await env.DB.prepare(
    "SELECT webhook_id FROM events WHERE message_id = ? ORDER BY webhook_id",
  )
    .bind(messageId)
    .all<{ webhook_id: string }>();
  return results.map((r) => r.webhook_id);
}

async function dispatchedAt(messageId: string): Promise<string | null> {
  return env.DB.prepare("SELECT dispatched_at FROM messages WHERE id = ?")
    .bind(messageId)
    .first<string | null>("dispatched_at");
}

describe("fan-out of a batch", () => {
  test("mixed applications and types: each message gets its subscribers' events, once", async () => {
    const url = newHook(receiverUrl).url;
    const a = await createApplication();
    const b = await createApplication();
    const all = await createWebhook(a.id, url);
    const paid = await createWebhook(a.id, url, { event_types: ["order.paid"] });
    const off = await createWebhook(a.id, url);
    expect((await api("PATCH", `/v1/webhooks/${off.id}`, { enabled: false })).status).toBe(200);
    const other = await createWebhook(b.id, url);

    const m1 = await storeMessage(a.id, "order.paid");
    const m2 = await storeMessage(a.id, "order.created");
    const m3 = await storeMessage(b.id, "order.paid");
    const done = await storeMessage(a.id, "order.paid", true);
    const gone = crypto.randomUUID();
    const tasks = [m1, m2, m3, done, gone, m1].map((messageId) => ({
      kind: "fanout" as const,
      messageId,
    }));

    const usage = newUsage();
    const deps = { ...makeDeps(env), db: createDb(meterD1(env.DB, usage)) };
    const handled = await fanOutBatch(deps, tasks);

    expect([...handled].sort()).toEqual([m1, m2, m3, done, gone].sort());
    expect(await eventsOf(m1)).toEqual([all.id, paid.id].sort());
    expect(await eventsOf(m2)).toEqual([all.id]);
    expect(await eventsOf(m3)).toEqual([other.id]);
    expect(await eventsOf(done)).toEqual([]);
    for (const id of [m1, m2, m3]) expect(await dispatchedAt(id)).not.toBeNull();
    // The whole batch in a handful of round trips, not a few per message.
    expect(usage.queries).toBeLessThanOrEqual(6);

    // As if the ack were lost before the messages were marked: the batch comes again.
    await env.DB.prepare("UPDATE messages SET dispatched_at = NULL WHERE id IN (?, ?)")
      .bind(m1, m3)
      .run();
    const again = await fanOutBatch(makeDeps(env), tasks);
    expect([...again].sort()).toEqual([m1, m2, m3, done, gone].sort());
    expect(await eventsOf(m1)).toEqual([all.id, paid.id].sort());
    expect(await eventsOf(m3)).toEqual([other.id]);
    expect(await dispatchedAt(m1)).not.toBeNull();

    // And the receivers get them: each webhook's object delivered what it was handed.
    await eventually(async () => {
      const { results } = await env.DB.prepare(
        "SELECT delivery_status FROM events WHERE message_id IN (?, ?, ?)",
      )
        .bind(m1, m2, m3)
        .all<{ delivery_status: string }>();
      expect(results.map((r) => r.delivery_status)).toEqual(["success", "success", "success", "success"]);
    });
  });

  test("a batch too large for one hand-over goes in parts, in order, all of it", async () => {
    const hook = newHook(receiverUrl);
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, { ordering: "fifo" });
    const ids: string[] = [];
    for (let n = 0; n < 6; n++) ids.push(await storeMessage(app.id, "order.paid", false, { n }));
    const tasks = ids.map((messageId) => ({ kind: "fanout" as const, messageId }));

    // Room for two payloads a part: three hand-overs to the one webhook.
    const handled = await fanOutBatch(makeDeps(env), tasks, 16);

    expect([...handled].sort()).toEqual([...ids].sort());
    await eventually(async () => {
      const { requests } = await hook.received();
      expect(requests.map((r) => JSON.parse(r.body).n)).toEqual([0, 1, 2, 3, 4, 5]);
    });
    expect((await api("GET", `/v1/events?webhook_id=${webhook.id}`)).body.data).toHaveLength(6);
  });
});
