/**
 * The event catalog (SPEC §8.3) through the API: CRUD and who may do it,
 * schemas and examples judged when written, payloads judged at publish
 * (single and per batch item, JSON Pointers into the payload), and
 * RELAY_REQUIRE_EVENT_TYPES on publish and on webhooks. Names are unique per
 * test: the catalog is relay-wide, and each isolate caches it.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, inject, test } from "vitest";
import { createApp } from "../../src/app";
import { makeDeps } from "../../src/deps";
import { ADMIN_TOKEN, type ApiResponse, api, createApplication, createWebhook } from "../helpers/api";
import { newHook } from "../helpers/hooks";
import { createKey, createLink } from "./security/tenants";

const receiverUrl = inject("receiverUrl");

const ORDER_SCHEMA = {
  type: "object",
  required: ["order_id", "amount"],
  properties: {
    order_id: { type: "string", pattern: "^ord_[a-z0-9]+$" },
    amount: { type: "integer", minimum: 1 },
    items: { type: "array", items: { type: "object", required: ["sku"], properties: { sku: { type: "string" } } } },
  },
};

const uniqueName = (prefix = "order.paid") => `${prefix}.${crypto.randomUUID().slice(0, 8)}`;

async function createType(body: Record<string, unknown>): Promise<Record<string, any>> {
  const res = await api("POST", "/v1/event-types", body);
  if (res.status !== 201) throw new Error(`createType: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const publishTo = (applicationId: string, eventType: string, payload: unknown, extra = {}) =>
  api("POST", "/v1/messages", { application_id: applicationId, event_type: eventType, payload, ...extra });

describe("the catalog", () => {
  test("create, read, list, change and delete an event type", async () => {
    const name = uniqueName();
    const created = await createType({
      name,
      description: "An order was paid.",
      schema: ORDER_SCHEMA,
      example: { order_id: "ord_1", amount: 100 },
    });
    expect(created).toMatchObject({
      object: "event_type",
      name,
      description: "An order was paid.",
      schema: ORDER_SCHEMA,
      example: { order_id: "ord_1", amount: 100 },
      deprecated: false,
    });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.created_at).toBe(created.updated_at);

    expect((await api("POST", "/v1/event-types", { name })).status).toBe(409);
    expect((await api("GET", `/v1/event-types/${name}`)).body).toEqual(created);

    const changed = await api("PATCH", `/v1/event-types/${name}`, { deprecated: true, description: null });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ deprecated: true, description: null, schema: ORDER_SCHEMA });

    const gone = await api("DELETE", `/v1/event-types/${name}`);
    expect(gone).toMatchObject({ status: 200, body: { object: "event_type", id: created.id, name, deleted: true } });
    expect((await api("GET", `/v1/event-types/${name}`)).status).toBe(404);
    expect((await api("PATCH", `/v1/event-types/${name}`, { deprecated: false })).status).toBe(404);
    expect((await api("DELETE", `/v1/event-types/${name}`)).status).toBe(404);
    // The name is free again.
    expect((await createType({ name })).id).not.toBe(created.id);
  });

  test("the list pages newest first with a cursor", async () => {
    const names = [uniqueName("page"), uniqueName("page"), uniqueName("page")];
    for (const name of names) await createType({ name });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: ApiResponse = await api("GET", `/v1/event-types?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((t: { name: string }) => t.name));
      cursor = res.body.next_cursor;
    } while (cursor);
    const ours = seen.filter((n) => names.includes(n));
    expect(ours).toEqual([...names].reverse());
    expect((await api("GET", "/v1/event-types?cursor=nonsense")).status).toBe(422);
  });

  test("names: 1 to 100 of letters, digits, _ . -; not the relay's own", async () => {
    for (const name of ["", "a b", "a:b", "a/b", "é", "x".repeat(101)]) {
      const res = await api("POST", "/v1/event-types", { name });
      expect(res.status, name).toBe(422);
      expect(res.body.errors[0].path, name).toBe("name");
    }
    expect((await api("GET", "/v1/event-types/a:b")).status).toBe(422);
    for (const name of ["TEST_EVENT", "webhook.failing", "event.exhausted", "operational.suppressed"]) {
      const res = await api("POST", "/v1/event-types", { name });
      expect(res.status, name).toBe(422);
      expect(res.body.errors).toEqual([{ path: "name", message: "is one of the relay's own event types" }]);
    }
    expect((await createType({ name: "A-z_0.9" })).name).toBe("A-z_0.9");
  });

  test("a schema that is not JSON Schema 2020-12 is 422 naming the part; nothing is stored", async () => {
    const name = uniqueName();
    const res = await api("POST", "/v1/event-types", {
      name,
      schema: { type: "object", properties: { amount: { type: "integr" } } },
    });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.body.errors[0]).toMatchObject({
      path: "schema.properties.amount.type",
      pointer: "/properties/amount/type",
    });
    expect((await api("GET", `/v1/event-types/${name}`)).status).toBe(404);
  });

  test("an example that does not match the schema is 422 naming example, on create and on change", async () => {
    const name = uniqueName();
    const res = await api("POST", "/v1/event-types", {
      name,
      schema: ORDER_SCHEMA,
      example: { order_id: "ord_1", amount: 0 },
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([
      { path: "example.amount", pointer: "/amount", message: expect.any(String) },
    ]);

    await createType({ name, example: { order_id: "ord_1" } });
    // The new schema must accept the example kept: judged as the pair will be.
    const tighter = await api("PATCH", `/v1/event-types/${name}`, { schema: ORDER_SCHEMA });
    expect(tighter.status).toBe(422);
    expect(tighter.body.errors[0]).toMatchObject({ path: "example", pointer: "" });
    expect((await api("GET", `/v1/event-types/${name}`)).body.schema).toBeNull();
    const both = await api("PATCH", `/v1/event-types/${name}`, {
      schema: ORDER_SCHEMA,
      example: { order_id: "ord_2", amount: 5 },
    });
    expect(both.status).toBe(200);
    expect((await api("PATCH", `/v1/event-types/${name}`, { schema: null })).body.schema).toBeNull();
  });

  test("anyone signed in reads the catalog; only an operator writes it", async () => {
    const app = await createApplication();
    const name = uniqueName();
    await createType({ name });
    const readers = {
      "publisher key": (await createKey({ name: "p", scope: "publisher", application_id: app.id })).key,
      "reader key": (await createKey({ name: "r", scope: "reader", application_id: app.id })).key,
      "confined admin key": (await createKey({ name: "a", scope: "admin", application_id: app.id })).key,
      "portal link": (await createLink(app.id, { scope: "admin" })).token,
    };
    const operator = (await createKey({ name: "op", scope: "admin" })).key;
    for (const [who, token] of Object.entries(readers)) {
      expect((await api("GET", "/v1/event-types", undefined, { token })).status, who).toBe(200);
      expect((await api("GET", `/v1/event-types/${name}`, undefined, { token })).status, who).toBe(200);
      expect((await api("POST", "/v1/event-types", { name: uniqueName() }, { token })).status, who).toBe(403);
      expect((await api("PATCH", `/v1/event-types/${name}`, { deprecated: true }, { token })).status, who).toBe(403);
      expect((await api("DELETE", `/v1/event-types/${name}`, undefined, { token })).status, who).toBe(403);
    }
    expect((await api("PATCH", `/v1/event-types/${name}`, { deprecated: true }, { token: operator })).status).toBe(200);
    expect((await api("GET", "/v1/event-types", undefined, { token: null })).status).toBe(401);
  });
});

describe("publishing against the catalog", () => {
  test("a payload that matches its type's schema is accepted; one that does not is 422 with pointers", async () => {
    const app = await createApplication();
    const name = uniqueName();
    await createType({ name, schema: ORDER_SCHEMA });
    expect((await publishTo(app.id, name, { order_id: "ord_1", amount: 3 })).status).toBe(202);

    const res = await publishTo(app.id, name, { order_id: "ord_1", amount: 3, items: [{ sku: "a" }, { sku: 7 }] });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.body.errors).toEqual([
      { path: "payload.items.1.sku", pointer: "/items/1/sku", message: expect.any(String) },
    ]);
    const missing = await publishTo(app.id, name, { amount: 3 });
    expect(missing.body.errors).toEqual([
      { path: "payload", pointer: "", message: expect.stringContaining("order_id") },
    ]);
  });

  test("a refused publish stores nothing: its idempotency key is still free", async () => {
    const app = await createApplication();
    const name = uniqueName();
    await createType({ name, schema: ORDER_SCHEMA });
    const key = crypto.randomUUID();
    expect((await publishTo(app.id, name, { amount: "x" }, { idempotency_key: key })).status).toBe(422);
    const accepted = await publishTo(app.id, name, { order_id: "ord_9", amount: 1 }, { idempotency_key: key });
    expect(accepted.status).toBe(202);
  });

  test("in a batch, each payload is judged on its own and the others go on", async () => {
    const app = await createApplication();
    const name = uniqueName();
    await createType({ name, schema: ORDER_SCHEMA });
    const res = await api("POST", "/v1/messages/batch", {
      messages: [
        { application_id: app.id, event_type: name, payload: { order_id: "ord_1", amount: 1 } },
        { application_id: app.id, event_type: name, payload: { order_id: "bad id", amount: 1 } },
        { application_id: app.id, event_type: "not.catalogued", payload: "anything" },
        { application_id: app.id, event_type: name, payload: [] },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.data.map((e: { status: number }) => e.status)).toEqual([202, 422, 202, 422]);
    expect(res.body.data[1].error).toMatchObject({
      status: 422,
      errors: [{ path: "payload.order_id", pointer: "/order_id", message: expect.any(String) }],
    });
    expect(res.body.data[3].error.errors[0]).toMatchObject({ path: "payload", pointer: "" });
  });

  test("a schema added, changed or removed applies to the next publish on this isolate", async () => {
    const app = await createApplication();
    const name = uniqueName();
    await createType({ name });
    expect((await publishTo(app.id, name, { anything: true })).status).toBe(202);
    await api("PATCH", `/v1/event-types/${name}`, { schema: { type: "string" } });
    expect((await publishTo(app.id, name, { anything: true })).status).toBe(422);
    expect((await publishTo(app.id, name, "text")).status).toBe(202);
    await api("PATCH", `/v1/event-types/${name}`, { schema: { type: "number" } });
    expect((await publishTo(app.id, name, "text")).status).toBe(422);
    await api("PATCH", `/v1/event-types/${name}`, { schema: null });
    expect((await publishTo(app.id, name, "text")).status).toBe(202);
    await api("PATCH", `/v1/event-types/${name}`, { schema: false });
    expect((await publishTo(app.id, name, "text")).status).toBe(422);
    await api("DELETE", `/v1/event-types/${name}`);
    // Deleted, without RELAY_REQUIRE_EVENT_TYPES: a type like any other.
    expect((await publishTo(app.id, name, "text")).status).toBe(202);
  });
});

/** The app as the Worker builds it, with RELAY_REQUIRE_EVENT_TYPES on. */
const required = createApp((bindings, requestId) => {
  const deps = makeDeps(bindings, requestId);
  return { ...deps, settings: { ...deps.settings, requireEventTypes: true } };
});

