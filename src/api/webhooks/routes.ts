/** @module /v1/webhooks and its actions (secret, rotate, test, filter test, recover, JWKS). */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { BODY_PROBLEMS, idParams, jsonBodyOf, jsonContent, problems } from "../common";
import type { AppEnv } from "../context";
import { registerDeleteRoute } from "../delete-route";
import { eventSchema, toEventObject } from "../events/schemas";
import { paginate } from "../pagination";
import {
  createWebhookSchema,
  emptyActionSchema,
  jwksSchema,
  filterTestResultSchema,
  filterTestSchema,
  listWebhooksQuery,
  recoverResultSchema,
  recoverSchema,
  rotateSecretSchema,
  secretObjectSchema,
  toWebhookObject,
  updateWebhookSchema,
  webhookListSchema,
  webhookSchema,
  webhookStatsSchema,
  webhookWithSecretSchema,
} from "./schemas";
import {
  changeWebhook,
  createWebhook,
  findWebhook,
  listClientCertificates,
  pageWebhooks,
  recoverEvents,
  removeWebhook,
  rotateSecret,
  secretObject,
  sendTestEvent,
  webhookJwks,
  testFilter,
  webhookStats,
} from "./service";

const tags = ["Webhooks"];
const security = [{ bearer: [] }];

const route = <P extends string>(
  method: "get" | "post" | "patch" | "delete",
  path: P,
  operationId: string,
) => ({ method, path, operationId, tags, security }) as const;

const createWebhookRoute = createRoute({
  ...route("post", "/v1/webhooks", "createWebhook"),
  request: { body: jsonBodyOf(createWebhookSchema) },
  responses: {
    201: jsonContent(
      webhookWithSecretSchema,
      "Created; the only time besides GET …/secret that the secret is shown (null for scheme v1a)",
    ),
    ...problems(404, 409, ...BODY_PROBLEMS),
  },
});

const listWebhooksRoute = createRoute({
  ...route("get", "/v1/webhooks", "listWebhooks"),
  request: { query: listWebhooksQuery },
  responses: { 200: jsonContent(webhookListSchema, "A page of webhooks"), ...problems(404, 422) },
});

const getWebhookRoute = createRoute({
  ...route("get", "/v1/webhooks/{id}", "getWebhook"),
  request: { params: idParams },
  responses: { 200: jsonContent(webhookSchema, "The webhook"), ...problems(404, 422) },
});

const updateWebhookRoute = createRoute({
  ...route("patch", "/v1/webhooks/{id}", "updateWebhook"),
  request: { params: idParams, body: jsonBodyOf(updateWebhookSchema) },
  responses: { 200: jsonContent(webhookSchema, "Updated"), ...problems(404, ...BODY_PROBLEMS) },
});

const getSecretRoute = createRoute({
  ...route("get", "/v1/webhooks/{id}/secret", "getWebhookSecret"),
  request: { params: idParams },
  responses: { 200: jsonContent(secretObjectSchema, "The signing secret"), ...problems(404, 422) },
});

const rotateSecretRoute = createRoute({
  ...route("post", "/v1/webhooks/{id}/secret/rotate", "rotateWebhookSecret"),
  request: { params: idParams, body: jsonBodyOf(rotateSecretSchema, false) },
  responses: {
    200: jsonContent(
      secretObjectSchema,
      "The new secret and/or public key, as the scheme signs; the old ones sign too for 24 hours",
    ),
    ...problems(404, ...BODY_PROBLEMS),
  },
});

const jwksRoute = createRoute({
  ...route("get", "/v1/webhooks/{id}/jwks", "getWebhookJwks"),
  request: { params: idParams },
  responses: {
    200: jsonContent(
      jwksSchema,
      "The public keys that verify v1a signatures: the current one first, during the 24 hours after a rotation also the previous one",
    ),
    ...problems(404, 422),
  },
});

const clientCertificatesSchema = z
  .object({ object: z.literal("list"), data: z.array(z.string()) })
  .openapi("TlsClientCertificateList");

const clientCertificatesRoute = createRoute({
  method: "get",
  path: "/v1/tls-client-certificates",
  operationId: "listTlsClientCertificates",
  tags,
  security,
  responses: {
    200: jsonContent(
      clientCertificatesSchema,
      "The names of the relay's mTLS certificate bindings that a webhook's tls_client_certificate may name",
    ),
    ...problems(),
  },
});

