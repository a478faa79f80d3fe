/**
 * Black-box: the relay started as `npm start` starts it, webhooks pointing at
 * a real receiver on loopback, and only the public API.
 */
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { newHook } from "../helpers/hooks";
import { type Receiver, startReceiver } from "../helpers/receiver";
import { type Relay, relayApi, startRelay } from "../helpers/server";

let relay: Relay;
let receiver: Receiver;
let api: ReturnType<typeof relayApi>;

beforeAll(async () => {
  [relay, receiver] = await Promise.all([startRelay(), startReceiver()]);
  api = relayApi(relay);
});

afterAll(async () => {
  await relay?.stop();
  await receiver?.close();
});

const eventually = <T>(check: () => Promise<T>) =>
  vi.waitFor(check, { timeout: 30_000, interval: 200 });

async function application() {
  const res = await api.call("POST", "/v1/applications", {
    name: `journey ${crypto.randomUUID()}`,
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function webhook(applicationId: string, url: string, settings: Record<string, unknown> = {}) {
  const res = await api.call("POST", "/v1/webhooks", {
    application_id: applicationId,
    url,
    ...settings,
  });
  expect(res.status).toBe(201);
  return res.body as { id: string; secret: string };
}

async function publish(applicationId: string, eventType: string, payload: unknown) {
  const res = await api.call("POST", "/v1/messages", {
    application_id: applicationId,
    event_type: eventType,
    payload,
  });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

async function events(webhookId: string) {
  const res = await api.call("GET", `/v1/events?webhook_id=${webhookId}`);
  expect(res.status).toBe(200);
  return res.body.data as Array<Record<string, any>>;
}

describe("delivery journey", () => {
  test("a published message arrives byte for byte, signed, and the history says so", async () => {
    const hook = newHook(receiver.url);
    const app = await application();
    const hookConfig = await webhook(app, hook.url);
    const payload = { amount: 2500, currency: "KES", customer: { name: "Ödön" } };
    await publish(app, "charge.success", payload);
    const [request] = await eventually(async () => {
      const { requests } = await hook.received();
      expect(requests).toHaveLength(1);
      return requests;
    });
    expect(request!.body).toBe(JSON.stringify(payload));
    new Webhook(hookConfig.secret).verify(request!.body, {
      "webhook-id": request!.headers["webhook-id"]!,
      "webhook-timestamp": request!.headers["webhook-timestamp"]!,
      "webhook-signature": request!.headers["webhook-signature"]!,
    });
    const [event] = await eventually(async () => {
      const list = await events(hookConfig.id);
      expect(list[0]?.delivery_status).toBe("success");
      return list;
    });
    expect(event).toMatchObject({
      delivery_attempts: 1,
      http_status_code: 200,
      error_message: "",
      type: "charge.success",
    });
    expect(event!.id).toBe(request!.headers["webhook-id"]);
  });

  test("event types select what each webhook receives", async () => {
    const only = newHook(receiver.url);
    const all = newHook(receiver.url);
    const app = await application();
    const onlyHook = await webhook(app, only.url, { event_types: ["a.created"] });
    const allHook = await webhook(app, all.url);
    await publish(app, "a.created", { n: 1 });
    await publish(app, "b.created", { n: 2 });
    await eventually(async () => expect((await all.received()).requests).toHaveLength(2));
    expect((await only.received()).requests.map((r) => JSON.parse(r.body))).toEqual([{ n: 1 }]);
    expect((await events(onlyHook.id)).map((e) => e.type)).toEqual(["a.created"]);
    expect((await events(allHook.id)).map((e) => e.type).sort()).toEqual([
      "a.created",
      "b.created",
    ]);
  });

  test("retries until the receiver answers 2xx, with one webhook-id", async () => {
    const hook = newHook(receiver.url);
    await hook.script({
      responses: [{ status: 500 }, { status: 500 }],
      otherwise: { status: 200 },
    });
    const app = await application();
    const hookConfig = await webhook(app, hook.url, {
      retry_policy: { schedule_seconds: [1, 1, 1] },
    });
    await publish(app, "r.x", { retry: true });
    const [event] = await eventually(async () => {
      const list = await events(hookConfig.id);
      expect(list[0]?.delivery_status).toBe("success");
      return list;
    });
    expect(event!.delivery_attempts).toBe(3);
    const { requests } = await hook.received();
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => r.headers["webhook-id"]))).toEqual(new Set([event!.id]));
    const attempts = await api.call("GET", `/v1/events/${event!.id}/attempts`);
    expect(attempts.body.data.map((a: any) => a.http_status_code)).toEqual([500, 500, 200]);
  });

  test("exhausted retries fail the event; a manual retry then delivers it", async () => {
    const hook = newHook(receiver.url);
    await hook.script({ otherwise: { status: 500 } });
    const app = await application();
    const hookConfig = await webhook(app, hook.url, { retry_policy: { schedule_seconds: [1] } });
    await publish(app, "f.x", { fail: true });
    const [failed] = await eventually(async () => {
      const list = await events(hookConfig.id);
      expect(list[0]?.delivery_status).toBe("failed");
      return list;
    });
    expect(failed).toMatchObject({ delivery_attempts: 2, max_attempts: 2, http_status_code: 500 });
    expect(failed!.error_message).not.toBe("");

    await hook.script({ otherwise: { status: 200 } });
    const retried = await api.call("POST", `/v1/events/${failed!.id}/retry`);
    expect(retried.status).toBe(200);
    await eventually(async () => {
      const [event] = await events(hookConfig.id);
      expect(event).toMatchObject({
        delivery_status: "success",
        delivery_attempts: 3,
        max_attempts: 3,
      });
    });
  });

  test("the test event reaches a webhook that did not subscribe to it", async () => {
    const hook = newHook(receiver.url);
    const app = await application();
    const hookConfig = await webhook(app, hook.url, { event_types: ["something.else"] });
    const res = await api.call("POST", `/v1/webhooks/${hookConfig.id}/test`);
    expect(res.status).toBe(202);
    expect(res.body.type).toBe("TEST_EVENT");
    const [request] = await eventually(async () => {
      const { requests } = await hook.received();
      expect(requests).toHaveLength(1);
      return requests;
    });
    expect(JSON.parse(request!.body)).toEqual({
      content: { webhook_id: hookConfig.id },
      timestamp: expect.any(Number),
      type: "TEST_EVENT",
    });
    await eventually(async () => {
      const [event] = await events(hookConfig.id);
      expect(event).toMatchObject({ type: "TEST_EVENT", delivery_status: "success" });
    });
  });

  test("health, the OpenAPI document and the docs page need no token", async () => {
    expect(await (await fetch(`${relay.url}/v1/health`)).json()).toEqual({ status: "ok" });
    expect((await (await fetch(`${relay.url}/openapi.json`)).json()).openapi).toBe("3.1.0");
    expect((await fetch(`${relay.url}/docs`)).status).toBe(200);
    expect((await fetch(`${relay.url}/v1/applications`)).status).toBe(401);
  });
});