async function strict(method: string, path: string, body?: unknown): Promise<ApiResponse> {
  const ctx = createExecutionContext();
  const res = await required.fetch(
    new Request(`http://relay.test${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: await res.json(), headers: res.headers };
}

describe("RELAY_REQUIRE_EVENT_TYPES", () => {
  test("publishing a type not in the catalog, or deleted from it, is 422; a catalogued one is accepted", async () => {
    const app = await createApplication();
    const name = uniqueName();
    const unknown = await strict("POST", "/v1/messages", { application_id: app.id, event_type: uniqueName(), payload: {} });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([{ path: "event_type", message: expect.stringContaining("not in the event catalog") }]);

    // Created through the other app: this isolate's cache knows it is missing, and reads again before refusing.
    await createType({ name });
    const known = await strict("POST", "/v1/messages", { application_id: app.id, event_type: name, payload: {} });
    expect(known.status).toBe(202);

    await api("DELETE", `/v1/event-types/${name}`);
    const deleted = await strict("POST", "/v1/messages", { application_id: app.id, event_type: name, payload: {} });
    expect(deleted.status).toBe(422);
  });

  test("in a batch, an uncatalogued type is that item's 422", async () => {
    const app = await createApplication();
    const name = uniqueName();
    await createType({ name });
    const res = await strict("POST", "/v1/messages/batch", {
      messages: [
        { application_id: app.id, event_type: name, payload: {} },
        { application_id: app.id, event_type: "not.catalogued", payload: {} },
      ],
    });
    expect(res.body.data.map((e: { status: number }) => e.status)).toEqual([202, 422]);
    expect(res.body.data[1].error.errors[0].path).toBe("event_type");
  });

  test("a webhook may name only catalogued types and the relay's own, on create and on change", async () => {
    const app = await createApplication();
    const name = uniqueName();
    await createType({ name });
    const url = newHook(receiverUrl).url;
    const refused = await strict("POST", "/v1/webhooks", {
      application_id: app.id,
      url,
      event_types: [name, "not.catalogued", "TEST_EVENT", "also:missing"],
    });
    expect(refused.status).toBe(422);
    expect(refused.body.errors.map((e: { path: string }) => e.path)).toEqual(["event_types.1", "event_types.3"]);

    const created = await strict("POST", "/v1/webhooks", {
      application_id: app.id,
      url,
      event_types: [name, "TEST_EVENT", "webhook.failing", "webhook.disabled", "event.exhausted"],
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const patched = await strict("PATCH", `/v1/webhooks/${id}`, { event_types: ["nope"] });
    expect(patched.status).toBe(422);
    expect(patched.body.errors).toEqual([{ path: "event_types.0", message: expect.stringContaining('"nope"') }]);
    // A change that leaves event_types alone is not judged by them.
    expect((await strict("PATCH", `/v1/webhooks/${id}`, { name: "renamed" })).status).toBe(200);
    expect((await strict("PATCH", `/v1/webhooks/${id}`, { event_types: [] })).status).toBe(200);
  });

  test("the webhook test still sends its TEST_EVENT", async () => {
    const app = await createApplication();
    const webhook = await createWebhook(app.id, newHook(receiverUrl).url, { event_types: [] });
    const res = await strict("POST", `/v1/webhooks/${webhook.id}/test`);
    expect(res.status).toBe(202);
    expect(res.body.type).toBe("TEST_EVENT");
  });
});
