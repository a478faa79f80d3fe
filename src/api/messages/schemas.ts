/** @module Message: one published event, fanned out to its application's webhooks. */
import { z } from "@hono/zod-openapi";
import type { MessageRow } from "../../db/schema";
import { idSchema, timestampSchema } from "../common";
import { eventSchema } from "../events/schemas";

export const eventTypeSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9_.:/-]+$/, "event types may hold letters, digits and _ . : / - only")
  .openapi({ example: "charge.success" });

export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[\x21-\x7e]+$/, "printable ASCII without spaces");

export const publishMessageSchema = z
  .object({
    application_id: idSchema,
    event_type: eventTypeSchema,
    // z.unknown rather than z.json: the body already parsed as JSON, and
    // z.json's recursive schema overflows the OpenAPI generator.
    payload: z
      .unknown()
      .refine((v) => v !== undefined, "payload is required (any JSON value)")
      .openapi({ description: "Any JSON value", example: { amount: 1000, currency: "NGN" } }),
    idempotency_key: idempotencyKeySchema.optional(),
    resource: z
      .object({ type: z.string().min(1).max(256), id: z.string().min(1).max(256) })
      .strict()
      .optional(),
  })
  .strict()
  .openapi("PublishMessage");

export const messageSchema = z
  .object({
    object: z.literal("message"),
    id: idSchema,
    application_id: idSchema,
    event_type: z.string(),
    payload: z.unknown(),
    idempotency_key: z.string().nullable(),
    resource: z.object({ type: z.string(), id: z.string() }).nullable(),
    created_at: timestampSchema,
  })
  .openapi("Message");

export const messageWithEventsSchema = messageSchema
  .extend({ events: z.array(eventSchema) })
  .openapi("MessageWithEvents");

/** The API's answers, derived from the schemas above: clients import these, type-only. */
export type Message = z.infer<typeof messageSchema>;
export type MessageWithEvents = z.infer<typeof messageWithEventsSchema>;

export function toMessageObject(row: MessageRow): Message {
  return {
    object: "message",
    id: row.id,
    application_id: row.applicationId,
    event_type: row.eventType,
    payload: JSON.parse(row.payload),
    idempotency_key: row.idempotencyKey,
    resource:
      row.resourceType !== null && row.resourceId !== null
        ? { type: row.resourceType, id: row.resourceId }
        : null,
    created_at: row.createdAt,
  };
}
