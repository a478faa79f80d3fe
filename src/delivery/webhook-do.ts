/**
 * @module WebhookDO: one Durable Object per webhook, the only place that sends
 * to that webhook's URL, and the scheduler of its attempts: at most
 * `max_in_flight` at once, within `rate_limit_per_second`, in publication
 * order for `fifo`, behind a circuit breaker, retried on the policy's
 * schedule (alarms have no 12-hour limit, unlike queue delays).
 *
 * It carries the hot state of delivery: the events it holds
 * (`held-events.ts`), one attempt (`dispatch.ts`), the history writer that
 * records outcomes in D1 in batches (`history.ts`) and the hourly stats
 * (`stats-buffer.ts`). While an event is in flight, this object is where the
 * events API finds it; D1 has it once it is finished.
 *
 * Concurrency: the SQLite API is synchronous, so every state change between
 * two awaits is atomic. Only the pump (run from the alarm, one at a time)
 * launches attempts; RPC calls that arrive while an attempt awaits fetch()
 * only add events and wake it. An attempt leases its event in memory before
 * its first await: a new instance has nothing in flight, so a lease never
 * needs to outlive it.
 */
import { DurableObject } from "cloudflare:workers";
import { type EventFilter, getEvent, listEvents } from "../db/queries/events";
import { getWebhook, updateWebhook } from "../db/queries/webhooks";
import type { WebhookStats } from "../api/webhooks/schemas";
import type { AttemptRow, EventRow, WebhookRow } from "../db/schema";
import { type Deps, makeDeps } from "../deps";
import type { Env } from "../env";
import { describeError } from "../lib/log";
import { toRfc3339 } from "../lib/time";
import { currentIsolateId, type Usage, usage } from "../lib/usage";
import { secretBox } from "../security/secrets-at-rest";
import { isSuccess } from "./attempt";
import { admit, type Circuit, CLOSED, isFailing, recordResult, sameCircuit } from "./circuit";
import { SignerCache } from "./credentials";
import { Deadlines } from "./deadlines";
import { type Dispatched, dispatch } from "./dispatch";
import { type HeldEvent, HeldEvents, type QueuedEvent } from "./held-events";
import { boundedLog, FLUSH_MS, HistoryWriter, type Recorded } from "./history";
import {
  circuitEvents,
  eventExhausted,
  type OperationalEvent,
  publishOperational,
  webhookDisabled,
} from "./operations";
import { SlidingWindow } from "./rate-limit";
import { meteredSql, type SqlRunner } from "./sql";
import { StatsBuffer } from "./stats-buffer";

export type { QueuedEvent } from "./held-events";

/** An event to send once more, with what the events API showed of it last. */
export type ResendItem = QueuedEvent & { httpStatusCode: number; errorMessage: string };

/** How long one alarm may keep launching attempts before it hands over to the next. */
const PUMP_BUDGET_MS = 60_000;
/**
 * Webhook settings are re-read this often while a pump runs; a change made
 * through the API tells the object at once (`settingsChanged`), so this only
 * bounds what the API cannot tell (an application deleted with its webhooks).
 */
const CONFIG_TTL_MS = 60_000;
/** Recorded event ids remembered, so that a hand-over repeated after a crash sends nothing twice. */
const RECENT_IDS = 20_000;
/** An attempt that could not even be prepared is tried again after this long. */
const PREPARE_RETRY_MS = 30_000;
/** Buffered outcomes past which no new attempt starts until D1 takes them (D1 is down). */
const MAX_UNWRITTEN = 1_000;
/** Operational events not yet published are tried again this often. */
const OPERATIONAL_RETRY_MS = 30_000;
/**
 * Failed attempts' rows are written at most this long after the attempt
 * (held-events.ts), the window the history writer already keeps outcomes in.
 */
const PERSIST_WITHIN_MS = FLUSH_MS;

