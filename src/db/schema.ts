/**
 * @module The main D1 database's tables (the control plane, and the index of
 * the R2 archive), the single source for `migrations/` (drizzle-kit
 * generate). The history itself is in the history shards
 * (src/db/history-schema.ts). Times are RFC 3339 UTC text, which sorts
 * correctly; ids are UUIDv7 text, which sorts by creation time, so "newest
 * first" pages walk an index on `id`.
 */
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { DeliveryStatus } from "../domain/event";
import type { RetryPolicy } from "../domain/retry-policy";
import { SIGNATURE_SCHEMES } from "../domain/signature-schemes";

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
    // A filter (SPEC §7.5, src/delivery/filter.ts); null: every message of its event types.
    filter: text("filter", { mode: "json" }).$type<Record<string, unknown>>(),
    secret: text("secret").notNull(),
    // During a rotation the old secret keeps signing until this time.
    previousSecret: text("previous_secret"),
    previousSecretExpiresAt: text("previous_secret_expires_at"),
    signatureScheme: text("signature_scheme", { enum: SIGNATURE_SCHEMES }).notNull().default("v1"),
    // Ed25519 (`v1a`): `whpk_` in clear, `whsk_` as the secrets are stored;
    // null until a scheme that signs with a key asks for one.
    publicKey: text("public_key"),
    privateKey: text("private_key"),
    previousPublicKey: text("previous_public_key"),
    previousPrivateKey: text("previous_private_key"),
    previousKeyExpiresAt: text("previous_key_expires_at"),
    // The Worker's [[mtls_certificates]] binding deliveries go through; null: plain fetch.
    tlsClientCertificate: text("tls_client_certificate"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [index("webhooks_application_idx").on(t.applicationId, t.id)],
);

/**
 * The R2 archive's index (src/storage/archive.ts): one row per object. Events
 * and messages older than the hot window leave their shard's partition for
 * gzip JSON-lines objects, each holding one owner's rows (a webhook's events,
 * or a shard's messages) of one write slot whose ids fall in one slot of
 * their own (`id_slot`, from the UUIDv7 time), sorted by id: a read by id or
 * a page newest first opens only the objects of the ids' slots. `payloads`
 * rows count a slot's payload objects (kept under `payloads/{slot}/`) once
 * their shard's partition is gone. Retention removes objects by write slot.
 */
export const ARCHIVE_KINDS = ["events", "messages", "payloads"] as const;

export const archiveObjects = sqliteTable(
  "archive_objects",
  {
    key: text("key").primaryKey(),
    kind: text("kind", { enum: ARCHIVE_KINDS }).notNull(),
    /** The webhook (events), or the shard (messages, payloads). */
    owner: text("owner").notNull(),
    /** The slot its rows were written in, which retention goes by. */
    slot: integer("slot").notNull(),
    /** The slot of its ids' time. */
    idSlot: integer("id_slot").notNull(),
    minId: text("min_id").notNull(),
    maxId: text("max_id").notNull(),
    /** Events: the range of their creation times (epoch ms), which recover and replay select on. */
    minCreated: integer("min_created").notNull(),
    maxCreated: integer("max_created").notNull(),
    rows: integer("rows").notNull(),
    bytes: integer("bytes").notNull(),
  },
  (t) => [
    index("archive_objects_owner_idx").on(t.owner, t.idSlot),
    index("archive_objects_kind_idx").on(t.kind, t.idSlot),
    index("archive_objects_slot_idx").on(t.slot),
  ],
);

export const API_KEY_SCOPES = ["admin", "publisher", "reader"] as const;
export const API_KEY_KINDS = ["api_key", "portal_link"] as const;

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
    // Null: the key never expires. Checked on every request (no cache), so an
    // expiry takes effect at the instant.
    expiresAt: text("expires_at"),
    // A portal link (SPEC §7.8): stored like a key, confined and expiring,
    // but a principal of its own kind (src/security/principal.ts), listed
    // and revoked through its own routes.
    kind: text("kind", { enum: API_KEY_KINDS }).notNull().default("api_key"),
  },
  (t) => [
    uniqueIndex("api_keys_hash_unique").on(t.keyHash),
    // Retention finds expired portal links without reading the keys.
    index("api_keys_portal_expiry_idx").on(t.expiresAt).where(sql`kind = 'portal_link'`),
    // An application's keys and links, newest first (lists; the cascade on its delete).
    index("api_keys_application_idx").on(t.applicationId, t.id),
  ],
);

export const REPLAY_STATUSES = ["running", "done"] as const;

/** What a replay selects (SPEC §7.6), as the request gave it, times normalised. */
export type ReplaySelection = {
  since: string;
  until: string;
  deliveryStatuses: DeliveryStatus[];
  eventTypes: string[] | null;
  httpStatusCodes: number[] | null;
};

/**
 * A replay's progress, one row per replay: read by `GET /v1/replays/{id}`
 * (which names no webhook) and moved once per page of 500 events by the
 * queue task that pages through it, so it costs the delivery path nothing.
 */
export const replays = sqliteTable("replays", {
  id: text("id").primaryKey(),
  // Goes with its webhook (and so with its application).
  webhookId: text("webhook_id")
    .notNull()
    .references(() => webhooks.id, { onDelete: "cascade" }),
  applicationId: text("application_id").notNull(),
  selection: text("selection", { mode: "json" }).$type<ReplaySelection>().notNull(),
  matched: integer("matched").notNull(),
  queued: integer("queued").notNull().default(0),
  // The last event id handed over ("" before the first page): pages walk the
  // webhook's events by id, and a task sent twice finds its page done.
  cursor: text("cursor").notNull().default(""),
  status: text("status", { enum: REPLAY_STATUSES }).notNull(),
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
});

/**
 * Operational events (SPEC §7.7) counted per source application and minute
 * (src/delivery/operational-events/operations.ts): an event's place in its
 * minute decides whether it is published, or counted and summarised. Keyed
 * by the event's own key, so an event published again keeps its place; kept
 * a day (retention).
 */
export const operationalTally = sqliteTable(
  "operational_tally",
  {
    key: text("key").primaryKey(),
    applicationId: text("application_id").notNull(),
    // The minute the transition happened in (RFC 3339, seconds zero).
    windowStart: text("window_start").notNull(),
    type: text("type").notNull(),
    // 1 for the application's first event of the minute, and so on.
    ordinal: integer("ordinal").notNull(),
  },
  // The next ordinal (max of a minute), the summary's counts, and retention by minute.
  (t) => [index("operational_tally_window_idx").on(t.windowStart, t.applicationId, t.ordinal)],
);

/**
 * The event catalog (SPEC §8.3): the provider's event types, described, with
 * an optional JSON Schema that published payloads must match. Relay-wide, no
 * application's. `schema` and `example` are JSON text; ids are UUIDv7 so
 * that lists page newest first, names are what the API and webhooks use.
 */
export const eventTypes = sqliteTable(
  "event_types",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    description: text("description"),
    schema: text("schema"),
    example: text("example"),
    deprecated: integer("deprecated", { mode: "boolean" }).notNull().default(false),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [uniqueIndex("event_types_name_unique").on(t.name)],
);

export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type ApplicationRow = typeof applications.$inferSelect;
export type WebhookRow = typeof webhooks.$inferSelect;
export type ReplayRow = typeof replays.$inferSelect;
export type EventTypeRow = typeof eventTypes.$inferSelect;
export type ArchiveObjectRow = typeof archiveObjects.$inferSelect;
