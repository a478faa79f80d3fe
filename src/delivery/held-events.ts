/**
 * @module The events a webhook's object holds until their outcome is recorded
 * in D1, in its own SQLite storage and, up to a budget, in memory.
 *
 * Two tables, priced for the common case, an event delivered at its first try:
 * - `inbox`: one row per hand-over, however many events it carries (one write
 *   in, one out, shared). A row goes once each of its events is settled:
 *   recorded in D1, or moved to `waiting`.
 * - `waiting`: one row per event that needs more than one attempt (a retry,
 *   a manual re-send), keyed by event id; its attempts ride in the row until
 *   the outcome is recorded.
 *
 * Memory holds at most a budget of events; what is beyond it stays in storage
 * and is loaded as the backlog drains, so a webhook that falls far behind
 * costs storage, not memory.
 *
 * A failed attempt's `waiting` row is written later, with the others of the
 * moment (`persistLater`, `persistPending`): each write in a turn of its own
 * was a transaction and a disk flush of its own. Until it is written the
 * event's inbox row still holds it, so a crash repeats the attempt (the same
 * webhook-id) and loses only that attempt's record, as a crash during the
 * attempt would.
 */
import type { AttemptRecord } from "../db/schema";
import { jsonChunks } from "../lib/json-chunks";
import type { SqlRunner } from "./sql";

/** An event handed to the webhook's object, with what it needs to be sent. */
export type QueuedEvent = {
  eventId: string;
  messageId: string;
  eventType: string;
  /** The payload's JSON text, exactly as published. */
  payload: string;
  messageCreatedAt: string;
  resourceType: string | null;
  resourceId: string | null;
  /** The event's own creation time. */
  createdAt: string;
  /** Attempts already made (the event's `delivery_attempts`). */
  attempts: number;
  /** Those attempts, oldest first, as far as they are kept (see history.ts). */
  attemptLog: AttemptRecord[];
  maxAttempts: number;
  /** One attempt, never rescheduled (manual retry, recover, test). */
  manual: boolean;
  /** The API request that caused this delivery, for the logs. */
  requestId: string;
};

/** An event held, with its state while in flight. */
export type HeldEvent = QueuedEvent & {
  /** Epoch ms (on the object's clock) when it may go next. */
  dueAt: number;
  /** The last attempt's answer (0 and "" before any). */
  httpStatusCode: number;
  errorMessage: string;
  updatedAt: string;
  /** The inbox row it arrived in, until it is settled. */
  inbox: number | null;
  /** Whether it has a `waiting` row of its own. */
  waiting: boolean;
};

/** Events kept in memory at most, and their payload characters. */
const MAX_LOADED_EVENTS = 5_000;
const MAX_LOADED_CHARS = 32 * 1024 * 1024;

export class HeldEvents {
  /** Loaded events by id. */
  private readonly loaded = new Map<string, HeldEvent>();
  private loadedChars = 0;
  /** Per loaded inbox row, its events not yet settled. */
  private readonly inboxOpen = new Map<number, Set<string>>();
  /** Inbox rows not loaded yet, oldest first. */
  private unloadedInbox: number[] = [];
  /** The last waiting row loaded, when some were left in storage. */
  private waitingCursor: string | null = null;
  /** Events whose `waiting` row is behind their state (see persistLater). */
  private readonly pending = new Set<HeldEvent>();

  constructor(
    private readonly run: SqlRunner,
    /** Told of every event loaded into memory, so it can be scheduled. */
    private readonly onLoad: (event: HeldEvent) => void,
  ) {
    run("CREATE TABLE IF NOT EXISTS inbox (seq INTEGER PRIMARY KEY, items TEXT NOT NULL)");
    run(
      "CREATE TABLE IF NOT EXISTS waiting (event_id TEXT PRIMARY KEY, state TEXT NOT NULL) WITHOUT ROWID",
    );
    this.importLegacy();
    this.waitingCursor = "";
    this.unloadedInbox = run<{ seq: number }>("SELECT seq FROM inbox ORDER BY seq").map((r) => r.seq);
    this.refill();
  }

  get size(): number {
    return this.loaded.size;
  }

