/**
 * @module GET /v1/usage: the billable-unit counters of the isolates that
 * served this relay (the API's, and those of the named webhooks' objects),
 * since they started. Per isolate, so meaningful on one machine: the
 * benchmark reads it before and after a run to price a delivered event.
 * Relay-wide, so for operators only.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import {
  currentIsolateId,
  sumUsage,
  type Usage,
  usage,
  usageCountersSchema,
} from "../../lib/usage";
import { webhookObject } from "../../deps";
import { requireOperator } from "../../security/principal";
import { idSchema, jsonContent, problems } from "../common";
import type { AppEnv } from "../context";

const usageSchema = z
  .object({ object: z.literal("usage"), isolates: z.number().int() })
  .extend(usageCountersSchema.shape)
  .openapi("Usage");

const usageRoute = createRoute({
  method: "get",
  path: "/v1/usage",
  operationId: "getUsage",
  tags: ["Operations"],
  security: [{ bearer: [] }],
  request: {
    query: z.object({
      webhook_id: z
        .union([idSchema, z.array(idSchema).max(100)])
        .optional()
        .openapi({ description: "Webhooks whose objects' counters to include (repeatable)" }),
    }),
  },
  responses: {
    200: jsonContent(usageSchema, "Counters summed over distinct isolates"),
    ...problems(422),
  },
});

export function registerUsageRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(usageRoute, async (c) => {
    requireOperator(c.get("principal"));
    const { webhook_id } = c.req.valid("query");
    const ids =
      webhook_id === undefined ? [] : Array.isArray(webhook_id) ? webhook_id : [webhook_id];
    const parts = new Map<string, Usage>([[currentIsolateId(), usage]]);
    for (const id of ids) {
      const part = await webhookObject(c.get("deps"), id).usage();
      parts.set(part.isolateId, part.usage);
    }
    return c.json(
      { object: "usage" as const, isolates: parts.size, ...sumUsage([...parts.values()]) },
      200,
    );
  });
}