export class WebhookDO extends DurableObject<Env> {
  /** Replaced by tests to pin the clock, randomness or fetch. */
  deps: Deps;
  private readonly run: SqlRunner;
  private readonly held: HeldEvents;
  private readonly history: HistoryWriter;
  private readonly statsBuffer: StatsBuffer;
  private pumping = false;
  /** Set when the webhook's settings changed, so the pump reads them again. */
  private settingsStale = false;
  /** Set when events arrive while the pump runs, so that it goes round once more. */
  private kicked = false;
  private wake: (() => void) | null = null;
  private readonly window = new SlidingWindow();
  private circuit: Circuit;
  /** The circuit changed since it was last written (see setCircuit). */
  private circuitUnsaved = false;
  /** Events with an attempt in flight. */
  private readonly leased = new Set<string>();
  /** Events that may go now, in publication order (message id, then event id). */
  private ready: HeldEvent[] = [];
  /** Events waiting for a later time (retries). */
  private readonly later = new Set<HeldEvent>();
  /** No event in `later` is due before this (a lower bound), so most pump turns skip the walk. */
  private laterDueFrom = Number.POSITIVE_INFINITY;
  private readonly recent = new Map<string, true>();
  private readonly signers = new SignerCache();
  private readonly deadlines = new Deadlines();
  private webhookId: string | null;
  /** Operational events stored and not yet published (rows of `operational`). */
  private operationalPending: number;
  private publishingOperational: Promise<void> | null = null;
  /** Set when events are stored while a publish runs, so that it goes round once more. */
  private operationalAgain = false;
  /** Writes the failed attempts' rows (see held-events.ts) when it fires. */
  private persistTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.deps = makeDeps(env);
    this.run = meteredSql(ctx.storage);
    this.run("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    // Operational events about this webhook until the operations application has them.
    this.run(
      "CREATE TABLE IF NOT EXISTS operational (key TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID",
    );
    this.operationalPending =
      this.run<{ n: number }>("SELECT count(*) AS n FROM operational")[0]?.n ?? 0;
    this.circuit = this.readMeta<Circuit>("circuit") ?? CLOSED;
    this.webhookId = this.readMeta<string>("webhook_id");
    this.statsBuffer = new StatsBuffer(this.run);
    this.history = new HistoryWriter(
      () => this.deps,
      (written) => this.released(written),
    );
    this.held = new HeldEvents(this.run, (event) => this.schedule(event));
  }

  /** Takes events for delivery. Idempotent: an event held or just recorded is skipped. */
  async enqueue(webhookId: string, items: QueuedEvent[]): Promise<void> {
    usage.doRequests += 1;
    this.rememberWebhook(webhookId);
    this.held.addHandover(
      items.filter((e) => !this.recent.has(e.eventId)),
      0,
    );
    await this.kick();
  }

  /**
   * One more manual attempt for finished events (retry, recover): each is
   * held in a row of its own, due now, with one more allowed attempt. D1 is
   * not touched: the events API shows them from here as `retrying` until the
   * outcome is written. Returns them as shown; an event held already is left alone.
   */
  async resend(webhookId: string, items: ResendItem[]): Promise<EventRow[]> {
    usage.doRequests += 1;
    this.rememberWebhook(webhookId);
    const now = this.deps.now();
    const taken = this.held.addWaiting(
      items.map((item) => ({ ...item, maxAttempts: item.maxAttempts + 1, manual: true })),
      now.getTime(),
    );
    const byId = new Map(items.map((i) => [i.eventId, i]));
    for (const event of taken) {
      const item = byId.get(event.eventId)!;
      event.httpStatusCode = item.httpStatusCode;
      event.errorMessage = item.errorMessage;
      event.updatedAt = toRfc3339(now);
      this.recent.delete(event.eventId);
    }
    await this.kick();
    return taken.map((e) => this.view(e));
  }

  /** The webhook's settings changed (PATCH, rotation): read them again before the next attempt. */
  async settingsChanged(): Promise<void> {
    usage.doRequests += 1;
    this.settingsStale = true;
    this.wake?.();
  }

  /**
   * The API disabled the webhook (PATCH `enabled: false`): read the settings
   * again, and tell the operations application, from here so that the event
   * is kept and retried like the object's own.
   */
  async disabledManually(webhookId: string, applicationId: string, at: string): Promise<void> {
    usage.doRequests += 1;
    this.rememberWebhook(webhookId);
    this.settingsStale = true;
    this.wake?.();
    this.announce([webhookDisabled({ id: webhookId, applicationId }, "manual", at)]);
    if (this.operationalPending > 0 && !this.pumping) await this.kickOperational();
  }

