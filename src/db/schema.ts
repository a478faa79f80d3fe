/**
 * @module The D1 tables, the single source for `migrations/` (drizzle-kit generate).
 * Times are RFC 3339 UTC text, which sorts correctly; ids are UUIDv7 text, which
 * sorts by creation time, so "newest first" pages walk an index on `id`.
 */
import { sql } from "drizzle-orm";
import {
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";
import type { RetryPolicy } from "../delivery/retry-policy";

export const applications = sqliteTable(
  "applications",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    uid: text("uid"),
    webhookLimit: integer("webhook_limit").notNull().default(10),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [uniqueIndex("applications_uid_unique").on(t.uid)],
);

export const webhooks = sqliteTable(
  "webhooks",
  {
    id: text("id").primaryKey(),
    applicationId: text("application_id")
      .notNull()
      .references(() => applications.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    name: text("name"),
    eventTypes: text("event_types", { mode: "json" }).$type<string[]>().notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    disabledReason: text("disabled_reason", { enum: ["manual", "gone", "failing"] }),
    retryPolicy: text("retry_policy", { mode: "json" }).$type<RetryPolicy>().notNull(),
    timeoutMs: integer("timeout_ms").notNull(),
    headers: text("headers", { mode: "json" }).$type<Record<string, string>>().notNull(),
    ordering: text("ordering", { enum: ["none", "fifo"] }).notNull(),
    maxInFlight: integer("max_in_flight").notNull(),
    rateLimitPerSecond: integer("rate_limit_per_second"),
    payloadFormat: text("payload_format", { enum: ["raw", "jsonapi"] }).notNull(),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    secret: text("secret").notNull(),
    // During a rotation the old secret keeps signing until this time.
    previousSecret: text("previous_secret"),
    previousSecretExpiresAt: text("previous_secret_expires_at"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [index("webhooks_application_idx").on(t.applicationId, t.id)],
);

export const messages = sqliteTable(
  "messages",
  {
    id: text("id").primaryKey(),
    applicationId: text("application_id")
      .notNull()
      .references(() => applications.id, { onDelete: "cascade" }),
    eventType: text("event_type").notNull(),
    // The payload serialised once at ingest, so every attempt sends the same bytes.
    payload: text("payload").notNull(),
    idempotencyKey: text("idempotency_key"),
    resourceType: text("resource_type"),
    resourceId: text("resource_id"),
    createdAt: text("created_at").notNull(),
    // Null until fan-out has handed every event to its webhook; the sweep looks here.
    dispatchedAt: text("dispatched_at"),
  },
  // Both indexes are partial: a message without a key, or once dispatched,
  // costs no index write.
  (t) => [
    uniqueIndex("messages_idempotency_unique")
      .on(t.applicationId, t.idempotencyKey)
      .where(sql`idempotency_key IS NOT NULL`),
    index("messages_undispatched_idx").on(t.createdAt).where(sql`dispatched_at IS NULL`),
  ],
);

export const DELIVERY_STATUSES = ["pending", "retrying", "success", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const events = sqliteTable(
  "events",
  {
    id: text("id").primaryKey(),
    webhookId: text("webhook_id")
      .notNull()
      .references(() => webhooks.id, { onDelete: "cascade" }),
    messageId: text("message_id")
      .notNull()
      .references(() => messages.id, { onDelete: "cascade" }),
    type: text("type").notNull(),
    deliveryStatus: text("delivery_status", { enum: DELIVERY_STATUSES }).notNull(),
    deliveryAttempts: integer("delivery_attempts").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull(),
    httpStatusCode: integer("http_status_code").notNull().default(0),
    errorMessage: text("error_message").notNull().default(""),
    nextAttemptAt: text("next_attempt_at"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  // Every index here is paid for in rows written by every event, so there
  // are few: lists walk (webhook, id); only failed events, which recover and
  // the "failed" filter look for, get their own (partial) index. Other status
  // filters scan (webhook, id): rows read cost a thousandth of rows written.
  // Retention walks the primary key, since UUIDv7 ids sort by creation time.
  (t) => [
    uniqueIndex("events_message_webhook_unique").on(t.messageId, t.webhookId),
    index("events_webhook_idx").on(t.webhookId, t.id),
    index("events_failed_idx").on(t.webhookId, t.id).where(sql`delivery_status = 'failed'`),
  ],
);

export const attempts = sqliteTable(
  "attempts",
  {
    // Served as the attempt's id; not indexed, attempts are found by event.
    id: text("id").notNull(),
    eventId: text("event_id")
      .notNull()
      .references(() => events.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    startedAt: text("started_at").notNull(),
    durationMs: integer("duration_ms").notNull(),
    httpStatusCode: integer("http_status_code").notNull(),
    responseBody: text("response_body").notNull(),
    errorMessage: text("error_message").notNull(),
  },
  // Keyed by (event, attempt): an attempt replayed after a crash overwrites its own row.
  (t) => [primaryKey({ columns: [t.eventId, t.attempt] })],
);

export const API_KEY_SCOPES = ["admin", "publisher", "reader"] as const;

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    scope: text("scope", { enum: API_KEY_SCOPES }).notNull(),
    // Null: the key reaches every application.
    applicationId: text("application_id").references(() => applications.id, {
      onDelete: "cascade",
    }),
    // Null: any client address.
    allowedIps: text("allowed_ips", { mode: "json" }).$type<string[]>(),
    // SHA-256 of the key; the key itself is shown once and never stored.
    keyHash: text("key_hash").notNull(),
    // The first characters of the key, so that people can tell keys apart.
    keyPrefix: text("key_prefix").notNull(),
    lastUsedAt: text("last_used_at"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [uniqueIndex("api_keys_hash_unique").on(t.keyHash)],
);

export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type ApplicationRow = typeof applications.$inferSelect;
export type WebhookRow = typeof webhooks.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;
export type EventRow = typeof events.$inferSelect;
export type AttemptRow = typeof attempts.$inferSelect;
