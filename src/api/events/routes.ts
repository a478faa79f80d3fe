/** @module /v1/events: Bitnob's delivery events API, plus attempts. */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { unprocessable } from "../../lib/errors";
import { BODY_PROBLEMS, idParams, jsonBodyOf, jsonContent, problems } from "../common";
import type { AppEnv } from "../context";
import { paginate, paginationQuery, readCursor } from "../pagination";
import {
  attemptListSchema,
  eventListSchema,
  eventQuery,
  eventSchema,
  listEventsQuery,
  toAttemptObject,
  toEventObject,
} from "./schemas";
import { findEvent, pageAttempts, pageEvents, retryEvent } from "./service";

const tags = ["Events"];
const security = [{ bearer: [] }];

const listEventsRoute = createRoute({
  method: "get",
  path: "/v1/events",
  operationId: "listEvents",
  tags,
  security,
  request: { query: listEventsQuery },
  responses: {
    200: jsonContent(eventListSchema, "A page of events, newest first"),
    ...problems(404, 422),
  },
});

const getEventRoute = createRoute({
  method: "get",
  path: "/v1/events/{id}",
  operationId: "getEvent",
  tags,
  security,
  request: { params: idParams, query: eventQuery },
  responses: { 200: jsonContent(eventSchema, "The event"), ...problems(404, 422) },
});

const retryEventRoute = createRoute({
  method: "post",
  path: "/v1/events/{id}/retry",
  operationId: "retryEvent",
  tags,
  security,
  request: { params: idParams, query: eventQuery, body: jsonBodyOf(z.object({}).strict(), false) },
  responses: {
    200: jsonContent(eventSchema, "Queued for one fresh attempt"),
    ...problems(404, 409, ...BODY_PROBLEMS),
  },
});

const listAttemptsRoute = createRoute({
  method: "get",
  path: "/v1/events/{id}/attempts",
  operationId: "listAttempts",
  tags,
  security,
  request: { params: idParams, query: z.object(paginationQuery) },
  responses: {
    200: jsonContent(attemptListSchema, "The attempts, oldest first"),
    ...problems(404, 422),
  },
});

function attemptCursor(cursor: string | undefined): number {
  const key = readCursor(cursor);
  if (key === undefined) return 0;
  const n = Number(key);
  if (!Number.isInteger(n) || n < 0)
    throw unprocessable([{ path: "cursor", message: "Not a cursor issued by this API." }]);
  return n;
}

export function registerEventRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(listEventsRoute, async (c) => {
    const q = c.req.valid("query");
    const page = (before: string | undefined, limit: number) =>
      pageEvents(c.get("deps"), c.get("principal"), {
        webhookId: q.webhook_id,
        deliveryStatus: q.delivery_status,
        type: q.type,
        before,
        limit,
      });
    return c.json(await paginate(q, page, toEventObject), 200);
  });
  app.openapi(getEventRoute, async (c) => {
    const { event } = await findEvent(
      c.get("deps"),
      c.get("principal"),
      c.req.valid("param").id,
      c.req.valid("query").webhook_id,
    );
    return c.json(toEventObject(event), 200);
  });
  app.openapi(retryEventRoute, async (c) => {
    const event = await retryEvent(
      c.get("deps"),
      c.get("principal"),
      c.req.valid("param").id,
      c.req.valid("query").webhook_id,
    );
    return c.json(toEventObject(event), 200);
  });
  app.openapi(listAttemptsRoute, async (c) => {
    const { id } = c.req.valid("param");
    const page = (after: number, limit: number) =>
      pageAttempts(c.get("deps"), c.get("principal"), id, after, limit);
    const keys = { keyOf: (r: { attempt: number }) => String(r.attempt), read: attemptCursor };
    return c.json(await paginate(c.req.valid("query"), page, toAttemptObject, keys), 200);
  });
}
