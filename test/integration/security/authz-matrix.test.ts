/**
 * Every route × every kind of caller -> the status SPEC §4 and §7.8 promise,
 * from one table. The route list comes from the app's own OpenAPI document, so a route
 * added without a row here fails this file instead of going unchecked.
 */
import { beforeAll, describe, expect, inject, test } from "vitest";
import { type ApiResponse, api, createWebhook, publish } from "../../helpers/api";
import { eventually } from "../../helpers/eventually";
import { newHook } from "../../helpers/hooks";
import { as, createKey, createTenants, PRINCIPALS, type Tenants, type Who } from "./tenants";

const receiverUrl = inject("receiverUrl");

type World = Tenants & {
  /** An event type in the catalog, for the routes that read or change one. */
  eventType: string;
  webhookId: string;
  messageId: string;
  eventId: string;
  hookUrl: string;
};
type Expect = Record<Who, number>;
type Case = { path: string; body?: unknown; tenants?: Tenants };
type Row = {
  expect: Expect;
  /** Called once per caller: destructive rows make a fresh target each time. */
  request: (w: World) => Case | Promise<Case>;
  /** What a successful answer must (not) reveal, beyond its status. */
  check?: (who: Who, res: ApiResponse, w: World) => void;
};

const REFUSED = {
  "no token": 401,
  "bad token": 401,
  "refused address": 403,
} as const;

/**
 * Reads within A: admin token, admin key, reader key and both portal links;
 * the publisher may not; B's key sees nothing.
 */
const read = (ok: number): Expect => ({
  ...REFUSED,
  "admin token": ok,
  "admin key": ok,
  "publisher key": 403,
  "reader key": ok,
  "other app key": 404,
  "portal link admin": ok,
  "portal link reader": ok,
});
/** A's webhooks and what is done to them: the customer's own, so an admin portal link too (SPEC §7.8). */
const webhooks = (ok: number): Expect => ({
  ...read(ok),
  "reader key": 403,
  "portal link reader": 403,
});
/** The provider's own (keys, links, the application record): never a portal link. */
const manage = (ok: number): Expect => ({ ...webhooks(ok), "portal link admin": 403 });
/** Publishing: admin and publisher keys, never a portal link. */
const publishing = (ok: number): Expect => ({ ...manage(ok), "publisher key": ok });
/** Relay-wide operations: the admin token (or an unconfined admin key) only. */
const operator = (ok: number): Expect => ({
  ...manage(403),
  "admin token": ok,
  "other app key": 403,
});
/** The event catalog is the provider's and relay-wide: anyone signed in reads it (SPEC §8.3). */
const anyone = (ok: number): Expect => ({
  ...read(ok),
  "publisher key": ok,
  "other app key": ok,
});
const everyone = (status: number): Expect =>
  Object.fromEntries(PRINCIPALS.map((who) => [who, status])) as Expect;

/** A list answered to B's key names nothing of A. */
const onlyOwn =
  (field: "id" | "application_id") =>
  (who: Who, res: ApiResponse, w: World): void => {
    if (["no token", "bad token", "admin token", "refused address", "publisher key"].includes(who)) return;
    const own = who === "other app key" ? w.appB : w.appA;
    for (const item of res.body.data) expect(item[field], `${who} listed it`).toBe(own);
  };

