/** @module Replay: one more attempt for each of a webhook's events that a filter selects (SPEC §7.6). */
import { z } from "@hono/zod-openapi";
import type { ReplayRow, ReplaySelection } from "../../db/schema";
import { DELIVERY_STATUSES } from "../../domain/event";
import { idSchema, instantSchema, timestampSchema } from "../common";

/** Selected when the request names no status: what will not be attempted anyway. */
export const DEFAULT_REPLAY_STATUSES = ["success", "failed"] as const;

export const createReplaySchema = z
  .object({
    since: instantSchema.openapi({ description: "Events created at or after this time." }),
    until: instantSchema.optional().openapi({
      description: "Events created at or before this time (both ends included, as recover's); default now.",
    }),
    delivery_status: z
      .array(z.enum(DELIVERY_STATUSES))
      .min(1)
      .max(DELIVERY_STATUSES.length)
      .optional()
      .openapi({
        description: "Default: success and failed (pending and retrying events are attempted anyway).",
        example: ["failed"],
      }),
    event_types: z
      .array(z.string().min(1).max(256))
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: "Only events of these types; default any.", example: ["order.paid"] }),
    http_status_codes: z
      .array(z.number().int().min(0).max(599))
      .min(1)
      .max(100)
      .optional()
      .openapi({
        description: "Only events whose last attempt answered one of these (0: no response); default any.",
        example: [500, 502, 503],
      }),
    dry_run: z.boolean().optional().openapi({
      description: "Count what would be replayed, and change nothing.",
    }),
  })
  .strict()
  .openapi("CreateReplay");

const selectionFields = {
  webhook_id: idSchema,
  since: timestampSchema,
  until: timestampSchema,
  delivery_status: z.array(z.enum(DELIVERY_STATUSES)),
  event_types: z.array(z.string()).nullable(),
  http_status_codes: z.array(z.number().int()).nullable(),
  matched: z.number().int().openapi({ description: "Events the selection matched when asked" }),
};

export const replayDryRunSchema = z
  .object({ object: z.literal("replay"), dry_run: z.literal(true), ...selectionFields })
  .openapi("ReplayDryRun");

export const replaySchema = z
  .object({
    object: z.literal("replay"),
    id: idSchema,
    ...selectionFields,
    queued: z.number().int().openapi({ description: "Events handed over for an attempt so far" }),
    status: z.enum(["running", "done"]),
    created_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .openapi("Replay");

export type CreateReplayInput = z.infer<typeof createReplaySchema>;
type Replay = z.infer<typeof replaySchema>;

export function selectionFieldsOf(webhookId: string, s: ReplaySelection) {
  return {
    webhook_id: webhookId,
    since: s.since,
    until: s.until,
    delivery_status: s.deliveryStatuses,
    event_types: s.eventTypes,
    http_status_codes: s.httpStatusCodes,
  };
}

export function toReplayObject(row: ReplayRow): Replay {
  return {
    object: "replay",
    id: row.id,
    ...selectionFieldsOf(row.webhookId, row.selection),
    matched: row.matched,
    queued: row.queued,
    status: row.status,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}
