/**
 * @module DELETE /v1/<resource>/{id}, once: the route (its OpenAPI entry) and
 * its thin handler, for every resource that can be deleted. The service does
 * the checks and the removal; the answer says which object went.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Deps } from "../deps";
import type { Principal } from "../security/principal";
import { idParams, jsonContent, problems } from "./common";
import type { AppEnv } from "./context";

type DeleteRoute = {
  path: `/v1/${string}/{id}`;
  operationId: string;
  tags: string[];
  /** The `object` of what is deleted, echoed in the answer. */
  object: string;
  /** What deleting does, for the OpenAPI document. */
  description: string;
  remove: (deps: Deps, principal: Principal, id: string) => Promise<void>;
};

export function registerDeleteRoute(app: OpenAPIHono<AppEnv>, spec: DeleteRoute) {
  const answer = z.object({ object: z.literal(spec.object), id: z.string(), deleted: z.literal(true) });
  const route = createRoute({
    method: "delete",
    path: spec.path,
    operationId: spec.operationId,
    tags: spec.tags,
    security: [{ bearer: [] }],
    request: { params: idParams },
    responses: { 200: jsonContent(answer, spec.description), ...problems(404, 422) },
  });
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    await spec.remove(c.get("deps"), c.get("principal"), id);
    return c.json({ object: spec.object, id, deleted: true as const }, 200);
  });
}
