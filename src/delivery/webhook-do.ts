/**
 * @module WebhookDO: one Durable Object per webhook, the only place that sends
 * to that webhook's URL. It keeps the webhook's undelivered events in its own
 * SQLite storage, so nothing handed to it is lost, and runs attempts from its
 * alarm: at most `max_in_flight` at once, within `rate_limit_per_second`, in
 * publication order for `fifo`, retried on the policy's schedule (alarms have
 * no 12-hour limit, unlike queue delays).
 *
 * Concurrency: SQLite calls are synchronous, so every state change between two
 * awaits is atomic. RPC calls that arrive while an attempt awaits fetch() only
 * insert rows and wake the running pump; only the pump launches attempts.
 */
import { DurableObject } from "cloudflare:workers";
import { failEvents, recordAttemptStatements } from "../db/queries/events";
import { getWebhook, updateWebhook } from "../db/queries/webhooks";
import type { WebhookRow } from "../db/schema";
import { type Deps, makeDeps } from "../deps";
import type { Env } from "../env";
import { uuidv7 } from "../lib/ids";
import { toRfc3339, unixSeconds } from "../lib/time";
import { USER_AGENT } from "../version";
import { sendAttempt } from "./attempt";
import { decideOutcome } from "./outcome";
import { renderBody } from "./payload";
import { signatureHeader } from "./signing";

/** An event handed to the webhook's object, with what it needs to be sent. */
export type QueuedEvent = {
  eventId: string;
  messageId: string;
  eventType: string;
  payload: string;
  messageCreatedAt: string;
  resourceType: string | null;
  resourceId: string | null;
  /** Attempts already made (the event's `delivery_attempts`). */
  attempts: number;
  maxAttempts: number;
  /** One attempt, never rescheduled (manual retry, recover, test). */
  manual: boolean;
};

type Row = {
  event_id: string;
  message_id: string;
  event_type: string;
  payload: string;
  message_created_at: string;
  resource_type: string | null;
  resource_id: string | null;
  attempts: number;
  max_attempts: number;
  manual: number;
  due_at: number;
  leased: number;
};

/** How long one alarm may keep launching attempts before it hands over to the next. */
const PUMP_BUDGET_MS = 60_000;
/** Webhook settings are re-read this often while a pump runs, so PATCHes take effect. */
const CONFIG_TTL_MS = 5_000;
/** When recording an attempt fails, the event is tried again after this long. */
const RECORD_RETRY_MS = 30_000;

