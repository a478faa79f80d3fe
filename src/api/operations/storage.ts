/**
 * @module GET /v1/operations/storage (SPEC §8.1): what each history shard
 * holds (rows, bytes as D1 reports its size) against its limit, and what
 * the R2 archive holds (objects and bytes, payloads included). Relay-wide,
 * so for operators only.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { requireOperator } from "../../security/principal";
import { storageReport } from "../../storage/upkeep";
import { jsonContent, problems } from "../common";
import type { AppEnv } from "../context";

const storageSchema = z
  .object({
    databases: z
      .array(
        z.object({
          name: z.string().openapi({ description: "The history shard's D1 binding", example: "HISTORY_0" }),
          rows: z.number().int().openapi({ description: "History rows it holds (messages and events)" }),
          bytes: z.number().int().openapi({ description: "Its size, as D1 reports it" }),
          limit_bytes: z.number().int().openapi({
            description: "What it may hold; past 90 % it takes no new publishes (503), past 80 % storage.near_limit fires",
          }),
        }),
      )
      .openapi({ description: "Each history shard (the control plane's database is not among them)" }),
    archive: z
      .object({
        objects: z.number().int(),
        bytes: z.number().int(),
      })
      .openapi({ description: "The R2 bucket: payload objects and the archive of history past RELAY_HOT_HISTORY_HOURS" }),
  })
  .openapi("Storage");

const storageRoute = createRoute({
  method: "get",
  path: "/v1/operations/storage",
  operationId: "getStorage",
  tags: ["Operations"],
  security: [{ bearer: [] }],
  responses: {
    200: jsonContent(storageSchema, "What the history's databases and the archive hold"),
    ...problems(503),
  },
});

export function registerStorageRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(storageRoute, async (c) => {
    requireOperator(c.get("principal"));
    return c.json(await storageReport(c.get("deps").history), 200);
  });
}
