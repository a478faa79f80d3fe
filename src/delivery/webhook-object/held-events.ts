/**
 * @module The events a webhook's object holds until their outcome is in D1,
 * in its storage (webhook-store.ts) and, up to a budget, in memory.
 *
 * What storage says of each event it holds:
 * - waiting: in an inbox row and not among its settled ids, or in a
 *   `waiting` row of its own; due now (inbox) or at the time its row says;
 * - settled: its id in its inbox row's settled list (its outcome is in D1,
 *   or it moved to a row of its own), or its own row gone.
 * An attempt in flight is a lease in memory only: after a restart the event
 * is waiting again and is sent again, the one duplicate at-least-once allows
 * (same webhook-id). So no re-read of storage (a restart, an eviction, a
 * refill of memory) brings back an event that settled.
 *
 * Priced for the common case, an event delivered at its first try: an inbox
 * row costs one write in and one out however many events it carries, and
 * settlements are written to it a flush at a time (`commit`): one write per
 * inbox row touched, in the same transaction as the releases that cause
 * them, never one per event.
 *
 * A failed attempt's `waiting` row is written with the others of the
 * moment (`persistLater`, then `commit`); until then the event is still
 * waiting in its inbox row, so a crash repeats the attempt (the same
 * webhook-id) and loses only that attempt's record, as a crash during the
 * attempt would.
 *
 * Memory holds at most a budget of events; what is beyond it stays in
 * storage and is loaded as the backlog drains, so a webhook that falls far
 * behind costs storage, not memory.
 */
import type { Event, LastAnswer } from "../../domain/event";
import { jsonChunks } from "../../lib/json-chunks";
import type { WebhookStore } from "./webhook-store";

/** An event held, with its state while in flight. */
export type HeldEvent = Event &
  LastAnswer & {
    /** Epoch ms (on the object's clock) when it may go next. */
    dueAt: number;
    /** The inbox row it waits in, until it settles or moves to a row of its own. */
    inbox: number | null;
    /** Whether it has a `waiting` row of its own. */
    waiting: boolean;
  };

/** A loaded inbox row: its events not settled yet, and the ids settled so far. */
type OpenRow = { open: Set<string>; settled: string[]; changed: boolean };

/** Events kept in memory at most, and their payload characters. */
const MAX_LOADED_EVENTS = 5_000;
const MAX_LOADED_CHARS = 32 * 1024 * 1024;
/** Waiting rows loaded at a time. */
const WAITING_PAGE = 500;

export class HeldEvents {
  /** Loaded events by id. */
  private readonly loaded = new Map<string, HeldEvent>();
  private loadedChars = 0;
  /** Loaded inbox rows whose events are not all settled, by sequence number. */
  private readonly rows = new Map<number, OpenRow>();
  /** Inbox rows not loaded yet, oldest first. */
  private unloadedInbox: number[];
  /** The last waiting row loaded, while some are left in storage. */
  private waitingCursor: string | null = "";
  /** Events whose `waiting` row is behind their state (see persistLater). */
  private readonly pending = new Set<HeldEvent>();

  constructor(
    private readonly store: WebhookStore,
    /** Told of every event loaded into memory, so it can be scheduled. */
    private readonly onLoad: (event: HeldEvent) => void,
  ) {
    this.unloadedInbox = store.inboxSeqs();
    this.refill();
  }

  /** Events in memory: waiting, in flight, or settled with their outcome not yet in D1. */
  get size(): number {
    return this.loaded.size;
  }

  /** Every event held, loaded or not (a read of storage when some are not). */
  count(): number {
    return this.loaded.size + this.peekUnloaded().length;
  }

  /** Whether anything is held, loaded or not. */
  isEmpty(): boolean {
    return this.loaded.size === 0 && this.isFullyLoaded();
  }

  private isFullyLoaded(): boolean {
    return this.unloadedInbox.length === 0 && this.waitingCursor === null;
  }

  get(eventId: string): HeldEvent | undefined {
    return this.loaded.get(eventId);
  }

  values(): IterableIterator<HeldEvent> {
    return this.loaded.values();
  }

  /** Which of `ids` are held, in memory or in storage (storage is read only when some are not loaded). */
  holding(ids: string[]): Set<string> {
    const held = new Set(ids.filter((id) => this.loaded.has(id)));
    const rest = ids.filter((id) => !held.has(id));
    if (rest.length === 0 || this.isFullyLoaded()) return held;
    for (const id of this.store.waitingHolding(rest)) held.add(id);
    if (this.unloadedInbox.length > 0) {
      for (const id of this.store.inboxHolding(this.unloadedInbox, rest)) held.add(id);
    }
    return held;
  }

  /** Stores a hand-over (events not held, in order) in one row, and loads it if the budget allows. */
  addHandover(items: Event[], dueAt: number): void {
    if (items.length === 0) return;
    // A row holds at most 2 MB: a large hand-over takes a few.
    for (const json of jsonChunks(items)) {
      const seq = this.store.insertInbox(json);
      if (this.unloadedInbox.length > 0 || this.overBudget()) this.unloadedInbox.push(seq);
      else this.loadInbox(seq, { items: JSON.parse(json) as Event[], settled: [] }, dueAt);
    }
  }

  /**
   * Holds events in rows of their own (manual re-sends), with what the
   * events API showed of them: durable at once, whatever the budget. An
   * event held already is left alone; returns those taken.
   */
  addWaiting(items: (Event & LastAnswer)[], dueAt: number): HeldEvent[] {
    const held = this.holding(items.map((i) => i.eventId));
    const taken = items
      .filter((item) => !held.has(item.eventId))
      .map((item): HeldEvent => ({ ...item, dueAt, inbox: null, waiting: false }));
    for (const event of taken) {
      this.persist(event);
      this.admit(event);
    }
    return taken;
  }

