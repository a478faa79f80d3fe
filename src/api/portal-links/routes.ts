/** @module /v1/applications/{id}/portal-links (create) and /v1/portal-links/{id} (revoke). */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { BODY_PROBLEMS, idParams, jsonBodyOf, jsonContent, problems } from "../common";
import type { AppEnv } from "../context";
import { registerDeleteRoute } from "../delete-route";
import { createPortalLinkSchema, portalLinkSchema, toPortalLinkObject } from "./schemas";
import { createPortalLink, portalUrl, revokePortalLink } from "./service";

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
  registerDeleteRoute(app, {
    path: "/v1/portal-links/{id}",
    operationId: "deletePortalLink",
    tags,
    object: "portal_link",
    description: "Revoked: its token is refused from the next request on",
    remove: revokePortalLink,
  });
}
