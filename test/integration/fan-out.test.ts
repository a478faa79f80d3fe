/**
 * Fan-out of a whole queue batch at once (src/delivery/fan-out/fan-out.ts): the right
 * events for every message, whatever applications and event types the batch
 * mixes, in a handful of D1 queries; nothing twice when the batch comes again.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, test } from "vitest";
import { createDb } from "../../src/db/client";
import { meterD1, newUsage } from "../../src/db/metered";
import { fanOut } from "../../src/delivery/fan-out/fan-out";
import { makeDeps } from "../../src/deps";
import type { QueueTask } from "../../src/domain/tasks";
import worker from "../../src/index";
import { api, createApplication, createWebhook } from "../helpers/api";
import { drained } from "../helpers/drain";
import { eventually } from "../helpers/eventually";
import { recordedWebhookIds } from "../helpers/history";
import { newHook } from "../helpers/hooks";
import { accepted, publishTask } from "../helpers/tasks";

const receiverUrl = inject("receiverUrl");

const task = publishTask;

const recordedWebhooks = recordedWebhookIds;

describe("fan-out of a batch", () => {
  test("mixed applications and types: each message gets its subscribers' events, once", async () => {
    const hook = newHook(receiverUrl);
    const a = await createApplication();
    const b = await createApplication();
    const all = await createWebhook(a.id, hook.url);
    const paid = await createWebhook(a.id, hook.url, { event_types: ["order.paid"] });
    const off = await createWebhook(a.id, hook.url);
    expect((await api("PATCH", `/v1/webhooks/${off.id}`, { enabled: false })).status).toBe(200);
    const other = await createWebhook(b.id, hook.url);

    const m1 = accepted(a.id, "order.paid", { m: 1 });
    const m2 = accepted(a.id, "order.created", { m: 2 });
    const m3 = accepted(b.id, "order.paid", { m: 3 });
    const gone = accepted(crypto.randomUUID(), "order.paid", { m: 4 });
    const tasks = [task([m1, m2]), task([m3]), task([gone])];

    const usage = newUsage();
    const deps = { ...makeDeps(env), db: createDb(meterD1(env.DB, usage)) };
    const handled = await fanOut(deps, tasks);

    expect([...handled].sort()).toEqual([m1.id, m2.id, m3.id, gone.id].sort());
    expect(await recordedWebhooks(m1.id)).toEqual([all.id, paid.id].sort());
    expect(await recordedWebhooks(m2.id)).toEqual([all.id]);
    expect(await recordedWebhooks(m3.id)).toEqual([other.id]);
    // An application deleted after the 202: nothing to deliver, nothing recorded.
    expect(await recordedWebhooks(gone.id)).toBeNull();
    // The whole batch in two queries: the webhooks, and which applications exist
    // (the message rows go to a history shard).
    expect(usage.queries).toBe(2);

    // As if the ack were lost: the batch comes again, and nothing is sent twice.
    const again = await fanOut(
      makeDeps(env),
      tasks.map((t) => ({ ...t, again: true })),
    );
    expect([...again].sort()).toEqual([m1.id, m2.id, m3.id, gone.id].sort());
    await drained(a.id, b.id);
    const { requests } = await hook.received();
    expect(requests).toHaveLength(4);
    expect(new Set(requests.map((r) => r.headers["webhook-id"])).size).toBe(4);
    expect(requests.map((r) => JSON.parse(r.body).m).sort()).toEqual([1, 1, 2, 3]);
  });

  test("a batch too large for one hand-over goes in parts, in order, all of it", async () => {
    const hook = newHook(receiverUrl);
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, { ordering: "fifo" });
    const messages = Array.from({ length: 6 }, (_, n) => accepted(app.id, "order.paid", { n }));

    // Room for two payloads a part: three hand-overs to the one webhook.
    const handled = await fanOut(makeDeps(env), [task(messages)], 16);

    expect([...handled].sort()).toEqual(messages.map((m) => m.id).sort());
    await eventually(async () => {
      const { requests } = await hook.received();
      expect(requests.map((r) => JSON.parse(r.body).n)).toEqual([0, 1, 2, 3, 4, 5]);
    });
    expect((await api("GET", `/v1/events?webhook_id=${webhook.id}`)).body.data).toHaveLength(6);
  });

  test("the consumer acks each queue message once its messages are recorded", async () => {
    const hook = newHook(receiverUrl);
    const app = await createApplication();
    await createWebhook(app.id, hook.url);
    const batch = createMessageBatch<QueueTask>("hookrelay-delivery", [
      { id: "a", timestamp: new Date(), attempts: 1, body: task([accepted(app.id, "x", { q: 1 })]) },
      { id: "b", timestamp: new Date(), attempts: 1, body: task([accepted(app.id, "x", { q: 2 })]) },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["a", "b"]);
    expect(result.retryMessages).toEqual([]);
    await eventually(async () => expect((await hook.received()).requests).toHaveLength(2));
  });
});
