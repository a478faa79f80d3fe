/**
 * @module The webhook object's book of events: what it holds (held-events.ts),
 * in which order they may go (due-queue.ts), which are in flight, which
 * outcomes wait for D1 (../history/history.ts), which settled of late, and
 * the webhook's application, whose history shard its events go to.
 * Every change of an event's state goes through here; the object
 * (webhook-do.ts) decides when to send and applies what an attempt answered.
 */
import { getWebhook } from "../../db/queries/webhooks";
import type { Deps } from "../../deps";
import type { Event, EventRow, ResentEvent } from "../../domain/event";
import { toRfc3339 } from "../../lib/time";
import { usage } from "../../lib/usage";
import { getEvents } from "../../storage/events";
import type { Dispatched } from "../attempt/dispatch";
import { boundedLog, FLUSH_MS, HistoryWriter, type Recorded } from "../history/history";
import { DueQueue } from "./due-queue";
import { type HeldEvent, HeldEvents } from "./held-events";
import type { WebhookStore } from "./webhook-store";

/** Settled event ids remembered, so that a repeated hand-over is skipped without asking D1. */
const RECENT_IDS = 20_000;

export class EventBook {
  readonly held: HeldEvents;
  readonly history: HistoryWriter<HeldEvent>;
  private readonly due = new DueQueue();
  /** Events with an attempt in flight. */
  private readonly leased = new Set<string>();
  private readonly recent = new Map<string, true>();
  /** Writes the retries' rows within a flush interval when it fires (see held-events.ts). */
  private commitTimer: ReturnType<typeof setTimeout> | null = null;
  private application: string | null;

  constructor(
    private readonly store: WebhookStore,
    private readonly deps: () => Deps,
    private readonly webhookId: () => string | null,
    /** Called in the turn that settles written outcomes, to write alongside them. */
    private readonly onSettled: () => void,
  ) {
    this.history = new HistoryWriter(deps, (written) => this.settle(written), () => this.applicationId());
    this.held = new HeldEvents(store, (event) => this.due.add(event, this.now()));
    this.application = store.readMeta<string>("application_id");
  }

  /**
   * The webhook's application: read from its row once, then kept in the
   * object's storage (a webhook never changes application). Null while the
   * object knows no webhook, or once the webhook is deleted.
   */
  async applicationId(): Promise<string | null> {
    if (this.application !== null) return this.application;
    const webhookId = this.webhookId();
    const webhook = webhookId ? await getWebhook(this.deps().db, webhookId) : undefined;
    if (!webhook) return null;
    this.application = webhook.applicationId;
    this.store.writeMeta("application_id", webhook.applicationId);
    return webhook.applicationId;
  }

  /**
   * Holds a hand-over's events, due now, but for those held or settled of
   * late. A hand-over made `again` (a task redelivered, a message re-sent
   * after a restart) may name events settled long ago: those recorded in
   * the history are skipped too.
   */
  async handOver(webhookId: string, events: Event[], again: boolean): Promise<void> {
    let fresh = this.notHeld(events, again);
    const applicationId = again && fresh.length > 0 ? await this.applicationId() : null;
    if (applicationId !== null) {
      const recorded = new Set(
        (await getEvents(this.deps().history, { webhookId, applicationId }, fresh.map((e) => e.eventId))).map((e) => e.id),
      );
      // Looked at again: the object may have taken some while D1 answered.
      fresh = this.notHeld(fresh, true).filter((e) => !recorded.has(e.eventId));
    }
    this.held.addHandover(fresh, 0);
  }

  /** The events neither held (in memory; in storage too when asked) nor settled of late. */
  private notHeld(events: Event[], inStorage: boolean): Event[] {
    const ids = events.map((e) => e.eventId);
    const held = inStorage ? this.held.holding(ids) : new Set(ids.filter((id) => this.held.get(id)));
    return events.filter((e) => !held.has(e.eventId) && !this.recent.has(e.eventId));
  }

