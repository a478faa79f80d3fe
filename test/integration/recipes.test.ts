/** Each seed provider's documented behaviour, reproduced by configuration (docs/recipes.md). */
import { runDurableObjectAlarm } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { describe, expect, inject, test } from "vitest";
import { maxAttempts, type RetryPolicy, retryDelaySeconds } from "../../src/domain/retry-policy";
import { api, createApplication, createWebhook, listEvents, publish } from "../helpers/api";
import { eventually } from "../helpers/eventually";
import { newHook } from "../helpers/hooks";
import { advanceClock, webhookObject } from "../helpers/objects";

const receiverUrl = inject("receiverUrl");
const closedPortUrl = inject("closedPortUrl");
const HOUR_MS = 3_600_000;

async function attemptsOf(eventId: string) {
  return (await api("GET", `/v1/events/${eventId}/attempts?limit=100`)).body.data as Array<
    Record<string, any>
  >;
}

function totalWaitSeconds(policy: RetryPolicy): number {
  let sum = 0;
  for (let made = 1; made < maxAttempts(policy); made++) sum += retryDelaySeconds(policy, made)!;
  return sum;
}

describe("Bitpowr", () => {
  const policy = { strategy: "fixed", interval_seconds: 3600, max_attempts: 73 } as const;

  test("any 2xx acknowledges, whatever the body", async () => {
    const hook = newHook(receiverUrl);
    await hook.script({ otherwise: { status: 202, body: "<html>thanks</html>" } });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, { retry_policy: policy });
    await publish(app.id, "deposit.confirmed", { amount: "0.5", asset: "BTC" });
    await eventually(async () =>
      expect((await listEvents(webhook.id))[0]?.delivery_status).toBe("success"),
    );
  });

  test("unacknowledged deliveries are retried every hour for 72 hours, then fail", async () => {
    const hook = newHook(receiverUrl);
    await hook.script({ otherwise: { status: 500 } });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, { retry_policy: policy });
    await publish(app.id, "deposit.confirmed", { amount: "0.5" });
    const first = await eventually(async () => {
      const [event] = await listEvents(webhook.id);
      expect(event?.delivery_status).toBe("retrying");
      return event!;
    });
    expect(first.max_attempts).toBe(73);
    // Move the object's clock an hour at a time and let its alarm run.
    for (let hour = 1; hour <= 72; hour++) {
      await advanceClock(webhook.id, hour * HOUR_MS + 60_000);
      await runDurableObjectAlarm(webhookObject(webhook.id));
    }
    const [last] = await listEvents(webhook.id);
    expect(last).toMatchObject({
      delivery_status: "failed",
      delivery_attempts: 73,
      max_attempts: 73,
      next_attempt_at: null,
    });
    const attempts = await attemptsOf(first.id);
    expect(attempts).toHaveLength(73);
    // Each retry was due about an hour after the attempt before it (jitter takes up to 10 % off).
    const started = attempts.map((a) => Date.parse(a.started_at));
    for (let i = 1; i < started.length; i++) {
      const gapHours = (started[i]! - started[i - 1]!) / HOUR_MS;
      expect(gapHours).toBeGreaterThan(0.85);
      expect(gapHours).toBeLessThan(1.2);
    }
    expect((await hook.received()).requests).toHaveLength(73);
  });
});

describe("Bridge", () => {
  const policy: RetryPolicy = {
    strategy: "exponential",
    initial_interval_seconds: 60,
    multiplier: 2,
    max_interval_seconds: 28_800,
    max_attempts: 13,
  };

  test("the backoff spans one to two days, jitter included", () => {
    const seconds = totalWaitSeconds(policy);
    expect(seconds * 0.9).toBeGreaterThanOrEqual(86_400);
    expect(seconds).toBeLessThanOrEqual(2 * 86_400);
  });

  test("10 webhooks, each with its event types and secret; TEST_EVENT; the first retry after a minute", async () => {
    const app = await createApplication({ webhook_limit: 10 });
    const transfers = newHook(receiverUrl);
    await transfers.script({ responses: [{ status: 503 }], otherwise: { status: 200 } });
    const customers = newHook(receiverUrl);
    const t = await createWebhook(app.id, transfers.url, {
      name: "transfers",
      event_types: ["transfer.updated"],
      retry_policy: policy,
    });
    const c = await createWebhook(app.id, customers.url, {
      name: "customers",
      event_types: ["customer.updated"],
      retry_policy: policy,
    });
    expect(t.secret).not.toBe(c.secret);
    for (let i = 2; i < 10; i++)
      await createWebhook(app.id, `https://example.com/bridge/${i}`, { event_types: ["none"] });
    expect(
      (await api("POST", "/v1/webhooks", { application_id: app.id, url: "https://example.com/11" }))
        .status,
    ).toBe(409);

    await publish(app.id, "transfer.updated", { id: "tr_1", state: "payment_processed" });
    const retrying = await eventually(async () => {
      const [event] = await listEvents(t.id);
      expect(event?.delivery_status).toBe("retrying");
      return event!;
    });
    const [attempt] = await attemptsOf(retrying.id);
    const wait = (Date.parse(retrying.next_attempt_at) - Date.parse(attempt!.started_at)) / 1000;
    expect(wait).toBeGreaterThanOrEqual(53);
    expect(wait).toBeLessThanOrEqual(61);
    expect((await customers.received()).requests).toHaveLength(0);

    const test = await api("POST", `/v1/webhooks/${c.id}/test`);
    expect(test.status).toBe(202);
    const [request] = await eventually(async () => {
      const { requests } = await customers.received();
      expect(requests).toHaveLength(1);
      return requests;
    });
    const body = new Webhook(c.secret).verify(request!.body, {
      "webhook-id": request!.headers["webhook-id"]!,
      "webhook-timestamp": request!.headers["webhook-timestamp"]!,
      "webhook-signature": request!.headers["webhook-signature"]!,
    });
    expect(body).toEqual({
      content: { webhook_id: c.id },
      timestamp: expect.any(Number),
      type: "TEST_EVENT",
    });
  });
});

