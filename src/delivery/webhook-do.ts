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
import { failEvents, recordAttemptStatements, reopenEvents } from "../db/queries/events";
import { getWebhook, updateWebhook } from "../db/queries/webhooks";
import type { EventRow, WebhookRow } from "../db/schema";
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
  type HourStats,
  latencyBucket,
  STATS_WINDOW_HOURS,
  summariseStats,
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
  request_id: string;
};

/** How long one alarm may keep launching attempts before it hands over to the next. */
const PUMP_BUDGET_MS = 60_000;
/** Webhook settings are re-read this often while a pump runs, so PATCHes take effect. */
const CONFIG_TTL_MS = 5_000;
/** When recording an attempt fails, the event is tried again after this long. */
const RECORD_RETRY_MS = 30_000;
/** Hourly stats are buffered in memory and written at most this often. */
const STATS_FLUSH_MS = 5_000;
/**
 * A re-sent event waits this long before it may go, unless D1 confirms the
 * re-open first (it normally does at once). Should the object die between the
 * two, the event still goes: later, never lost.
 */
const RESEND_GRACE_MS = 60_000;

export class WebhookDO extends DurableObject<Env> {
  /** Replaced by tests to pin the clock, randomness or fetch. */
  deps: Deps;
  private pumping = false;
  /** Set when rows arrive while the pump runs, so that it goes round once more. */
  private kicked = false;
  private wake: (() => void) | null = null;
  private readonly window = new SlidingWindow();
  private circuit: Circuit;
  /**
   * Events with an attempt in flight. In memory on purpose: only the pump
   * leases, one pump runs per object, and a new instance has no attempt in
   * flight, so a lease never needs to outlive the instance (or cost a write).
   */
  private readonly leased = new Set<string>();
  private webhookId: string | null;
  private readonly statsBuffer = new Map<number, HourStats>();
  private statsFlushedAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.deps = makeDeps(env);
    // Keyed by (message, event) without a rowid: the key is the table (one
    // write per insert or delete, not two) and walking it is fifo order.
    this.run(`CREATE TABLE IF NOT EXISTS held (
      message_id TEXT NOT NULL,
      event_id TEXT NOT NULL,
      event_type TEXT NOT NULL,
      payload TEXT NOT NULL,
      message_created_at TEXT NOT NULL,
      resource_type TEXT,
      resource_id TEXT,
      attempts INTEGER NOT NULL,
      max_attempts INTEGER NOT NULL,
      manual INTEGER NOT NULL,
      due_at INTEGER NOT NULL,
      request_id TEXT NOT NULL,
      PRIMARY KEY (message_id, event_id)
    ) WITHOUT ROWID`);
    this.run("CREATE INDEX IF NOT EXISTS held_due ON held (due_at)");
    this.run("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    this.run(`CREATE TABLE IF NOT EXISTS stats (
      hour INTEGER PRIMARY KEY,
      attempts INTEGER NOT NULL,
      succeeded INTEGER NOT NULL,
      failed INTEGER NOT NULL,
      histogram TEXT NOT NULL
    )`);
    this.circuit = this.readMeta<Circuit>("circuit") ?? CLOSED;
    this.webhookId = this.readMeta<string>("webhook_id");
  }

  /** Takes events for delivery. Idempotent: an event already held is left as it is. */
  async enqueue(webhookId: string, items: QueuedEvent[]): Promise<void> {
    usage.doRequests += 1;
    this.hold(webhookId, items, this.deps.now().getTime());
    await this.kick();
  }

  /**
   * One more manual attempt for finished events (retry, recover): held here
   * first, then re-opened in D1 (`max_attempts` + 1), then made due. Returns
   * the events as re-opened; an event that was not finished is left alone.
   */
  async resend(webhookId: string, items: QueuedEvent[]): Promise<EventRow[]> {
    usage.doRequests += 1;
    const now = this.deps.now();
    this.hold(webhookId, items, now.getTime() + RESEND_GRACE_MS);
    const reopened = await reopenEvents(
      this.deps.db,
      items.map((e) => e.eventId),
      now,
    );
    const byId = new Map(reopened.map((e) => [e.id, e]));
    for (const item of items) {
      const event = byId.get(item.eventId);
      if (event) {
        this.run(
          "UPDATE held SET due_at = ?, attempts = ?, max_attempts = ? WHERE message_id = ? AND event_id = ?",
          now.getTime(),
          event.deliveryAttempts,
          event.maxAttempts,
          item.messageId,
          item.eventId,
        );
      } else if (!this.leased.has(item.eventId)) {
        this.forgetRow({ message_id: item.messageId, event_id: item.eventId });
      }
    }
    await this.kick();
    return reopened;
  }

  /** Makes sure held events will be attempted; the boot sweep calls it after a restart. */
  async resume(webhookId: string): Promise<void> {
    usage.doRequests += 1;
    this.rememberWebhook(webhookId);
    if (this.heldCount() > 0) await this.kick();
  }

  /** How many events are held, in flight or waiting. */
  heldCount(): number {
    return this.run<{ n: number }>("SELECT count(*) AS n FROM held")[0]!.n;
  }

  /** Stores events to deliver, due at `dueAt`. Idempotent: an event already held stays as it is. */
  private hold(webhookId: string, items: QueuedEvent[], dueAt: number): void {
    this.rememberWebhook(webhookId);
    for (const e of items) {
      this.run(
        `INSERT INTO held (message_id, event_id, event_type, payload, message_created_at,
           resource_type, resource_id, attempts, max_attempts, manual, due_at, request_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (message_id, event_id) DO NOTHING`,
        e.messageId,
        e.eventId,
        e.eventType,
        e.payload,
        e.messageCreatedAt,
        e.resourceType,
        e.resourceId,
        e.attempts,
        e.maxAttempts,
        e.manual ? 1 : 0,
        dueAt,
        e.requestId,
      );
    }
  }

  private rememberWebhook(webhookId: string): void {
    if (this.webhookId === webhookId) return;
    this.webhookId = webhookId;
    this.writeMeta("webhook_id", webhookId);
  }

  private forgetRow(row: { message_id: string; event_id: string }): void {
    this.run(
      "DELETE FROM held WHERE message_id = ? AND event_id = ?",
      row.message_id,
      row.event_id,
    );
  }

  /** Drops everything held: the webhook was deleted. */
  async forget(): Promise<void> {
    usage.doRequests += 1;
    this.run("DELETE FROM held");
    this.run("DELETE FROM stats");
    this.statsBuffer.clear();
    await this.ctx.storage.deleteAlarm();
  }

  /** The last 24 hours from the hourly rollups, and what waits now. */
  stats(webhookId: string): WebhookStats {
    usage.doRequests += 1;
    return this.measuredStats(webhookId).stats;
  }

  /** The stats, and how many storage rows reading them took (bounded: the point of the rollups). */
  measuredStats(webhookId: string): { stats: WebhookStats; rowsRead: number } {
    const nowHour = Math.floor(this.deps.now().getTime() / HOUR_MS);
    const readBefore = usage.doRowsRead;
    const stored = this.run<{
      hour: number;
      attempts: number;
      succeeded: number;
      failed: number;
      histogram: string;
    }>(
      "SELECT hour, attempts, succeeded, failed, histogram FROM stats WHERE hour > ?",
      nowHour - STATS_WINDOW_HOURS,
    );
    const waiting = this.run<{ pending: number; retrying: number }>(
      `SELECT coalesce(sum(attempts = 0), 0) AS pending, coalesce(sum(attempts > 0), 0) AS retrying
       FROM held`,
    )[0]!;
    const rollups: [number, HourStats][] = [
      ...stored.map(({ hour, histogram, ...counts }): [number, HourStats] => [
        hour,
        { ...counts, histogram: JSON.parse(histogram) as number[] },
      ]),
      ...this.statsBuffer,
    ];
    const stats = summariseStats(webhookId, rollups, nowHour, waiting);
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

  /**
   * Makes sure new rows are seen: a running pump is told (and woken), else
   * the alarm is set to now. Always set, never "already pending, skip": an
   * alarm that reads as pending may be the one finishing right now, which the
   * runtime then clears.
   */
  private async kick(): Promise<void> {
    if (this.pumping) {
      this.kicked = true;
      this.wake?.();
      return;
    }
    await this.ctx.storage.setAlarm(Date.now());
  }

  /**
   * Runs attempts until nothing is due, then arms the alarm for what is left.
   * The alarm is armed while still marked as pumping, and the pump goes round
   * again if rows arrived meanwhile: otherwise an enqueue landing between
   * "nothing left" and deleteAlarm() would be stranded without an alarm.
   */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    const webhookId = this.webhookId;
    if (!webhookId) return;
    this.pumping = true;
    const deadline = Date.now() + PUMP_BUDGET_MS;
    try {
      do {
        this.kicked = false;
        await this.runAttempts(webhookId, deadline);
        this.flushStats();
        await this.scheduleNext();
      } while (this.kicked && Date.now() < deadline);
      // Out of time with rows just arrived: the next alarm takes them.
      if (this.kicked) await this.ctx.storage.setAlarm(Date.now());
    } finally {
      this.pumping = false;
      this.wake = null;
    }
  }

  private async runAttempts(webhookId: string, deadline: number): Promise<void> {
    let webhook = await getWebhook(this.deps.db, webhookId);
    let loadedAt = Date.now();
    const inFlight = new Set<Promise<void>>();
    while (true) {
      let throttledMs = 0;
      if (!webhook) {
        for (const row of this.run<{ message_id: string; event_id: string }>(
          "SELECT message_id, event_id FROM held",
        )) {
          if (!this.leased.has(row.event_id)) this.forgetRow(row);
        }
      } else if (!webhook.enabled) {
        await this.failHeld(webhook);
      } else if (Date.now() < deadline) {
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
    return this.run<{ event_id: string }>(
      "SELECT event_id FROM held WHERE due_at <= ? ORDER BY due_at LIMIT ?",
      now,
      this.leased.size + 1,
    ).some((r) => !this.leased.has(r.event_id));
  }

  /** Leases up to `free` events that may go now, in the order the webhook asks for. */
  private takeDue(webhook: WebhookRow, free: number, now: number): Row[] {
    if (free <= 0) return [];
    let rows: Row[];
    if (webhook.ordering === "fifo") {
      // The oldest held event goes first; while it waits, everything behind it waits.
      const head = this.run<Row>("SELECT * FROM held ORDER BY message_id, event_id LIMIT 1");
      rows = head.filter((r) => !this.leased.has(r.event_id) && r.due_at <= now);
    } else {
      rows = this.run<Row>(
        "SELECT * FROM held WHERE due_at <= ? ORDER BY due_at, message_id LIMIT ?",
        now,
        free + this.leased.size,
      )
        .filter((r) => !this.leased.has(r.event_id))
        .slice(0, free);
    }
    rows = rows.slice(0, this.window.take(webhook.rateLimitPerSecond, rows.length, now));
    for (const row of rows) this.leased.add(row.event_id);
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
        "UPDATE held SET due_at = ? WHERE message_id = ? AND event_id = ?",
        finishedAt.getTime() + RECORD_RETRY_MS,
        row.message_id,
        row.event_id,
      );
      this.leased.delete(row.event_id);
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
    this.setCircuit(recordResult(this.circuit, isSuccess(result), finishedAt.getTime()));
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
    this.leased.delete(row.event_id);
    if (outcome.nextAttemptAt === null) {
      usage.finishedEvents += 1;
      this.forgetRow(row);
      return;
    }
    this.run(
      "UPDATE held SET attempts = ?, due_at = ? WHERE message_id = ? AND event_id = ?",
      attempt,
      outcome.nextAttemptAt,
      row.message_id,
      row.event_id,
    );
  }

  /** Adds an attempt to its hour in memory; written by flushStats at most every few seconds. */
  private recordStats(at: number, durationMs: number, outcome: Outcome): void {
    const hour = Math.floor(at / HOUR_MS);
    const stats = this.statsBuffer.get(hour) ?? {
      attempts: 0,
      succeeded: 0,
      failed: 0,
      histogram: emptyHistogram(),
    };
    stats.attempts += 1;
    if (outcome.deliveryStatus === "success") stats.succeeded += 1;
    if (outcome.deliveryStatus === "failed") stats.failed += 1;
    const bucket = latencyBucket(durationMs);
    stats.histogram[bucket] = (stats.histogram[bucket] ?? 0) + 1;
    this.statsBuffer.set(hour, stats);
    if (Date.now() - this.statsFlushedAt > STATS_FLUSH_MS) this.flushStats();
  }

  /**
   * Writes the buffered hours, one row each, whatever the number of attempts
   * in them. Stats are approximate by design: a crash loses at most the last
   * few seconds of them, never an event.
   */
  private flushStats(): void {
    this.statsFlushedAt = Date.now();
    for (const [hour, add] of this.statsBuffer) {
      const stored = this.run<{ histogram: string }>(
        "SELECT histogram FROM stats WHERE hour = ?",
        hour,
      )[0];
      const histogram = stored ? (JSON.parse(stored.histogram) as number[]) : emptyHistogram();
      add.histogram.forEach((n, i) => {
        histogram[i] = (histogram[i] ?? 0) + n;
      });
      this.run(
        `INSERT INTO stats (hour, attempts, succeeded, failed, histogram) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (hour) DO UPDATE SET attempts = attempts + excluded.attempts,
           succeeded = succeeded + excluded.succeeded, failed = failed + excluded.failed,
           histogram = excluded.histogram`,
        hour,
        add.attempts,
        add.succeeded,
        add.failed,
        JSON.stringify(histogram),
      );
      this.run("DELETE FROM stats WHERE hour < ?", hour - 2 * STATS_WINDOW_HOURS);
    }
    this.statsBuffer.clear();
  }

  /** A disabled webhook receives nothing: what it holds fails, for `recover` to bring back. */
  private async failHeld(webhook: WebhookRow): Promise<void> {
    const rows = this.run<{ message_id: string; event_id: string }>(
      "SELECT message_id, event_id FROM held",
    ).filter((r) => !this.leased.has(r.event_id));
    // Re-enabling starts afresh: no open circuit, no failure streak carried over.
    this.setCircuit(CLOSED);
    if (rows.length === 0) return;
    await failEvents(
      this.deps.db,
      rows.map((r) => r.event_id),
      `webhook disabled (${webhook.disabledReason ?? "manual"})`,
      this.deps.now(),
    );
    for (const row of rows) if (!this.leased.has(row.event_id)) this.forgetRow(row);
  }

  /** Keeps the circuit, writing it only when it changed (most successes change nothing). */
  private setCircuit(next: Circuit): void {
    if (JSON.stringify(next) === JSON.stringify(this.circuit)) return;
    this.circuit = next;
    this.writeMeta("circuit", next);
  }

  /** Arms the alarm for the next due event, no earlier than the circuit allows. */
  private async scheduleNext(): Promise<void> {
    const next = this.run<{ due: number | null }>("SELECT min(due_at) AS due FROM held")[0]!.due;
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
