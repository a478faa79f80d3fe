/**
 * POST /v1/messages/batch (SPEC §7.1): up to 100 items, each answered as a
 * single publish would be, in order; a refused item stores nothing and
 * blocks nothing; the accepted ones are delivered once per matching webhook.
 */
import { describe, expect, inject, test } from "vitest";
import { api, createApplication, createWebhook } from "../helpers/api";
import { eventually } from "../helpers/eventually";
import { drained } from "../helpers/drain";
import { recordedMessageCount } from "../helpers/history";
import { newHook } from "../helpers/hooks";
import { createKey } from "./security/tenants";

const receiverUrl = inject("receiverUrl");
const MAX_PAYLOAD = 262_144;

const recordedCount = recordedMessageCount;

describe("batch publish", () => {
  test("a mixed batch: each item answered as a single publish would be, only the accepted stored and delivered once", async () => {
    const hookA = newHook(receiverUrl);
    const hookB = newHook(receiverUrl);
    const app = await createApplication();
    const other = await createApplication();
    const paid = await createWebhook(app.id, hookA.url, { event_types: ["order.paid"] });
    await createWebhook(app.id, hookB.url);
    const publisher = await createKey({ name: "p", scope: "publisher", application_id: app.id });
    const item = (extra: Record<string, unknown>) => ({
      application_id: app.id,
      event_type: "order.paid",
      payload: { n: 0 },
      ...extra,
    });
    const items = [
      item({ payload: { n: 1 } }),
      item({ event_type: 5 }),
      item({ application_id: crypto.randomUUID() }),
      item({ payload: { big: "x".repeat(MAX_PAYLOAD) } }),
      item({ payload: { n: 2 }, idempotency_key: "dup" }),
      item({ payload: { n: 3 }, idempotency_key: "dup" }),
      item({ application_id: other.id }),
      item({ event_type: "order.created", payload: { n: 4 } }),
      "not an object",
    ];
    const res = await api("POST", "/v1/messages/batch", { messages: items }, { token: publisher.key });
    expect(res.status).toBe(200);
    expect(res.body.object).toBe("list");
    const data = res.body.data as any[];
    expect(data.map((e) => e.index)).toEqual(items.map((_, i) => i));
    expect(data.map((e) => e.status)).toEqual([202, 422, 404, 413, 202, 200, 404, 202, 422]);
    expect(data[1].error).toMatchObject({ status: 422, errors: [{ path: "event_type" }] });
    expect(data[2].error).toMatchObject({ status: 404, title: "Not Found" });
    expect(data[3].error).toMatchObject({ status: 413 });
    // Another tenant's application under a confined key: as if it did not exist.
    expect(data[6].error).toMatchObject({ status: 404 });
    expect(data[5].message.id).toBe(data[4].message.id);
    expect(data[5].message.payload).toEqual({ n: 2 });
    for (const i of [0, 4, 7]) {
      expect(data[i].message).toMatchObject({ object: "message", application_id: app.id });
    }

    // Delivered once per matching webhook: hookA wants order.paid (n 1, 2), hookB everything.
    await drained(app.id, other.id);
    expect(
      (await hookA.received()).requests.map((r) => JSON.parse(r.body).n).sort(),
    ).toEqual([1, 2]);
    expect(
      (await hookB.received()).requests.map((r) => JSON.parse(r.body).n).sort(),
    ).toEqual([1, 2, 4]);
    expect(await recordedCount(app.id)).toBe(3);
    expect(await recordedCount(other.id)).toBe(0);
    const events = await api("GET", `/v1/events?webhook_id=${paid.id}`);
    expect(events.body.data).toHaveLength(2);

    // The key holds across batches and single publishes.
    const again = await api("POST", "/v1/messages/batch", {
      messages: [item({ payload: { n: 9 }, idempotency_key: "dup" })],
    });
    expect(again.body.data[0]).toMatchObject({ status: 200, message: { id: data[4].message.id } });
    const single = await api("POST", "/v1/messages", item({ payload: {}, idempotency_key: "dup" }));
    expect(single.status).toBe(200);
    expect(single.body.id).toBe(data[4].message.id);
  });

  test("an empty, missing or oversized list is 422; a body over four payloads is 413", async () => {
    const app = await createApplication();
    const one = { application_id: app.id, event_type: "a", payload: {} };
    for (const body of [{}, { messages: [] }, { messages: Array(101).fill(one) }, { messages: one }]) {
      const res = await api("POST", "/v1/messages/batch", body);
      expect(res.status).toBe(422);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.body.errors[0].path).toMatch(/^messages/);
    }
    const huge = { messages: [{ ...one, payload: "y".repeat(4 * MAX_PAYLOAD) }] };
    const tooLarge = await api("POST", "/v1/messages/batch", huge);
    expect(tooLarge.status).toBe(413);
    // Up to four payloads' worth is fine: each item is held to one.
    const big = "z".repeat(MAX_PAYLOAD - 100);
    const fits = await api("POST", "/v1/messages/batch", {
      messages: [1, 2, 3].map((n) => ({ ...one, payload: { n, big } })),
    });
    expect(fits.status).toBe(200);
    expect(fits.body.data.map((e: any) => e.status)).toEqual([202, 202, 202]);
    await eventually(async () => expect(await recordedCount(app.id)).toBe(3));
  });

  test("each item's payload reaches the receiver byte for byte", async () => {
    const hook = newHook(receiverUrl);
    const app = await createApplication();
    await createWebhook(app.id, hook.url);
    const payloads = ['{"amount_wei":12345678901234567890123}', '[1e400, -0, 0.10000000000000000001]'];
    const raw = `{"messages":[${payloads
      .map((p) => `{"application_id":"${app.id}","event_type":"exact", "payload" : ${p} }`)
      .join(" , ")}]}`;
    const res = await api("POST", "/v1/messages/batch", undefined, {
      raw,
      headers: { "content-type": "application/json" },
    });
    expect(res.body.data.map((e: any) => e.status)).toEqual([202, 202]);
    await eventually(async () => {
      const bodies = (await hook.received()).requests.map((r) => r.body);
      expect(bodies.sort()).toEqual([...payloads].sort());
    });
  });

  test("a reader may not publish a batch", async () => {
    const app = await createApplication();
    const reader = await createKey({ name: "r", scope: "reader", application_id: app.id });
    const res = await api(
      "POST",
      "/v1/messages/batch",
      { messages: [{ application_id: app.id, event_type: "a", payload: {} }] },
      { token: reader.key },
    );
    expect(res.status).toBe(403);
  });
});
