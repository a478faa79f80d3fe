/** @module Event type: one entry of the provider's event catalog (SPEC §8.3). */
import { z } from "@hono/zod-openapi";
import { EVENT_TYPE_NAME } from "../../catalog/catalog";
import { SCHEMA_MAX_BYTES, SCHEMA_MAX_DEPTH, VALIDATION_STEPS } from "../../catalog/json-schema";
import type { EventTypeRow } from "../../db/schema";
import { idSchema, timestampSchema } from "../common";
import { listSchema, paginationQuery } from "../pagination";

export const eventTypeNameSchema = z
  .string()
  .regex(EVENT_TYPE_NAME, "1 to 100 letters, digits, _ . or -")
  .openapi({ example: "order.paid" });

export const eventTypeParams = z.object({
  name: eventTypeNameSchema.openapi({ param: { name: "name", in: "path" } }),
});

const descriptionSchema = z.string().max(4096).openapi({ example: "An order was paid in full." });

/**
 * A JSON Schema (2020-12), judged by the service (src/catalog/json-schema.ts),
 * which names the offending part. z.unknown: a record schema would drop a
 * `__proto__` key, and the value may be `true` or `false`.
 */
const jsonSchemaSchema = z.unknown().openapi({
  type: ["object", "boolean", "null"],
  additionalProperties: {},
  description: `A JSON Schema (2020-12) that published payloads must match; null or absent for none. At most ${SCHEMA_MAX_BYTES} bytes and ${SCHEMA_MAX_DEPTH} levels deep; $refs resolve inside it; patterns are matched by a linear-time engine (no lookaround or backreferences). A payload takes at most ${VALIDATION_STEPS} steps to check.`,
  example: {
    type: "object",
    required: ["order_id", "amount"],
    properties: { order_id: { type: "string" }, amount: { type: "integer", minimum: 1 } },
  },
});

const exampleSchema = z.unknown().openapi({
  description: "A payload of this type, shown to customers; it must match the schema. null or absent for none.",
  example: { order_id: "ord_123", amount: 1000 },
});

export const createEventTypeSchema = z
  .object({
    name: eventTypeNameSchema,
    description: descriptionSchema.nullable().optional(),
    schema: jsonSchemaSchema.optional(),
    example: exampleSchema.optional(),
    deprecated: z.boolean().default(false),
  })
  .strict()
  .openapi("CreateEventType");

export const updateEventTypeSchema = z
  .object({
    description: descriptionSchema.nullable(),
    schema: jsonSchemaSchema,
    example: exampleSchema,
    deprecated: z.boolean(),
  })
  .partial()
  .strict()
  .openapi("UpdateEventType", { description: "The name cannot change: webhooks subscribe by it." });

export const eventTypeSchema = z
  .object({
    object: z.literal("event_type"),
    id: idSchema,
    name: z.string(),
    description: z.string().nullable(),
    schema: z.unknown().openapi({ type: ["object", "boolean", "null"], additionalProperties: {} }),
    example: z.unknown(),
    deprecated: z.boolean(),
    created_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .openapi("EventType");

export const eventTypeListSchema = listSchema(eventTypeSchema, "EventTypeList");
export const listEventTypesQuery = z.object(paginationQuery);

export const deletedEventTypeSchema = z
  .object({
    object: z.literal("event_type"),
    id: idSchema,
    name: z.string(),
    deleted: z.literal(true),
  })
  .openapi("DeletedEventType");

/** The API's answers, derived from the schemas above: clients import these, type-only. */
export type EventType = z.infer<typeof eventTypeSchema>;
export type CreateEventTypeInput = z.infer<typeof createEventTypeSchema>;
export type UpdateEventTypeInput = z.infer<typeof updateEventTypeSchema>;

export function toEventTypeObject(row: EventTypeRow): EventType {
  return {
    object: "event_type",
    id: row.id,
    name: row.name,
    description: row.description,
    schema: row.schema === null ? null : JSON.parse(row.schema),
    example: row.example === null ? null : JSON.parse(row.example),
    deprecated: row.deprecated,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}
