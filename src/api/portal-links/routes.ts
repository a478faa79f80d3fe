/** @module /v1/applications/{id}/portal-links (create, list the live ones) and /v1/portal-links/{id} (revoke). */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { BODY_PROBLEMS, idParams, jsonBodyOf, jsonContent, problems } from "../common";
import type { AppEnv } from "../context";
import { registerDeleteRoute } from "../delete-route";
import { paginate } from "../pagination";
import {
  createPortalLinkSchema,
  listPortalLinksQuery,
  portalLinkListSchema,
  portalLinkSchema,
  toListedPortalLink,
  toPortalLinkObject,
} from "./schemas";
import { createPortalLink, pagePortalLinks, portalUrl, revokePortalLink } from "./service";

const tags = ["Portal links"];
const security = [{ bearer: [] }];

const createPortalLinkRoute = createRoute({
  method: "post",
  path: "/v1/applications/{id}/portal-links",
  operationId: "createPortalLink",
  tags,
  security,
  request: { params: idParams, body: jsonBodyOf(createPortalLinkSchema, false) },
  responses: {
    201: jsonContent(portalLinkSchema, "Created; the only time the link (and its token) is shown"),
    ...problems(404, ...BODY_PROBLEMS),
  },
});

const listPortalLinksRoute = createRoute({
  method: "get",
  path: "/v1/applications/{id}/portal-links",
  operationId: "listPortalLinks",
  tags,
  security,
  request: { params: idParams, query: listPortalLinksQuery },
  responses: {
    200: jsonContent(
      portalLinkListSchema,
      "The links that still work (not expired, not revoked), newest first, without their tokens",
    ),
    ...problems(404, 422),
  },
});

export function registerPortalLinkRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(createPortalLinkRoute, async (c) => {
    const { row, token } = await createPortalLink(
      c.get("deps"),
      c.get("principal"),
      c.req.valid("param").id,
      c.req.valid("json"),
    );
    return c.json(toPortalLinkObject(row, portalUrl(new URL(c.req.url).origin, token)), 201);
  });
  app.openapi(listPortalLinksRoute, async (c) => {
    const { id } = c.req.valid("param");
    const page = (after: string | undefined, limit: number) =>
      pagePortalLinks(c.get("deps"), c.get("principal"), id, after, limit);
    return c.json(await paginate(c.req.valid("query"), page, toListedPortalLink), 200);
  });
  registerDeleteRoute(app, {
    path: "/v1/portal-links/{id}",
    operationId: "deletePortalLink",
    tags,
    object: "portal_link",
    description: "Revoked: its token is refused from the next request on",
    remove: revokePortalLink,
  });
}