  /** Whether anything is held, loaded or not. */
  isEmpty(): boolean {
    return this.loaded.size === 0 && this.isFullyLoaded();
  }

  /** Whether every event held is in memory (nothing left in storage to load). */
  private isFullyLoaded(): boolean {
    return this.unloadedInbox.length === 0 && this.waitingCursor === null;
  }

  get(eventId: string): HeldEvent | undefined {
    return this.loaded.get(eventId);
  }

  values(): IterableIterator<HeldEvent> {
    return this.loaded.values();
  }

  /**
   * Stores a hand-over in one row and loads it if the budget allows. Events
   * already held are skipped: a hand-over repeated after a crash adds nothing.
   */
  addHandover(items: QueuedEvent[], dueAt: number): void {
    const fresh = items.filter((e) => !this.loaded.has(e.eventId));
    // A row holds at most 2 MB: a large hand-over takes a few.
    for (const json of jsonChunks(fresh)) {
      const [row] = this.run<{ seq: number }>("INSERT INTO inbox (items) VALUES (?) RETURNING seq", json);
      const seq = row!.seq;
      if (this.unloadedInbox.length > 0 || this.overBudget()) this.unloadedInbox.push(seq);
      else this.loadInbox(seq, JSON.parse(json) as QueuedEvent[], dueAt);
    }
  }

  /**
   * Holds events in rows of their own (manual re-sends): durable at once,
   * whatever the budget. An event already held is left alone; returns those taken.
   */
  addWaiting(items: QueuedEvent[], dueAt: number): HeldEvent[] {
    const taken: HeldEvent[] = [];
    for (const item of items) {
      if (this.loaded.has(item.eventId)) continue;
      const event = fresh(item, dueAt, null);
      this.persist(event);
      this.admit(event);
      taken.push(event);
    }
    return taken;
  }

  /** Marks the event's own row to be written by the next `persistPending`; the latest state is written. */
  persistLater(event: HeldEvent): void {
    this.pending.add(event);
  }

  /** Writes the rows marked by `persistLater`, in the caller's turn: one transaction for all. */
  persistPending(): void {
    for (const event of this.pending) {
      this.persist(event);
      this.pending.delete(event);
    }
  }

  /** Writes the event's own row (it needs another attempt); settles it in its inbox row. */
  persist(event: HeldEvent): void {
    this.run(
      "INSERT INTO waiting (event_id, state) VALUES (?, ?) ON CONFLICT (event_id) DO UPDATE SET state = excluded.state",
      event.eventId,
      // Where it is kept is not part of its state.
      JSON.stringify(event, (key, value) => (key === "inbox" || key === "waiting" ? undefined : value)),
    );
    event.waiting = true;
    this.settleInbox(event);
  }

  /** The event's outcome is in D1: it goes from storage and memory. */
  release(event: HeldEvent): void {
    this.pending.delete(event);
    if (event.waiting) this.run("DELETE FROM waiting WHERE event_id = ?", event.eventId);
    event.waiting = false;
    this.settleInbox(event);
    if (this.loaded.get(event.eventId) === event) {
      this.loaded.delete(event.eventId);
      this.loadedChars -= event.payload.length;
    }
    this.refill();
  }

  /** Everything, loaded or not: the webhook was deleted. */
  clear(): void {
    this.run("DELETE FROM inbox");
    this.run("DELETE FROM waiting");
    this.pending.clear();
    this.loaded.clear();
    this.loadedChars = 0;
    this.inboxOpen.clear();
    this.unloadedInbox = [];
    this.waitingCursor = null;
  }

  /** Loads whatever storage still holds, budget or not (a disabled webhook fails it all). */
  loadAll(): void {
    while (this.unloadedInbox.length > 0 || this.waitingCursor !== null) this.loadMore(true);
  }

  /** Events held in storage but not in memory, read without loading them (rare: a long backlog). */
  peekUnloaded(): QueuedEvent[] {
    const out: QueuedEvent[] = [];
    if (this.isFullyLoaded()) return out;
    for (const seq of this.unloadedInbox) {
      const row = this.run<{ items: string }>("SELECT items FROM inbox WHERE seq = ?", seq)[0];
      if (row) out.push(...(JSON.parse(row.items) as QueuedEvent[]));
    }
    if (this.waitingCursor !== null) {
      for (const row of this.run<{ state: string }>(
        "SELECT state FROM waiting WHERE event_id > ?",
        this.waitingCursor,
      )) {
        const state = JSON.parse(row.state) as HeldEvent;
        if (!this.loaded.has(state.eventId)) out.push(state);
      }
    }
    return out;
  }

