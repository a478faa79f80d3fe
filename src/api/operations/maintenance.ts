/**
 * @module POST /v1/maintenance: runs now what the cron runs every minute (the
 * sweep, and the history's retention purge and archiving). `npm start` calls it at boot and every
 * minute; operators may call it after an incident. Relay-wide, so for
 * operators only.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { reencryptSecrets } from "../../maintenance/reencrypt";
import { runMaintenance } from "../../maintenance/run";
import { requireOperator } from "../../security/principal";
import { BODY_PROBLEMS, jsonBodyOf, jsonContent, problems } from "../common";
import type { AppEnv } from "../context";

const maintenanceRequestSchema = z
  .object({
    after_restart: z.boolean().optional().openapi({
      description:
        "The queue has just started empty (a local relay after a restart): re-enqueue every undispatched message, not only those older than 30 s, and wake every webhook's object.",
    }),
    reencrypt: z.boolean().optional().openapi({
      description:
        "Also rewrite every webhook's signing secrets and private keys under the current RELAY_ENCRYPTION_KEY (after a key rotation, or an upgrade from a version that stored them in clear)",
    }),
  })
  .strict()
  .openapi("MaintenanceRequest");

const maintenanceSchema = z
  .object({
    object: z.literal("maintenance"),
    requeued: z.number().int().openapi({ description: "Undispatched messages enqueued again" }),
    woken: z.number().int().openapi({ description: "Webhook objects woken" }),
    purged: z.object({ events: z.number().int(), messages: z.number().int() }).openapi({
      description: "History deleted because it is older than RELAY_RETENTION_DAYS",
    }),
    archived: z.number().int().openapi({
      description: "History shard partitions moved to the R2 archive, being older than RELAY_HOT_HISTORY_HOURS",
    }),
    reencrypted: z.number().int().optional().openapi({
      description: "With reencrypt: webhooks whose secrets or keys were rewritten under the current key",
    }),
  })
  .openapi("Maintenance");

const maintenanceRoute = createRoute({
  method: "post",
  path: "/v1/maintenance",
  operationId: "runMaintenance",
  tags: ["Operations"],
  security: [{ bearer: [] }],
  request: { body: jsonBodyOf(maintenanceRequestSchema, false) },
  responses: {
    200: jsonContent(maintenanceSchema, "What the run did"),
    ...problems(...BODY_PROBLEMS),
  },
});

export function registerMaintenanceRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(maintenanceRoute, async (c) => {
    requireOperator(c.get("principal"));
    const { after_restart, reencrypt } = c.req.valid("json");
    // First, so that a key that opens nothing (503) stops the call before anything else runs.
    const reencrypted = reencrypt ? { reencrypted: await reencryptSecrets(c.get("deps")) } : {};
    const result = await runMaintenance(c.get("deps"), { afterRestart: after_restart });
    return c.json({ object: "maintenance" as const, ...result, ...reencrypted }, 200);
  });
}
