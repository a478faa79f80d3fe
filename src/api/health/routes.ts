/** @module GET /v1/health: no token, no storage touched. */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { jsonContent } from "../common";
import type { AppEnv } from "../context";

const healthRoute = createRoute({
  method: "get",
  path: "/v1/health",
  operationId: "getHealth",
  tags: ["Health"],
  responses: {
    200: jsonContent(z.object({ status: z.literal("ok") }).openapi("Health"), "The relay is up"),
  },
});

export function registerHealthRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(healthRoute, (c) => c.json({ status: "ok" as const }, 200));
}
