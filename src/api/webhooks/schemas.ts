/** @module Webhook: an endpoint of an application, with its delivery settings. */
import { z } from "@hono/zod-openapi";
import type { WebhookRow } from "../../db/schema";
import { isValidSecret } from "../../delivery/attempt/signing";
import { type Filter, filterProblems } from "../../delivery/filter";
import { retryPolicySchema } from "../../domain/retry-policy";
import { SIGNATURE_SCHEMES, signsWithKey } from "../../domain/signature-schemes";
import { webhookStatsShape } from "../../domain/webhook-stats";
import { idSchema, instantSchema, metadataSchema, timestampSchema } from "../common";
import { eventTypeSchema } from "../messages/schemas";
import { listSchema, paginationQuery } from "../pagination";

/** Headers the relay sets itself, or that would break the request if overridden. */
const RESERVED_HEADERS = new Set([
  "content-type",
  "content-length",
  "content-encoding",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "host",
  "user-agent",
  "te",
  "upgrade",
  "expect",
  "proxy-authorization",
  "cookie",
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
]);

/** RFC 9110 §5.1 field-name: a token. */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
/**
 * RFC 9110 §5.5 field-value: visible characters (and obs-text), with spaces
 * and tabs only between them. Anything else (controls, CR/LF, leading or
 * trailing whitespace) is refused by the receiver's HTTP stack or changed by
 * fetch(), and every delivery would then fail.
 */