  /** Marks the event's own row to be written by the next `commit`; its latest state is written. */
  persistLater(event: HeldEvent): void {
    this.pending.add(event);
  }

  /**
   * Writes what is behind: the rows marked by `persistLater`, then the
   * settlements of inbox rows (each row once). In the caller's turn, so in
   * one transaction with whatever else it writes.
   */
  commit(): void {
    for (const event of this.pending) this.persist(event);
    this.pending.clear();
    for (const [seq, row] of this.rows) {
      if (row.open.size === 0) {
        this.store.deleteInbox(seq);
        this.rows.delete(seq);
      } else if (row.changed) {
        this.store.markInbox(seq, row.settled);
        row.changed = false;
      }
    }
  }

  /** The event's outcome is in D1: it goes from memory, and from storage with the next `commit`. */
  release(event: HeldEvent): void {
    this.pending.delete(event);
    if (event.waiting) this.store.deleteWaiting(event.eventId);
    event.waiting = false;
    this.settleInbox(event);
    if (this.loaded.get(event.eventId) === event) {
      this.loaded.delete(event.eventId);
      this.loadedChars -= event.payload.length;
    }
  }

  /** Everything, loaded or not: the webhook was deleted. */
  clear(): void {
    this.store.clearEvents();
    this.pending.clear();
    this.loaded.clear();
    this.loadedChars = 0;
    this.rows.clear();
    this.unloadedInbox = [];
    this.waitingCursor = null;
  }

  /** Loads whatever storage still holds, budget or not (a disabled webhook fails it all). */
  loadAll(): void {
    while (!this.isFullyLoaded()) this.loadMore(true);
  }

  /** Loads from storage while under half the budget: waiting rows first (older), then inbox rows. */
  refill(): void {
    while (
      !this.isFullyLoaded() &&
      this.loaded.size < MAX_LOADED_EVENTS / 2 &&
      this.loadedChars < MAX_LOADED_CHARS / 2
    ) {
      this.loadMore(false);
    }
  }

  /** Events held in storage but not in memory, read without loading them (rare: a long backlog). */
  peekUnloaded(): Event[] {
    const out: Event[] = [];
    if (this.isFullyLoaded()) return out;
    for (const seq of this.unloadedInbox) {
      const row = this.store.readInbox(seq);
      if (!row) continue;
      const settled = new Set(row.settled);
      out.push(...row.items.filter((e) => !settled.has(e.eventId) && !this.loaded.has(e.eventId)));
    }
    for (let after = this.waitingCursor; after !== null; ) {
      const page = this.store.waitingPage(after, WAITING_PAGE);
      for (const row of page) if (!this.loaded.has(row.event_id)) out.push(JSON.parse(row.state) as HeldEvent);
      after = page.length < WAITING_PAGE ? null : page[page.length - 1]!.event_id;
    }
    return out;
  }

  /** Writes the event's own row (it needs another attempt); it is settled in its inbox row. */
  private persist(event: HeldEvent): void {
    // Where it is kept is not part of its state.
    const { inbox: _inbox, waiting: _waiting, ...state } = event;
    this.store.writeWaiting(event.eventId, JSON.stringify(state));
    event.waiting = true;
    this.settleInbox(event);
  }

  private admit(event: HeldEvent): void {
    this.loaded.set(event.eventId, event);
    this.loadedChars += event.payload.length;
    this.onLoad(event);
  }

  private overBudget(): boolean {
    return this.loaded.size >= MAX_LOADED_EVENTS || this.loadedChars >= MAX_LOADED_CHARS;
  }

  private loadMore(all: boolean): void {
    if (this.waitingCursor !== null) {
      const page = this.store.waitingPage(this.waitingCursor, WAITING_PAGE);
      for (const row of page) {
        if (this.loaded.has(row.event_id)) continue;
        const state = JSON.parse(row.state) as Omit<HeldEvent, "inbox" | "waiting">;
        this.admit({ ...state, inbox: null, waiting: true });
      }
      this.waitingCursor = page.length < WAITING_PAGE ? null : page[page.length - 1]!.event_id;
      if (!all) return;
    }
    const seq = this.unloadedInbox.shift();
    if (seq === undefined) return;
    const row = this.store.readInbox(seq);
    if (row) this.loadInbox(seq, row, 0);
  }

  /** Loads the row's events that are still waiting; the settled ones stay settled. */
  private loadInbox(seq: number, row: { items: Event[]; settled: string[] }, dueAt: number): void {
    const settled = new Set(row.settled);
    const open = new Set<string>();
    for (const item of row.items) {
      if (settled.has(item.eventId) || this.loaded.has(item.eventId)) continue;
      open.add(item.eventId);
      this.admit({
        ...item,
        dueAt,
        httpStatusCode: 0,
        errorMessage: "",
        updatedAt: item.createdAt,
        inbox: seq,
        waiting: false,
      });
    }
    // Its last events settled before a crash cut the row's removal short: it goes with the next commit.
    this.rows.set(seq, { open, settled: row.settled, changed: false });
  }

  private settleInbox(event: HeldEvent): void {
    if (event.inbox === null) return;
    const row = this.rows.get(event.inbox);
    event.inbox = null;
    if (!row?.open.delete(event.eventId)) return;
    row.settled.push(event.eventId);
    row.changed = true;
  }
}
