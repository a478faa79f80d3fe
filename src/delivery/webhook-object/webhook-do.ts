/**
 * @module WebhookDO: one Durable Object per webhook, the only place that sends
 * to that webhook's URL, and the scheduler of its attempts: at most
 * `max_in_flight` at once, within `rate_limit_per_second`, in publication
 * order for `fifo`, behind a circuit breaker, retried on the policy's
 * schedule (alarms have no 12-hour limit, unlike queue delays). Here: the
 * scheduler and the RPC surface; its parts are this folder's other files
 * (docs/ARCHITECTURE.md, "The webhook object").
 *
 * Concurrency without locks (docs/ARCHITECTURE.md): a state change between
 * two awaits is atomic; only the pump launches attempts, RPCs add events and
 * wake it; an event is leased in memory before its attempt's first await.
 */
import { DurableObject } from "cloudflare:workers";
import { meteredSql } from "../../db/object-sql";
import { getWebhook } from "../../db/queries/webhooks";
import type { WebhookRow } from "../../db/schema";
import { type Deps, makeDeps } from "../../deps";
import type { AttemptRow, Event, EventRow, ResentEvent } from "../../domain/event";
import type { WebhookStats } from "../../domain/webhook-stats";
import type { Env } from "../../env";
import { toRfc3339 } from "../../lib/time";
import { currentIsolateId, type Usage, usage } from "../../lib/usage";
import { Dispatcher } from "../attempt/dispatch";
import { admit, type Circuit } from "../policy/circuit";
import { SlidingWindow } from "../policy/rate-limit";
import { EventBook } from "./event-book";
import { type EventFilter, EventViews } from "./event-views";
import type { HeldEvent } from "./held-events";
import { WebhookHealth } from "./webhook-health";
import { WebhookStore } from "./webhook-store";

/** How long one alarm may keep launching attempts before it hands over to the next. */
const PUMP_BUDGET_MS = 60_000;
/** Settings are re-read this often while a pump runs (a change made through the API tells the object at once). */
const CONFIG_TTL_MS = 60_000;
/** An attempt that could not even be prepared is tried again after this long. */
const PREPARE_RETRY_MS = 30_000;

