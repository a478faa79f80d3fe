/**
 * Ingest shards send single publishes on themselves (src/ingest/ingest-do.ts
 * sendOutgoing): what arrives while a send is out goes in the next one.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, test } from "vitest";
import type { QueueTask } from "../../src/delivery/tasks";
import type { IngestDO } from "../../src/ingest/ingest-do";
import { ingestShard } from "../../src/ingest/shards";
import { createApplication, createWebhook, eventually, publish } from "../helpers/api";
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
    // Every message went out, in fewer queue messages than publishes.
    expect(sent.reduce((a, b) => a + b, 0)).toBe(keys.length);
    expect(sent.length).toBeLessThan(keys.length);
  });
});