export class WebhookDO extends DurableObject<Env> {
  /** Replaced by tests to pin the clock, randomness or fetch. */
  deps: Deps;
  private readonly sql: SqlStorage;
  private pumping = false;
  private wake: (() => void) | null = null;
  private tokens = 0;
  private tokensAt = 0;
  /** How long until the rate limit lets the next due event go; 0 when nothing waits on it. */
  private throttledMs = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.deps = makeDeps(env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS queue (
      event_id TEXT PRIMARY KEY,
      message_id TEXT NOT NULL,
      event_type TEXT NOT NULL,
      payload TEXT NOT NULL,
      message_created_at TEXT NOT NULL,
      resource_type TEXT,
      resource_id TEXT,
      attempts INTEGER NOT NULL,
      max_attempts INTEGER NOT NULL,
      manual INTEGER NOT NULL,
      due_at INTEGER NOT NULL,
      leased INTEGER NOT NULL DEFAULT 0
    )`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS queue_due ON queue (leased, due_at)");
    this.sql.exec("CREATE INDEX IF NOT EXISTS queue_order ON queue (message_id)");
    this.sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  }

  /** Takes events for delivery. Idempotent: an event already held is left as it is. */
  async enqueue(webhookId: string, items: QueuedEvent[]): Promise<void> {
    this.rememberWebhook(webhookId);
    const now = this.deps.now().getTime();
    for (const e of items) {
      this.sql.exec(
        `INSERT INTO queue (event_id, message_id, event_type, payload, message_created_at,
           resource_type, resource_id, attempts, max_attempts, manual, due_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (event_id) DO NOTHING`,
        e.eventId,
        e.messageId,
        e.eventType,
        e.payload,
        e.messageCreatedAt,
        e.resourceType,
        e.resourceId,
        e.attempts,
        e.maxAttempts,
        e.manual ? 1 : 0,
        now,
      );
    }
    await this.kick();
  }

  /** Drops everything held: the webhook was deleted. */
  async forget(): Promise<void> {
    this.sql.exec("DELETE FROM queue");
    await this.ctx.storage.deleteAlarm();
  }

  /** How many events are held, in flight or waiting. */
  count(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM queue").one().n;
  }

  override async alarm(): Promise<void> {
    await this.pump();
  }

  private rememberWebhook(webhookId: string): void {
    this.sql.exec(
      "INSERT INTO meta (key, value) VALUES ('webhook_id', ?) ON CONFLICT (key) DO NOTHING",
      webhookId,
    );
  }

  private webhookId(): string | null {
    const rows = this.sql
      .exec<{ value: string }>("SELECT value FROM meta WHERE key = 'webhook_id'")
      .toArray();
    return rows[0]?.value ?? null;
  }

  /** Wakes a running pump, or schedules one now. */
  private async kick(): Promise<void> {
    if (this.pumping) {
      this.wake?.();
      return;
    }
    const now = Date.now();
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > now) await this.ctx.storage.setAlarm(now);
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    const webhookId = this.webhookId();
    if (!webhookId) return;
    this.pumping = true;
    try {
      // Leases left by an earlier instance belong to attempts that were cut off.
      this.sql.exec("UPDATE queue SET leased = 0 WHERE leased = 1");
      await this.runAttempts(webhookId);
    } finally {
      this.pumping = false;
      this.wake = null;
    }
    await this.scheduleNext();
  }

  private async runAttempts(webhookId: string): Promise<void> {
    const started = Date.now();
    let webhook = await getWebhook(this.deps.db, webhookId);
    let loadedAt = Date.now();
    const inFlight = new Set<Promise<void>>();
    while (true) {
      this.throttledMs = 0;
      if (!webhook) {
        this.sql.exec("DELETE FROM queue WHERE leased = 0");
        if (inFlight.size === 0) return;
      } else if (!webhook.enabled) {
        await this.failHeld(webhook);
        if (inFlight.size === 0) return;
      } else if (Date.now() - started < PUMP_BUDGET_MS) {
        const limit = webhook.ordering === "fifo" ? 1 : webhook.maxInFlight;
        for (const row of this.takeDue(webhook, limit - inFlight.size)) {
          const current = webhook;
          const attempt: Promise<void> = this.attempt(current, row).finally(() =>
            inFlight.delete(attempt),
          );
          inFlight.add(attempt);
        }
      }
      const throttled = this.throttledMs;
      if (inFlight.size === 0 && throttled === 0) return;
      const woken = new Promise<void>((resolve) => {
        this.wake = resolve;
        // Rate-limited events are due: wait here for the next token rather than
        // re-arming the alarm in a tight loop.
        if (throttled > 0) setTimeout(resolve, throttled);
      });
      await Promise.race([...inFlight, woken]);
      if (Date.now() - loadedAt > CONFIG_TTL_MS) {
        webhook = await getWebhook(this.deps.db, webhookId);
        loadedAt = Date.now();
      }
    }
  }

  /** Leases up to `free` events that may go now, in the order the webhook asks for. */
  private takeDue(webhook: WebhookRow, free: number): Row[] {
    if (free <= 0) return [];
    const now = this.deps.now().getTime();
    let rows: Row[];
    if (webhook.ordering === "fifo") {
      // The oldest held event goes first; while it waits, everything behind it waits.
      const head = this.sql
        .exec<Row>("SELECT * FROM queue ORDER BY message_id, event_id LIMIT 1")
        .toArray();
      rows = head.filter((r) => r.leased === 0 && r.due_at <= now);
    } else {
      rows = this.sql
        .exec<Row>(
          "SELECT * FROM queue WHERE leased = 0 AND due_at <= ? ORDER BY due_at, message_id LIMIT ?",
          now,
          free,
        )
        .toArray();
    }
    rows = rows.slice(0, this.takeTokens(webhook, rows.length, now));
    for (const row of rows) {
      this.sql.exec("UPDATE queue SET leased = 1 WHERE event_id = ?", row.event_id);
    }
    return rows;
  }

  /** Token bucket for `rate_limit_per_second`: a second's worth of burst at most. */
  private takeTokens(webhook: WebhookRow, wanted: number, now: number): number {
    const rate = webhook.rateLimitPerSecond;
    this.throttledMs = 0;
    if (!rate) return wanted;
    this.tokens = Math.min(rate, this.tokens + ((now - this.tokensAt) / 1000) * rate);
    this.tokensAt = now;
    const granted = Math.min(wanted, Math.floor(this.tokens));
    this.tokens -= granted;
    if (granted < wanted) this.throttledMs = Math.ceil(((1 - this.tokens) / rate) * 1000);
    return granted;
  }

  private async attempt(webhook: WebhookRow, row: Row): Promise<void> {
    const { deps } = this;
    const startedAt = deps.now();
    const attempt = row.attempts + 1;
    const body = renderBody(
      webhook.payloadFormat,
      {
        id: row.message_id,
        eventType: row.event_type,
        payload: row.payload,
        createdAt: row.message_created_at,
        resourceType: row.resource_type,
        resourceId: row.resource_id,
      },
      toRfc3339(startedAt),
    );
    const timestamp = unixSeconds(startedAt);
    const result = await sendAttempt(
      {
        url: webhook.url,
        body,
        timeoutMs: webhook.timeoutMs,
        headers: {
          ...webhook.headers,
          "content-type": "application/json",
          "user-agent": USER_AGENT,
          "webhook-id": row.event_id,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": await signatureHeader(
            signingSecrets(webhook, startedAt),
            row.event_id,
            timestamp,
            body,
          ),
        },
      },
      deps.fetch,
      deps.now,
    );
    const finishedAt = deps.now();
    const outcome = decideOutcome({
      result,
      attempt,
      maxAttempts: row.max_attempts,
      manual: row.manual === 1,
      policy: webhook.retryPolicy,
      now: finishedAt.getTime(),
      random: deps.random,
    });
    try {
      const statements = recordAttemptStatements(deps.db, {
        id: uuidv7(startedAt.getTime()),
        eventId: row.event_id,
        attempt,
        startedAt: toRfc3339(startedAt),
        durationMs: result.durationMs,
        httpStatusCode: result.httpStatusCode,
        responseBody: result.responseBody,
        errorMessage: result.errorMessage,
        deliveryStatus: outcome.deliveryStatus,
        nextAttemptAt: outcome.nextAttemptAt === null ? null : toRfc3339(outcome.nextAttemptAt),
        updatedAt: toRfc3339(finishedAt),
      });
      await deps.db.batch(statements);
    } catch (error) {
      // The attempt happened but is not on record: send it again later (same webhook-id).
      deps.log("error", "recording an attempt failed", {
        webhook_id: webhook.id,
        event_id: row.event_id,
        error: String(error),
      });
      this.sql.exec(
        "UPDATE queue SET leased = 0, due_at = ? WHERE event_id = ?",
        finishedAt.getTime() + RECORD_RETRY_MS,
        row.event_id,
      );
      return;
    }
    deps.log("info", "delivery attempt", {
      webhook_id: webhook.id,
      event_id: row.event_id,
      attempt,
      http_status_code: result.httpStatusCode,
      duration_ms: result.durationMs,
      delivery_status: outcome.deliveryStatus,
    });
    if (outcome.nextAttemptAt === null) {
      this.sql.exec("DELETE FROM queue WHERE event_id = ?", row.event_id);
    } else {
      this.sql.exec(
        "UPDATE queue SET leased = 0, attempts = ?, due_at = ? WHERE event_id = ?",
        attempt,
        outcome.nextAttemptAt,
        row.event_id,
      );
    }
    if (outcome.disableWebhook) {
      await updateWebhook(deps.db, webhook.id, {
        enabled: false,
        disabledReason: outcome.disableWebhook,
        updatedAt: toRfc3339(finishedAt),
      });
      webhook.enabled = false;
      webhook.disabledReason = outcome.disableWebhook;
    }
  }

  /** A disabled webhook receives nothing: what it holds fails, for `recover` to bring back. */
  private async failHeld(webhook: WebhookRow): Promise<void> {
    const ids = this.sql
      .exec<{ event_id: string }>("SELECT event_id FROM queue WHERE leased = 0")
      .toArray()
      .map((r) => r.event_id);
    if (ids.length === 0) return;
    await failEvents(
      this.deps.db,
      ids,
      `webhook disabled (${webhook.disabledReason ?? "manual"})`,
      this.deps.now(),
    );
    for (const id of ids) this.sql.exec("DELETE FROM queue WHERE event_id = ? AND leased = 0", id);
  }

  private async scheduleNext(): Promise<void> {
    const next = this.sql
      .exec<{ due: number | null }>("SELECT min(due_at) AS due FROM queue WHERE leased = 0")
      .one().due;
    if (next === null) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    // due_at is on the deps clock; the alarm runs on the real one.
    const wait = Math.max(0, next - this.deps.now().getTime());
    await this.ctx.storage.setAlarm(Date.now() + wait);
  }
}

/** The current secret, and during a rotation the previous one after it. */
function signingSecrets(webhook: WebhookRow, at: Date): string[] {
  const secrets = [webhook.secret];
  if (
    webhook.previousSecret &&
    webhook.previousSecretExpiresAt &&
    webhook.previousSecretExpiresAt > toRfc3339(at)
  ) {
    secrets.push(webhook.previousSecret);
  }
  return secrets;
}
