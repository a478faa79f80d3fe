/**
 * Black-box: the relay started as `npm start` starts it, webhooks pointing at
 * a real receiver on loopback, and only the public API.
 */
import { Webhook } from "standardwebhooks";
import { describe, expect, test } from "vitest";
import { eventually } from "../helpers/eventually";
import type { Hook } from "../helpers/hooks";
import type { RecordedRequest } from "../helpers/receiver-types";
import { useRelay } from "../helpers/rig";

type EventObject = {
  object: string;
  id: string;
  webhook_id: string;
  message_id: string;
  type: string;
  delivery_status: string;
  delivery_attempts: number;
  max_attempts: number;
  http_status_code: number;
  error_message: string;
  next_attempt_at: string | null;
};

const rig = useRelay();
const hook = () => rig.hook();

async function application() {
  const res = await rig.api.call("POST", "/v1/applications", {
    name: `journey ${crypto.randomUUID()}`,
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function webhook(applicationId: string, url: string, settings: Record<string, unknown> = {}) {
  const res = await rig.api.call("POST", "/v1/webhooks", {
    application_id: applicationId,
    url,
    ...settings,
  });
  expect(res.status).toBe(201);
  return res.body as { id: string; secret: string };
}

async function events(webhookId: string): Promise<EventObject[]> {
  const res = await rig.api.call("GET", `/v1/events?webhook_id=${webhookId}`);
  expect(res.status).toBe(200);
  expect(res.body.object).toBe("list");
  return res.body.data;
}

/** The webhook's only event, once it has reached `status`. */
async function settled(webhookId: string, status: "success" | "failed") {
  return eventually(async () => {
    const list = await events(webhookId);
    expect(list).toHaveLength(1);
    expect(list[0]!.delivery_status).toBe(status);
    return list[0]!;
  });
}

/** What the bucket received, once it holds exactly `n` requests. */
async function receivedExactly(target: Hook, n: number): Promise<RecordedRequest[]> {
  return eventually(async () => {
    const { requests } = await target.received();
    expect(requests).toHaveLength(n);
    return requests;
  });
}

async function attempts(eventId: string) {
  const res = await rig.api.call("GET", `/v1/events/${eventId}/attempts`);
  expect(res.status).toBe(200);
  return res.body.data as Array<{ attempt: number; http_status_code: number; event_id: string }>;
}

/** The Standard Webhooks headers of one delivery, checked against the webhook's secret. */
function expectSigned(request: RecordedRequest, secret: string, eventId: string) {
  expect(request.method).toBe("POST");
  expect(request.headers["content-type"]).toMatch(/^application\/json/);
  expect(request.headers["user-agent"]).toMatch(/^hookrelay\//);
  expect(request.headers["webhook-id"]).toBe(eventId);
  const timestamp = Number(request.headers["webhook-timestamp"]);
  expect(Number.isInteger(timestamp)).toBe(true);
  expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(120);
  expect(request.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  // Throws unless the signature is right for this id, timestamp and body.
  new Webhook(secret).verify(request.body, {
    "webhook-id": request.headers["webhook-id"]!,
    "webhook-timestamp": request.headers["webhook-timestamp"]!,
    "webhook-signature": request.headers["webhook-signature"]!,
  });
}

describe("delivery journey", () => {
  test("a published message arrives byte for byte, signed, and the history says so", async () => {
    const target = hook();
    const app = await application();
    const config = await webhook(app, target.url);
    const payload = {
      amount: 2500,
      currency: "KES",
      customer: { name: "Ödön 😀" },
      tags: ["a", "b"],
      nested: { ok: true, none: null, ratio: 0.25 },
    };
    const messageId = await rig.api.publish(app, "charge.success", payload);
    const [request] = await receivedExactly(target, 1);
    expect(request!.body).toBe(JSON.stringify(payload));

    const event = await settled(config.id, "success");
    expect(event).toMatchObject({
      object: "event",
      webhook_id: config.id,
      message_id: messageId,
      type: "charge.success",
      delivery_status: "success",
      delivery_attempts: 1,
      http_status_code: 200,
      error_message: "",
      next_attempt_at: null,
    });
    expectSigned(request!, config.secret, event.id);
  });

  test("event types select what each webhook receives", async () => {
    const only = hook();
    const all = hook();
    const app = await application();
    const onlyConfig = await webhook(app, only.url, { event_types: ["a.created"] });
    const allConfig = await webhook(app, all.url);
    await rig.api.publish(app, "a.created", { n: 1 });
    await rig.api.publish(app, "b.created", { n: 2 });

    const toAll = await receivedExactly(all, 2);
    expect(toAll.map((r) => JSON.parse(r.body)).sort((x, y) => x.n - y.n)).toEqual([
      { n: 1 },
      { n: 2 },
    ]);
    const toOnly = await receivedExactly(only, 1);
    expect(JSON.parse(toOnly[0]!.body)).toEqual({ n: 1 });

    // The events lists agree: no b.created event was ever made for the filtered webhook.
    await eventually(async () => {
      const onlyEvents = await events(onlyConfig.id);
      expect(onlyEvents.map((e) => [e.type, e.delivery_status])).toEqual([
        ["a.created", "success"],
      ]);
      const allEvents = await events(allConfig.id);
      expect(allEvents.map((e) => [e.type, e.delivery_status]).sort()).toEqual([
        ["a.created", "success"],
        ["b.created", "success"],
      ]);
    });
    // Nothing more turned up for the filtered webhook while the lists settled.
    expect((await only.received()).requests).toHaveLength(1);
  });

  test("retries until the receiver answers 2xx, with one webhook-id", async () => {
    const target = hook();
    await target.script({
      responses: [{ status: 500 }, { status: 500 }],
      otherwise: { status: 200 },
    });
    const app = await application();
    const config = await webhook(app, target.url, {
      retry_policy: { schedule_seconds: [1, 1, 1] },
    });
    const payload = { retry: true, n: 3 };
    await rig.api.publish(app, "r.x", payload);

    const event = await settled(config.id, "success");
    expect(event).toMatchObject({
      delivery_attempts: 3,
      max_attempts: 4,
      http_status_code: 200,
      error_message: "",
    });

    const requests = await receivedExactly(target, 3);
    for (const request of requests) {
      expect(request.body).toBe(JSON.stringify(payload));
      expectSigned(request, config.secret, event.id);
    }
    // Each retry waited for its 1 s delay (less at most 10 % jitter).
    for (let i = 1; i < requests.length; i++)
      expect(requests[i]!.receivedAt - requests[i - 1]!.receivedAt).toBeGreaterThanOrEqual(850);

    const history = await attempts(event.id);
    expect(history.map((a) => [a.attempt, a.http_status_code])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
    expect(new Set(history.map((a) => a.event_id))).toEqual(new Set([event.id]));
  });

  test("exhausted retries fail the event; a manual retry then delivers it", async () => {
    const target = hook();
    await target.script({ otherwise: { status: 500, body: "down for maintenance" } });
    const app = await application();
    const config = await webhook(app, target.url, { retry_policy: { schedule_seconds: [1] } });
    await rig.api.publish(app, "f.x", { fail: true });

    // Exhaustion: two attempts, both 500, then failed for good.
    const failed = await settled(config.id, "failed");
    expect(failed).toMatchObject({
      delivery_attempts: 2,
      max_attempts: 2,
      http_status_code: 500,
      next_attempt_at: null,
    });
    expect(failed.error_message).not.toBe("");
    expect(await receivedExactly(target, 2)).toHaveLength(2);
    expect((await attempts(failed.id)).map((a) => a.http_status_code)).toEqual([500, 500]);

    // Manual retry: one fresh attempt, counted on top of the others.
    await target.script({ otherwise: { status: 200 } });
    const retried = await rig.api.call("POST", `/v1/events/${failed.id}/retry`);
    expect(retried.status).toBe(200);
    const event = await settled(config.id, "success");
    expect(event).toMatchObject({
      id: failed.id,
      delivery_attempts: 3,
      max_attempts: 3,
      http_status_code: 200,
      error_message: "",
    });
    const requests = await receivedExactly(target, 3);
    expect(new Set(requests.map((r) => r.headers["webhook-id"]))).toEqual(new Set([failed.id]));
    expectSigned(requests[2]!, config.secret, failed.id);
    expect((await attempts(failed.id)).map((a) => [a.attempt, a.http_status_code])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
  });

  test("the test event reaches a webhook that did not subscribe to it", async () => {
    const target = hook();
    const app = await application();
    const config = await webhook(app, target.url, { event_types: ["something.else"] });
    const before = Math.floor(Date.now() / 1000);
    const res = await rig.api.call("POST", `/v1/webhooks/${config.id}/test`);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ object: "event", webhook_id: config.id, type: "TEST_EVENT" });

    const [request] = await receivedExactly(target, 1);
    const body = JSON.parse(request!.body);
    expect(body).toEqual({
      content: { webhook_id: config.id },
      timestamp: expect.any(Number),
      type: "TEST_EVENT",
    });
    expect(Number.isInteger(body.timestamp)).toBe(true);
    expect(body.timestamp).toBeGreaterThanOrEqual(before - 5);
    expect(body.timestamp).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 5);
    // Exactly this byte shape, in this key order.
    expect(request!.body).toBe(
      `{"content":{"webhook_id":"${config.id}"},"timestamp":${body.timestamp},"type":"TEST_EVENT"}`,
    );
    expectSigned(request!, config.secret, res.body.id);

    const event = await settled(config.id, "success");
    expect(event).toMatchObject({
      id: res.body.id,
      type: "TEST_EVENT",
      delivery_attempts: 1,
      http_status_code: 200,
    });
  });

  test("health, the OpenAPI document and the docs page need no token", async () => {
    expect(await (await fetch(`${rig.relay.url}/v1/health`)).json()).toEqual({ status: "ok" });
    expect((await (await fetch(`${rig.relay.url}/openapi.json`)).json()).openapi).toBe("3.1.0");
    expect((await fetch(`${rig.relay.url}/docs`)).status).toBe(200);
    expect((await fetch(`${rig.relay.url}/v1/applications`)).status).toBe(401);
  });
});
