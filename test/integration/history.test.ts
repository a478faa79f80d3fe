/**
 * The delivery history as the webhook's object writes it: while an event is
 * in flight the object serves it (D1 has no row yet); a finished event is
 * written once, in a batch; and a failed write is retried without sending the
 * event again or recording it twice.
 */
import { describe, expect, inject, test } from "vitest";
import { api, createApplication, createWebhook, listEvents, publish } from "../helpers/api";
import { eventually } from "../helpers/eventually";
import { historyStore, recordedEvents } from "../helpers/history";
import { newHook } from "../helpers/hooks";
import { inObject } from "../helpers/objects";

const receiverUrl = inject("receiverUrl");

async function recordedRows(webhookId: string) {
  return (await recordedEvents(webhookId)).map((e) => ({
    id: e.id,
    delivery_status: e.deliveryStatus,
    delivery_attempts: e.deliveryAttempts,
  }));
}

/** The history shards, their batches (the history writes) failing, together, the first `failures` times. */
function flakyShards(failures: number) {
  let failed = 0;
  const shards = historyStore().shards.map((shard) => ({
    ...shard,
    d1: new Proxy(shard.d1, {
      get(target, key) {
        if (key === "batch") {
          return async (statements: D1PreparedStatement[]) => {
            if (failed < failures) {
              failed += 1;
              throw new Error("D1_ERROR: simulated outage");
            }
            return target.batch(statements);
          };
        }
        const value = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    }),
  }));
  return { shards, failed: () => failed };
}

describe("delivery history", () => {
  test("an event in flight is served by its webhook's object, with its status and attempts", async () => {
    const hook = newHook(receiverUrl);
    await hook.script({ otherwise: { status: 500, body: "try later" } });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, {
      retry_policy: { schedule_seconds: [3600] },
    });
    const message = await publish(app.id, "in.flight", { n: 1 });

    const [event] = await eventually(async () => {
      const events = await listEvents(webhook.id);
      expect(events[0]).toMatchObject({
        delivery_status: "retrying",
        delivery_attempts: 1,
        max_attempts: 2,
        http_status_code: 500,
      });
      return events;
    });
    expect(event!.next_attempt_at).not.toBeNull();
    // Not in D1: the object holds it until its outcome.
    expect(await recordedRows(webhook.id)).toEqual([]);

    const one = await api("GET", `/v1/events/${event!.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: event!.id, webhook_id: webhook.id, delivery_status: "retrying" });
    const attempts = await api("GET", `/v1/events/${event!.id}/attempts`);
    expect(attempts.body.data).toMatchObject([
      { attempt: 1, http_status_code: 500, response_body: "try later" },
    ]);
    const withEvents = await api("GET", `/v1/messages/${message.id}`);
    expect(withEvents.body.events).toMatchObject([{ id: event!.id, delivery_status: "retrying" }]);
    expect((await listEvents(webhook.id, "&delivery_status=retrying")).map((e) => e.id)).toEqual([
      event!.id,
    ]);
    expect(await listEvents(webhook.id, "&delivery_status=success")).toEqual([]);
  });

  test("a finished event is written once, in one row with its attempts", async () => {
    const hook = newHook(receiverUrl);
    await hook.script({ responses: [{ status: 503 }], otherwise: { status: 200 } });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, { retry_policy: { schedule_seconds: [1] } });
    await publish(app.id, "twice", { n: 2 });
    const [row] = await eventually(async () => {
      const rows = await recordedRows(webhook.id);
      expect(rows).toMatchObject([{ delivery_status: "success", delivery_attempts: 2 }]);
      return rows;
    });
    const attempts = await api("GET", `/v1/events/${row!.id}/attempts`);
    expect(
      attempts.body.data.map((a: { attempt: number; http_status_code: number }) => [a.attempt, a.http_status_code]),
    ).toEqual([
      [1, 503],
      [2, 200],
    ]);
    const [stored] = await recordedEvents(webhook.id);
    expect(stored!.attemptLog.map((a: { attempt: number }) => a.attempt)).toEqual([1, 2]);
  });

  test("a D1 error during a flush: retried, nothing lost, nothing sent or recorded twice", async () => {
    const hook = newHook(receiverUrl);
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url);
    const flaky = flakyShards(2);
    await inObject(webhook.id, (o) => {
      o.deps = { ...o.deps, history: { ...o.deps.history, shards: flaky.shards } };
    });
    for (let n = 0; n < 3; n++) await publish(app.id, "flaky", { n });

    await eventually(async () => {
      const rows = await recordedRows(webhook.id);
      expect(rows).toHaveLength(3);
      expect(rows.every((r) => r.delivery_status === "success" && r.delivery_attempts === 1)).toBe(true);
    }, 30_000);
    expect(flaky.failed()).toBe(2);
    const { requests } = await hook.received();
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => r.headers["webhook-id"])).size).toBe(3);
    // Released from the object once written.
    expect(await inObject(webhook.id, (o) => o.heldCount())).toBe(0);
  });
});
