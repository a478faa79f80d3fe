/**
 * The ingest shards (src/ingest/ingest-do.ts): they write and send single
 * publishes themselves, what arrives while a send is out going in the next
 * write (one commit) and the next send, and they are the home of the
 * idempotency keys.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, test } from "vitest";
import type { QueueTask } from "../../src/domain/tasks";
import type { IngestDO } from "../../src/ingest/ingest-do";
import { allIngestShards, ingestShard } from "../../src/ingest/shards";
import { api, createApplication, createWebhook, publish } from "../helpers/api";
import { eventually } from "../helpers/eventually";
import { newHook } from "../helpers/hooks";

const receiverUrl = inject("receiverUrl");

describe("single publishes through one shard", () => {
  test("concurrent publishes share queue messages, and each is delivered once", async () => {
    const hook = newHook(receiverUrl);
    const app = await createApplication();
    await createWebhook(app.id, hook.url);
    const shard = `${app.id}/0`;
    // Keys whose home is shard 0, so that every publish goes through the same object.
    const keys: string[] = [];
    for (let i = 0; keys.length < 40; i++) {
      if (ingestShard(app.id, `key-${i}`, "") === shard) keys.push(`key-${i}`);
    }

    const stub = env.INGEST_DO.get(env.INGEST_DO.idFromName(shard));
    const sent: number[] = [];
    await runInDurableObject(stub, (instance) => {
      const o = instance as unknown as IngestDO;
      const queue = o.deps.queue;
      const counting = {
        ...queue,
        sendBatch: (messages: Iterable<MessageSendRequest<QueueTask>>, options?: QueueSendBatchOptions) => {
          const list = [...messages];
          for (const m of list) if (m.body.kind === "publish") sent.push(m.body.messages.length);
          return queue.sendBatch(list, options);
        },
      };
      o.deps = { ...o.deps, queue: counting as Queue<QueueTask> };
    });

    await Promise.all(keys.map((key, n) => publish(app.id, "burst", { n }, { idempotency_key: key })));

    await eventually(async () => {
      const bodies = (await hook.received()).requests.map((r) => JSON.parse(r.body).n as number);
      expect(bodies.sort((a, b) => a - b)).toEqual(keys.map((_, n) => n));
    });
    // Every message went out, in fewer writes and queue messages than publishes.
    expect(sent.reduce((a, b) => a + b, 0)).toBe(keys.length);
    expect(sent.length).toBeLessThan(keys.length);
  });
});

describe("confirmed messages in their shards", () => {
  test("once recorded, a message without a key leaves its shard, and one with a key keeps only the key", async () => {
    const hook = newHook(receiverUrl);
    const app = await createApplication();
    await createWebhook(app.id, hook.url);
    const published = await Promise.all(
      Array.from({ length: 12 }, (_, n) =>
        api("POST", "/v1/messages", {
          application_id: app.id,
          event_type: "order.created",
          payload: { n },
          ...(n % 2 ? { idempotency_key: `order-${n}` } : {}),
        }),
      ),
    );
    expect(published.map((p) => p.status)).toEqual(Array(12).fill(202));
    await eventually(async () => expect((await hook.received()).requests).toHaveLength(12));
    await eventually(async () => {
      const rows = [];
      for (const shard of allIngestShards(app.id)) {
        const stub = env.INGEST_DO.get(env.INGEST_DO.idFromName(shard));
        rows.push(
          ...(await runInDurableObject(stub, (_, state) =>
            state.storage.sql.exec<{ slot: string; body: string | null }>("SELECT slot, body FROM outbox").toArray(),
          )),
        );
      }
      const keys = Array.from({ length: 6 }, (_, i) => ({ slot: `k:order-${2 * i + 1}`, body: null }));
      expect(rows.sort((a, b) => (a.slot < b.slot ? -1 : 1))).toEqual(keys.sort((a, b) => (a.slot < b.slot ? -1 : 1)));
    });
  });
});

describe("confirmations are stored when they arrive", () => {
  test("a shard that restarts right after a confirmation re-sends nothing of it", async () => {
    const app = await createApplication();
    const shard = `${app.id}/0`;
    const stub = env.INGEST_DO.get(env.INGEST_DO.idFromName(shard));
    const message = {
      id: crypto.randomUUID(),
      applicationId: app.id,
      eventType: "confirmed",
      payload: "{}",
      idempotencyKey: null,
      resourceType: null,
      resourceId: null,
      createdAt: new Date().toISOString(),
      requestId: "test",
      shard,
    };
    // Accepted, not sent from here (as a batch publish's messages are): held unconfirmed.
    expect(await stub.accept(shard, [message])).toMatchObject([{ status: 202 }]);
    await stub.confirm([{ id: message.id, idempotencyKey: null }]);
    // No accept follows to carry the confirmation: the shard restarts (evicted, or the process dies).
    const restarted = await runInDurableObject(stub, (_, state) => state.abort("restart")).then(
      () => false,
      () => true,
    );
    expect(restarted).toBe(true);
    const again = env.INGEST_DO.get(env.INGEST_DO.idFromName(shard));
    expect(await again.resume(shard)).toBe(0);
  });
});

describe("idempotency keys in their shard", () => {
  test("a key answers its first message for 24 hours, recorded or not, then takes a new one", async () => {
    const hook = newHook(receiverUrl);
    const app = await createApplication();
    await createWebhook(app.id, hook.url);
    const key = "daily-report";
    const stub = env.INGEST_DO.get(env.INGEST_DO.idFromName(ingestShard(app.id, key, "")));
    let now = Date.parse("2026-06-01T00:00:00Z");
    await runInDurableObject(stub, (instance) => {
      const o = instance as unknown as IngestDO;
      o.deps = { ...o.deps, now: () => new Date(now) };
    });
    const send = (n: number) =>
      api("POST", "/v1/messages", { application_id: app.id, event_type: "report", payload: { n }, idempotency_key: key });

    const first = await send(1);
    expect(first.status).toBe(202);
    // Held by the shard, not yet recorded:
    expect(await send(2)).toMatchObject({ status: 200, body: { id: first.body.id, payload: { n: 1 } } });
    // Recorded in D1, the shard keeping only the key:
    await eventually(async () => expect((await hook.received()).requests).toHaveLength(1));
    await eventually(async () => {
      const rows = await runInDurableObject(stub, (_, state) =>
        state.storage.sql.exec("SELECT body FROM outbox").toArray(),
      );
      expect(rows).toEqual([{ body: null }]);
    });
    now += 24 * 3_600_000 - 1;
    expect(await send(3)).toMatchObject({ status: 200, body: { id: first.body.id, payload: { n: 1 } } });

    now += 1;
    const next = await send(4);
    expect(next).toMatchObject({ status: 202, body: { payload: { n: 4 } } });
    expect(next.body.id).not.toBe(first.body.id);
    expect(await send(5)).toMatchObject({ status: 200, body: { id: next.body.id } });
    await eventually(async () => {
      const bodies = (await hook.received()).requests.map((r) => JSON.parse(r.body).n as number);
      expect(bodies).toEqual([1, 4]);
    });
  });
});