export class WebhookDO extends DurableObject<Env> {
  /** Replaced by tests to pin the clock, randomness or fetch. */
  deps: Deps;
  private readonly store: WebhookStore;
  private readonly book: EventBook;
  private readonly health: WebhookHealth;
  private readonly views: EventViews;
  private pumping = false;
  /** Set when the webhook's settings changed, so the pump reads them again. */
  private settingsStale = false;
  /** Set when events arrive while the pump runs, so that it goes round once more. */
  private kicked = false;
  private wake: (() => void) | null = null;
  private readonly window = new SlidingWindow();
  private readonly dispatcher = new Dispatcher();
  private webhookId: string | null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.deps = makeDeps(env);
    this.store = new WebhookStore(meteredSql(ctx.storage));
    this.webhookId = this.store.readMeta<string>("webhook_id");
    this.health = new WebhookHealth(this.store, () => this.deps, () => this.webhookId);
    this.book = new EventBook(this.store, () => this.deps, () => this.webhookId, () => this.health.save());
    this.views = new EventViews({
      held: this.book.held,
      history: this.book.history,
      deps: () => this.deps,
      webhookId: () => this.webhookId,
      openUntil: () => this.health.circuit.openUntil,
    });
  }

  /** Takes events for delivery, but for those held or settled (EventBook.handOver: `again`). */
  async enqueue(webhookId: string, events: Event[], again = false): Promise<void> {
    usage.doRequests += 1;
    this.rememberWebhook(webhookId);
    await this.book.handOver(webhookId, events, again);
    await this.kick();
  }

  /**
   * One more manual attempt for finished events (retry, recover, replay), each in a row of its own
   * with its last answer, D1 untouched until the outcome. Returns them as shown; one held is left alone.
   */
  async resend(webhookId: string, events: ResentEvent[]): Promise<EventRow[]> {
    usage.doRequests += 1;
    this.rememberWebhook(webhookId);
    const taken = this.book.resend(events);
    await this.kick();
    return this.views.peek(taken.map((e) => e.eventId));
  }

  /** The webhook's settings changed (PATCH, rotation): read them again before the next attempt. */
  async settingsChanged(): Promise<void> {
    usage.doRequests += 1;
    this.settingsStale = true;
    this.wake?.();
  }

  /** The API disabled the webhook: read the settings again, and tell the operations application from here. */
  async disabledManually(webhookId: string, applicationId: string, at: string): Promise<void> {
    await this.settingsChanged();
    this.rememberWebhook(webhookId);
    this.health.disabled({ id: webhookId, applicationId }, "manual", at);
    const retry = this.health.outbox.wakeAt(Date.now());
    if (retry === null || this.pumping) return;
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null || alarm > retry) await this.ctx.storage.setAlarm(retry);
  }

  /** Makes sure held events will be attempted; the boot sweep calls it after a restart. */
  async resume(webhookId: string): Promise<void> {
    usage.doRequests += 1;
    this.rememberWebhook(webhookId);
    if (!this.book.held.isEmpty()) await this.kick();
  }

  /** The events this object holds, loaded or in storage, outcomes not yet in D1 included: 0 when drained. */
  heldCount(): number {
    return this.book.held.count();
  }

  /** Drops everything held: the webhook was deleted. */
  async forget(): Promise<void> {
    usage.doRequests += 1;
    this.book.drop();
    this.health.stats.clear();
    await this.ctx.storage.deleteAlarm();
  }

  /** The last 24 hours from the hourly rollups, and what waits now. */
  stats(webhookId: string): WebhookStats {
    usage.doRequests += 1;
    return this.health.stats.summarise(webhookId, this.deps.now().getTime(), this.views.waitingCounts());
  }

  async listEvents(filter: EventFilter): Promise<EventRow[]> {
    usage.doRequests += 1;
    // Its recorded history may predate what this object remembers (it is found through the webhook).
    this.rememberWebhook(filter.webhookId);
    return this.views.list(filter);
  }

  async getEvent(eventId: string): Promise<EventRow | null> {
    usage.doRequests += 1;
    return this.views.get(eventId);
  }

  peekEvents(eventIds: string[]): EventRow[] {
    usage.doRequests += 1;
    return this.views.peek(eventIds);
  }

  async listAttempts(eventId: string, after: number, limit: number): Promise<AttemptRow[]> {
    usage.doRequests += 1;
    return this.views.attempts(eventId, after, limit);
  }

  /** The circuit as it stands, for tests and operators. */
  circuitState(): Circuit {
    return this.health.circuit;
  }

  /** This isolate's billable-unit counters, for the benchmark. */
  usage(): { isolateId: string; usage: Usage } {
    return { isolateId: currentIsolateId(), usage };
  }

  override async alarm(): Promise<void> {
    usage.doRequests += 1;
    const started = Date.now();
    try {
      // Not awaited: publishing waits on other objects and must not hold deliveries back.
      void this.health.outbox.publish();
      await this.pump();
    } finally {
      usage.doActiveMs += Date.now() - started;
    }
  }

  private rememberWebhook(webhookId: string): void {
    if (this.webhookId === webhookId) return;
    this.webhookId = webhookId;
    this.store.writeMeta("webhook_id", webhookId);
  }

  /**
   * Makes sure new events are seen: a running pump is told (and woken), else the alarm is set to
   * now. Always set, never "already pending, skip": an alarm pending may be the one finishing now.
   */
  private async kick(): Promise<void> {
    if (this.pumping) {
      this.kicked = true;
      this.wake?.();
      return;
    }
    await this.ctx.storage.setAlarm(Date.now());
  }

  /** Runs attempts until nothing is due and every outcome is written, then arms the alarm for what is left. */
  private async pump(): Promise<void> {
    const webhookId = this.webhookId;
    if (this.pumping || !webhookId) return;
    this.pumping = true;
    const deadline = Date.now() + PUMP_BUDGET_MS;
    try {
      do {
        this.kicked = false;
        await this.runAttempts(webhookId, deadline);
        await this.book.history.flush();
        this.health.stats.flush();
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
    // An attempt that throws stops the pump.
    const failed: unknown[] = [];
    while (true) {
      if (failed.length > 0) throw failed[0];
      let throttledMs = 0;
      if (!webhook) this.book.drop();
      else if (!webhook.enabled) {
        // A disabled webhook receives nothing: what it holds fails, for `recover` to bring back.
        this.health.reset();
        this.book.failAll(`webhook disabled (${webhook.disabledReason ?? "manual"})`, toRfc3339(this.deps.now()));
      } else if (Date.now() < deadline && !this.book.history.full) {
        const now = this.deps.now().getTime();
        const rate = webhook.rateLimitPerSecond;
        const fifo = webhook.ordering === "fifo";
        // Sent while the circuit is open: the probe, whose failure alone lengthens the cooldown.
        const probe = this.health.circuit.openUntil !== null;
        const free = admit(this.health.circuit, now, (fifo ? 1 : webhook.maxInFlight) - inFlight, inFlight);
        for (const event of this.book.take(free, fifo, (n) => this.window.take(rate, n, now))) {
          inFlight += 1;
          void this.attempt(webhook, event, probe)
            .catch((error: unknown) => failed.push(error))
            .finally(() => {
              inFlight -= 1;
              this.wake?.();
            });
        }
        throttledMs = this.book.hasDue() ? this.window.waitMs(rate, now) : 0;
      }
      if (inFlight === 0 && throttledMs === 0) return;
      // Woken by an attempt ending, events arriving, settings changing, or the rate window moving.
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        if (throttledMs > 0) setTimeout(resolve, throttledMs);
      });
      if (this.settingsStale || Date.now() - loadedAt > CONFIG_TTL_MS) {
        this.settingsStale = false;
        webhook = await getWebhook(this.deps.db, webhookId);
        loadedAt = Date.now();
      }
    }
  }

  private async attempt(webhook: WebhookRow, event: HeldEvent, probe: boolean): Promise<void> {
    const dispatched = await this.dispatcher.send(this.deps, webhook, event);
    if (!dispatched) {
      // Not sent (no usable key): try again later rather than hold it forever.
      if (this.book.unlease(event)) this.book.retryAt(event, this.deps.now().getTime() + PREPARE_RETRY_MS, false);
      return;
    }
    // Forgotten meanwhile (the webhook was deleted): nothing to record.
    if (!this.book.unlease(event)) return;
    const at = toRfc3339(dispatched.finishedAt);
    this.book.recordAttempt(webhook.id, event, dispatched, at);
    const disable = this.health.attemptEnded(webhook, event, { ...dispatched, probe }, at);
    if (disable && webhook.enabled) await this.health.disable(webhook, disable, at);
  }

  /** Arms the alarm for the next due event (no earlier than the circuit allows), unwritten outcomes, operational events. */
  private async scheduleNext(): Promise<void> {
    const now = this.deps.now().getTime();
    const waits = [this.book.nextDue(), this.book.history.wakeAt(now), this.health.outbox.wakeAt(now)].filter(
      (t): t is number => t !== null,
    );
    if (waits.length === 0) {
      if (this.book.held.isEmpty()) await this.ctx.storage.deleteAlarm();
      else await this.ctx.storage.setAlarm(Date.now());
      return;
    }
    const due = Math.max(Math.min(...waits), this.health.circuit.openUntil ?? 0);
    // Due times are on the deps clock; the alarm runs on the real one.
    await this.ctx.storage.setAlarm(Date.now() + Math.max(0, due - now));
  }
}