  /** Makes sure held events will be attempted; the boot sweep calls it after a restart. */
  async resume(webhookId: string): Promise<void> {
    usage.doRequests += 1;
    this.rememberWebhook(webhookId);
    if (!this.held.isEmpty()) await this.kick();
  }

  /** How many events are held in memory, in flight or waiting. */
  heldCount(): number {
    return this.held.size;
  }

  /** Drops everything held: the webhook was deleted. */
  async forget(): Promise<void> {
    usage.doRequests += 1;
    this.dropEverything();
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
    const readBefore = usage.doRowsRead;
    const waiting = { pending: 0, retrying: 0 };
    for (const event of this.held.values()) {
      if (this.history.find(event.eventId)) continue;
      if (event.attempts === 0) waiting.pending += 1;
      else waiting.retrying += 1;
    }
    const stats = this.statsBuffer.summarise(webhookId, this.deps.now().getTime(), waiting);
    return { stats, rowsRead: usage.doRowsRead - readBefore };
  }

  /** A page of the webhook's events: what is in flight here merged with what D1 has recorded. */
  async listEvents(filter: EventFilter): Promise<EventRow[]> {
    usage.doRequests += 1;
    const matches = (e: EventRow) =>
      (!filter.deliveryStatus || e.deliveryStatus === filter.deliveryStatus) &&
      (!filter.type || e.type === filter.type) &&
      (!filter.before || e.id < filter.before);
    const here = this.inFlightViews();
    const recorded = await listEvents(this.deps.db, filter);
    const merged = new Map<string, EventRow>();
    for (const row of recorded) if (!here.has(row.id)) merged.set(row.id, row);
    for (const row of here.values()) if (matches(row)) merged.set(row.id, row);
    return [...merged.values()].sort((a, b) => (a.id < b.id ? 1 : -1)).slice(0, filter.limit);
  }

  /** One event of this webhook: in flight here, or as D1 recorded it. */
  async getEvent(eventId: string): Promise<EventRow | null> {
    usage.doRequests += 1;
    const here = this.inFlightView(eventId);
    if (here) return here;
    if (!this.webhookId) return null;
    return (await getEvent(this.deps.db, this.webhookId, eventId)) ?? null;
  }

  /** These events as held here, if they are (no D1 read). */
  peekEvents(eventIds: string[]): EventRow[] {
    usage.doRequests += 1;
    return eventIds.flatMap((id) => {
      const row = this.inFlightView(id);
      return row ? [row] : [];
    });
  }