  /** Holds finished events for one more manual attempt each, due now; returns those taken. */
  resend(events: ResentEvent[]): HeldEvent[] {
    const now = this.now();
    const taken = this.held.addWaiting(
      events.map((e) => ({ ...e, maxAttempts: e.maxAttempts + 1, manual: true, updatedAt: toRfc3339(now) })),
      now,
    );
    for (const event of taken) this.recent.delete(event.eventId);
    return taken;
  }

  /** Leases up to `free` events that may go now (see DueQueue.take). */
  take(free: number, fifo: boolean, allow: (n: number) => number): HeldEvent[] {
    this.held.refill();
    const taken = this.due.take(free, this.now(), fifo, this.leased.size, allow);
    for (const event of taken) this.leased.add(event.eventId);
    return taken;
  }

  /** The attempt ended; answers whether the event is still held (not forgotten meanwhile). */
  unlease(event: HeldEvent): boolean {
    this.leased.delete(event.eventId);
    return this.held.get(event.eventId) === event;
  }

  /** Applies an attempt's answer to its event: it goes again later, or its outcome is final. */
  recordAttempt(webhookId: string, event: HeldEvent, dispatched: Dispatched, at: string): void {
    const { result, outcome, record } = dispatched;
    event.attempts = record.attempt;
    event.httpStatusCode = result.httpStatusCode;
    event.errorMessage = result.errorMessage;
    event.updatedAt = at;
    event.attemptLog = boundedLog([...event.attemptLog, record]);
    this.deps().log("info", "delivery attempt", {
      request_id: event.requestId,
      webhook_id: webhookId,
      event_id: event.eventId,
      message_id: event.messageId,
      attempt: record.attempt,
      http_status_code: result.httpStatusCode,
      duration_ms: result.durationMs,
      delivery_status: outcome.deliveryStatus,
    });
    if (outcome.nextAttemptAt !== null) this.retryAt(event, outcome.nextAttemptAt, true);
    else this.finish(event, outcome.deliveryStatus === "success" ? "success" : "failed", at);
  }

  /** The event goes again at `dueAt`; its own row is written within a flush interval. */
  retryAt(event: HeldEvent, dueAt: number, persist: boolean): void {
    event.dueAt = dueAt;
    if (persist) {
      this.held.persistLater(event);
      this.commitTimer ??= setTimeout(() => {
        this.commitTimer = null;
        this.held.commit();
      }, FLUSH_MS);
    }
    this.due.add(event, this.now());
  }

  /** The event's outcome is final: buffered for D1, settled once written. */
  private finish(event: HeldEvent, status: "success" | "failed", at: string): void {
    this.due.remove(event);
    this.history.add({ event, row: finishedRow(event, this.webhookId() ?? "", status, at) });
  }

  /** Everything held and not in flight fails with `reason` (a disabled webhook). */
  failAll(reason: string, at: string): void {
    this.held.loadAll();
    for (const event of [...this.held.values()]) {
      if (this.leased.has(event.eventId) || this.history.find(event.eventId)) continue;
      event.errorMessage = reason;
      event.updatedAt = at;
      this.finish(event, "failed", at);
    }
  }

  /** Drops everything held: the webhook was deleted. */
  drop(): void {
    this.held.clear();
    this.history.discard();
    this.due.clear();
  }

  hasDue(): boolean {
    return this.due.hasDue(this.now());
  }

  /** When the next event is due (deps clock): 0 when one is due now, null when none waits. */
  nextDue(): number | null {
    return this.due.nextDue();
  }

  /** D1 has these outcomes: they settle in storage, in the same transaction, and are remembered a while. */
  private settle(written: Recorded<HeldEvent>[]): void {
    this.onSettled();
    for (const { event } of written) {
      if (this.held.get(event.eventId) !== event) continue;
      this.held.release(event);
      usage.finishedEvents += 1;
      this.recent.set(event.eventId, true);
      if (this.recent.size > RECENT_IDS) this.recent.delete(this.recent.keys().next().value!);
    }
    this.held.commit();
    this.held.refill();
  }

  private now(): number {
    return this.deps().now().getTime();
  }
}

function finishedRow(event: HeldEvent, webhookId: string, status: "success" | "failed", at: string): EventRow {
  return {
    webhookId,
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
  };
}
