/** @module POST /v1/webhooks/{id}/replay and GET /v1/replays/{id}. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { BODY_PROBLEMS, idParams, jsonBodyOf, jsonContent, problems } from "../common";
import type { AppEnv } from "../context";
import {
  createReplaySchema,
  replayDryRunSchema,
  replaySchema,
  selectionFieldsOf,
  toReplayObject,
} from "./schemas";
import { findReplay, startReplay } from "./service";

const tags = ["Replays"];
const security = [{ bearer: [] }];

const createReplayRoute = createRoute({
  method: "post",
  path: "/v1/webhooks/{id}/replay",
  operationId: "replayWebhook",
  tags,
  security,
  description:
    "One more manual attempt (as `retry` gives) for each of the webhook's events created in [since, until] that match the filters. Paged behind the queue, 500 events a task.",
  request: { params: idParams, body: jsonBodyOf(createReplaySchema) },
  responses: {
    200: jsonContent(replayDryRunSchema, "Dry run: what would be replayed; nothing changed"),
    202: jsonContent(replaySchema, "Started; read its progress at GET /v1/replays/{id}"),
    ...problems(404, 409, ...BODY_PROBLEMS),
  },
});

const getReplayRoute = createRoute({
  method: "get",
  path: "/v1/replays/{id}",
  operationId: "getReplay",
  tags,
  security,
  request: { params: idParams },
  responses: { 200: jsonContent(replaySchema, "The replay and its progress"), ...problems(404, 422) },
});

export function registerReplayRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(createReplayRoute, async (c) => {
    const started = await startReplay(
      c.get("deps"),
      c.get("principal"),
      c.req.valid("param").id,
      c.req.valid("json"),
    );
    if (started.dryRun) {
      return c.json(
        {
          object: "replay" as const,
          dry_run: true as const,
          ...selectionFieldsOf(started.webhookId, started.selection),
          matched: started.matched,
        },
        200,
      );
    }
    return c.json(toReplayObject(started.row), 202);
  });
  app.openapi(getReplayRoute, async (c) => {
    const row = await findReplay(c.get("deps"), c.get("principal"), c.req.valid("param").id);
    return c.json(toReplayObject(row), 200);
  });
}