const TABLE: Record<string, Row> = {
  "GET /v1/health": {
    expect: everyone(200),
    request: () => ({ path: "/v1/health" }),
  },

  "POST /v1/api-keys": {
    expect: manage(201),
    request: (w) => ({
      path: "/v1/api-keys",
      body: { name: "matrix", scope: "reader", application_id: w.appA },
    }),
  },
  "GET /v1/api-keys": {
    expect: { ...manage(200), "other app key": 200 },
    request: () => ({ path: "/v1/api-keys?limit=100" }),
    check: onlyOwn("application_id"),
  },
  "DELETE /v1/api-keys/{id}": {
    expect: manage(200),
    request: async (w) => {
      const { id } = await createKey({
        name: "doomed",
        scope: "reader",
        application_id: w.appA,
      });
      return { path: `/v1/api-keys/${id}` };
    },
  },

  "POST /v1/applications": {
    // Confined keys may not create applications at all: 403, not 404.
    expect: { ...manage(201), "admin key": 403, "other app key": 403 },
    request: () => ({ path: "/v1/applications", body: { name: "matrix" } }),
  },
  "GET /v1/applications": {
    expect: { ...read(200), "other app key": 200 },
    request: () => ({ path: "/v1/applications?limit=100" }),
    check: onlyOwn("id"),
  },
  "GET /v1/applications/{id}": {
    expect: read(200),
    request: (w) => ({ path: `/v1/applications/${w.appA}` }),
  },
  "PATCH /v1/applications/{id}": {
    expect: manage(200),
    request: (w) => ({
      path: `/v1/applications/${w.appA}`,
      body: { metadata: { patched: true } },
    }),
  },
  "DELETE /v1/applications/{id}": {
    expect: manage(200),
    // Deleting A takes its keys with it: every caller gets tenants of its own.
    request: async () => {
      const tenants = await createTenants();
      return { path: `/v1/applications/${tenants.appA}`, tenants };
    },
  },

  "POST /v1/applications/{id}/portal-links": {
    expect: manage(201),
    request: (w) => ({ path: `/v1/applications/${w.appA}/portal-links`, body: {} }),
  },
  "GET /v1/applications/{id}/portal-links": {
    expect: manage(200),
    request: (w) => ({ path: `/v1/applications/${w.appA}/portal-links` }),
    // Live links of A, never a token.
    check: (who, res) => {
      expect(res.body.data.length, who).toBeGreaterThan(0);
      for (const link of res.body.data) {
        expect(Object.keys(link).sort()).toEqual(
          ["application_id", "created_at", "expires_at", "id", "object", "scope"],
        );
      }
    },
  },
  "DELETE /v1/portal-links/{id}": {
    expect: manage(200),
    request: async (w) => {
      const res = await api("POST", `/v1/applications/${w.appA}/portal-links`, {});
      return { path: `/v1/portal-links/${res.body.id}` };
    },
  },

  "POST /v1/webhooks": {
    expect: webhooks(201),
    request: (w) => ({
      path: "/v1/webhooks",
      body: { application_id: w.appA, url: w.hookUrl },
    }),
  },
  "GET /v1/webhooks": {
    expect: read(200),
    request: (w) => ({ path: `/v1/webhooks?application_id=${w.appA}` }),
  },
  "GET /v1/webhooks/{id}": {
    expect: read(200),
    request: (w) => ({ path: `/v1/webhooks/${w.webhookId}` }),
  },
  "PATCH /v1/webhooks/{id}": {
    expect: webhooks(200),
    request: (w) => ({
      path: `/v1/webhooks/${w.webhookId}`,
      body: { name: "patched" },
    }),
  },
  "DELETE /v1/webhooks/{id}": {
    expect: webhooks(200),
    request: async (w) => {
      const { id } = await createWebhook(w.appA, w.hookUrl);
      return { path: `/v1/webhooks/${id}` };
    },
  },
  "GET /v1/webhooks/{id}/secret": {
    // The secret is management material: readers may not see it; the customer's admin link may.
    expect: webhooks(200),
    request: (w) => ({ path: `/v1/webhooks/${w.webhookId}/secret` }),
  },
  "POST /v1/webhooks/{id}/secret/rotate": {
    expect: webhooks(200),
    request: (w) => ({ path: `/v1/webhooks/${w.webhookId}/secret/rotate` }),
  },
  "POST /v1/webhooks/{id}/test": {
    expect: webhooks(202),
    request: (w) => ({ path: `/v1/webhooks/${w.webhookId}/test` }),
  },
  "POST /v1/webhooks/{id}/recover": {
    expect: webhooks(202),
    request: (w) => ({
      path: `/v1/webhooks/${w.webhookId}/recover`,
      body: { since: new Date(Date.now() - 3_600_000).toISOString() },
    }),
  },
  "POST /v1/webhooks/{id}/filter/test": {
    // Stores nothing and tells only what reading the webhook shows: readers may.
    expect: read(200),
    request: (w) => ({
      path: `/v1/webhooks/${w.webhookId}/filter/test`,
      body: { event_type: "order.paid", payload: { amount: 1 } },
    }),
  },
  "POST /v1/webhooks/{id}/replay": {
    expect: webhooks(200),
    request: (w) => ({
      path: `/v1/webhooks/${w.webhookId}/replay`,
      body: { since: new Date(Date.now() - 3_600_000).toISOString(), dry_run: true },
    }),
  },
  "GET /v1/replays/{id}": {
    expect: read(200),
    request: async (w) => {
      const res = await api("POST", `/v1/webhooks/${w.webhookId}/replay`, {
        since: new Date(Date.now() - 3_600_000).toISOString(),
      });
      return { path: `/v1/replays/${res.body.id}` };
    },
  },
  "GET /v1/webhooks/{id}/stats": {
    expect: read(200),
    request: (w) => ({ path: `/v1/webhooks/${w.webhookId}/stats` }),
  },
  "GET /v1/webhooks/{id}/jwks": {
    // Public keys: whoever may read the webhook.
    expect: read(200),
    request: (w) => ({ path: `/v1/webhooks/${w.webhookId}/jwks` }),
  },
  "GET /v1/tls-client-certificates": {
    // The relay's own bindings, no one tenant's: operators only (SPEC §7.3, §7.8).
    expect: operator(200),
    request: () => ({ path: "/v1/tls-client-certificates" }),
  },

  "POST /v1/messages": {
    expect: publishing(202),
    request: (w) => ({
      path: "/v1/messages",
      body: {
        application_id: w.appA,
        event_type: "matrix.checked",
        payload: {},
      },
    }),
  },
  // Answered per item: another tenant's application is a 404 item inside a 200
  // (test/integration/batch-publish.test.ts checks the items).
  "POST /v1/messages/batch": {
    expect: { ...publishing(200), "other app key": 200 },
    request: (w) => ({
      path: "/v1/messages/batch",
      body: {
        messages: [{ application_id: w.appA, event_type: "matrix.checked", payload: {} }],
      },
    }),
  },
  "GET /v1/messages/{id}": {
    expect: read(200),
    request: (w) => ({ path: `/v1/messages/${w.messageId}` }),
  },

  "GET /v1/events": {
    expect: read(200),
    request: (w) => ({ path: `/v1/events?webhook_id=${w.webhookId}` }),
  },
  "GET /v1/events/{id}": {
    expect: read(200),
    request: (w) => ({ path: `/v1/events/${w.eventId}` }),
  },
  "POST /v1/events/{id}/retry": {
    expect: webhooks(200),
    // A retry reopens the event; the next caller finds it finished again.
    request: async (w) => {
      await finished(w.eventId);
      return { path: `/v1/events/${w.eventId}/retry` };
    },
  },
  "GET /v1/events/{id}/attempts": {
    expect: read(200),
    request: (w) => ({ path: `/v1/events/${w.eventId}/attempts` }),
  },

  "POST /v1/event-types": {
    // Relay-wide: a confined key or a portal link may not change what every application is held to.
    expect: operator(201),
    request: () => ({ path: "/v1/event-types", body: { name: catalogName() } }),
  },
  "GET /v1/event-types": {
    expect: anyone(200),
    request: () => ({ path: "/v1/event-types?limit=100" }),
  },
  "GET /v1/event-types/{name}": {
    expect: anyone(200),
    request: (w) => ({ path: `/v1/event-types/${w.eventType}` }),
  },
  "PATCH /v1/event-types/{name}": {
    expect: operator(200),
    request: (w) => ({ path: `/v1/event-types/${w.eventType}`, body: { description: "patched" } }),
  },
  "DELETE /v1/event-types/{name}": {
    expect: operator(200),
    request: async () => {
      const name = catalogName();
      const res = await api("POST", "/v1/event-types", { name });
      if (res.status !== 201) throw new Error(`event type: ${res.status}`);
      return { path: `/v1/event-types/${name}` };
    },
  },

  "GET /v1/usage": {
    expect: operator(200),
    request: () => ({ path: "/v1/usage" }),
  },
  "GET /v1/operations/storage": {
    expect: operator(200),
    request: () => ({ path: "/v1/operations/storage" }),
  },
  "POST /v1/maintenance": {
    expect: operator(200),
    request: () => ({ path: "/v1/maintenance" }),
  },
};

