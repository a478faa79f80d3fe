/** @module Schemas and OpenAPI pieces every resource shares. */
import { z } from "@hono/zod-openapi";

/**
 * A UUID, in either case: ids are stored lowercase, so an uppercase spelling
 * (as some clients and languages print UUIDs) is normalised before lookup.
 */
export const idSchema = z
  .uuid()
  .toLowerCase()
  .openapi({ example: "01936d3c-5d3e-7c41-9a7e-2f1c3b2a1d00" });

export const idParams = z.object({
  id: z.uuid().toLowerCase().openapi({
    param: { name: "id", in: "path" },
    example: "01936d3c-5d3e-7c41-9a7e-2f1c3b2a1d00",
  }),
});

export const timestampSchema = z
  .string()
  .openapi({ format: "date-time", example: "2026-11-22T15:37:13.123Z" });

/** 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: what a four-digit UTC year can write. */
const FIRST_INSTANT_MS = -62_167_219_200_000;
const LAST_INSTANT_MS = 253_402_300_799_999;

/**
 * An RFC 3339 time with any offset, whose instant lies in the years
 * 0000–9999 UTC. "9999-12-31T23:59:59-23:59" is valid RFC 3339 but is in
 * the year 10000 in UTC, which no stored time can write.
 */
export const instantSchema = z.iso
  .datetime({ offset: true })
  .refine((text) => {
    const ms = Date.parse(text);
    return ms >= FIRST_INSTANT_MS && ms <= LAST_INSTANT_MS;
  }, "must lie within the years 0000 to 9999 in UTC")
  .openapi({ format: "date-time", example: "2026-11-22T15:37:13.123Z" });

/** Free-form data kept with the object; bounded so it cannot be used as storage. */
export const metadataSchema = z
  .record(z.string().max(128), z.unknown())
  .refine((m) => JSON.stringify(m).length <= 16_384, "metadata must serialise to at most 16 KiB")
  .openapi({ example: { plan: "pro" } });

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z
      .array(
        z.object({
          path: z.string().openapi({ description: "The field, dotted (e.g. `payload.items.0.sku`)" }),
          message: z.string(),
          pointer: z.string().optional().openapi({
            description:
              "Where inside the JSON document sent (a payload checked against its event type's schema, or a schema), as an RFC 6901 JSON Pointer into it",
            example: "/items/0/sku",
          }),
        }),
      )
      .optional(),
  })
  .openapi("Problem");

/** RFC 9457 problem details, as src/api/problem.ts writes them. */
export type Problem = z.infer<typeof problemSchema>;

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: "Malformed JSON",
  401: "No or bad token",
  403: "Scope or client address refused",
  404: "Unknown resource",
  409: "Conflict or limit reached",
  413: "Body too large",
  415: "Body is not JSON",
  422: "Validation failed",
  429: "Rate limited",
  503: "Not configured, or history cannot be kept right now (Retry-After)",
};

/** OpenAPI responses for the problems a route can answer. */
export function problems(...statuses: number[]) {
  const all = [401, 403, 429, ...statuses];
  return Object.fromEntries(
    all.map((status) => [
      status,
      {
        description: PROBLEM_DESCRIPTIONS[status] ?? "Error",
        content: { "application/problem+json": { schema: problemSchema } },
      },
    ]),
  );
}

export const BODY_PROBLEMS = [400, 413, 415, 422];

export function jsonContent<T extends z.ZodTypeAny>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

export function jsonBodyOf<T extends z.ZodTypeAny>(schema: T, required = true) {
  return { required, content: { "application/json": { schema } } };
}
