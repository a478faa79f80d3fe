/** @module Application: a tenant, one customer of the provider. */
import { z } from "@hono/zod-openapi";
import type { ApplicationRow } from "../../db/schema";
import { idSchema, metadataSchema, timestampSchema } from "../common";
import { listSchema, paginationQuery } from "../pagination";

const nameSchema = z.string().trim().min(1).max(256);
const uidSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9_.:-]+$/, "uid may hold letters, digits and _ . : - only");

export const createApplicationSchema = z
  .object({
    name: nameSchema,
    uid: uidSchema.optional(),
    webhook_limit: z.number().int().min(1).max(1000).default(10),
    metadata: metadataSchema.default({}),
  })
  .strict()
  .openapi("CreateApplication");

export const updateApplicationSchema = z
  .object({
    name: nameSchema.optional(),
    uid: uidSchema.nullable().optional(),
    webhook_limit: z.number().int().min(1).max(1000).optional(),
    metadata: metadataSchema.optional(),
  })
  .strict()
  .openapi("UpdateApplication");

export const applicationSchema = z
  .object({
    object: z.literal("application"),
    id: idSchema,
    name: z.string(),
    uid: z.string().nullable(),
    webhook_limit: z.number().int(),
    metadata: z.record(z.string(), z.unknown()),
    created_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .openapi("Application");

export const applicationListSchema = listSchema(applicationSchema, "ApplicationList");
export const listApplicationsQuery = z.object(paginationQuery);

/** The API's answers, derived from the schemas above. */
type Application = z.infer<typeof applicationSchema>;

export function toApplicationObject(row: ApplicationRow): Application {
  return {
    object: "application",
    id: row.id,
    name: row.name,
    uid: row.uid,
    webhook_limit: row.webhookLimit,
    metadata: row.metadata,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}