const catalogName = () => `matrix.${crypto.randomUUID().slice(0, 8)}`;

async function finished(eventId: string): Promise<void> {
  await eventually(async () => {
    const res = await api("GET", `/v1/events/${eventId}`);
    expect(["success", "failed"]).toContain(res.body.delivery_status);
  });
}

async function createWorld(): Promise<World> {
  const tenants = await createTenants();
  const hookUrl = newHook(receiverUrl).url;
  const webhook = await createWebhook(tenants.appA, hookUrl);
  const message = await publish(tenants.appA, "matrix.seeded", { n: 1 });
  const test = await api("POST", `/v1/webhooks/${webhook.id}/test`);
  if (test.status !== 202) throw new Error(`test event: ${test.status}`);
  const eventType = catalogName();
  const created = await api("POST", "/v1/event-types", { name: eventType });
  if (created.status !== 201) throw new Error(`event type: ${created.status}`);
  return {
    ...tenants,
    eventType,
    hookUrl,
    webhookId: webhook.id,
    messageId: message.id,
    eventId: test.body.id,
  };
}

/** "GET /v1/webhooks/{id}" for every operation in the OpenAPI document. */
async function documentedRoutes(): Promise<string[]> {
  const res = await api("GET", "/openapi.json", undefined, { token: null });
  expect(res.status).toBe(200);
  const paths = res.body.paths as Record<string, Record<string, unknown>>;
  return Object.entries(paths).flatMap(([path, operations]) =>
    Object.keys(operations)
      .filter((m) => ["get", "post", "put", "patch", "delete"].includes(m))
      .map((method) => `${method.toUpperCase()} ${path}`),
  );
}

