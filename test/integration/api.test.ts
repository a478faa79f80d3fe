import { describe, expect, inject, test } from "vitest";
import { api, createApplication, createWebhook, listEvents, publish } from "../helpers/api";
import { eventually } from "../helpers/eventually";
import { newHook } from "../helpers/hooks";

const receiverUrl = inject("receiverUrl");
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("events API (Bitnob's fields)", () => {
  test("an event has exactly SPEC §3's fields, with their types", async () => {
    const hook = newHook(receiverUrl);
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url);
    const message = await publish(app.id, "transfer.completed", { id: "tx_1" });
    const event = await eventually(async () => {
      const [e] = await listEvents(webhook.id);
      expect(e?.delivery_status).toBe("success");
      return e!;
    });
    expect(Object.keys(event).sort()).toEqual(
      [
        "object",
        "id",
        "webhook_id",
        "message_id",
        "type",
        "delivery_status",
        "delivery_attempts",
        "max_attempts",
        "http_status_code",
        "error_message",
        "next_attempt_at",
        "created_at",
        "updated_at",
      ].sort(),
    );
    expect(event).toMatchObject({
      object: "event",
      webhook_id: webhook.id,
      message_id: message.id,
      type: "transfer.completed",
      delivery_status: "success",
      delivery_attempts: 1,
      max_attempts: 8,
      http_status_code: 200,
      error_message: "",
      next_attempt_at: null,
    });
    expect(event.id).toMatch(UUID);
    expect(event.created_at).toMatch(RFC3339);
    expect(event.updated_at).toMatch(RFC3339);

    const one = await api("GET", `/v1/events/${event.id}?webhook_id=${webhook.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(event);
    const wrongWebhook = await api(
      "GET",
      `/v1/events/${event.id}?webhook_id=${crypto.randomUUID()}`,
    );
    expect(wrongWebhook.status).toBe(404);

    const attempts = await api("GET", `/v1/events/${event.id}/attempts`);
    expect(attempts.body.object).toBe("list");
    expect(attempts.body.data).toHaveLength(1);
    expect(Object.keys(attempts.body.data[0]).sort()).toEqual(
      [
        "object",
        "id",
        "event_id",
        "attempt",
        "started_at",
        "duration_ms",
        "http_status_code",
        "response_body",
        "error_message",
        "created_at",
      ].sort(),
    );
    expect(attempts.body.data[0]).toMatchObject({
      attempt: 1,
      http_status_code: 200,
      response_body: "ok",
      error_message: "",
    });

    const withMessage = await api("GET", `/v1/messages/${message.id}`);
    expect(withMessage.body.events.map((e: any) => e.id)).toEqual([event.id]);
    expect(withMessage.body.payload).toEqual({ id: "tx_1" });
  });

  test("lists need webhook_id, filter by delivery_status and page with a cursor, newest first", async () => {
    const hook = newHook(receiverUrl);
    await hook.script({ responses: [{ status: 500 }], otherwise: { status: 200 } });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, {
      retry_policy: { schedule_seconds: [] },
    });
    expect((await api("GET", "/v1/events")).status).toBe(422);
    for (let i = 0; i < 5; i++) await publish(app.id, "p.q", { i });
    const all = await eventually(async () => {
      const events = await listEvents(webhook.id);
      expect(events.filter((e) => ["success", "failed"].includes(e.delivery_status))).toHaveLength(
        5,
      );
      return events;
    });
    expect(all.map((e) => e.id)).toEqual([...all.map((e) => e.id)].sort().reverse());
    const failed = await listEvents(webhook.id, "&delivery_status=failed");
    expect(failed).toHaveLength(1);
    const page1 = await api("GET", `/v1/events?webhook_id=${webhook.id}&limit=2`);
    expect(page1.body.data).toHaveLength(2);
    const page2 = await api(
      "GET",
      `/v1/events?webhook_id=${webhook.id}&limit=2&cursor=${page1.body.next_cursor}`,
    );
    const page3 = await api(
      "GET",
      `/v1/events?webhook_id=${webhook.id}&limit=2&cursor=${page2.body.next_cursor}`,
    );
    expect(page3.body.next_cursor).toBeNull();
    expect(
      [...page1.body.data, ...page2.body.data, ...page3.body.data].map((e: any) => e.id),
    ).toEqual(all.map((e) => e.id));
    const badCursor = await api("GET", `/v1/events?webhook_id=${webhook.id}&cursor=garbage`);
    expect(badCursor.status).toBe(422);
    expect(badCursor.body.errors[0].path).toBe("cursor");
  });

  test("retry re-sends a failed event as one fresh attempt: attempts keep counting, max grows by one", async () => {
    const hook = newHook(receiverUrl);
    await hook.script({
      responses: [{ status: 500 }, { status: 500 }],
      otherwise: { status: 200 },
    });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, {
      retry_policy: { schedule_seconds: [] },
    });
    await publish(app.id, "p.q", {});
    const failed = await eventually(async () => {
      const [e] = await listEvents(webhook.id, "&delivery_status=failed");
      expect(e).toBeDefined();
      return e!;
    });
    expect(failed).toMatchObject({ delivery_attempts: 1, max_attempts: 1 });
    // The manual attempt fails too, and is not retried by itself.
    const retried = await api("POST", `/v1/events/${failed.id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body.max_attempts).toBe(2);
    const second = await eventually(async () => {
      const e = (await api("GET", `/v1/events/${failed.id}`)).body;
      expect(e.delivery_attempts).toBe(2);
      expect(e.delivery_status).toBe("failed");
      return e;
    });
    expect(second.max_attempts).toBe(2);
    expect((await api("POST", `/v1/events/${failed.id}/retry`, {})).status).toBe(200);
    const third = await eventually(async () => {
      const e = (await api("GET", `/v1/events/${failed.id}`)).body;
      expect(e.delivery_status).toBe("success");
      return e;
    });
    expect(third).toMatchObject({
      delivery_attempts: 3,
      max_attempts: 3,
      http_status_code: 200,
      error_message: "",
    });
    // Success events can be re-sent as well.
    expect((await api("POST", `/v1/events/${failed.id}/retry`)).status).toBe(200);
    await eventually(async () => expect((await hook.received()).requests).toHaveLength(4));
  });

  test("recover re-sends a webhook's failed events in the window", async () => {
    const hook = newHook(receiverUrl);
    await hook.script({
      responses: [{ status: 500 }, { status: 500 }, { status: 500 }],
      otherwise: { status: 200 },
    });
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, {
      retry_policy: { schedule_seconds: [] },
    });
    const since = new Date(Date.now() - 1000).toISOString();
    for (let i = 0; i < 3; i++) await publish(app.id, "p.q", { i });
    await eventually(async () =>
      expect(await listEvents(webhook.id, "&delivery_status=failed")).toHaveLength(3),
    );
    const empty = await api("POST", `/v1/webhooks/${webhook.id}/recover`, {
      since: "2000-01-01T00:00:00Z",
      until: "2000-01-02T00:00:00Z",
    });
    expect(empty.status).toBe(202);
    expect(empty.body.count).toBe(0);
    const recovered = await api("POST", `/v1/webhooks/${webhook.id}/recover`, { since });
    expect(recovered.status).toBe(202);
    expect(recovered.body).toMatchObject({ object: "recovery", webhook_id: webhook.id, count: 3 });
    await eventually(async () =>
      expect(await listEvents(webhook.id, "&delivery_status=success")).toHaveLength(3),
    );
    const bad = await api("POST", `/v1/webhooks/${webhook.id}/recover`, { since: "yesterday" });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].path).toBe("since");
  });

  test("the test event reaches a webhook whatever its event_types", async () => {
    const hook = newHook(receiverUrl);
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url, { event_types: ["only.this"] });
    const res = await api("POST", `/v1/webhooks/${webhook.id}/test`);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ object: "event", type: "TEST_EVENT", webhook_id: webhook.id });
    const request = await eventually(async () => {
      const { requests } = await hook.received();
      expect(requests).toHaveLength(1);
      return requests[0]!;
    });
    const body = JSON.parse(request.body);
    expect(body).toEqual({
      content: { webhook_id: webhook.id },
      timestamp: expect.any(Number),
      type: "TEST_EVENT",
    });
    expect(Math.abs(body.timestamp - Date.now() / 1000)).toBeLessThan(60);
    const [listed] = await listEvents(webhook.id);
    expect(listed).toMatchObject({ id: res.body.id, type: "TEST_EVENT" });
  });
});

