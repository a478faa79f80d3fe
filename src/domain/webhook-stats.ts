/**
 * @module A webhook's delivery statistics as GET /v1/webhooks/{id}/stats
 * answers them. Its webhook's object computes them
 * (src/delivery/history/stats.ts); the API documents them, its id as a UUID
 * (src/api/webhooks/schemas.ts).
 */
import { z } from "@hono/zod-openapi";

export const webhookStatsShape = z.object({
  object: z.literal("webhook_stats"),
  webhook_id: z.string(),
  window_hours: z.number().int(),
  counts: z.object({
    success: z.number().int(),
    failed: z.number().int(),
    pending: z.number().int(),
    retrying: z.number().int(),
  }),
  success_rate: z.number().nullable(),
  attempts: z.number().int(),
  latency_ms: z.object({ p50: z.number().nullable(), p95: z.number().nullable() }),
  hourly: z
    .array(
      z.object({
        hour: z.string().openapi({ description: "Start of the UTC hour (RFC 3339)" }),
        success: z.number().int().openapi({ description: "Attempts that delivered their event" }),
        failed: z.number().int().openapi({ description: "Attempts that failed their event for good" }),
        retrying: z
          .number()
          .int()
          .openapi({ description: "Failed attempts with another attempt to come" }),
      }),
    )
    .openapi({ description: "Attempts per hour over the window, oldest first" }),
});

export type WebhookStats = z.infer<typeof webhookStatsShape>;