  /** An event's attempts after `after`, oldest first: as held here, or as recorded. */
  async listAttempts(eventId: string, after: number, limit: number): Promise<AttemptRow[]> {
    usage.doRequests += 1;
    const here = this.history.find(eventId)?.event ?? this.held.get(eventId);
    const log =
      here?.attemptLog ??
      (this.webhookId ? (await getEvent(this.deps.db, this.webhookId, eventId))?.attemptLog : []) ??
      [];
    return log
      .filter((a) => a.attempt > after)
      .slice(0, limit + 1)
      .map((a) => ({ eventId, ...a }));
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
      // Not awaited: publishing waits on other objects and must not hold the
      // next alarm (deliveries) back; what fails stays stored for a later alarm.
      void this.publishOperationalEvents();
      await this.pump();
    } finally {
      usage.doActiveMs += Date.now() - started;
    }
  }

  /** Events in flight here, as the events API shows them, by id. */
  private inFlightViews(): Map<string, EventRow> {
    const views = new Map<string, EventRow>();
    for (const event of this.held.values()) views.set(event.eventId, this.view(event));
    for (const item of this.held.peekUnloaded()) {
      if (!views.has(item.eventId)) views.set(item.eventId, this.view({ ...item, dueAt: 0 }));
    }
    for (const row of this.history.rows()) views.set(row.id, row);
    return views;
  }

  /** One event in flight here, if it is: its outcome waiting to be written, or as held. */
  private inFlightView(eventId: string): EventRow | undefined {
    const recorded = this.history.find(eventId);
    if (recorded) return recorded.row;
    const held = this.held.get(eventId);
    if (held) return this.view(held);
    // Beyond the memory budget (rare): read from storage.
    const unloaded = this.held.peekUnloaded().find((e) => e.eventId === eventId);
    return unloaded && this.view({ ...unloaded, dueAt: 0 });
  }

  /** A held event as an event row: pending before its first attempt, retrying after. */
  private view(event: QueuedEvent & Partial<HeldEvent>): EventRow {
    return {
      webhookId: this.webhookId ?? "",
      id: event.eventId,
      messageId: event.messageId,
      type: event.eventType,
      deliveryStatus: event.attempts === 0 ? "pending" : "retrying",
      deliveryAttempts: event.attempts,
      maxAttempts: event.maxAttempts,
      httpStatusCode: event.httpStatusCode ?? 0,
      errorMessage: event.errorMessage ?? "",
      nextAttemptAt: event.dueAt ? toRfc3339(event.dueAt) : event.createdAt,
      attemptLog: event.attemptLog,
      createdAt: event.createdAt,
      updatedAt: event.updatedAt ?? event.createdAt,
    };
  }

  /** Puts a loaded event where the pump looks: ready now, or later. */
  private schedule(event: HeldEvent): void {
    if (event.dueAt <= this.deps.now().getTime()) insertReady(this.ready, event);
    else {
      this.later.add(event);
      this.laterDueFrom = Math.min(this.laterDueFrom, event.dueAt);
    }
  }

  private rememberWebhook(webhookId: string): void {
    if (this.webhookId === webhookId) return;
    this.webhookId = webhookId;
    this.writeMeta("webhook_id", webhookId);
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
   * Makes sure new events are seen: a running pump is told (and woken), else
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
   * Runs attempts until nothing is due and every outcome is written, then
   * arms the alarm for what is left. The alarm is armed while still marked as
   * pumping, and the pump goes round again if events arrived meanwhile.
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
        await this.history.flush();
        this.statsBuffer.flush();
        await this.scheduleNext();
      } while (this.kicked && Date.now() < deadline);
      // Out of time with events just arrived: the next alarm takes them.
      if (this.kicked) await this.ctx.storage.setAlarm(Date.now());
    } finally {
      this.pumping = false;
      this.wake = null;
    }
  }

  private async runAttempts(webhookId: string, deadline: number): Promise<void> {
    this.settingsStale = false;
    let webhook = await getWebhook(this.deps.db, webhookId);
    let loadedAt = Date.now();
    // Counted, not raced: the loop waits on one wake-up, however many are out.
    let inFlight = 0;
    // An attempt that throws stops the pump, as it always has.
    const failed: unknown[] = [];
    while (true) {
      if (failed.length > 0) throw failed[0];
      let throttledMs = 0;
      if (!webhook) {
        this.dropEverything();
      } else if (!webhook.enabled) {
        this.failHeld(webhook);
      } else if (Date.now() < deadline && this.history.size < MAX_UNWRITTEN) {
        const now = this.deps.now().getTime();
        const limit = webhook.ordering === "fifo" ? 1 : webhook.maxInFlight;
        const free = admit(this.circuit, now, limit - inFlight, inFlight);
        for (const event of this.takeDue(webhook, free, now)) {
          inFlight += 1;
          void this.attempt(webhook, event)
            .catch((error: unknown) => {
              failed.push(error);
            })
            .finally(() => {
              inFlight -= 1;
              this.wake?.();
            });
        }
        throttledMs = this.hasDue(now) ? this.window.waitMs(webhook.rateLimitPerSecond, now) : 0;
      }
      if (inFlight === 0 && throttledMs === 0) return;
      // Woken by an attempt ending, events arriving or settings changing.
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        // Due events held back by the rate limit: wait here for the window
        // to move rather than re-arming the alarm in a tight loop.
        if (throttledMs > 0) setTimeout(resolve, throttledMs);
      });
      if (this.settingsStale || Date.now() - loadedAt > CONFIG_TTL_MS) {
        this.settingsStale = false;
        webhook = await getWebhook(this.deps.db, webhookId);
        loadedAt = Date.now();
      }
    }
  }

  /** Moves retries whose time has come to the ready list. */
  private promote(now: number): void {
    if (now < this.laterDueFrom) return;
    this.laterDueFrom = Number.POSITIVE_INFINITY;
    for (const event of this.later) {
      if (event.dueAt <= now) {
        this.later.delete(event);
        insertReady(this.ready, event);
      } else {
        this.laterDueFrom = Math.min(this.laterDueFrom, event.dueAt);
      }
    }
  }

  private hasDue(now: number): boolean {
    this.promote(now);
    return this.ready.length > 0;
  }

  /** Leases up to `free` events that may go now, in the order the webhook asks for. */
  private takeDue(webhook: WebhookRow, free: number, now: number): HeldEvent[] {
    if (free <= 0) return [];
    this.held.refill();
    this.promote(now);
    let count = Math.min(free, this.ready.length);
    if (webhook.ordering === "fifo") {
      // The oldest held event goes first; while it waits or is in flight, everything behind it waits.
      const head = this.ready[0];
      const blocked =
        !head ||
        this.leased.size > 0 ||
        [...this.later].some((e) => byPublication(e, head) < 0);
      count = blocked ? 0 : 1;
    }
    count = this.window.take(webhook.rateLimitPerSecond, count, now);
    const taken = this.ready.splice(0, count);
    for (const event of taken) this.leased.add(event.eventId);
    return taken;
  }

  private async attempt(webhook: WebhookRow, event: HeldEvent): Promise<void> {
    let dispatched: Dispatched;
    try {
      // Decrypted and imported once per webhook version, not per attempt.
      const sign = await this.signers.get(webhook, this.deps.now(), () =>
        secretBox(this.deps.settings),
      );
      dispatched = await dispatch(this.deps, webhook, event, sign, this.deadlines);
    } catch (error) {
      // Not sent (no usable key, signing failed): try again later rather than
      // hold it forever, and never send it unsigned.
      this.deps.log("error", "preparing an attempt failed", {
        webhook_id: webhook.id,
        event_id: event.eventId,
        ...describeError(error),
      });
      event.dueAt = this.deps.now().getTime() + PREPARE_RETRY_MS;
      this.schedule(event);
      return;
    } finally {
      this.leased.delete(event.eventId);
    }
    // Forgotten meanwhile (the webhook was deleted): nothing to record.
    if (this.held.get(event.eventId) !== event) return;
    const { result, outcome, record, finishedAt } = dispatched;
    const at = toRfc3339(finishedAt);
    event.attempts = record.attempt;
    event.httpStatusCode = result.httpStatusCode;
    event.errorMessage = result.errorMessage;
    event.updatedAt = at;
    event.attemptLog = boundedLog([...event.attemptLog, record]);
    this.deps.log("info", "delivery attempt", {
      request_id: event.requestId,
      webhook_id: webhook.id,
      event_id: event.eventId,
      message_id: event.messageId,
      attempt: record.attempt,
      http_status_code: result.httpStatusCode,
      duration_ms: result.durationMs,
      delivery_status: outcome.deliveryStatus,
    });
    if (outcome.nextAttemptAt === null) {
      const status = outcome.deliveryStatus === "success" ? "success" : "failed";
      this.finish(event, status, at);
      // A manual attempt (retry, recover, test) has someone watching: only automatic ones alert.
      if (status === "failed" && !event.manual) this.announce([eventExhausted(webhook, event, at)]);
    } else {
      event.dueAt = outcome.nextAttemptAt;
      this.held.persistLater(event);
      this.persistSoon();
      this.schedule(event);
    }
    this.statsBuffer.add(
      finishedAt.getTime(),
      result.durationMs,
      outcome.deliveryStatus === "retrying" ? null : outcome.deliveryStatus,
    );
    const before = this.circuit;
    this.setCircuit(recordResult(this.circuit, isSuccess(result), finishedAt.getTime()));
    this.announce(circuitEvents(webhook, before, this.circuit, at));
    const disable =
      outcome.disableWebhook ?? (isFailing(this.circuit, finishedAt.getTime()) ? "failing" : null);
    if (disable && webhook.enabled) {
      webhook.enabled = false;
      webhook.disabledReason = disable;
      try {
        await updateWebhook(this.deps.db, webhook.id, {
          enabled: false,
          disabledReason: disable,
          updatedAt: at,
        });
        this.deps.log("warn", "webhook disabled", { webhook_id: webhook.id, reason: disable });
        this.announce([webhookDisabled(webhook, disable, at)]);
      } catch (error) {
        // The next settings read finds it enabled and the rule fires again.
        this.deps.log("error", "disabling a webhook failed", {
          webhook_id: webhook.id,
          ...describeError(error),
        });
      }
    }
  }

  /** The event's outcome is final: buffered for D1, released once written. */
  private finish(event: HeldEvent, status: "success" | "failed", at: string): void {
    this.later.delete(event);
    const index = this.ready.indexOf(event);
    if (index >= 0) this.ready.splice(index, 1);
    this.history.add({
      event,
      row: {
        webhookId: this.webhookId ?? "",
        id: event.eventId,
        messageId: event.messageId,
        type: event.eventType,
        deliveryStatus: status,
        deliveryAttempts: event.attempts,
        maxAttempts: event.maxAttempts,
        httpStatusCode: event.httpStatusCode,
        errorMessage: event.errorMessage,
        nextAttemptAt: null,
        attemptLog: event.attemptLog,
        createdAt: event.createdAt,
        updatedAt: at,
      },
    });
  }

  /** Writes the failed attempts' rows within PERSIST_WITHIN_MS, with whatever else fails meanwhile. */
  private persistSoon(): void {
    this.persistTimer ??= setTimeout(() => {
      this.persistTimer = null;
      this.held.persistPending();
    }, PERSIST_WITHIN_MS);
  }

  /** D1 has these outcomes: they leave storage, and are remembered for a while. */
  private released(written: Recorded[]): void {
    if (this.circuitUnsaved) {
      this.circuitUnsaved = false;
      this.writeMeta("circuit", this.circuit);
    }
    for (const { event } of written) {
      if (this.held.get(event.eventId) !== event) continue;
      this.held.release(event);
      usage.finishedEvents += 1;
      this.recent.set(event.eventId, true);
      if (this.recent.size > RECENT_IDS) this.recent.delete(this.recent.keys().next().value!);
    }
    // In the same transaction as the releases, rather than one of their own.
    this.held.persistPending();
  }

  /** A disabled webhook receives nothing: what it holds fails, for `recover` to bring back. */
  private failHeld(webhook: WebhookRow): void {
    // Re-enabling starts afresh: no open circuit, no failure streak carried over.
    this.setCircuit(CLOSED);
    this.held.loadAll();
    const at = toRfc3339(this.deps.now());
    for (const event of [...this.held.values()]) {
      if (this.leased.has(event.eventId) || this.history.find(event.eventId)) continue;
      event.errorMessage = `webhook disabled (${webhook.disabledReason ?? "manual"})`;
      event.updatedAt = at;
      this.finish(event, "failed", at);
    }
  }

  /**
   * Keeps operational events (SPEC §7.7) in storage, then publishes them
   * without waiting: an attempt never waits on it. A failed publish keeps
   * them for the next alarm; their keys make a repeat publish nothing twice.
   */
  private announce(events: OperationalEvent[]): void {
    if (events.length === 0 || !this.deps.settings.operationsApplication) return;
    for (const e of events) {
      const inserted = this.run<{ key: string }>(
        "INSERT INTO operational (key, body) VALUES (?, ?) ON CONFLICT (key) DO NOTHING RETURNING key",
        e.key,
        JSON.stringify(e),
      );
      this.operationalPending += inserted.length;
    }
    void this.publishOperationalEvents();
  }

  /** Publishes what is stored; one run at a time, which goes round again for events stored meanwhile. */
  private async publishOperationalEvents(): Promise<void> {
    if (this.publishingOperational) {
      this.operationalAgain = true;
      return this.publishingOperational;
    }
    if (this.operationalPending === 0) return;
    this.publishingOperational = (async () => {
      try {
        do {
          this.operationalAgain = false;
          const rows = this.run<{ body: string }>("SELECT body FROM operational");
          const settled = await publishOperational(
            this.deps,
            rows.map((r) => JSON.parse(r.body) as OperationalEvent),
          );
          for (const key of settled) this.run("DELETE FROM operational WHERE key = ?", key);
        } while (this.operationalAgain);
      } catch (error) {
        this.deps.log("warn", "publishing operational events failed; will retry", {
          webhook_id: this.webhookId,
          ...describeError(error),
        });
      } finally {
        this.operationalPending =
          this.run<{ n: number }>("SELECT count(*) AS n FROM operational")[0]?.n ?? 0;
        this.publishingOperational = null;
      }
    })();
    return this.publishingOperational;
  }

  /** Arms the alarm for operational events still waiting, when no pump will. */
  private async kickOperational(): Promise<void> {
    const alarm = await this.ctx.storage.getAlarm();
    const retryAt = Date.now() + OPERATIONAL_RETRY_MS;
    if (alarm === null || alarm > retryAt) await this.ctx.storage.setAlarm(retryAt);
  }

  private dropEverything(): void {
    this.held.clear();
    this.history.discard();
    this.ready = [];
    this.later.clear();
    this.laterDueFrom = Number.POSITIVE_INFINITY;
  }

  /**
   * Keeps the circuit. Opening or closing it is written at once; a failure
   * streak's count is written with the next history flush, as the outcomes
   * that make it are (a crash repeats those attempts anyway), which spares a
   * storage write per failed attempt and per success after one.
   */
  private setCircuit(next: Circuit): void {
    if (sameCircuit(next, this.circuit)) return;
    const openedOrClosed = next.openUntil !== this.circuit.openUntil;
    this.circuit = next;
    this.circuitUnsaved = !openedOrClosed;
    if (openedOrClosed) this.writeMeta("circuit", next);
  }

  /** Arms the alarm for the next due event, no earlier than the circuit allows. */
  private async scheduleNext(): Promise<void> {
    let next: number | null = this.ready.length > 0 ? 0 : null;
    for (const event of this.later) if (next === null || event.dueAt < next) next = event.dueAt;
    // Outcomes not yet written (D1 failed): come back to write them.
    if (this.history.size > 0) next = Math.min(next ?? Number.POSITIVE_INFINITY, this.deps.now().getTime() + 5_000);
    // Operational events not yet published: come back to publish them.
    if (this.operationalPending > 0)
      next = Math.min(next ?? Number.POSITIVE_INFINITY, this.deps.now().getTime() + OPERATIONAL_RETRY_MS);
    if (next === null) {
      if (this.held.isEmpty()) await this.ctx.storage.deleteAlarm();
      else await this.ctx.storage.setAlarm(Date.now());
      return;
    }
    const now = this.deps.now().getTime();
    const due = Math.max(next, this.circuit.openUntil ?? 0);
    // dueAt is on the deps clock; the alarm runs on the real one.
    await this.ctx.storage.setAlarm(Date.now() + Math.max(0, due - now));
  }
}

/** Publication order: message id (UUIDv7, time-ordered), then event id. */
function byPublication(a: QueuedEvent, b: QueuedEvent): number {
  if (a.messageId !== b.messageId) return a.messageId < b.messageId ? -1 : 1;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}

/**
 * Inserts in publication order. Events mostly arrive in order, so this
 * mostly appends; a retry coming due goes back among thousands, found by
 * bisection rather than a walk from the end.
 */
function insertReady(ready: HeldEvent[], event: HeldEvent): void {
  let low = 0;
  let high = ready.length;
  if (high === 0 || byPublication(ready[high - 1]!, event) <= 0) {
    ready.push(event);
    return;
  }
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (byPublication(ready[mid]!, event) > 0) high = mid;
    else low = mid + 1;
  }
  ready.splice(low, 0, event);
}