describe("authorisation matrix", () => {
  let world: World;
  let routes: string[];

  beforeAll(async () => {
    routes = await documentedRoutes();
    world = await createWorld();
  }, 60_000);

  test("every documented route has a row, and every row a documented route", () => {
    expect(
      routes.filter((route) => !(route in TABLE)),
      "routes with no row",
    ).toEqual([]);
    expect(
      Object.keys(TABLE).filter((route) => !routes.includes(route)),
      "rows for no route",
    ).toEqual([]);
  });

  for (const [route, row] of Object.entries(TABLE)) {
    test(route, async () => {
      const method = route.split(" ")[0]!;
      const actual = {} as Expect;
      for (const who of PRINCIPALS) {
        const { path, body, tenants } = await row.request(world);
        const res = await api(method, path, body, as(who, tenants ?? world));
        actual[who] = res.status;
        if (res.status >= 400) {
          expect(res.headers.get("content-type"), `${who}: ${route}`).toBe(
            "application/problem+json",
          );
          expect(res.body.status).toBe(res.status);
        } else {
          row.check?.(who, res, world);
        }
      }
      expect(actual).toEqual(row.expect);
    }, 60_000);
  }

  test("/openapi.json and /docs need no token; the rest of /v1 does", async () => {
    expect((await api("GET", "/openapi.json", undefined, { token: null })).status).toBe(200);
    expect((await api("GET", "/docs", undefined, { token: null })).status).toBe(200);
    expect((await api("GET", "/v1/not-a-route", undefined, { token: null })).status).toBe(401);
  });
});