const testWebhookRoute = createRoute({
  ...route("post", "/v1/webhooks/{id}/test", "sendTestEvent"),
  request: { params: idParams, body: jsonBodyOf(emptyActionSchema, false) },
  responses: {
    202: jsonContent(eventSchema, "The TEST_EVENT, on its way"),
    ...problems(404, 409, ...BODY_PROBLEMS),
  },
});

const filterTestRoute = createRoute({
  ...route("post", "/v1/webhooks/{id}/filter/test", "testWebhookFilter"),
  request: { params: idParams, body: jsonBodyOf(filterTestSchema) },
  responses: {
    200: jsonContent(
      filterTestResultSchema,
      "Whether a message with this event type and payload passes the webhook's filter (stores nothing; event_types are not considered)",
    ),
    ...problems(404, ...BODY_PROBLEMS),
  },
});

const recoverRoute = createRoute({
  ...route("post", "/v1/webhooks/{id}/recover", "recoverWebhook"),
  request: { params: idParams, body: jsonBodyOf(recoverSchema) },
  responses: {
    202: jsonContent(recoverResultSchema, "How many failed events will be sent again"),
    ...problems(404, ...BODY_PROBLEMS),
  },
});

const statsRoute = createRoute({
  ...route("get", "/v1/webhooks/{id}/stats", "getWebhookStats"),
  request: { params: idParams },
  responses: {
    200: jsonContent(
      webhookStatsSchema,
      "Events finished in the last 24 hours by status, success rate, attempt latency p50/p95, and what waits now",
    ),
    ...problems(404, 422),
  },
});

export function registerWebhookRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(createWebhookRoute, async (c) => {
    const { row, secret } = await createWebhook(c.get("deps"), c.get("principal"), c.req.valid("json"));
    return c.json({ ...toWebhookObject(row), secret }, 201);
  });
  app.openapi(listWebhooksRoute, async (c) => {
    const q = c.req.valid("query");
    const page = (after: string | undefined, limit: number) =>
      pageWebhooks(c.get("deps"), c.get("principal"), q.application_id, after, limit);
    return c.json(await paginate(q, page, toWebhookObject), 200);
  });
  app.openapi(getWebhookRoute, async (c) => {
    const row = await findWebhook(c.get("deps"), c.get("principal"), c.req.valid("param").id);
    return c.json(toWebhookObject(row), 200);
  });
  app.openapi(updateWebhookRoute, async (c) => {
    const row = await changeWebhook(
      c.get("deps"),
      c.get("principal"),
      c.req.valid("param").id,
      c.req.valid("json"),
    );
    return c.json(toWebhookObject(row), 200);
  });
  registerDeleteRoute(app, {
    path: "/v1/webhooks/{id}",
    operationId: "deleteWebhook",
    tags,
    object: "webhook",
    description: "Deleted with its history",
    remove: removeWebhook,
  });
  app.openapi(getSecretRoute, async (c) => {
    // Reading the secret is managing the webhook: readers may not.
    const row = await findWebhook(c.get("deps"), c.get("principal"), c.req.valid("param").id, "webhooks");
    return c.json(await secretObject(c.get("deps"), row), 200);
  });
  app.openapi(rotateSecretRoute, async (c) => {
    const { secret } = c.req.valid("json");
    const row = await rotateSecret(c.get("deps"), c.get("principal"), c.req.valid("param").id, secret);
    return c.json(await secretObject(c.get("deps"), row), 200);
  });
  app.openapi(jwksRoute, async (c) => {
    const keys = await webhookJwks(c.get("deps"), c.get("principal"), c.req.valid("param").id);
    return c.json(keys, 200);
  });
  app.openapi(clientCertificatesRoute, (c) => {
    const names = listClientCertificates(c.get("deps"), c.get("principal"));
    return c.json({ object: "list" as const, data: names }, 200);
  });
  app.openapi(testWebhookRoute, async (c) => {
    const event = await sendTestEvent(c.get("deps"), c.get("principal"), c.req.valid("param").id);
    return c.json(toEventObject(event), 202);
  });
  app.openapi(filterTestRoute, async (c) => {
    const result = await testFilter(
      c.get("deps"),
      c.get("principal"),
      c.req.valid("param").id,
      c.req.valid("json"),
    );
    return c.json(result, 200);
  });
  app.openapi(statsRoute, async (c) => {
    const stats = await webhookStats(c.get("deps"), c.get("principal"), c.req.valid("param").id);
    return c.json(stats, 200);
  });
  app.openapi(recoverRoute, async (c) => {
    const result = await recoverEvents(
      c.get("deps"),
      c.get("principal"),
      c.req.valid("param").id,
      c.req.valid("json"),
    );
    return c.json(result, 202);
  });
}
