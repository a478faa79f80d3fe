/**
 * The client against the relay as `npm start` runs it (test/helpers/server.ts),
 * with a loopback receiver: every route through its typed method, problems
 * as HookrelayError, pagination by iterator, a publish whose answer is lost
 * retried under the same idempotency key, and a delivery verified with
 * verifyWebhook.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { eventually } from "../../../test/helpers/eventually";
import { useRelay } from "../../../test/helpers/rig";
import { type DeliveryEvent, HookrelayClient } from "../src/client";
import { HookrelayError } from "../src/errors";
import { verifyWebhook, WebhookVerificationError } from "../src/webhooks";

const rig = useRelay();
let client: HookrelayClient;

beforeAll(() => {
  client = new HookrelayClient({ baseUrl: rig.relay.url, token: rig.relay.token });
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

async function setup() {
  const hook = rig.hook();
  const application = await client.applications.create({ name: `client ${crypto.randomUUID()}` });
  const webhook = await client.webhooks.create({
    application_id: application.id,
    url: hook.url,
    event_types: ["order.paid"],
    retry_policy: { schedule_seconds: [] },
  });
  return { hook, application, webhook };
}

describe("typed client against the local relay", () => {
  test("health, and the operator routes", async () => {
    expect(await client.health()).toEqual({ status: "ok" });
    const usage = await client.operations.usage();
    expect(usage.object).toBe("usage");
    const maintenance = await client.operations.maintenance();
    expect(maintenance.object).toBe("maintenance");
    expect(maintenance.archived).toBe(0);
    const storage = await client.operations.storage();
    expect(storage.databases.map((d) => d.name)).toEqual(["HISTORY_0", "HISTORY_1"]);
    expect(storage.archive).toEqual({ objects: expect.any(Number), bytes: expect.any(Number) });
  });

  test("portal links: made, listed without their tokens, revoked, refused after", async () => {
    const { application } = await setup();
    const link = await client.portalLinks.create(application.id, { ttl_seconds: 600, scope: "reader" });
    const token = new URL(link.url).hash.slice("#token=".length);
    const listed = await collect(client.portalLinks.iterate(application.id));
    expect(listed.map((l) => [l.id, l.scope])).toEqual([[link.id, "reader"]]);
    expect(JSON.stringify(listed)).not.toContain(token);
    const asLink = new HookrelayClient({ baseUrl: rig.relay.url, token, retry: { attempts: 1 } });
    expect((await asLink.applications.get(application.id)).id).toBe(application.id);
    expect(await client.portalLinks.revoke(link.id)).toEqual({ object: "portal_link", id: link.id, deleted: true });
    expect((await client.portalLinks.list(application.id)).data).toEqual([]);
    const refused = await asLink.applications.get(application.id).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(HookrelayError);
    expect((refused as HookrelayError).status).toBe(401);
  });

  test("publishBatch: each item answered in order, the accepted delivered", async () => {
    const { hook, application } = await setup();
    const result = await client.messages.publishBatch([
      { application_id: application.id, event_type: "order.paid", payload: { n: 1 } },
      { application_id: application.id, event_type: "bad type!", payload: {} },
      { application_id: application.id, event_type: "order.paid", payload: { n: 2 } },
    ]);
    expect(result.data.map((e) => e.status)).toEqual([202, 422, 202]);
    expect(result.data[1]!.error?.errors?.[0]?.path).toBe("event_type");
    await eventually(async () => {
      const bodies = (await hook.received()).requests.map((r) => JSON.parse(r.body).n).sort();
      if (bodies.length < 2) throw new Error("not delivered yet");
      expect(bodies).toEqual([1, 2]);
    });
  });

  test("publish, delivery verified with standardwebhooks, the event, its attempts, stats", async () => {
    const { hook, application, webhook } = await setup();
    expect(webhook.secret).toMatch(/^whsec_/);
    const message = await client.messages.publish({
      application_id: application.id,
      event_type: "order.paid",
      payload: { amount: 1000, currency: "NGN" },
    });
    expect(message.object).toBe("message");
    expect(message.idempotency_key).toBeTruthy();

    const request = await eventually(async () => {
      const [first] = (await hook.received()).requests;
      if (!first) throw new Error("not delivered yet");
      return first;
    });
    // Scheme v1 (the default) always has a secret; only v1a answers null.
    expect(verifyWebhook(webhook.secret!, request.body, request.headers)).toEqual({
      amount: 1000,
      currency: "NGN",
    });
    const other = await client.webhooks.create({ application_id: application.id, url: hook.url });
    expect(() => verifyWebhook(other.secret!, request.body, request.headers)).toThrow(
      WebhookVerificationError,
    );
    expect(() => verifyWebhook(webhook.secret!, `${request.body} `, new Headers(request.headers))).toThrow(
      WebhookVerificationError,
    );

    // Readable once fan-out has recorded it, a moment after the delivery went out.
    const withEvents = await eventually(() => client.messages.get(message.id));
    const eventId = withEvents.events.find((e) => e.webhook_id === webhook.id)!.id;
    const event = await eventually(async () => {
      const e = await client.events.get(eventId, { webhook_id: webhook.id });
      expect(e.delivery_status).toBe("success");
      return e;
    });
    expect(event.http_status_code).toBe(200);
    const attempts = await client.events.attempts(event.id);
    expect(attempts.data.map((a) => a.attempt)).toEqual([1]);
    expect(await collect(client.events.iterateAttempts(event.id))).toEqual(attempts.data);

    const retried = await client.events.retry(event.id, { webhook_id: webhook.id });
    expect(retried.max_attempts).toBe(event.max_attempts + 1);
    const stats = await client.webhooks.stats(webhook.id);
    expect(stats.object).toBe("webhook_stats");
    expect(stats.webhook_id).toBe(webhook.id);
  });

  test("a publish whose answer is lost is retried under one idempotency key: one message, one delivery", async () => {
    const { hook, application } = await setup();
    let lost = 0;
    const keys: string[] = [];
    const answered: number[] = [];
    const flaky = new HookrelayClient({
      baseUrl: rig.relay.url,
      token: rig.relay.token,
      retry: { baseDelayMs: 10 },
      fetch: async (request) => {
        if (request.method === "POST" && new URL(request.url).pathname === "/v1/messages") {
          keys.push((await request.clone().json()).idempotency_key);
          if (lost === 0) {
            lost += 1;
            answered.push((await fetch(request)).status); // the relay accepts it…
            throw new TypeError("fetch failed"); // …and the answer never arrives.
          }
          const response = await fetch(request);
          answered.push(response.status);
          return response;
        }
        return fetch(request);
      },
    });
    const message = await flaky.messages.publish({
      application_id: application.id,
      event_type: "order.paid",
      payload: { n: 1 },
    });
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
    expect(message.idempotency_key).toBe(keys[0]);
    // The retry was answered with the first message (200), which delivers nothing again.
    expect(answered).toEqual([202, 200]);
    await eventually(async () => expect((await hook.received()).requests).toHaveLength(1));
  });

  test("lists page by cursor, and the iterator walks every page", async () => {
    const { application, webhook } = await setup();
    for (let i = 0; i < 5; i++) {
      await client.messages.publish({
        application_id: application.id,
        event_type: "order.paid",
        payload: { i },
      });
    }
    // Fan-out runs in the queue consumer: wait until all five events exist.
    await eventually(async () =>
      expect((await client.events.list({ webhook_id: webhook.id })).data).toHaveLength(5),
    );
    const first = await client.events.list({ webhook_id: webhook.id, limit: 2 });
    expect(first.data).toHaveLength(2);
    expect(first.next_cursor).not.toBeNull();
    const all: DeliveryEvent[] = await collect(client.events.iterate({ webhook_id: webhook.id, limit: 2 }));
    expect(all).toHaveLength(5);
    expect(new Set(all.map((e) => e.id)).size).toBe(5);

    const created = [webhook.id];
    for (let i = 0; i < 2; i++) {
      const w = await client.webhooks.create({ application_id: application.id, url: webhook.url });
      created.push(w.id);
    }
    const webhooks = await collect(
      client.webhooks.iterate({ application_id: application.id, limit: 1 }),
    );
    expect(webhooks.map((w) => w.id).sort()).toEqual(created.sort());
    const applications = await collect(client.applications.iterate({ limit: 100 }));
    expect(applications.map((a) => a.id)).toContain(application.id);
  });

  test("applications and webhooks: get, update, secret, rotate, test, recover, replay, delete", async () => {
    const { hook, application, webhook } = await setup();
    expect((await client.applications.get(application.id)).name).toBe(application.name);
    const renamed = await client.applications.update(application.id, { name: "renamed" });
    expect(renamed.name).toBe("renamed");

    expect((await client.webhooks.get(webhook.id)).url).toBe(hook.url);
    const updated = await client.webhooks.update(webhook.id, { name: "orders", timeout_ms: 5000 });
    expect(updated).toMatchObject({ name: "orders", timeout_ms: 5000 });
    expect((await client.webhooks.secret(webhook.id)).secret).toBe(webhook.secret);
    const rotated = await client.webhooks.rotateSecret(webhook.id);
    expect(rotated.secret).not.toBe(webhook.secret);
    expect(rotated.previous_secret_expires_at).not.toBeNull();
    // v1 signs with no key pair; a switch to v1a makes one, which the JWKS lists.
    expect(await client.webhooks.jwks(webhook.id)).toEqual({ keys: [] });
    const keyed = await client.webhooks.update(webhook.id, { signature_scheme: "v1a" });
    const jwks = await client.webhooks.jwks(webhook.id);
    expect(jwks.keys.map((k) => k.x)).toEqual([
      Buffer.from(keyed.public_key!.slice("whpk_".length), "base64").toString("base64url"),
    ]);
    expect(await client.webhooks.tlsClientCertificates()).toEqual({ object: "list", data: [] });

    const filtered = await client.webhooks.update(webhook.id, { filter: { "payload.amount": { $gte: 100 } } });
    expect(filtered.filter).toEqual({ "payload.amount": { $gte: 100 } });
    expect(await client.webhooks.testFilter(webhook.id, { event_type: "x", payload: { amount: 99 } })).toEqual({
      matches: false,
    });
    await client.webhooks.update(webhook.id, { filter: null });

    const test = await client.webhooks.sendTest(webhook.id);
    expect(test.type).toBe("TEST_EVENT");
    const recovery = await client.webhooks.recover(webhook.id, {
      since: new Date(Date.now() - 3_600_000).toISOString(),
    });
    expect(recovery).toMatchObject({ object: "recovery", webhook_id: webhook.id });
    // Once the test event is delivered, a replay selects it, and counts it first.
    await eventually(async () =>
      expect((await client.events.get(test.id, { webhook_id: webhook.id })).delivery_status).toBe("success"),
    );
    const selection = { since: new Date(Date.now() - 3_600_000).toISOString() };
    const counted = await client.webhooks.countReplay(webhook.id, selection);
    expect(counted).toMatchObject({ object: "replay", dry_run: true, matched: 1 });
    const replay = await client.webhooks.replay(webhook.id, selection);
    expect(replay).toMatchObject({ object: "replay", webhook_id: webhook.id, matched: 1 });
    expect((await client.replays.get(replay.id)).id).toBe(replay.id);

    expect(await client.webhooks.delete(webhook.id)).toEqual({
      object: "webhook",
      id: webhook.id,
      deleted: true,
    });
    expect(await client.applications.delete(application.id)).toMatchObject({ deleted: true });
  });

  test("API keys: create, list, iterate, delete; a reader key is refused writes", async () => {
    const { application } = await setup();
    const key = await client.apiKeys.create({
      name: "reader",
      scope: "reader",
      application_id: application.id,
    });
    expect(key.key).toBeTruthy();
    const page = await client.apiKeys.list({ application_id: application.id });
    expect(page.data.map((k) => k.id)).toEqual([key.id]);
    expect(await collect(client.apiKeys.iterate({ application_id: application.id }))).toEqual(
      page.data,
    );

    const reader = new HookrelayClient({ baseUrl: rig.relay.url, token: key.key });
    expect((await reader.applications.get(application.id)).id).toBe(application.id);
    const refused = await reader.applications.create({ name: "nope" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HookrelayError);
    expect((refused as HookrelayError).status).toBe(403);

    expect(await client.apiKeys.delete(key.id)).toMatchObject({ deleted: true });
    const revoked = await reader.applications.get(application.id).catch((e: unknown) => e);
    expect((revoked as HookrelayError).status).toBe(401);
  });

  test("event types: create, get, list, iterate, update, delete; a payload refused by the schema", async () => {
    const name = `client.${crypto.randomUUID().slice(0, 8)}`;
    const created = await client.eventTypes.create({
      name,
      description: "An order was paid.",
      schema: { type: "object", required: ["amount"], properties: { amount: { type: "integer" } } },
      example: { amount: 100 },
    });
    expect(created).toMatchObject({ object: "event_type", name, deprecated: false, example: { amount: 100 } });
    expect(await client.eventTypes.get(name)).toEqual(created);
    expect((await client.eventTypes.list({ limit: 100 })).data.map((t) => t.name)).toContain(name);
    expect((await collect(client.eventTypes.iterate({ limit: 1 }))).map((t) => t.name)).toContain(name);

    const { application } = await setup();
    const refused = await client.messages
      .publish({ application_id: application.id, event_type: name, payload: { amount: "ten" } })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HookrelayError);
    expect((refused as HookrelayError).problem.errors).toEqual([
      { path: "payload.amount", pointer: "/amount", message: expect.any(String) },
    ]);
    const accepted = await client.messages.publish({ application_id: application.id, event_type: name, payload: { amount: 10 } });
    expect(accepted.event_type).toBe(name);

    const updated = await client.eventTypes.update(name, { deprecated: true, schema: null });
    expect(updated).toMatchObject({ deprecated: true, schema: null });
    expect(await client.eventTypes.delete(name)).toEqual({ object: "event_type", id: created.id, name, deleted: true });
    const gone = await client.eventTypes.get(name).catch((e: unknown) => e);
    expect((gone as HookrelayError).status).toBe(404);
  });

  test("problems arrive as typed errors: 404, and 422 naming the field", async () => {
    const missing = await client.applications
      .get("01936d3c-5d3e-7c41-9a7e-2f1c3b2a1d00")
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(HookrelayError);
    const notFound = missing as HookrelayError;
    expect(notFound.status).toBe(404);
    expect(notFound.problem.status).toBe(404);
    expect(notFound.requestId).toBeTruthy();

    const invalid = await client.webhooks
      // @ts-expect-error timeout_ms is a number in the API's types; sent wrong on purpose.
      .create({ application_id: "01936d3c-5d3e-7c41-9a7e-2f1c3b2a1d00", url: "x", timeout_ms: "1" })
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(HookrelayError);
    const problem = (invalid as HookrelayError).problem;
    expect(problem.status).toBe(422);
    expect(problem.errors?.map((e) => e.path)).toContain("timeout_ms");

    const unauthorised = new HookrelayClient({ baseUrl: rig.relay.url, token: "wrong" });
    const refused = await unauthorised.applications.list().catch((e: unknown) => e);
    expect((refused as HookrelayError).status).toBe(401);
  });
});
