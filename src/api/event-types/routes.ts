/** @module /v1/event-types: the event catalog (SPEC §8.3). */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { BODY_PROBLEMS, jsonBodyOf, jsonContent, problems } from "../common";
import type { AppEnv } from "../context";
import { paginate } from "../pagination";
import {
  createEventTypeSchema,
  deletedEventTypeSchema,
  eventTypeListSchema,
  eventTypeParams,
  eventTypeSchema,
  listEventTypesQuery,
  toEventTypeObject,
  updateEventTypeSchema,
} from "./schemas";
import {
  changeEventType,
  createEventType,
  findEventType,
  pageEventTypes,
  removeEventType,
} from "./service";

const tags = ["Event types"];
const security = [{ bearer: [] }];
const WRITERS = "The admin token or an admin key confined to no application: the catalog is relay-wide.";
const READERS = "Any caller, confined keys and portal links included: the catalog is shown to customers.";

const createEventTypeRoute = createRoute({
  method: "post",
  path: "/v1/event-types",
  operationId: "createEventType",
  tags,
  security,
  description: `${WRITERS} A schema that is not JSON Schema 2020-12, or an example that does not match it, is 422 naming the part (\`errors[].pointer\`). The relay's own types (TEST_EVENT, the operational events) cannot be catalogued.`,
  request: { body: jsonBodyOf(createEventTypeSchema) },
  responses: {
    201: jsonContent(eventTypeSchema, "Created"),
    ...problems(409, ...BODY_PROBLEMS),
  },
});

const listEventTypesRoute = createRoute({
  method: "get",
  path: "/v1/event-types",
  operationId: "listEventTypes",
  tags,
  security,
  description: READERS,
  request: { query: listEventTypesQuery },
  responses: {
    200: jsonContent(eventTypeListSchema, "A page of the catalog, newest first"),
    ...problems(422),
  },
});

const getEventTypeRoute = createRoute({
  method: "get",
  path: "/v1/event-types/{name}",
  operationId: "getEventType",
  tags,
  security,
  description: READERS,
  request: { params: eventTypeParams },
  responses: { 200: jsonContent(eventTypeSchema, "The event type"), ...problems(404, 422) },
});

const updateEventTypeRoute = createRoute({
  method: "patch",
  path: "/v1/event-types/{name}",
  operationId: "updateEventType",
  tags,
  security,
  description: `${WRITERS} The schema and example are judged as they will be together; null removes either.`,
  request: { params: eventTypeParams, body: jsonBodyOf(updateEventTypeSchema) },
  responses: {
    200: jsonContent(eventTypeSchema, "Updated"),
    ...problems(404, ...BODY_PROBLEMS),
  },
});

const deleteEventTypeRoute = createRoute({
  method: "delete",
  path: "/v1/event-types/{name}",
  operationId: "deleteEventType",
  tags,
  security,
  description: `${WRITERS} Publishing the type is then as for any type not catalogued; webhooks that name it keep it.`,
  request: { params: eventTypeParams },
  responses: { 200: jsonContent(deletedEventTypeSchema, "Deleted"), ...problems(404, 422) },
});

export function registerEventTypeRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(createEventTypeRoute, async (c) => {
    const row = await createEventType(c.get("deps"), c.get("principal"), c.req.valid("json"));
    return c.json(toEventTypeObject(row), 201);
  });
  app.openapi(listEventTypesRoute, async (c) => {
    const page = (after: string | undefined, limit: number) => pageEventTypes(c.get("deps"), after, limit);
    return c.json(await paginate(c.req.valid("query"), page, toEventTypeObject), 200);
  });
  app.openapi(getEventTypeRoute, async (c) => {
    const row = await findEventType(c.get("deps"), c.req.valid("param").name);
    return c.json(toEventTypeObject(row), 200);
  });
  app.openapi(updateEventTypeRoute, async (c) => {
    const row = await changeEventType(
      c.get("deps"),
      c.get("principal"),
      c.req.valid("param").name,
      c.req.valid("json"),
    );
    return c.json(toEventTypeObject(row), 200);
  });
  app.openapi(deleteEventTypeRoute, async (c) => {
    const row = await removeEventType(c.get("deps"), c.get("principal"), c.req.valid("param").name);
    return c.json({ object: "event_type" as const, id: row.id, name: row.name, deleted: true as const }, 200);
  });
}
