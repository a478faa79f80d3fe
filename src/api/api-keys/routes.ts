/** @module /v1/api-keys: create (the key is shown once), list, delete. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { BODY_PROBLEMS, jsonBodyOf, jsonContent, problems } from "../common";
import type { AppEnv } from "../context";
import { registerDeleteRoute } from "../delete-route";
import { paginate } from "../pagination";
import {
  apiKeyListSchema,
  apiKeyWithKeySchema,
  createApiKeySchema,
  listApiKeysQuery,
  toApiKeyObject,
} from "./schemas";
import { createApiKey, pageApiKeys, revokeApiKey } from "./service";

const tags = ["API keys"];
const security = [{ bearer: [] }];

const createApiKeyRoute = createRoute({
  method: "post",
  path: "/v1/api-keys",
  operationId: "createApiKey",
  tags,
  security,
  request: { body: jsonBodyOf(createApiKeySchema) },
  responses: {
    201: jsonContent(apiKeyWithKeySchema, "Created; the only time the key itself is shown"),
    ...problems(404, ...BODY_PROBLEMS),
  },
});

const listApiKeysRoute = createRoute({
  method: "get",
  path: "/v1/api-keys",
  operationId: "listApiKeys",
  tags,
  security,
  request: { query: listApiKeysQuery },
  responses: {
    200: jsonContent(apiKeyListSchema, "A page of API keys, newest first, without the keys"),
    ...problems(404, 422),
  },
});

export function registerApiKeyRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(createApiKeyRoute, async (c) => {
    const { row, key } = await createApiKey(c.get("deps"), c.get("principal"), c.req.valid("json"));
    return c.json({ ...toApiKeyObject(row), key }, 201);
  });
  app.openapi(listApiKeysRoute, async (c) => {
    const q = c.req.valid("query");
    const page = (after: string | undefined, limit: number) =>
      pageApiKeys(c.get("deps"), c.get("principal"), q.application_id, after, limit);
    return c.json(await paginate(q, page, toApiKeyObject), 200);
  });
  registerDeleteRoute(app, {
    path: "/v1/api-keys/{id}",
    operationId: "deleteApiKey",
    tags,
    object: "api_key",
    description: "Revoked: the key is refused from the next request on",
    remove: revokeApiKey,
  });
}
