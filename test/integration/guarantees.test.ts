import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, inject, test } from "vitest";
import { api, createApplication, createWebhook, listEvents, publish } from "../helpers/api";
import { eventually } from "../helpers/eventually";
import { newHook } from "../helpers/hooks";
import { advanceClock, alarmAt, inObject, webhookObject } from "../helpers/objects";

const receiverUrl = inject("receiverUrl");
const DAY_MS = 86_400_000;

describe("per-webhook guarantees", () => {
  test("never more than max_in_flight attempts at once", async () => {
    const hook = newHook(receiverUrl);
    await hook.script({ otherwise: { status: 200, delayMs: 300 } });
    const app = await createApplication();
    await createWebhook(app.id, hook.url, { max_in_flight: 3 });
    for (let i = 0; i < 12; i++) await publish(app.id, "load.test", { i });
    const received = await eventually(async () => {
      const r = await hook.received();
      expect(r.requests).toHaveLength(12);
      return r;
    });
    expect(received.maxOpen).toBe(3);
  });

  test("never more than rate_limit_per_second in any one-second window", async () => {
    const hook = newHook(receiverUrl);
    const app = await createApplication();
    await createWebhook(app.id, hook.url, { rate_limit_per_second: 4 });
    for (let i = 0; i < 12; i++) await publish(app.id, "rate.test", { i });
    const { requests } = await eventually(async () => {
      const r = await hook.received();
      expect(r.requests).toHaveLength(12);
      return r;
    });
    const times = requests.map((r) => r.receivedAt).sort((a, b) => a - b);
    for (const start of times) {
      // Loopback adds a few ms of skew between the relay's clock and arrival.
      expect(times.filter((t) => t >= start && t < start + 980).length).toBeLessThanOrEqual(4);
    }
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(1900);
  });

  test("fifo: publication order, a failing event holding back those behind it", async () => {
    const hook = newHook(receiverUrl);
    await hook.script({
      responses: [{ status: 500 }, { status: 503 }],
      otherwise: { status: 200 },
    });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, {
      ordering: "fifo",
      retry_policy: { schedule_seconds: [1, 1, 1] },
    });
    for (let i = 1; i <= 5; i++) await publish(app.id, "fifo.test", { i });
    const { requests } = await eventually(async () => {
      const r = await hook.received();
      expect(r.requests).toHaveLength(7);
      return r;
    });
    expect(requests.map((r) => JSON.parse(r.body).i)).toEqual([1, 1, 1, 2, 3, 4, 5]);
    expect(requests.slice(0, 3).map((r) => r.headers["webhook-id"])).toEqual(
      Array(3).fill(requests[0]!.headers["webhook-id"]),
    );
    const events = await listEvents(webhook.id);
    expect(events.every((e) => e.delivery_status === "success")).toBe(true);
  });

  test("circuit: opens after consecutive failures, one probe alone, then the backlog drains", async () => {
    const hook = newHook(receiverUrl);
    await hook.script({ otherwise: { status: 500 } });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, {
      max_in_flight: 1,
      retry_policy: { schedule_seconds: [3600] },
    });
    for (let i = 0; i < 7; i++) await publish(app.id, "circuit.test", { i });
    const stub = webhookObject(webhook.id);
    await eventually(async () => {
      const circuit = await inObject(webhook.id, (o) => o.circuitState());
      expect(circuit.openUntil).not.toBeNull();
    });
    // Open: five failures went out, the other two wait; nothing is being sent.
    expect((await hook.received()).requests).toHaveLength(5);
    const held = await inObject(webhook.id, (o) => o.stats(webhook.id).counts);
    expect(held).toMatchObject({ pending: 2, retrying: 5 });

    // The endpoint recovers; more room to drain; the cooldown passes.
    await hook.script({ responses: [{ status: 200, delayMs: 400 }], otherwise: { status: 200 } });
    expect((await api("PATCH", `/v1/webhooks/${webhook.id}`, { max_in_flight: 5 })).status).toBe(
      200,
    );
    await advanceClock(webhook.id, 31_000);
    await runDurableObjectAlarm(stub);
    const { requests } = await eventually(async () => {
      const r = await hook.received();
      expect(r.requests).toHaveLength(7);
      return r;
    });
    const probe = requests[5]!;
    const drained = requests[6]!;
    // The probe went alone: the next request started only after it answered.
    expect(drained.receivedAt - probe.receivedAt).toBeGreaterThanOrEqual(350);
    const circuit = await inObject(webhook.id, (o) => o.circuitState());
    expect(circuit).toMatchObject({ openUntil: null, consecutiveFailures: 0 });
  });

  test("no success for 5 days disables the webhook (failing); re-enable and recover bring events back", async () => {
    const hook = newHook(receiverUrl);
    await hook.script({ otherwise: { status: 500 } });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, {
      retry_policy: { strategy: "fixed", interval_seconds: 6 * 3600, max_attempts: 100 },
    });
    const since = new Date(Date.now() - 60_000).toISOString();
    await publish(app.id, "failing.test", { n: 1 });
    await eventually(async () =>
      expect((await listEvents(webhook.id))[0]?.delivery_status).toBe("retrying"),
    );

    // Four days on, still failing: still enabled.
    await advanceClock(webhook.id, 4 * DAY_MS);
    await runDurableObjectAlarm(webhookObject(webhook.id));
    await eventually(async () =>
      expect((await listEvents(webhook.id))[0]?.delivery_attempts).toBe(2),
    );
    expect((await api("GET", `/v1/webhooks/${webhook.id}`)).body.enabled).toBe(true);

    // Five days and a bit: disabled as failing, and what it held fails.
    await advanceClock(webhook.id, 5 * DAY_MS + 3600_000);
    await runDurableObjectAlarm(webhookObject(webhook.id));
    await eventually(async () => {
      const after = (await api("GET", `/v1/webhooks/${webhook.id}`)).body;
      expect(after).toMatchObject({ enabled: false, disabled_reason: "failing" });
      expect((await listEvents(webhook.id))[0]?.delivery_status).toBe("failed");
    });

    await hook.script({ otherwise: { status: 200 } });
    expect((await api("PATCH", `/v1/webhooks/${webhook.id}`, { enabled: true })).body.enabled).toBe(
      true,
    );
    const recovered = await api("POST", `/v1/webhooks/${webhook.id}/recover`, { since });
    expect(recovered.body.count).toBe(1);
    await eventually(async () =>
      expect((await listEvents(webhook.id))[0]?.delivery_status).toBe("success"),
    );
  });

  test("a 3-day wait is kept across the queue's 12-hour delay limit", async () => {
    const hook = newHook(receiverUrl);
    await hook.script({ responses: [{ status: 500 }], otherwise: { status: 200 } });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, {
      retry_policy: { strategy: "fixed", interval_seconds: 3 * 86_400, max_attempts: 3 },
    });
    await publish(app.id, "slow.retry", {});
    const event = await eventually(async () => {
      const [e] = await listEvents(webhook.id);
      expect(e?.delivery_status).toBe("retrying");
      return e!;
    });
    const wait = Date.parse(event.next_attempt_at) - Date.now();
    expect(wait).toBeGreaterThan(2.7 * DAY_MS - 60_000);
    expect(wait).toBeLessThanOrEqual(3 * DAY_MS);
    // The object's own alarm holds the wait (no queue delay could).
    const alarm = await alarmAt(webhook.id);
    expect(alarm).not.toBeNull();
    expect(Math.abs(alarm! - Date.parse(event.next_attempt_at))).toBeLessThan(5_000);

    await advanceClock(webhook.id, 3 * DAY_MS);
    await runDurableObjectAlarm(webhookObject(webhook.id));
    await eventually(async () => {
      const [e] = await listEvents(webhook.id);
      expect(e).toMatchObject({ delivery_status: "success", delivery_attempts: 2 });
    });
  });
});
