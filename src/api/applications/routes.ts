/** @module /v1/applications */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { BODY_PROBLEMS, idParams, jsonBodyOf, jsonContent, problems } from "../common";
import type { AppEnv } from "../context";
import { registerDeleteRoute } from "../delete-route";
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

export function registerApplicationRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(createApplicationRoute, async (c) => {
    const row = await createApplication(c.get("deps"), c.get("principal"), c.req.valid("json"));
    return c.json(toApplicationObject(row), 201);
  });
  app.openapi(listApplicationsRoute, async (c) => {
    const page = (after: string | undefined, limit: number) =>
      pageApplications(c.get("deps"), c.get("principal"), after, limit);
    return c.json(await paginate(c.req.valid("query"), page, toApplicationObject), 200);
  });
  app.openapi(getApplicationRoute, async (c) => {
    const row = await findApplication(c.get("deps"), c.get("principal"), c.req.valid("param").id);
    return c.json(toApplicationObject(row), 200);
  });
  app.openapi(updateApplicationRoute, async (c) => {
    const row = await changeApplication(
      c.get("deps"),
      c.get("principal"),
      c.req.valid("param").id,
      c.req.valid("json"),
    );
    return c.json(toApplicationObject(row), 200);
  });
  registerDeleteRoute(app, {
    path: "/v1/applications/{id}",
    operationId: "deleteApplication",
    tags,
    object: "application",
    description: "Deleted with its webhooks, messages and history",
    remove: removeApplication,
  });
}
