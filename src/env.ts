/**
 * @module The Worker's bindings and RELAY_* settings, parsed once per
 * invocation. The one module that names the Durable Object classes below
 * the entry point, type-only, for their stubs' RPC types: whatever calls an
 * object reaches its class through `Env` (src/deps.ts), never by import.
 */
import { z } from "zod";
import type { WebhookDO } from "./delivery/webhook-object/webhook-do";
import type { QueueTask } from "./domain/tasks";
import type { IngestDO } from "./ingest/ingest-do";
import { HOUR_MS } from "./lib/time";
import { MAX_HOT_HOURS } from "./storage/layout";

export type Env = {
  DB: D1Database;
  /** The history shards (RELAY_HISTORY_SHARDS names which, and from when). */
  [shard: `HISTORY_${number}`]: D1Database | undefined;
  /** Payload bytes and the archive of history older than RELAY_HOT_HISTORY_HOURS. */
  HISTORY_BUCKET: R2Bucket;
  DELIVERY_QUEUE: Queue<QueueTask>;
  WEBHOOK_DO: DurableObjectNamespace<WebhookDO>;
  INGEST_DO: DurableObjectNamespace<IngestDO>;
  /** Workers Rate Limiting (wrangler.toml `[[ratelimits]]`); absent: each isolate counts alone. */
  API_RATE_LIMITER?: RateLimit;
  RELAY_ADMIN_TOKEN?: string;
  RELAY_ADMIN_ALLOWED_IPS?: string;
  RELAY_ALLOW_PRIVATE_URLS?: string;
  RELAY_RETENTION_DAYS?: string;
  RELAY_MAX_PAYLOAD_BYTES?: string;
  RELAY_RATE_LIMIT_PER_MINUTE?: string;
  RELAY_LOG_LEVEL?: string;
  /** Base64 of 32 random bytes: encrypts signing secrets and private keys at rest (AES-256-GCM). */
  RELAY_ENCRYPTION_KEY?: string;
  /** The key before a rotation, tried when the current one fails, until `reencrypt` has run. */
  RELAY_ENCRYPTION_KEY_PREVIOUS?: string;
  /** Comma-separated names of the `[[mtls_certificates]]` bindings webhooks may name. */
  RELAY_MTLS_CERTIFICATES?: string;
  RELAY_OPERATIONS_APPLICATION_ID?: string;
  RELAY_OPERATIONAL_EVENTS_PER_MINUTE?: string;
  /** "true": only event types in the catalog may be published or subscribed to. */
  RELAY_REQUIRE_EVENT_TYPES?: string;
  /** Hours events stay in D1 before they move to the R2 archive (1 to 24; default 12). */
  RELAY_HOT_HISTORY_HOURS?: string;
  /** The history shards' bindings, each optionally from a time on: `HISTORY_0, HISTORY_1, HISTORY_2@2027-01-15T00:00Z`. */
  RELAY_HISTORY_SHARDS?: string;
  /** What a shard may hold, in bytes: one number for all, and/or `NAME=bytes` for one (default 10,000,000,000). */
  RELAY_HISTORY_SHARD_LIMIT_BYTES?: string;
};

export type ClientCertificates = ReadonlyMap<string, Fetcher>;

/**
 * Two-way TLS: the Worker's `[[mtls_certificates]]` bindings that webhooks
 * may name. An mTLS binding looks like any other Fetcher in `env` (as do
 * service bindings and the static assets), so the operator lists the
 * certificate bindings in RELAY_MTLS_CERTIFICATES; a listed name counts only
 * if the Worker really has a binding of that name with a `fetch`.
 */
export function boundCertificates(env: Env, names: string[]): ClientCertificates {
  const bound = new Map<string, Fetcher>();
  for (const name of names) {
    const binding = (env as Record<string, unknown>)[name];
    if (
      typeof binding === "object" &&
      binding !== null &&
      typeof (binding as { fetch?: unknown }).fetch === "function"
    ) {
      bound.set(name, binding as Fetcher);
    }
  }
  return bound;
}

