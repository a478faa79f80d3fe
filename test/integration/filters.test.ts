/**
 * Payload filters through the API and the delivery path (SPEC §7.5): the
 * field on create, PATCH and read; 422s naming the offending path with
 * nothing stored; `filter/test`; fan-out creating events only for matching
 * messages, without an extra D1 query; and hostile filters never a 5xx.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, inject, test } from "vitest";
import { createDb } from "../../src/db/client";
import { meterD1, newUsage } from "../../src/db/metered";
import { fanOut } from "../../src/delivery/fan-out/fan-out";
import { makeDeps } from "../../src/deps";
import type { Message } from "../../src/domain/message";
import { uuidv7 } from "../../src/lib/ids";
import { api, createApplication, createWebhook, listEvents, publish } from "../helpers/api";
import { eventually } from "../helpers/eventually";
import { recordedMessageCount } from "../helpers/history";
import { newHook } from "../helpers/hooks";

const receiverUrl = inject("receiverUrl");

const BIG_NGN = { "payload.amount": { $gte: 1000 }, "payload.currency": "NGN" };

describe("the filter field", () => {
  test("create, read, PATCH, clear; OpenAPI lists it", async () => {
    const app = await createApplication();
    const created = await createWebhook(app.id, "https://example.com/h", { filter: BIG_NGN });
    expect(created.filter).toEqual(BIG_NGN);
    expect((await api("GET", `/v1/webhooks/${created.id}`)).body.filter).toEqual(BIG_NGN);

    const plain = await createWebhook(app.id, "https://example.com/h");
    expect(plain.filter).toBeNull();

    const next = { $or: [{ event_type: "order.refunded" }, { "payload.items.0.sku": "A-1" }] };
    const patched = await api("PATCH", `/v1/webhooks/${created.id}`, { filter: next });
    expect(patched.status).toBe(200);
    expect(patched.body.filter).toEqual(next);
    // Another change leaves the filter alone.
    expect((await api("PATCH", `/v1/webhooks/${created.id}`, { name: "n" })).body.filter).toEqual(next);
    const cleared = await api("PATCH", `/v1/webhooks/${created.id}`, { filter: null });
    expect(cleared.body.filter).toBeNull();

    const doc = (await api("GET", "/openapi.json")).body;
    expect(doc.components.schemas.Webhook.properties).toHaveProperty("filter");
    expect(doc.components.schemas.CreateWebhook.properties).toHaveProperty("filter");
    expect(doc.components.schemas.UpdateWebhook.properties).toHaveProperty("filter");
    expect(doc.paths["/v1/webhooks/{id}/filter/test"].post.operationId).toBe("testWebhookFilter");
  });

  test.each<[string, unknown, string]>([
    ["a path outside event_type and payload", { "data.amount": 1 }, "filter.data.amount"],
    ["an operator's operand", { "payload.amount": { $gt: true } }, "filter.payload.amount.$gt"],
    ["deep inside combinators", { $or: [{ "payload.a": 1 }, { $not: { "payload.b": { $regex: "x" } } }] }, "filter.$or.1.$not.payload.b.$regex"],
    ["an empty $and", { $and: [] }, "filter.$and"],
    ["$in not an array", { "payload.a": { $in: "NGN" } }, "filter.payload.a.$in"],
    ["an array", [{ "payload.a": 1 }], "filter"],
    ["a string", "payload.a", "filter"],
    ["over 4 KiB", { "payload.a": "x".repeat(5000) }, "filter"],
    ["too deep", { "payload.a": [[[[[[[[1]]]]]]]] }, "filter"],
  ])("422 names the offending path: %s", async (_name, filter, path) => {
    const app = await createApplication();
    const refused = await api("POST", "/v1/webhooks", { application_id: app.id, url: "https://example.com/h", filter });
    expect(refused.status).toBe(422);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect(refused.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    // Nothing stored on refusal.
    expect((await api("GET", `/v1/webhooks?application_id=${app.id}`)).body.data).toEqual([]);

    const webhook = await createWebhook(app.id, "https://example.com/h", { filter: BIG_NGN });
    const patch = await api("PATCH", `/v1/webhooks/${webhook.id}`, { filter });
    expect(patch.status).toBe(422);
    expect(patch.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect((await api("GET", `/v1/webhooks/${webhook.id}`)).body.filter).toEqual(BIG_NGN);
  });

  test("filter/test answers matches without storing anything; no filter matches all", async () => {
    const app = await createApplication();
    const webhook = await createWebhook(app.id, "https://example.com/h", { filter: BIG_NGN });
    const test1 = await api("POST", `/v1/webhooks/${webhook.id}/filter/test`, {
      event_type: "order.paid",
      payload: { amount: 5000, currency: "NGN" },
    });
    expect(test1).toMatchObject({ status: 200, body: { matches: true } });
    const test2 = await api("POST", `/v1/webhooks/${webhook.id}/filter/test`, {
      event_type: "order.paid",
      payload: { amount: 5, currency: "NGN" },
    });
    expect(test2.body).toEqual({ matches: false });

    const open = await createWebhook(app.id, "https://example.com/h");
    const test3 = await api("POST", `/v1/webhooks/${open.id}/filter/test`, { event_type: "x", payload: null });
    expect(test3.body).toEqual({ matches: true });

    const bad = await api("POST", `/v1/webhooks/${webhook.id}/filter/test`, { event_type: "x" });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].path).toBe("payload");
    // Stored nothing: no message, no event.
    expect(await listEvents(webhook.id)).toEqual([]);
    expect(await recordedMessageCount(app.id)).toBe(0);
  });
});

describe("delivery honours the filter", () => {
  test("a non-matching message creates no event; a matching one is delivered", async () => {
    const filtered = newHook(receiverUrl);
    const everything = newHook(receiverUrl);
    const app = await createApplication();
    const picky = await createWebhook(app.id, filtered.url, { filter: BIG_NGN });
    const all = await createWebhook(app.id, everything.url);

    const small = await publish(app.id, "order.paid", { amount: 10, currency: "NGN" });
    const usd = await publish(app.id, "order.paid", { amount: 5000, currency: "USD" });
    // Sent as text: the number 1e400 must survive parsing for the filter.
    const big = (
      await api("POST", "/v1/messages", undefined, {
        headers: { "content-type": "application/json" },
        raw: `{"application_id":"${app.id}","event_type":"order.paid","payload":{"amount":5000,"currency":"NGN","note":1e400}}`,
      })
    ).body as { id: string };

    await eventually(async () => expect((await everything.received()).requests).toHaveLength(3));
    await eventually(async () => expect((await filtered.received()).requests).toHaveLength(1));
    const [delivered] = (await filtered.received()).requests;
    // Byte for byte what was published, number text included.
    expect(delivered!.body).toBe('{"amount":5000,"currency":"NGN","note":1e400}');

    await eventually(async () => {
      const events = await listEvents(picky.id);
      expect(events.map((e) => e.message_id)).toEqual([big.id]);
      expect(events[0]!.delivery_status).toBe("success");
    });
    expect((await listEvents(all.id)).map((e) => e.message_id).sort()).toEqual([small.id, usd.id, big.id].sort());
    // The message records only the webhooks it went to.
    const small1 = await api("GET", `/v1/messages/${small.id}`);
    expect(small1.body.events.map((e: { webhook_id: string }) => e.webhook_id)).toEqual([all.id]);
  });

  test("filters cost fan-out no D1 query", async () => {
    const hook = newHook(receiverUrl);
    const app = await createApplication();
    const hooks = await Promise.all(
      [{ "payload.n": { $lt: 5 } }, { "payload.n": { $gte: 5 } }, { event_type: "other" }].map((filter) =>
        createWebhook(app.id, hook.url, { filter }),
      ),
    );
    const messages: Message[] = Array.from({ length: 10 }, (_, n) => ({
      id: uuidv7(),
      applicationId: app.id,
      eventType: "tick",
      payload: JSON.stringify({ n }),
      idempotencyKey: null,
      resourceType: null,
      resourceId: null,
      createdAt: new Date().toISOString(),
      requestId: "test",
      shard: `${app.id}/0`,
    }));
    const usage = newUsage();
    await fanOut({ ...makeDeps(env), db: createDb(meterD1(env.DB, usage)) }, [{ kind: "publish", messages }]);
    // The webhooks and which applications exist, as without filters (the
    // message rows go to a history shard).
    expect(usage.queries).toBe(2);
    await eventually(async () => expect((await hook.received()).requests).toHaveLength(10));
    await eventually(async () => {
      expect(await listEvents(hooks[0]!.id)).toHaveLength(5);
      expect(await listEvents(hooks[1]!.id)).toHaveLength(5);
    });
    expect(await listEvents(hooks[2]!.id)).toHaveLength(0);
  });
});

describe("hostile filters through the API", () => {
  test("never a 5xx: 200 or a 422 naming a filter path, and a stored filter evaluates", async () => {
    const app = await createApplication();
    const webhook = await createWebhook(app.id, "https://example.com/h");
    const ops = fc.constantFrom("$eq", "$ne", "$in", "$nin", "$gt", "$gte", "$lt", "$lte", "$exists", "$regex");
    const condition = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(ops, fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 3 }));
    const { filter } = fc.letrec<{ filter: Record<string, unknown> }>((tie) => ({
      filter: fc.dictionary(
        fc.oneof(fc.constantFrom("$and", "$or", "$not", "payload.a", "event_type", "payload.__proto__", "__proto__"), fc.string({ maxLength: 10 })),
        fc.oneof({ depthSize: "small" }, condition, fc.array(tie("filter"), { maxLength: 3 }), tie("filter")),
        { maxKeys: 4 },
      ),
    }));
    await fc.assert(
      fc.asyncProperty(fc.oneof(filter, fc.jsonValue({ maxDepth: 4 })), async (candidate) => {
        const res = await api("PATCH", `/v1/webhooks/${webhook.id}`, { filter: candidate });
        expect([200, 422]).toContain(res.status);
        if (res.status === 422) {
          for (const e of res.body.errors) expect(e.path).toMatch(/^filter/);
          return;
        }
        const tested = await api("POST", `/v1/webhooks/${webhook.id}/filter/test`, {
          event_type: "a.b",
          payload: { a: [1, { b: "x" }] },
        });
        expect(tested.status).toBe(200);
        expect(typeof tested.body.matches).toBe("boolean");
      }),
      { numRuns: 60 },
    );
  });
});
