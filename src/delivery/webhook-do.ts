/**
 * @module WebhookDO: one Durable Object per webhook, the only place that sends
 * to that webhook's URL. It keeps the webhook's undelivered events in its own
 * SQLite storage, so nothing handed to it is lost, and runs attempts from its
 * alarm: at most `max_in_flight` at once, within `rate_limit_per_second`, in
 * publication order for `fifo`, behind a circuit breaker, retried on the
 * policy's schedule (alarms have no 12-hour limit, unlike queue delays).
 *
 * Concurrency: the SQLite API is synchronous, so every state change between
 * two awaits is atomic. Only the pump (run from the alarm, one at a time)
 * launches attempts; RPC calls that arrive while an attempt awaits fetch()
 * only insert rows and wake the pump. An attempt leases its row before the
 * first await and settles it after the last, so no row is sent twice at once.
 */
import { DurableObject } from "cloudflare:workers";
import { failEvents, recordAttemptStatements } from "../db/queries/events";
import { getWebhook, updateWebhook } from "../db/queries/webhooks";
import type { WebhookRow } from "../db/schema";
import { type Deps, makeDeps } from "../deps";
import type { Env } from "../env";
import { uuidv7 } from "../lib/ids";
import { HOUR_MS, toRfc3339, unixSeconds } from "../lib/time";
import { currentIsolateId, type Usage, usage } from "../lib/usage";
import { USER_AGENT } from "../version";
import { isSuccess, sendAttempt } from "./attempt";
import { admit, type Circuit, CLOSED, isFailing, recordResult } from "./circuit";
import { decideOutcome, type Outcome } from "./outcome";
import { renderBody } from "./payload";
import { SlidingWindow } from "./rate-limit";
import { signatureHeader } from "./signing";
import {
  emptyHistogram,
  latencyBucket,
  percentile,
  STATS_WINDOW_HOURS,
  type WebhookStats,
} from "./stats";

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
  /** The API request that caused this delivery, for the logs. */
  requestId: string;
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
  request_id: string;
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
  private pumping = false;
  private wake: (() => void) | null = null;
  private readonly window = new SlidingWindow();
  private circuit: Circuit;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.deps = makeDeps(env);
    this.run(`CREATE TABLE IF NOT EXISTS queue (
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
      leased INTEGER NOT NULL DEFAULT 0,
      request_id TEXT NOT NULL
    )`);
    this.run("CREATE INDEX IF NOT EXISTS queue_due ON queue (leased, due_at)");
    this.run("CREATE INDEX IF NOT EXISTS queue_order ON queue (message_id)");
    this.run("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    this.run(`CREATE TABLE IF NOT EXISTS stats (
      hour INTEGER PRIMARY KEY,
      attempts INTEGER NOT NULL,
      succeeded INTEGER NOT NULL,
      failed INTEGER NOT NULL,
      histogram TEXT NOT NULL
    )`);
    this.circuit = this.readMeta<Circuit>("circuit") ?? CLOSED;
  }

  /** Takes events for delivery. Idempotent: an event already held is left as it is. */
  async enqueue(webhookId: string, items: QueuedEvent[]): Promise<void> {
    usage.doRequests += 1;
    this.writeMeta("webhook_id", webhookId);
    const now = this.deps.now().getTime();
    for (const e of items) {
      this.run(
        `INSERT INTO queue (event_id, message_id, event_type, payload, message_created_at,
           resource_type, resource_id, attempts, max_attempts, manual, due_at, request_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
        e.requestId,
      );
    }
    await this.kick();
  }

  /** Makes sure held events will be attempted; the boot sweep calls it after a restart. */
  async resume(webhookId: string): Promise<void> {
    usage.doRequests += 1;
    this.writeMeta("webhook_id", webhookId);
    await this.kick();
  }

  /** Drops everything held: the webhook was deleted. */
  async forget(): Promise<void> {
    usage.doRequests += 1;
    this.run("DELETE FROM queue");
    this.run("DELETE FROM stats");
    await this.ctx.storage.deleteAlarm();
  }

  /** The last 24 hours from the hourly rollups, and what waits now. */
  stats(webhookId: string): WebhookStats {
    usage.doRequests += 1;
    return this.measuredStats(webhookId).stats;
  }

  /** The stats, and how many storage rows reading them took (bounded: the point of the rollups). */
  measuredStats(webhookId: string): { stats: WebhookStats; rowsRead: number } {
    const now = this.deps.now().getTime();
    const fromHour = Math.floor(now / HOUR_MS) - STATS_WINDOW_HOURS + 1;
    const readBefore = usage.doRowsRead;
    const cursor = this.run<{
      attempts: number;
      succeeded: number;
      failed: number;
      histogram: string;
    }>("SELECT attempts, succeeded, failed, histogram FROM stats WHERE hour >= ?", fromHour);
    const rows = cursor;
    const histogram = emptyHistogram();
    let attempts = 0;
    let success = 0;
    let failed = 0;
    for (const row of rows) {
      attempts += row.attempts;
      success += row.succeeded;
      failed += row.failed;
      (JSON.parse(row.histogram) as number[]).forEach((n, i) => {
        histogram[i] = (histogram[i] ?? 0) + n;
      });
    }
    const waitingCursor = this.run<{ pending: number; retrying: number }>(
      `SELECT coalesce(sum(attempts = 0), 0) AS pending, coalesce(sum(attempts > 0), 0) AS retrying
       FROM queue`,
    );
    const waiting = waitingCursor[0]!;
    const stats: WebhookStats = {
      object: "webhook_stats",
      webhook_id: webhookId,
      window_hours: STATS_WINDOW_HOURS,
      counts: { success, failed, pending: waiting.pending, retrying: waiting.retrying },
      success_rate: success + failed === 0 ? null : success / (success + failed),
      attempts,
      latency_ms: { p50: percentile(histogram, 0.5), p95: percentile(histogram, 0.95) },
    };
    return { stats, rowsRead: usage.doRowsRead - readBefore };
  }

  /** The circuit as it stands, for tests and operators. */
  circuitState(): Circuit {
    return this.circuit;
  }

  /** This isolate's billable-unit counters, for the benchmark. */
  usage(): { isolateId: string; usage: Usage } {
    return { isolateId: currentIsolateId(), usage };
  }

  override async alarm(): Promise<void> {
    usage.doRequests += 1;
    const started = Date.now();
    try {
      await this.pump();
    } finally {
      usage.doActiveMs += Date.now() - started;
    }
  }

  /** Runs one statement on the object's SQLite, counting the rows it read and wrote. */
  private run<T extends Record<string, SqlStorageValue>>(
    query: string,
    ...bindings: unknown[]
  ): T[] {
    const cursor = this.ctx.storage.sql.exec<T>(query, ...bindings);
    const rows = cursor.toArray();
    usage.doRowsRead += cursor.rowsRead;
    usage.doRowsWritten += cursor.rowsWritten;
    return rows;
  }

  private readMeta<T>(key: string): T | null {
    const rows = this.run<{ value: string }>("SELECT value FROM meta WHERE key = ?", key);
    return rows[0] ? (JSON.parse(rows[0].value) as T) : null;
  }

  private writeMeta(key: string, value: unknown): void {
    this.run(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      key,
      JSON.stringify(value),
    );
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
    const webhookId = this.readMeta<string>("webhook_id");
    if (!webhookId) return;
    this.pumping = true;
    try {
      // Only the pump leases rows, and only one pump runs: any lease found
      // now belongs to an attempt that an earlier instance never finished.
      this.run("UPDATE queue SET leased = 0 WHERE leased = 1");
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
      let throttledMs = 0;
      if (!webhook) {
        this.run("DELETE FROM queue WHERE leased = 0");
      } else if (!webhook.enabled) {
        await this.failHeld(webhook);
      } else if (Date.now() - started < PUMP_BUDGET_MS) {
        const now = this.deps.now().getTime();
        const limit = webhook.ordering === "fifo" ? 1 : webhook.maxInFlight;
        const free = admit(this.circuit, now, limit - inFlight.size, inFlight.size);
        for (const row of this.takeDue(webhook, free, now)) {
          const current = webhook;
          const attempt: Promise<void> = this.attempt(current, row).finally(() =>
            inFlight.delete(attempt),
          );
          inFlight.add(attempt);
        }
        throttledMs = this.hasDue(now) ? this.window.waitMs(webhook.rateLimitPerSecond, now) : 0;
      }
      if (inFlight.size === 0 && throttledMs === 0) return;
      await Promise.race([
        ...inFlight,
        new Promise<void>((resolve) => {
          this.wake = resolve;
          // Due events held back by the rate limit: wait here for the window
          // to move rather than re-arming the alarm in a tight loop.
          if (throttledMs > 0) setTimeout(resolve, throttledMs);
        }),
      ]);
      if (Date.now() - loadedAt > CONFIG_TTL_MS) {
        webhook = await getWebhook(this.deps.db, webhookId);
        loadedAt = Date.now();
      }
    }
  }

  private hasDue(now: number): boolean {
    return this.run("SELECT 1 FROM queue WHERE leased = 0 AND due_at <= ? LIMIT 1", now).length > 0;
  }

  /** Leases up to `free` events that may go now, in the order the webhook asks for. */
  private takeDue(webhook: WebhookRow, free: number, now: number): Row[] {
    if (free <= 0) return [];
    let rows: Row[];
    if (webhook.ordering === "fifo") {
      // The oldest held event goes first; while it waits, everything behind it waits.
      const head = this.run<Row>("SELECT * FROM queue ORDER BY message_id, event_id LIMIT 1");
      rows = head.filter((r) => r.leased === 0 && r.due_at <= now);
    } else {
      rows = this.run<Row>(
        "SELECT * FROM queue WHERE leased = 0 AND due_at <= ? ORDER BY due_at, message_id LIMIT ?",
        now,
        free,
      );
    }
    rows = rows.slice(0, this.window.take(webhook.rateLimitPerSecond, rows.length, now));
    for (const row of rows) {
      this.run("UPDATE queue SET leased = 1 WHERE event_id = ?", row.event_id);
    }
    return rows;
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
    usage.subrequests += 1;
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
      await deps.db.batch(
        recordAttemptStatements(deps.db, {
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
        }),
      );
    } catch (error) {
      // The attempt happened but is not on record: send it again later (same webhook-id).
      deps.log("error", "recording an attempt failed", {
        request_id: row.request_id,
        webhook_id: webhook.id,
        event_id: row.event_id,
        error: String(error),
      });
      this.run(
        "UPDATE queue SET leased = 0, due_at = ? WHERE event_id = ?",
        finishedAt.getTime() + RECORD_RETRY_MS,
        row.event_id,
      );
      return;
    }
    deps.log("info", "delivery attempt", {
      request_id: row.request_id,
      webhook_id: webhook.id,
      event_id: row.event_id,
      message_id: row.message_id,
      attempt,
      http_status_code: result.httpStatusCode,
      duration_ms: result.durationMs,
      delivery_status: outcome.deliveryStatus,
    });
    this.settle(row, attempt, outcome);
    this.recordStats(finishedAt.getTime(), result.durationMs, outcome);
    this.circuit = recordResult(this.circuit, isSuccess(result), finishedAt.getTime());
    this.writeMeta("circuit", this.circuit);
    const disable =
      outcome.disableWebhook ?? (isFailing(this.circuit, finishedAt.getTime()) ? "failing" : null);
    if (disable && webhook.enabled) {
      await updateWebhook(deps.db, webhook.id, {
        enabled: false,
        disabledReason: disable,
        updatedAt: toRfc3339(finishedAt),
      });
      webhook.enabled = false;
      webhook.disabledReason = disable;
      deps.log("warn", "webhook disabled", { webhook_id: webhook.id, reason: disable });
    }
  }

  /** The row after a recorded attempt: gone when final, else due again later. */
  private settle(row: Row, attempt: number, outcome: Outcome): void {
    if (outcome.nextAttemptAt === null) {
      usage.finishedEvents += 1;
      this.run("DELETE FROM queue WHERE event_id = ?", row.event_id);
      return;
    }
    this.run(
      "UPDATE queue SET leased = 0, attempts = ?, due_at = ? WHERE event_id = ?",
      attempt,
      outcome.nextAttemptAt,
      row.event_id,
    );
  }

  private recordStats(at: number, durationMs: number, outcome: Outcome): void {
    const hour = Math.floor(at / HOUR_MS);
    const existing = this.run<{ histogram: string }>(
      "SELECT histogram FROM stats WHERE hour = ?",
      hour,
    )[0];
    const histogram = existing ? (JSON.parse(existing.histogram) as number[]) : emptyHistogram();
    const bucket = latencyBucket(durationMs);
    histogram[bucket] = (histogram[bucket] ?? 0) + 1;
    this.run(
      `INSERT INTO stats (hour, attempts, succeeded, failed, histogram) VALUES (?, 1, ?, ?, ?)
       ON CONFLICT (hour) DO UPDATE SET attempts = attempts + 1,
         succeeded = succeeded + excluded.succeeded, failed = failed + excluded.failed,
         histogram = excluded.histogram`,
      hour,
      outcome.deliveryStatus === "success" ? 1 : 0,
      outcome.deliveryStatus === "failed" ? 1 : 0,
      JSON.stringify(histogram),
    );
    this.run("DELETE FROM stats WHERE hour < ?", hour - 2 * STATS_WINDOW_HOURS);
  }

  /** A disabled webhook receives nothing: what it holds fails, for `recover` to bring back. */
  private async failHeld(webhook: WebhookRow): Promise<void> {
    const ids = this.run<{ event_id: string }>("SELECT event_id FROM queue WHERE leased = 0").map(
      (r) => r.event_id,
    );
    // Re-enabling starts afresh: no open circuit, no failure streak carried over.
    this.circuit = CLOSED;
    this.writeMeta("circuit", CLOSED);
    if (ids.length === 0) return;
    await failEvents(
      this.deps.db,
      ids,
      `webhook disabled (${webhook.disabledReason ?? "manual"})`,
      this.deps.now(),
    );
    for (const id of ids) this.run("DELETE FROM queue WHERE event_id = ? AND leased = 0", id);
  }

  /** Arms the alarm for the next due event, no earlier than the circuit allows. */
  private async scheduleNext(): Promise<void> {
    const next = this.run<{ due: number | null }>(
      "SELECT min(due_at) AS due FROM queue WHERE leased = 0",
    )[0]!.due;
    if (next === null) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    const now = this.deps.now().getTime();
    const due = Math.max(next, this.circuit.openUntil ?? 0);
    // due_at is on the deps clock; the alarm runs on the real one.
    await this.ctx.storage.setAlarm(Date.now() + Math.max(0, due - now));
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