const flag = z
  .enum(["true", "false", "1", "0", ""])
  .optional()
  .transform((v) => v === "true" || v === "1");

/** A comma-separated list, blanks dropped. */
const list = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );

/** A D1 database holds at most 10 GB (developers.cloudflare.com/d1/platform/limits/). */
export const D1_LIMIT_BYTES = 10_000_000_000;

/** `NAME` or `NAME@<RFC 3339 time>`: a shard, in service from that time on (0: always). */
const shardList = list.transform((items, ctx) =>
  items.map((item) => {
    const [name = "", from] = item.split("@");
    const since = from === undefined ? 0 : Date.parse(from);
    if (!/^HISTORY_\d+$/.test(name) || Number.isNaN(since)) {
      ctx.addIssue({ code: "custom", message: `"${item}" is not HISTORY_<n> or HISTORY_<n>@<time>` });
    }
    return { name, since };
  }),
);

/** `bytes` for every shard, `NAME=bytes` for one. */
const shardLimits = list.transform((items, ctx) => {
  const limits = { all: D1_LIMIT_BYTES, byShard: {} as Record<string, number> };
  for (const item of items) {
    const [name, value] = item.includes("=") ? item.split("=") : [null, item];
    const bytes = Number(value);
    if (!Number.isInteger(bytes) || bytes < 0) ctx.addIssue({ code: "custom", message: `"${item}" is not a number of bytes` });
    if (name === null) limits.all = bytes;
    else limits.byShard[name!.trim()] = bytes;
  }
  return limits;
});

const settingsSchema = z
  .object({
    RELAY_ADMIN_TOKEN: z.string().optional(),
    RELAY_ADMIN_ALLOWED_IPS: list,
    RELAY_ALLOW_PRIVATE_URLS: flag,
    RELAY_RETENTION_DAYS: z.coerce.number().int().min(1).default(30),
    RELAY_MAX_PAYLOAD_BYTES: z.coerce.number().int().min(1024).default(262_144),
    RELAY_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(600),
    RELAY_LOG_LEVEL: z.enum(["info", "warn", "error"]).default("info"),
    RELAY_ENCRYPTION_KEY: z.string().optional(),
    RELAY_ENCRYPTION_KEY_PREVIOUS: z.string().optional(),
    RELAY_MTLS_CERTIFICATES: list,
    RELAY_OPERATIONS_APPLICATION_ID: z.string().trim().optional(),
    RELAY_OPERATIONAL_EVENTS_PER_MINUTE: z.coerce.number().int().min(1).default(20),
    RELAY_REQUIRE_EVENT_TYPES: flag,
    RELAY_HOT_HISTORY_HOURS: z.coerce.number().int().min(1).max(MAX_HOT_HOURS).default(12),
    RELAY_HISTORY_SHARDS: shardList,
    RELAY_HISTORY_SHARD_LIMIT_BYTES: shardLimits,
  })
  .transform((s) => ({
    adminToken: s.RELAY_ADMIN_TOKEN || null,
    adminAllowedIps: s.RELAY_ADMIN_ALLOWED_IPS,
    allowPrivateUrls: s.RELAY_ALLOW_PRIVATE_URLS,
    retentionDays: s.RELAY_RETENTION_DAYS,
    maxPayloadBytes: s.RELAY_MAX_PAYLOAD_BYTES,
    /**
     * Requests per minute per API key (0: no limit). The in-isolate fallback's
     * limit; with the API_RATE_LIMITER binding, the binding's own `simple.limit`
     * counts instead, so keep the two equal.
     */
    rateLimitPerMinute: s.RELAY_RATE_LIMIT_PER_MINUTE,
    logLevel: s.RELAY_LOG_LEVEL,
    /** Checked where used (src/security/secrets-at-rest.ts): a bad key is 503, not a crash. */
    encryptionKey: s.RELAY_ENCRYPTION_KEY || null,
    encryptionKeyPrevious: s.RELAY_ENCRYPTION_KEY_PREVIOUS || null,
    mtlsCertificates: s.RELAY_MTLS_CERTIFICATES,
    /**
     * The application (its id or its uid) that receives the relay's own
     * operational events (SPEC §7.7,
     * src/delivery/operational-events/operations.ts); null: none.
     */
    operationsApplication: s.RELAY_OPERATIONS_APPLICATION_ID || null,
    /**
     * Operational events published per source application and minute; beyond
     * it they are counted and summarised
     * (src/delivery/operational-events/operational-budget.ts).
     */
    operationalEventsPerMinute: s.RELAY_OPERATIONAL_EVENTS_PER_MINUTE,
    /**
     * Publishing a type the event catalog lacks is refused, and so is a
     * webhook subscribing to one (SPEC §8.3, src/catalog/catalog.ts); the
     * relay's own types are exempt.
     */
    requireEventTypes: s.RELAY_REQUIRE_EVENT_TYPES,
    /**
     * Events older than this leave D1 for the R2 archive (src/storage/): at
     * most (partitions − 2) slots of 4 hours, so that a slot's partition is
     * free again before the ring comes back to it.
     */
    hotHistoryMs: s.RELAY_HOT_HISTORY_HOURS * HOUR_MS,
    /** The history shards; empty: every HISTORY_<n> binding, in order, from the start. */
    historyShards: s.RELAY_HISTORY_SHARDS,
    historyShardLimits: s.RELAY_HISTORY_SHARD_LIMIT_BYTES,
  }));

