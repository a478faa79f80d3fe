/** @module Message: one published event, fanned out to its application's webhooks. */
import { z } from "@hono/zod-openapi";
import type { MessageRow } from "../../domain/message";
import { parseKeepingNumbers } from "../../lib/json-text";
import { idSchema, problemSchema, timestampSchema } from "../common";
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

/**
 * A payload may nest this deep at most (`[[1]]` is 2). Receivers' JSON
 * parsers stop somewhere (.NET's System.Text.Json at 64 by default, Ruby's
 * at 100, Rust's serde_json at 128), and so would the relay's own reading
 * of a payload far deeper; 64 is one every common parser takes.
 */
export const MAX_PAYLOAD_DEPTH = 64;

export const publishMessageSchema = z
  .object({
    application_id: idSchema,
    event_type: eventTypeSchema,
    // z.unknown rather than z.json: the body already parsed as JSON, and
    // z.json's recursive schema overflows the OpenAPI generator.
    payload: z
      .unknown()
      .refine((v) => v !== undefined, "payload is required (any JSON value)")
      .openapi({
        description: `Any JSON value, nested at most ${MAX_PAYLOAD_DEPTH} levels deep`,
        example: { amount: 1000, currency: "NGN" },
      }),
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

/** At most this many messages in one batch publish. */
const BATCH_LIMIT = 100;

export const publishBatchSchema = z
  .object({
    // Items are judged one by one (each answered with its own status), so
    // the request schema only bounds the list; each item is a PublishMessage.
    messages: z
      .array(
        z.unknown().openapi({
          description: "Shaped like PublishMessage, the body of POST /v1/messages",
          example: { application_id: "01936d3c-5d3e-7c41-9a7e-2f1c3b2a1d00", event_type: "charge.success", payload: { amount: 1000 } },
        }),
      )
      .min(1)
      .max(BATCH_LIMIT),
  })
  .strict()
  .openapi("PublishMessageBatch");

const batchEntrySchema = z
  .object({
    index: z.number().int().openapi({ description: "The item's position in the request" }),
    status: z.number().int().openapi({
      description: "202 accepted, 200 the idempotency key's first message, or the 4xx a single publish would answer",
    }),
    message: messageSchema.optional(),
    error: problemSchema.optional(),
  })
  .openapi("PublishBatchEntry");

export const publishBatchResultSchema = z
  .object({ object: z.literal("list"), data: z.array(batchEntrySchema) })
  .openapi("PublishBatchResult");

export const messageWithEventsSchema = messageSchema
  .extend({ events: z.array(eventSchema) })
  .openapi("MessageWithEvents");

/** What a message object is made from: a recorded row, or a message just accepted. */
type MessageFields = Pick<
  MessageRow,
  | "id"
  | "applicationId"
  | "eventType"
  | "payload"
  | "idempotencyKey"
  | "resourceType"
  | "resourceId"
  | "createdAt"
>;

/** The API's answers, derived from the schemas above. */
type Message = z.infer<typeof messageSchema>;

export function toMessageObject(row: MessageFields): Message {
  return {
    object: "message",
    id: row.id,
    application_id: row.applicationId,
    event_type: row.eventType,
    // Numbers JavaScript would change (1e400, 2^53 + 1) are written back as stored.
    payload: parseKeepingNumbers(row.payload),
    idempotency_key: row.idempotencyKey,
    resource:
      row.resourceType !== null && row.resourceId !== null
        ? { type: row.resourceType, id: row.resourceId }
        : null,
    created_at: row.createdAt,
  };
}