describe("publishing", () => {
  test("the same idempotency key returns the first message (200) and delivers once", async () => {
    const hook = newHook(receiverUrl);
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url);
    const first = await api(
      "POST",
      "/v1/messages",
      { application_id: app.id, event_type: "a.b", payload: { n: 1 } },
      { headers: { "idempotency-key": "key-1" } },
    );
    expect(first.status).toBe(202);
    const second = await api("POST", "/v1/messages", {
      application_id: app.id,
      event_type: "a.b",
      payload: { n: 2 },
      idempotency_key: "key-1",
    });
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.payload).toEqual({ n: 1 });
    const both = await api(
      "POST",
      "/v1/messages",
      { application_id: app.id, event_type: "a.b", payload: {}, idempotency_key: "key-2" },
      { headers: { "idempotency-key": "key-3" } },
    );
    expect(both.status).toBe(422);
    expect(both.body.errors[0].path).toBe("idempotency_key");
    // Another application may use the same key.
    const other = await createApplication();
    const elsewhere = await api("POST", "/v1/messages", {
      application_id: other.id,
      event_type: "a.b",
      payload: {},
      idempotency_key: "key-1",
    });
    expect(elsewhere.status).toBe(202);
    // A sentinel message proves the queue has moved past the duplicate.
    await publish(app.id, "a.b", { sentinel: true });
    await eventually(async () => expect((await hook.received()).requests).toHaveLength(2));
    const bodies = (await hook.received()).requests.map((r) => JSON.parse(r.body));
    expect(bodies).toEqual(expect.arrayContaining([{ n: 1 }, { sentinel: true }]));
    expect(await listEvents(webhook.id)).toHaveLength(2);
  });

  test("the payload is delivered byte for byte, unicode included", async () => {
    const hook = newHook(receiverUrl);
    const app = await createApplication();
    await createWebhook(app.id, hook.url);
    const payload = {
      name: "Zoë 🚀 日本",
      nested: [1, { deep: null }],
      big: 12345678901234,
      f: 1.5,
    };
    await publish(app.id, "u.x", payload);
    const [request] = await eventually(async () => {
      const { requests } = await hook.received();
      expect(requests).toHaveLength(1);
      return requests;
    });
    expect(request!.body).toBe(JSON.stringify(payload));
  });

  test("jsonapi: Bitex's envelope with the payload as the included resource", async () => {
    const hook = newHook(receiverUrl);
    const app = await createApplication();
    await createWebhook(app.id, hook.url, { payload_format: "jsonapi" });
    const message = await publish(
      app.id,
      "order.filled",
      { price: "10.5" },
      { resource: { type: "orders", id: "ord_9" } },
    );
    const [request] = await eventually(async () => {
      const { requests } = await hook.received();
      expect(requests).toHaveLength(1);
      return requests;
    });
    const body = JSON.parse(request!.body);
    expect(body).toEqual({
      data: {
        type: "events",
        id: message.id,
        attributes: {
          event_type: "order.filled",
          created_at: message.created_at,
          sent_at: expect.stringMatching(RFC3339),
        },
        relationships: { resource: { data: { type: "orders", id: "ord_9" } } },
      },
      included: [{ type: "orders", id: "ord_9", attributes: { price: "10.5" } }],
    });
  });

  test("publishing to an unknown application is 404 and stores nothing", async () => {
    const res = await api("POST", "/v1/messages", {
      application_id: crypto.randomUUID(),
      event_type: "a.b",
      payload: {},
    });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.body.detail).toMatch(/application_id/);
  });
});