/** The settings as the code reads them: the schema's output, so the two cannot drift apart. */
export type Settings = z.output<typeof settingsSchema>;

const cache = new WeakMap<object, Settings>();

/** Settings from the environment; a bad value is the operator's error and says which. */
export function readSettings(env: Env): Settings {
  const cached = cache.get(env);
  if (cached) return cached;
  const parsed = settingsSchema.safeParse({
    ...env,
    RELAY_RETENTION_DAYS: env.RELAY_RETENTION_DAYS || undefined,
    RELAY_MAX_PAYLOAD_BYTES: env.RELAY_MAX_PAYLOAD_BYTES || undefined,
    RELAY_RATE_LIMIT_PER_MINUTE: env.RELAY_RATE_LIMIT_PER_MINUTE || undefined,
    RELAY_LOG_LEVEL: env.RELAY_LOG_LEVEL || undefined,
    RELAY_OPERATIONAL_EVENTS_PER_MINUTE: env.RELAY_OPERATIONAL_EVENTS_PER_MINUTE || undefined,
    RELAY_HOT_HISTORY_HOURS: env.RELAY_HOT_HISTORY_HOURS || undefined,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid setting ${String(issue?.path[0])}: ${issue?.message}`);
  }
  cache.set(env, parsed.data);
  return parsed.data;
}

/**
 * The history shards' bindings as the settings name them (every
 * `HISTORY_<n>` binding, in order, when RELAY_HISTORY_SHARDS is unset),
 * with their limits. A name that is not a D1 binding is the operator's
 * error, and says which.
 */
export function boundShards(
  env: Env,
  settings: Settings,
): { name: string; d1: D1Database; since: number; limitBytes: number }[] {
  const listed =
    settings.historyShards.length > 0
      ? settings.historyShards
      : Object.keys(env)
          .filter((k) => /^HISTORY_\d+$/.test(k))
          .sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)))
          .map((name) => ({ name, since: 0 }));
  // No shard at all (the OpenAPI document is made without bindings): the store refuses when used.
  if (listed.length > 0 && !listed.some((s) => s.since === 0)) {
    throw new Error("invalid setting RELAY_HISTORY_SHARDS: no shard serves from the start (one needs no @time)");
  }
  return listed.map(({ name, since }) => {
    const d1 = env[name as `HISTORY_${number}`];
    if (!d1) throw new Error(`invalid setting RELAY_HISTORY_SHARDS: ${name} is not a D1 binding of this Worker`);
    return { name, d1, since, limitBytes: settings.historyShardLimits.byShard[name] ?? settings.historyShardLimits.all };
  });
}
