/** @module /v1/messages: publish and inspect. */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { elementTexts, memberText } from "../../lib/json-text";
import { BODY_PROBLEMS, idParams, jsonBodyOf, jsonContent, problems } from "../common";
import type { AppEnv } from "../context";
import { toEventObject } from "../events/schemas";
import { problemOf } from "../problem";
import {
  idempotencyKeySchema,
  messageSchema,
  messageWithEventsSchema,
  publishBatchResultSchema,
  publishBatchSchema,
  publishMessageSchema,
  toMessageObject,
} from "./schemas";
import { findMessage, publishBatch, publishMessage } from "./service";

const tags = ["Messages"];
const security = [{ bearer: [] }];

const publishRoute = createRoute({
  method: "post",
  path: "/v1/messages",
  operationId: "publishMessage",
  tags,
  security,
  description:
    "When the event type is in the catalog (GET /v1/event-types) with a schema, the payload must match it, else 422 whose errors carry a JSON Pointer into the payload (`pointer`). With RELAY_REQUIRE_EVENT_TYPES, a type not in the catalog is 422. When the application's history cannot be kept (its history shard full or failing), 503 with Retry-After, before anything is accepted.",
  request: {
    body: jsonBodyOf(publishMessageSchema),
    headers: z.object({ "idempotency-key": idempotencyKeySchema.optional() }),
  },
  responses: {
    202: jsonContent(messageSchema, "Accepted; delivery happens behind the queue"),
    200: jsonContent(messageSchema, "The first message published with this idempotency key"),
    ...problems(404, ...BODY_PROBLEMS, 503),
  },
});

const publishBatchRoute = createRoute({
  method: "post",
  path: "/v1/messages/batch",
  operationId: "publishMessageBatch",
  tags,
  security,
  description:
    "Up to 100 messages, each judged as `POST /v1/messages` would judge it (its event type's schema included: a payload that does not match is that item's 422, the others go on); the whole body may be up to 4 × RELAY_MAX_PAYLOAD_BYTES, each payload up to RELAY_MAX_PAYLOAD_BYTES. An item whose application's history cannot be kept now is that item's 503.",
  request: { body: jsonBodyOf(publishBatchSchema) },
  responses: {
    200: jsonContent(publishBatchResultSchema, "Each item's answer, in the order given"),
    ...problems(...BODY_PROBLEMS),
  },
});

const getMessageRoute = createRoute({
  method: "get",
  path: "/v1/messages/{id}",
  operationId: "getMessage",
  tags,
  security,
  request: { params: idParams },
  responses: {
    200: jsonContent(messageWithEventsSchema, "The message and its events"),
    ...problems(404, 422),
  },
});

export function registerMessageRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(publishRoute, async (c) => {
    const headerKey = c.req.valid("header")["idempotency-key"];
    const input = c.req.valid("json");
    // The payload's own text from the body, not a re-serialisation: numbers
    // such as 1e400 or 12345678901234567890123 must reach receivers unchanged.
    const rawBody = c.get("rawBody");
    const source = rawBody === undefined ? undefined : memberText(rawBody, "payload");
    const { message, created } = await publishMessage(
      c.get("deps"),
      c.get("principal"),
      input,
      headerKey,
      source,
    );
    return created ? c.json(toMessageObject(message), 202) : c.json(toMessageObject(message), 200);
  });
  app.openapi(publishBatchRoute, async (c) => {
    // Each payload's own text from the body, as for a single publish.
    const rawBody = c.get("rawBody");
    const items = rawBody === undefined ? undefined : memberText(rawBody, "messages");
    const payloadTexts = items === undefined ? [] : elementTexts(items).map((item) => memberText(item, "payload"));
    const entries = await publishBatch(
      c.get("deps"),
      c.get("principal"),
      c.req.valid("json").messages,
      payloadTexts,
    );
    return c.json(
      {
        object: "list" as const,
        data: entries.map((e) =>
          "message" in e
            ? { index: e.index, status: e.status, message: toMessageObject(e.message) }
            : { index: e.index, status: e.status, error: problemOf(e.error) },
        ),
      },
      200,
    );
  });
  app.openapi(getMessageRoute, async (c) => {
    const { message, events } = await findMessage(
      c.get("deps"),
      c.get("principal"),
      c.req.valid("param").id,
    );
    return c.json({ ...toMessageObject(message), events: events.map(toEventObject) }, 200);
  });
}
