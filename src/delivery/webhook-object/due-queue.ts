/**
 * @module The order in which a webhook's loaded events may go: those due now
 * in publication order, and those waiting for a later time (retries). Pure
 * bookkeeping on the object's clock; the object leases what it takes.
 */
import type { Event } from "../../domain/event";
import type { HeldEvent } from "./held-events";

export class DueQueue {
  /** Events that may go now, in publication order (message id, then event id). */
  private ready: HeldEvent[] = [];
  /** Events waiting for a later time. */
  private readonly later = new Set<HeldEvent>();
  /** No event in `later` is due before this (a lower bound), so most turns skip the walk. */
  private laterDueFrom = Number.POSITIVE_INFINITY;

  /** Puts an event where it belongs: ready now, or later. */
  add(event: HeldEvent, now: number): void {
    if (event.dueAt <= now) insertReady(this.ready, event);
    else {
      this.later.add(event);
      this.laterDueFrom = Math.min(this.laterDueFrom, event.dueAt);
    }
  }

  remove(event: HeldEvent): void {
    this.later.delete(event);
    const index = this.ready.indexOf(event);
    if (index >= 0) this.ready.splice(index, 1);
  }

  clear(): void {
    this.ready = [];
    this.later.clear();
    this.laterDueFrom = Number.POSITIVE_INFINITY;
  }

  hasDue(now: number): boolean {
    this.promote(now);
    return this.ready.length > 0;
  }

  /**
   * Takes up to `free` events that may go now, as many of them as `allow`
   * lets go (the rate limit). With `fifo`, only the oldest held event, and
   * only while nothing is in flight: a failing event holds back everything
   * behind it.
   */
  take(free: number, now: number, fifo: boolean, inFlight: number, allow: (n: number) => number): HeldEvent[] {
    if (free <= 0) return [];
    this.promote(now);
    let count = Math.min(free, this.ready.length);
    if (fifo) {
      const head = this.ready[0];
      const blocked = !head || inFlight > 0 || [...this.later].some((e) => byPublication(e, head) < 0);
      count = blocked ? 0 : 1;
    }
    return this.ready.splice(0, allow(count));
  }

  /** When the next event is due: 0 when one is due now, null when none waits. */
  nextDue(): number | null {
    if (this.ready.length > 0) return 0;
    let next: number | null = null;
    for (const event of this.later) if (next === null || event.dueAt < next) next = event.dueAt;
    return next;
  }

  /** Moves events whose time has come to the ready list. */
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
}

/** Publication order: message id (UUIDv7, time-ordered), then event id. */
function byPublication(a: Event, b: Event): number {
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