  private admit(event: HeldEvent): void {
    this.loaded.set(event.eventId, event);
    this.loadedChars += event.payload.length;
    this.onLoad(event);
  }

  private overBudget(): boolean {
    return this.loaded.size >= MAX_LOADED_EVENTS || this.loadedChars >= MAX_LOADED_CHARS;
  }

  /** Loads from storage while under half the budget: waiting rows first (older), then inbox rows. */
  refill(): void {
    while (
      (this.unloadedInbox.length > 0 || this.waitingCursor !== null) &&
      this.loaded.size < MAX_LOADED_EVENTS / 2 &&
      this.loadedChars < MAX_LOADED_CHARS / 2
    ) {
      this.loadMore(false);
    }
  }

  private loadMore(all: boolean): void {
    if (this.waitingCursor !== null) {
      const page = this.run<{ event_id: string; state: string }>(
        "SELECT event_id, state FROM waiting WHERE event_id > ? ORDER BY event_id LIMIT 500",
        this.waitingCursor,
      );
      for (const row of page) {
        if (this.loaded.has(row.event_id)) continue;
        const state = JSON.parse(row.state) as Omit<HeldEvent, "inbox" | "waiting">;
        this.admit({ ...state, inbox: null, waiting: true });
      }
      this.waitingCursor = page.length < 500 ? null : page[page.length - 1]!.event_id;
      if (!all) return;
    }
    const seq = this.unloadedInbox.shift();
    if (seq === undefined) return;
    const row = this.run<{ items: string }>("SELECT items FROM inbox WHERE seq = ?", seq)[0];
    if (row) this.loadInbox(seq, JSON.parse(row.items) as QueuedEvent[], 0);
  }

  private loadInbox(seq: number, items: QueuedEvent[], dueAt: number): void {
    const open = new Set<string>();
    for (const item of items) {
      // Moved to its own row before a crash cut the inbox row's removal short.
      if (this.loaded.has(item.eventId)) continue;
      open.add(item.eventId);
      this.admit(fresh(item, dueAt, seq));
    }
    if (open.size === 0) this.run("DELETE FROM inbox WHERE seq = ?", seq);
    else this.inboxOpen.set(seq, open);
  }

  private settleInbox(event: HeldEvent): void {
    if (event.inbox === null) return;
    const open = this.inboxOpen.get(event.inbox);
    open?.delete(event.eventId);
    if (open && open.size === 0) {
      this.inboxOpen.delete(event.inbox);
      this.run("DELETE FROM inbox WHERE seq = ?", event.inbox);
    }
    event.inbox = null;
  }

  /**
   * Rows of the `held` table an earlier version kept (one per event, with no
   * attempts of their own yet recorded here) become `waiting` rows, once.
   */
  private importLegacy(): void {
    const legacy = this.run<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'held'",
    );
    if (legacy.length === 0) return;
    for (const row of this.run<{
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
    }>("SELECT * FROM held")) {
      const event = fresh(
        {
          eventId: row.event_id,
          messageId: row.message_id,
          eventType: row.event_type,
          payload: row.payload,
          messageCreatedAt: row.message_created_at,
          resourceType: row.resource_type,
          resourceId: row.resource_id,
          createdAt: row.message_created_at,
          attempts: row.attempts,
          // Attempts an earlier version made were recorded in D1 as it went.
          attemptLog: [],
          maxAttempts: row.max_attempts,
          manual: row.manual === 1,
          requestId: row.request_id,
        },
        row.due_at,
        null,
      );
      this.persist(event);
    }
    this.run("DROP TABLE held");
  }
}

function fresh(item: QueuedEvent, dueAt: number, inbox: number | null): HeldEvent {
  return {
    ...item,
    dueAt,
    httpStatusCode: 0,
    errorMessage: "",
    updatedAt: item.createdAt,
    inbox,
    waiting: false,
  };
}
