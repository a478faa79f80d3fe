/** @module Event (one message to one webhook) and attempt, with Bitnob's field names. */
import { z } from "@hono/zod-openapi";
import type { AttemptRow, EventRow } from "../../domain/event";
import { DELIVERY_STATUSES } from "../../domain/event";
import { idSchema, timestampSchema } from "../common";
import { listSchema, paginationQuery } from "../pagination";

export const eventSchema = z
  .object({
    object: z.literal("event"),
    id: idSchema,
    webhook_id: idSchema,
    message_id: idSchema,
    type: z.string(),
    delivery_status: z.enum(DELIVERY_STATUSES),
    delivery_attempts: z.number().int(),
    max_attempts: z.number().int(),
    http_status_code: z
      .number()
      .int()
      .openapi({ description: "Last attempt's status; 0 when no response" }),
    error_message: z.string().openapi({ description: "Last attempt's error; empty on success" }),
    next_attempt_at: timestampSchema.nullable(),
    created_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .openapi("Event");

const attemptSchema = z
  .object({
    object: z.literal("attempt"),
    id: idSchema,
    event_id: idSchema,
    attempt: z.number().int(),
    started_at: timestampSchema,
    duration_ms: z.number().int(),
    http_status_code: z.number().int(),
    response_body: z.string().openapi({ description: "First 4 KiB of the answer" }),
    error_message: z.string(),
    created_at: timestampSchema,
  })
  .openapi("Attempt");

export const eventListSchema = listSchema(eventSchema, "EventList");
export const attemptListSchema = listSchema(attemptSchema, "AttemptList");

export const listEventsQuery = z.object({
  webhook_id: idSchema,
  delivery_status: z.enum(DELIVERY_STATUSES).optional(),
  type: z.string().max(256).optional(),
  ...paginationQuery,
});

export const eventQuery = z.object({ webhook_id: idSchema.optional() });

/** The API's answers, derived from the schemas above. */
type DeliveryEvent = z.infer<typeof eventSchema>;
type Attempt = z.infer<typeof attemptSchema>;

export function toEventObject(row: EventRow): DeliveryEvent {
  return {
    object: "event",
    id: row.id,
    webhook_id: row.webhookId,
    message_id: row.messageId,
    type: row.type,
    delivery_status: row.deliveryStatus,
    delivery_attempts: row.deliveryAttempts,
    max_attempts: row.maxAttempts,
    http_status_code: row.httpStatusCode,
    error_message: row.errorMessage,
    next_attempt_at:
      row.deliveryStatus === "success" || row.deliveryStatus === "failed"
        ? null
        : row.nextAttemptAt,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

export function toAttemptObject(row: AttemptRow): Attempt {
  return {
    object: "attempt",
    id: row.id,
    event_id: row.eventId,
    attempt: row.attempt,
    started_at: row.startedAt,
    duration_ms: row.durationMs,
    http_status_code: row.httpStatusCode,
    response_body: row.responseBody,
    error_message: row.errorMessage,
    created_at: row.startedAt,
  };
}
