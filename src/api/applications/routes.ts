/** @module /v1/applications */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import {
  BODY_PROBLEMS,
  deleted,
  deletedSchema,
  idParams,
  jsonBodyOf,
  jsonContent,
  problems,
} from "../common";
import type { AppEnv } from "../context";
import { paginate } from "../pagination";
import {
  applicationListSchema,
  applicationSchema,
  createApplicationSchema,
  listApplicationsQuery,
  toApplicationObject,
  updateApplicationSchema,
} from "./schemas";
import {
  changeApplication,
  createApplication,
  findApplication,
  pageApplications,
  removeApplication,
} from "./service";

const tags = ["Applications"];
const security = [{ bearer: [] }];

const createApplicationRoute = createRoute({
  method: "post",
  path: "/v1/applications",
  operationId: "createApplication",
  tags,
  security,
  request: { body: jsonBodyOf(createApplicationSchema) },
  responses: { 201: jsonContent(applicationSchema, "Created"), ...problems(409, ...BODY_PROBLEMS) },
});

const listApplicationsRoute = createRoute({
  method: "get",
  path: "/v1/applications",
  operationId: "listApplications",
  tags,
  security,
  request: { query: listApplicationsQuery },
  responses: {
    200: jsonContent(applicationListSchema, "A page of applications"),
    ...problems(422),
  },
});

const getApplicationRoute = createRoute({
  method: "get",
  path: "/v1/applications/{id}",
  operationId: "getApplication",
  tags,
  security,
  request: { params: idParams },
  responses: { 200: jsonContent(applicationSchema, "The application"), ...problems(404, 422) },
});

const updateApplicationRoute = createRoute({
  method: "patch",
  path: "/v1/applications/{id}",
  operationId: "updateApplication",
  tags,
  security,
  request: { params: idParams, body: jsonBodyOf(updateApplicationSchema) },
  responses: {
    200: jsonContent(applicationSchema, "Updated"),
    ...problems(404, 409, ...BODY_PROBLEMS),
  },
});

const deleteApplicationRoute = createRoute({
  method: "delete",
  path: "/v1/applications/{id}",
  operationId: "deleteApplication",
  tags,
  security,
  request: { params: idParams },
  responses: {
    200: jsonContent(deletedSchema("application"), "Deleted with its webhooks, messages and history"),
    ...problems(404, 422),
  },
});

export function registerApplicationRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(createApplicationRoute, async (c) => {
    const row = await createApplication(c.var.deps, c.var.principal, c.req.valid("json"));
    return c.json(toApplicationObject(row), 201);
  });
  app.openapi(listApplicationsRoute, async (c) => {
    const page = await paginate(
      c.req.valid("query"),
      (after, limit) => pageApplications(c.var.deps, c.var.principal, after, limit),
      toApplicationObject,
      (r) => r.id,
    );
    return c.json(page, 200);
  });
  app.openapi(getApplicationRoute, async (c) => {
    const row = await findApplication(c.var.deps, c.var.principal, c.req.valid("param").id);
    return c.json(toApplicationObject(row), 200);
  });
  app.openapi(updateApplicationRoute, async (c) => {
    const row = await changeApplication(
      c.var.deps,
      c.var.principal,
      c.req.valid("param").id,
      c.req.valid("json"),
    );
    return c.json(toApplicationObject(row), 200);
  });
  app.openapi(deleteApplicationRoute, async (c) => {
    const { id } = c.req.valid("param");
    await removeApplication(c.var.deps, c.var.principal, id);
    return c.json(deleted("application", id), 200);
  });
}