const FIELD_VALUE = /^(?:[\x21-\x7e\x80-\xff](?:[ \t\x21-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?$/;

/**
 * Names that JavaScript objects treat as their own: a header by one of them
 * is dropped (`__proto__`) or shadows what the code expects, wherever the
 * headers travel as an object.
 */
const PROTOTYPE_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Each problem is reported at `headers.<name>`, so the client sees which
 * header. The names are checked on the object as it came, before z.record
 * builds its own copy, which silently drops a `__proto__` key.
 */
const headersSchema = z
  .unknown()
  .superRefine((value, ctx) => {
    if (value === null || typeof value !== "object") return;
    for (const name of Object.keys(value)) {
      if (PROTOTYPE_KEYS.has(name.toLowerCase())) {
        ctx.addIssue({ code: "custom", path: [name], message: "this name is reserved: it is a property of every JavaScript object" });
      }
    }
  })
  .pipe(z.record(z.string(), z.string()))
  .superRefine((headers, ctx) => {
    const names = Object.keys(headers);
    if (names.length > 20) ctx.addIssue({ code: "custom", message: "at most 20 headers" });
    const seen = new Map<string, string>();
    for (const name of names) {
      const value = headers[name]!;
      const problem = !FIELD_NAME.test(name)
        ? "header names must be HTTP tokens (RFC 9110), 1 to 128 characters"
        : RESERVED_HEADERS.has(name.toLowerCase()) || /^cf-/i.test(name)
          ? "this header is set by the relay and cannot be overridden"
          : seen.has(name.toLowerCase())
            ? `duplicates header ${seen.get(name.toLowerCase())}: header names are case-insensitive`
            : value.length > 4096
              ? "header values must be at most 4096 characters"
              : !FIELD_VALUE.test(value)
                ? "header values must be visible characters, with spaces or tabs only between them (RFC 9110)"
                : null;
      seen.set(name.toLowerCase(), name);
      if (problem) ctx.addIssue({ code: "custom", path: [name], message: problem });
    }
  })
  .openapi({
    type: "object",
    additionalProperties: { type: "string" },
    description:
      "Static headers added to every delivery: RFC 9110 field names and values, names unique regardless of case",
    example: { "x-api-version": "2026-01-01" },
  });

const urlSchema = z.string().min(1).max(2048).openapi({ example: "https://example.com/webhooks" });
const nameSchema = z.string().trim().max(256);
const eventTypesSchema = z
  .array(eventTypeSchema)
  .max(100)
  .refine((types) => new Set(types).size === types.length, "event types must be unique")
  .openapi({
    description:
      "The event types delivered; empty or absent for all. With RELAY_REQUIRE_EVENT_TYPES, each must be in the event catalog or one of the relay's own (TEST_EVENT, the operational events).",
  });
const secretSchema = z
  .string()
  .refine(isValidSecret, "secret must be whsec_ followed by 24 to 64 base64 bytes")
  .openapi({ example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" });

const signatureSchemeSchema = z.enum(SIGNATURE_SCHEMES).openapi({
  description:
    "How deliveries are signed (Standard Webhooks): v1 HMAC-SHA256 with the secret, v1a Ed25519 with the webhook's key pair, v1+v1a both",
});
const tlsClientCertificateSchema = z
  .string()
  .min(1)
  .max(256)
  .nullable()
  .openapi({
    description:
      "Two-way TLS: the name of one of the relay's mTLS certificate bindings (GET /v1/tls-client-certificates) that deliveries present; null for none",
  });

/**
 * A payload filter (SPEC §7.5), or null for none. z.unknown rather than
 * z.record, which silently drops a `__proto__` key; each problem is reported
 * at its path inside the filter, e.g. `filter.$or.0.payload.amount.$gt`.
 */
const filterSchema = z
  .unknown()
  .superRefine((value, ctx) => {
    if (value === null) return;
    for (const problem of filterProblems(value)) {
      ctx.addIssue({ code: "custom", path: problem.path ? [problem.path] : [], message: problem.message });
    }
  })
  // Checked above: an object of conditions, or null.
  .transform((value) => value as Filter | null)
  .openapi({
    type: ["object", "null"],
    additionalProperties: {},
    description:
      "Only messages matching it are delivered, besides event_types: dotted paths into {event_type, payload} mapped to a literal (deep equality) or operators ($eq $ne $in $nin $gt $gte $lt $lte $exists); $and, $or, $not. At most 4 KiB, depth 8, 64 conditions.",
    example: { "payload.amount": { $gte: 1000 }, "payload.currency": { $in: ["NGN", "USD"] } },
  });

/** Every setting a webhook has besides its URL; all optional, on create and on update. */
const settings = z
  .object({
    name: nameSchema.nullable(),
    event_types: eventTypesSchema,
    enabled: z.boolean(),
    retry_policy: retryPolicySchema,
    timeout_ms: z.number().int().min(1000).max(30_000),
    headers: headersSchema,
    ordering: z.enum(["none", "fifo"]),
    max_in_flight: z.number().int().min(1).max(100),
    rate_limit_per_second: z.number().int().min(1).max(10_000).nullable(),
    payload_format: z.enum(["raw", "jsonapi"]),
    metadata: metadataSchema,
    signature_scheme: signatureSchemeSchema,
    tls_client_certificate: tlsClientCertificateSchema,
    filter: filterSchema,
  })
  .partial();

export const createWebhookSchema = settings
  .extend({ application_id: idSchema, url: urlSchema, secret: secretSchema.optional() })
  .strict()
  .openapi("CreateWebhook");

export const updateWebhookSchema = settings
  .extend({ url: urlSchema.optional() })
  .strict()
  .openapi("UpdateWebhook");

const publicKeySchema = z.string().nullable().openapi({
  description:
    "whpk_ and the base64 32-byte Ed25519 public key that verifies v1a signatures; null when the scheme is v1",
  example: "whpk_Xq4UqYwLbB2wX8eSxw5Zq3P1c0b3l9tY7dKkQmGfH0A=",
});
const hmacSecretSchema = z.string().nullable().openapi({
  description: "The whsec_ secret that v1 signatures use; null when the scheme is v1a",
});

export const webhookSchema = z
  .object({
    object: z.literal("webhook"),
    id: idSchema,
    application_id: idSchema,
    url: z.string(),
    name: z.string().nullable(),
    event_types: z.array(z.string()),
    enabled: z.boolean(),
    disabled_reason: z.enum(["manual", "gone", "failing"]).nullable(),
    retry_policy: retryPolicySchema,
    timeout_ms: z.number().int(),
    headers: z.record(z.string(), z.string()),
    ordering: z.enum(["none", "fifo"]),
    max_in_flight: z.number().int(),
    rate_limit_per_second: z.number().int().nullable(),
    payload_format: z.enum(["raw", "jsonapi"]),
    metadata: z.record(z.string(), z.unknown()),
    signature_scheme: z.enum(SIGNATURE_SCHEMES),
    public_key: publicKeySchema,
    tls_client_certificate: z.string().nullable(),
    filter: z.record(z.string(), z.unknown()).nullable(),
    created_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .openapi("Webhook");

export const webhookWithSecretSchema = webhookSchema
  .extend({ secret: hmacSecretSchema })
  .openapi("WebhookWithSecret");

export const secretObjectSchema = z
  .object({
    object: z.literal("webhook_secret"),
    webhook_id: idSchema,
    secret: hmacSecretSchema,
    previous_secret_expires_at: timestampSchema.nullable(),
    public_key: publicKeySchema,
    previous_public_key_expires_at: timestampSchema.nullable().openapi({
      description: "Until when the key pair before the last rotation also signs",
    }),
  })
  .openapi("WebhookSecret");

export const jwksSchema = z
  .object({
    keys: z.array(
      z.object({
        kty: z.literal("OKP"),
        crv: z.literal("Ed25519"),
        x: z.string(),
        kid: z.string().openapi({ description: "RFC 7638 thumbprint of the key" }),
        use: z.literal("sig"),
        alg: z.literal("EdDSA"),
      }),
    ),
  })
  .openapi("WebhookJwks");

export const rotateSecretSchema = z
  .object({
    secret: secretSchema.optional().openapi({
      description: "The new HMAC secret (schemes v1 and v1+v1a); generated when absent",
    }),
  })
  .strict()
  .openapi("RotateSecret");

export const recoverSchema = z
  .object({
    since: instantSchema,
    until: instantSchema.optional(),
  })
  .strict()
  .openapi("Recover");

export const recoverResultSchema = z
  .object({
    object: z.literal("recovery"),
    webhook_id: idSchema,
    since: timestampSchema,
    until: timestampSchema,
    count: z.number().int(),
  })
  .openapi("Recovery");

export const webhookStatsSchema = webhookStatsShape.extend({ webhook_id: idSchema }).openapi("WebhookStats");

export const filterTestSchema = z
  .object({
    event_type: eventTypeSchema,
    payload: z
      .unknown()
      .refine((v) => v !== undefined, "payload is required (any JSON value)")
      .openapi({ description: "Any JSON value", example: { amount: 1000, currency: "NGN" } }),
  })
  .strict()
  .openapi("FilterTest");

export const filterTestResultSchema = z
  .object({ matches: z.boolean() })
  .openapi("FilterTestResult");

export const emptyActionSchema = z.object({}).strict();

export const webhookListSchema = listSchema(webhookSchema, "WebhookList");
export const listWebhooksQuery = z.object({
  application_id: idSchema.optional(),
  ...paginationQuery,
});

/** The API's answers, derived from the schemas above. */
type Webhook = z.infer<typeof webhookSchema>;
export type WebhookSecret = z.infer<typeof secretObjectSchema>;

export function toWebhookObject(row: WebhookRow): Webhook {
  return {
    object: "webhook",
    id: row.id,
    application_id: row.applicationId,
    url: row.url,
    name: row.name,
    event_types: row.eventTypes,
    enabled: row.enabled,
    disabled_reason: row.disabledReason,
    retry_policy: row.retryPolicy,
    timeout_ms: row.timeoutMs,
    headers: row.headers,
    ordering: row.ordering,
    max_in_flight: row.maxInFlight,
    rate_limit_per_second: row.rateLimitPerSecond,
    payload_format: row.payloadFormat,
    metadata: row.metadata,
    signature_scheme: row.signatureScheme,
    public_key: signsWithKey(row.signatureScheme) ? row.publicKey : null,
    tls_client_certificate: row.tlsClientCertificate,
    filter: row.filter,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}
