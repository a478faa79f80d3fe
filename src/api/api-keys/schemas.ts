/** @module API key: a scoped bearer credential, optionally confined to one application and to client addresses. */
import { z } from "@hono/zod-openapi";
import { API_KEY_SCOPES, type ApiKeyRow } from "../../db/schema";
import { parseCidr } from "../../security/ip-allowlist";
import { idSchema, instantSchema, timestampSchema } from "../common";
import { listSchema, paginationQuery } from "../pagination";

/** An IPv4 or IPv6 address or CIDR range; a bare address is a range of one. */
const cidrSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .refine((text) => parseCidr(text) !== null, "must be an IPv4 or IPv6 address or CIDR range")
  .openapi({ example: "203.0.113.0/24" });

export const createApiKeySchema = z
  .object({
    name: z.string().trim().min(1).max(256).openapi({ example: "billing backend" }),
    scope: z.enum(API_KEY_SCOPES).openapi({
      description:
        "admin: everything within its reach; publisher: publish messages only; reader: read only",
    }),
    application_id: idSchema.nullable().optional().openapi({
      description: "Confines the key to this application; absent or null reaches every one.",
    }),
    allowed_ips: z
      .array(cidrSchema)
      .min(1)
      .max(100)
      .nullable()
      .optional()
      .openapi({
        description:
          "Client addresses (CF-Connecting-IP) the key is accepted from; absent or null: any.",
        example: ["203.0.113.0/24", "2001:db8::/32"],
      }),
    expires_at: instantSchema.nullable().optional().openapi({
      description:
        "When the key stops working (401 from that instant); in the future. Absent or null: never.",
    }),
  })
  .strict()
  .openapi("CreateApiKey");

const apiKeySchema = z
  .object({
    object: z.literal("api_key"),
    id: idSchema,
    name: z.string(),
    scope: z.enum(API_KEY_SCOPES),
    application_id: idSchema.nullable(),
    allowed_ips: z.array(z.string()).nullable(),
    key_prefix: z.string().openapi({
      description: "The key's first characters, to tell keys apart",
    }),
    last_used_at: timestampSchema.nullable().openapi({
      description: "Last authenticated request, to the minute (updated at most once a minute)",
    }),
    created_at: timestampSchema,
    expires_at: timestampSchema.nullable().openapi({
      description: "When the key stops working; null: never",
    }),
  })
  .openapi("ApiKey");

export const apiKeyWithKeySchema = apiKeySchema
  .extend({
    key: z.string().openapi({
      description: "The key itself; shown only in this answer, stored only as a hash.",
      example: "hr_3q2-7wLqHkq8vXh2mD1c5s9aZyJfE0uTn4oPbRgKxWc",
    }),
  })
  .openapi("ApiKeyWithKey");

export const apiKeyListSchema = listSchema(apiKeySchema, "ApiKeyList");

export const listApiKeysQuery = z.object({
  application_id: idSchema.optional(),
  ...paginationQuery,
});

/** The API's answers, derived from the schemas above. */
type ApiKey = z.infer<typeof apiKeySchema>;

export function toApiKeyObject(row: ApiKeyRow): ApiKey {
  return {
    object: "api_key",
    id: row.id,
    name: row.name,
    scope: row.scope,
    application_id: row.applicationId,
    allowed_ips: row.allowedIps,
    key_prefix: row.keyPrefix,
    last_used_at: row.lastUsedAt,
    created_at: row.createdAt,
    expires_at: row.expiresAt,
  };
}
