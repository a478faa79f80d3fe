/**
 * @module What the events API reads from a webhook's object: the events it
 * holds (pending, retrying, and outcomes not yet written), merged with what
 * the history has recorded (its shards and the archive, src/storage/); the
 * object's view wins for an event in both (a manual retry of a failed
 * event). Reads only: nothing here changes an event.
 */
import type { Deps } from "../../deps";
import type { AttemptRow, DeliveryStatus, Event, EventRow, LastAnswer } from "../../domain/event";
import { toRfc3339 } from "../../lib/time";
import { getEvents, listEvents } from "../../storage/events";
import type { HistoryWriter } from "../history/history";
import type { HeldEvent, HeldEvents } from "./held-events";

/** What the views read from the object. */
export type ViewSource = {
  held: HeldEvents;
  history: HistoryWriter<HeldEvent>;
  deps: () => Deps;
  webhookId: () => string | null;
  /** Until when the circuit holds every event back (deps clock); null while closed. */
  openUntil: () => number | null;
};

/** What a page of the events list asks for. */
export type EventFilter = {
  webhookId: string;
  deliveryStatus?: DeliveryStatus;
  type?: string;
  before?: string;
  limit: number;
};

export class EventViews {
  constructor(private readonly source: ViewSource) {}

  /** A page of the webhook's events: what is held here merged with what the history has recorded. */
  async list(filter: EventFilter): Promise<EventRow[]> {
    const matches = (e: EventRow) =>
      (!filter.deliveryStatus || e.deliveryStatus === filter.deliveryStatus) &&
      (!filter.type || e.type === filter.type) &&
      (!filter.before || e.id < filter.before);
    const here = this.heldViews();
    const recorded = await this.recorded((scope) => listEvents(this.source.deps().history, scope, filter));
    const merged = new Map<string, EventRow>();
    for (const row of recorded) if (!here.has(row.id)) merged.set(row.id, row);
    for (const row of here.values()) if (matches(row)) merged.set(row.id, row);
    return [...merged.values()].sort((a, b) => (a.id < b.id ? 1 : -1)).slice(0, filter.limit);
  }

  /** One event of this webhook: held here, or as recorded. */
  async get(eventId: string): Promise<EventRow | null> {
    return this.heldView(eventId) ?? (await this.recordedOne(eventId));
  }

  private async recordedOne(eventId: string): Promise<EventRow | null> {
    const [row] = await this.recorded((scope) => getEvents(this.source.deps().history, scope, [eventId]));
    return row ?? null;
  }

  /** What `read` finds in the history of this webhook (nothing while the object knows no webhook). */
  private async recorded(read: (scope: { webhookId: string; applicationId: string }) => Promise<EventRow[]>) {
    const webhookId = this.source.webhookId();
    const applicationId = await this.source.history.applicationId();
    return webhookId && applicationId ? read({ webhookId, applicationId }) : [];
  }

  /** These events as held here, if they are (no D1 read). */
  peek(eventIds: string[]): EventRow[] {
    return eventIds.flatMap((id) => {
      const row = this.heldView(id);
      return row ? [row] : [];
    });
  }

  /** An event's attempts after `after`, oldest first: as held here, or as recorded. */
  async attempts(eventId: string, after: number, limit: number): Promise<AttemptRow[]> {
    const { held, history } = this.source;
    const here = history.find(eventId)?.event ?? held.get(eventId);
    const log = here?.attemptLog ?? (await this.recordedOne(eventId))?.attemptLog ?? [];
    return log
      .filter((a) => a.attempt > after)
      .slice(0, limit + 1)
      .map((a) => ({ eventId, ...a }));
  }

  /** How many held events wait for their first attempt, and how many for another. */
  waitingCounts(): { pending: number; retrying: number } {
    const waiting = { pending: 0, retrying: 0 };
    for (const event of this.source.held.values()) {
      if (this.source.history.find(event.eventId)) continue;
      if (event.attempts === 0) waiting.pending += 1;
      else waiting.retrying += 1;
    }
    return waiting;
  }

  /** Events held here, as the events API shows them, by id. */
  private heldViews(): Map<string, EventRow> {
    const { held, history } = this.source;
    const views = new Map<string, EventRow>();
    for (const event of held.values()) views.set(event.eventId, this.view(event));
    for (const item of held.peekUnloaded()) if (!views.has(item.eventId)) views.set(item.eventId, this.view(item));
    for (const row of history.rows()) views.set(row.id, row);
    return views;
  }

  /** One event held here, if it is: its outcome waiting to be written, or as held. */
  private heldView(eventId: string): EventRow | undefined {
    const recorded = this.source.history.find(eventId);
    if (recorded) return recorded.row;
    const held = this.source.held.get(eventId);
    return held ? this.view(held) : undefined;
  }

  /**
   * A held event as the API shows it: its last attempt's answer, and when
   * it can really go next (its own time, or the circuit's reopening).
   */
  private view(event: Event & Partial<LastAnswer & Pick<HeldEvent, "dueAt">>): EventRow {
    const next = Math.max(event.dueAt ?? 0, this.source.openUntil() ?? 0);
    return {
      webhookId: this.source.webhookId() ?? "",
      id: event.eventId,
      messageId: event.messageId,
      type: event.eventType,
      deliveryStatus: event.attempts === 0 ? "pending" : "retrying",
      deliveryAttempts: event.attempts,
      maxAttempts: event.maxAttempts,
      httpStatusCode: event.httpStatusCode ?? 0,
      errorMessage: event.errorMessage ?? "",
      nextAttemptAt: next > 0 ? toRfc3339(next) : event.createdAt,
      attemptLog: event.attemptLog,
      createdAt: event.createdAt,
      updatedAt: event.updatedAt ?? event.createdAt,
    };
  }
}
