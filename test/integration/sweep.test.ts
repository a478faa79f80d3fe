import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, test } from "vitest";
import { makeDeps } from "../../src/deps";
import type { QueueTask } from "../../src/domain/tasks";
import type { IngestDO } from "../../src/ingest/ingest-do";
import { publish as publishMessages } from "../../src/ingest/publish";
import { api, createApplication, createWebhook, listEvents } from "../helpers/api";
import { unconfirmed } from "../helpers/drain";
import { eventually } from "../helpers/eventually";
import { newHook } from "../helpers/hooks";
import { webhookObject } from "../helpers/objects";

const receiverUrl = inject("receiverUrl");

/** Every ingest shard of an application. */
function shardsOf(applicationId: string) {
  return [0, 1, 2, 3].map((i) => env.INGEST_DO.get(env.INGEST_DO.idFromName(`${applicationId}/${i}`)));
}

/**
 * Publishes through a queue that loses what it is sent, as a local queue does
 * when the process dies: accepted (202), held by its ingest object, and not
 * on the queue. A single publish is sent on by its shard, so the shards are
 * the ones given the lossy queue.
 */
async function publishLost(applicationId: string, n: number): Promise<void> {
  const lossy = {
    ...makeDeps(env).queue,
    sendBatch: async () => ({}) as QueueSendBatchResponse,
  };
  const real = new Map<number, Queue<QueueTask>>();
  const swap = (pick: (i: number, o: IngestDO) => Queue<QueueTask>) =>
    Promise.all(
      shardsOf(applicationId).map((stub, i) =>
        runInDurableObject(stub, (instance) => {
          const o = instance as unknown as IngestDO;
          o.deps = { ...o.deps, queue: pick(i, o) };
        }),
      ),
    );
  await swap((i, o) => {
    real.set(i, o.deps.queue);
    return lossy;
  });
  const [result] = await publishMessages(makeDeps(env), [
    {
      applicationId,
      eventType: "lost.message",
      payload: JSON.stringify({ n }),
      idempotencyKey: null,
      resource: null,
    },
  ]);
  expect(result?.status).toBe(202);
  // The shard sends after answering: it must have lost the message before its queue is given back.
  await eventually(async () => {
    for (const stub of shardsOf(applicationId)) {
      const idle = await runInDurableObject(stub, (instance) => {
        const o = instance as unknown as { pendingWrites: unknown[]; writing: boolean };
        return o.pendingWrites.length === 0 && !o.writing;
      });
      expect(idle).toBe(true);
    }
  });
  await swap((i) => real.get(i)!);
}

describe("nothing accepted is lost with its queue message", () => {
  test("the ingest object re-sends a message not confirmed within a minute", async () => {
    const hook = newHook(receiverUrl);
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url);
    await publishLost(app.id, 1);
    // Lost: its shard holds it unconfirmed, and its webhook's object has nothing.
    expect(await unconfirmed(app.id)).toBe(1);
    expect(await webhookObject(webhook.id).heldCount()).toBe(0);
    expect(await listEvents(webhook.id)).toEqual([]);

    // A minute on, the alarm finds it unconfirmed and sends it again.
    for (const stub of shardsOf(app.id)) {
      await runInDurableObject(stub, (instance) => {
        const o = instance as unknown as IngestDO;
        o.deps = { ...o.deps, now: () => new Date(Date.now() + 61_000) };
      });
      await runDurableObjectAlarm(stub);
    }
    await eventually(async () => expect((await listEvents(webhook.id))[0]?.delivery_status).toBe("success"));
    expect((await hook.received()).requests.map((r) => JSON.parse(r.body))).toEqual([{ n: 1 }]);
  });

  test("after a restart, POST /v1/maintenance re-sends what every ingest object holds and wakes every webhook", async () => {
    // Three applications, whose shards the sweep visits at once: each one's count must add up.
    const stranded = await Promise.all(
      [2, 3, 4].map(async (n) => {
        const hook = newHook(receiverUrl);
        const app = await createApplication();
        const webhook = await createWebhook(app.id, hook.url);
        await publishLost(app.id, n);
        return { n, hook, webhook };
      }),
    );

    const routine = await api("POST", "/v1/maintenance");
    expect(routine.status).toBe(200);
    expect(routine.body).toMatchObject({ object: "maintenance", requeued: 0, woken: 0 });

    const restart = await api("POST", "/v1/maintenance", { after_restart: true });
    expect(restart.status).toBe(200);
    expect(restart.body.requeued).toBe(stranded.length);
    expect(restart.body.woken).toBeGreaterThanOrEqual(stranded.length);
    expect(restart.body.purged).toEqual({ events: expect.any(Number), messages: expect.any(Number) });
    for (const { n, hook, webhook } of stranded) {
      await eventually(async () => expect((await listEvents(webhook.id))[0]?.delivery_status).toBe("success"));
      expect((await hook.received()).requests.map((r) => JSON.parse(r.body))).toEqual([{ n }]);
    }
  });

  test("POST /v1/maintenance refuses unknown fields and wrong types, naming the field", async () => {
    const wrongType = await api("POST", "/v1/maintenance", { after_restart: "yes" });
    expect(wrongType.status).toBe(422);
    expect(wrongType.body.errors.map((e: { path: string }) => e.path)).toEqual(["after_restart"]);
    const unknown = await api("POST", "/v1/maintenance", { purge_everything: true });
    expect(unknown.status).toBe(422);
  });
});