describe("Bitex", () => {
  test("JSON:API envelope with a stable event id, and WEBHOOK-AUTH carrying the digest", async () => {
    const sharedSecret = "bitex-shared-secret";
    const digest = Array.from(
      new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(sharedSecret))),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    const hook = newHook(receiverUrl);
    await hook.script({ responses: [{ status: 500 }], otherwise: { status: 200 } });
    const app = await createApplication();
    const policy = {
      strategy: "exponential",
      initial_interval_seconds: 300,
      multiplier: 2,
      max_interval_seconds: 86_400,
      max_attempts: 15,
    } as const;
    expect(totalWaitSeconds(policy)).toBeGreaterThan(5 * 86_400);
    const webhook = await createWebhook(app.id, hook.url, {
      payload_format: "jsonapi",
      headers: { "WEBHOOK-AUTH": digest },
      retry_policy: policy,
    });
    const message = await publish(
      app.id,
      "order.filled",
      { price: "10.5", amount: "2" },
      { resource: { type: "orders", id: "ord_9" } },
    );
    const event = await eventually(async () => {
      const [e] = await listEvents(webhook.id);
      expect(e?.delivery_status).toBe("retrying");
      return e!;
    });
    await advanceClock(webhook.id, 301_000);
    await runDurableObjectAlarm(webhookObject(webhook.id));
    const { requests } = await hook.received();
    expect(requests).toHaveLength(2);
    for (const request of requests) {
      expect(request.headers["webhook-auth"]).toBe(digest);
      expect(request.headers["webhook-id"]).toBe(event.id);
      const body = JSON.parse(request.body);
      expect(body.data).toMatchObject({
        type: "events",
        id: message.id,
        attributes: { event_type: "order.filled" },
      });
      expect(body.data.relationships.resource.data).toEqual({ type: "orders", id: "ord_9" });
      expect(body.included).toEqual([
        { type: "orders", id: "ord_9", attributes: { price: "10.5", amount: "2" } },
      ]);
    }
    expect((await listEvents(webhook.id))[0]?.delivery_status).toBe("success");
  });
});

describe("Bitnob", () => {
  const FIELDS = [
    "object",
    "id",
    "webhook_id",
    "type",
    "delivery_status",
    "delivery_attempts",
    "max_attempts",
    "http_status_code",
    "error_message",
    "created_at",
  ];

  test("list by webhook_id, get one, retry one, with Bitnob's fields", async () => {
    const app = await createApplication();
    const down = await createWebhook(app.id, `${closedPortUrl}/bitnob`, {
      retry_policy: { schedule_seconds: [] },
    });
    await publish(app.id, "charge.success", { reference: "ref_1" });
    const [failed] = await eventually(async () => {
      const list = await listEvents(down.id);
      expect(list[0]?.delivery_status).toBe("failed");
      return list;
    });
    for (const field of FIELDS) expect(failed).toHaveProperty(field);
    expect(failed).toMatchObject({
      object: "event",
      webhook_id: down.id,
      type: "charge.success",
      delivery_attempts: 1,
      max_attempts: 1,
      http_status_code: 0,
    });
    expect(failed!.error_message).not.toBe("");
    expect(failed!.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    expect(
      (await api("GET", `/v1/events?webhook_id=${down.id}&delivery_status=failed`)).body.data,
    ).toHaveLength(1);
    expect((await api("GET", `/v1/events/${failed!.id}?webhook_id=${down.id}`)).body).toEqual(
      failed,
    );

    // The endpoint comes back: point the webhook at a receiver and retry.
    const hook = newHook(receiverUrl);
    expect((await api("PATCH", `/v1/webhooks/${down.id}`, { url: hook.url })).status).toBe(200);
    const retried = await api("POST", `/v1/events/${failed!.id}/retry`);
    expect(retried.status).toBe(200);
    await eventually(async () => {
      const event = (await api("GET", `/v1/events/${failed!.id}`)).body;
      expect(event).toMatchObject({
        delivery_status: "success",
        delivery_attempts: 2,
        max_attempts: 2,
        http_status_code: 200,
        error_message: "",
      });
    });
  });
});