describe("webhooks", () => {
  test("the 11th webhook of an application is 409", async () => {
    const app = await createApplication();
    for (let i = 0; i < 10; i++) await createWebhook(app.id, `https://example.com/h/${i}`);
    const res = await api("POST", "/v1/webhooks", {
      application_id: app.id,
      url: "https://example.com/h/10",
    });
    expect(res.status).toBe(409);
    expect(res.body.status).toBe(409);
    const list = await api("GET", `/v1/webhooks?application_id=${app.id}&limit=100`);
    expect(list.body.data).toHaveLength(10);
    // The limit is per application.
    const raised = await api("PATCH", `/v1/applications/${app.id}`, { webhook_limit: 11 });
    expect(raised.status).toBe(200);
    expect(
      (
        await api("POST", "/v1/webhooks", {
          application_id: app.id,
          url: "https://example.com/h/10",
        })
      ).status,
    ).toBe(201);
  });

  test("the secret shows only on create, GET …/secret and rotate; rotation signs with both for 24 h", async () => {
    const hook = newHook(receiverUrl);
    const app = await createApplication();
    const webhook = await createWebhook(app.id, hook.url);
    expect(webhook.secret).toMatch(/^whsec_/);
    const got = await api("GET", `/v1/webhooks/${webhook.id}`);
    expect(JSON.stringify(got.body)).not.toContain(webhook.secret);
    const list = await api("GET", `/v1/webhooks?application_id=${app.id}`);
    expect(JSON.stringify(list.body)).not.toContain("whsec_");
    const secret = await api("GET", `/v1/webhooks/${webhook.id}/secret`);
    expect(secret.body.secret).toBe(webhook.secret);
    const rotated = await api("POST", `/v1/webhooks/${webhook.id}/secret/rotate`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(webhook.secret);
    const expires = Date.parse(rotated.body.previous_secret_expires_at) - Date.now();
    expect(expires).toBeGreaterThan(23.9 * 3600_000);
    expect(expires).toBeLessThanOrEqual(24 * 3600_000);
    await api("POST", `/v1/webhooks/${webhook.id}/test`);
    const [request] = await eventually(async () => {
      const { requests } = await hook.received();
      expect(requests).toHaveLength(1);
      return requests;
    });
    const { Webhook } = await import("standardwebhooks");
    const headers = {
      "webhook-id": request!.headers["webhook-id"]!,
      "webhook-timestamp": request!.headers["webhook-timestamp"]!,
      "webhook-signature": request!.headers["webhook-signature"]!,
    };
    expect(headers["webhook-signature"].split(" ")).toHaveLength(2);
    expect(() => new Webhook(rotated.body.secret).verify(request!.body, headers)).not.toThrow();
    expect(() => new Webhook(webhook.secret).verify(request!.body, headers)).not.toThrow();
    const chosen = `whsec_${btoa("k".repeat(32))}`;
    const toGiven = await api("POST", `/v1/webhooks/${webhook.id}/secret/rotate`, {
      secret: chosen,
    });
    expect(toGiven.body.secret).toBe(chosen);
  });

  test("fifo forces max_in_flight to 1; disabling and re-enabling record the reason", async () => {
    const app = await createApplication();
    const webhook = await createWebhook(app.id, "https://example.com/f", {
      ordering: "fifo",
      max_in_flight: 5,
    });
    expect(webhook.max_in_flight).toBe(1);
    const off = await api("PATCH", `/v1/webhooks/${webhook.id}`, { enabled: false });
    expect(off.body).toMatchObject({ enabled: false, disabled_reason: "manual" });
    const on = await api("PATCH", `/v1/webhooks/${webhook.id}`, {
      enabled: true,
      ordering: "none",
      max_in_flight: 4,
    });
    expect(on.body).toMatchObject({ enabled: true, disabled_reason: null, max_in_flight: 4 });
    expect((await api("DELETE", `/v1/webhooks/${webhook.id}`)).status).toBe(200);
    expect((await api("GET", `/v1/webhooks/${webhook.id}`)).status).toBe(404);
  });
});

describe("documentation", () => {
  test("/openapi.json is OpenAPI 3.1 with every route, and /docs renders it", async () => {
    const doc = await api("GET", "/openapi.json", undefined, { token: null });
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe("3.1.0");
    const operations = Object.values(doc.body.paths).flatMap((item: any) =>
      Object.values(item).map((op: any) => op.operationId),
    );
    expect(operations).toEqual(
      expect.arrayContaining([
        "getHealth",
        "createApplication",
        "listApplications",
        "createWebhook",
        "rotateWebhookSecret",
        "sendTestEvent",
        "recoverWebhook",
        "publishMessage",
        "getMessage",
        "listEvents",
        "getEvent",
        "retryEvent",
        "listAttempts",
      ]),
    );
    expect(doc.body.components.schemas.Event.properties).toHaveProperty("delivery_status");
    const page = await api("GET", "/docs", undefined, { token: null });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(page.body).toContain("/openapi.json");
  });
});
