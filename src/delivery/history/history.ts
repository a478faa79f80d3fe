/**
 * @module The webhook object's history writer: finished events go to their
 * application's history shard (src/storage/events.ts) in batches, flushed 200 ms after the first outcome of a batch or at 100
 * outcomes, whichever comes first, in one statement each (an event's
 * attempts ride in its row). An attempt's slot is free as soon as its
 * outcome is buffered; the event stays held (in the object's storage) until
 * its row is written and it is settled there, so a crash before the flush
 * repeats the attempt (same webhook-id) but never loses the row. That window
 * is what a SIGKILL sends twice besides the attempts in flight, hence short:
 * a busy webhook flushes a few times a second, a quiet one once per outcome
 * either way. A failed flush is retried with a growing pause.
 */
import type { Deps } from "../../deps";
import type { AttemptRecord, EventRow } from "../../domain/event";
import { describeError } from "../../lib/log";
import { writeEvents } from "../../storage/events";

/** Outcomes buffered before a flush starts at once. */
export const FLUSH_COUNT = 100;
/** The longest an outcome waits in the buffer. */
export const FLUSH_MS = 200;
const MAX_RETRY_MS = 30_000;
/** Buffered outcomes past which no new attempt starts until D1 takes them (D1 is down). */
const MAX_UNWRITTEN = 1_000;
/** Unwritten outcomes get the object's alarm this often too, should the writer's timer be lost. */
const ALARM_RETRY_MS = 5_000;

/** An outcome to write: the event's row, and the event (as its object holds it) that settles once it is written. */
export type Recorded<E> = { event: E; row: EventRow };

/**
 * Attempts an event's row keeps: the first and the latest. An event that
 * goes past them (over 100 retries, or many manual ones) keeps its first
 * attempt and its most recent ones, so the row stays far under D1's 2 MB.
 */
export const MAX_LOGGED_ATTEMPTS = 120;

/** The attempt log as a row keeps it: the first attempt and the latest. */
export function boundedLog(log: AttemptRecord[]): AttemptRecord[] {
  if (log.length <= MAX_LOGGED_ATTEMPTS) return log;
  return [log[0]!, ...log.slice(log.length - MAX_LOGGED_ATTEMPTS + 1)];
}

export class HistoryWriter<E extends { eventId: string }> {
  private buffer: Recorded<E>[] = [];
  /** The buffer by event id, for the events API and the pump's look-ups. */
  private readonly byEvent = new Map<string, Recorded<E>>();
  private flushing: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;

  constructor(
    private readonly deps: () => Deps,
    /** Called with what a flush wrote, so it can be released from storage. */
    private readonly onWritten: (written: Recorded<E>[]) => void,
    /** The webhook's application, whose shard the history goes to; null once the webhook is deleted. */
    readonly applicationId: () => Promise<string | null>,
  ) {}

  get size(): number {
    return this.buffer.length;
  }

  /** Whether so many outcomes wait for D1 that no new attempt should start. */
  get full(): boolean {
    return this.buffer.length >= MAX_UNWRITTEN;
  }

  /** When the object's alarm should come for unwritten outcomes, if any wait (`now`'s clock). */
  wakeAt(now: number): number | null {
    return this.buffer.length > 0 ? now + ALARM_RETRY_MS : null;
  }

  /** Outcomes not yet written, as the events API should show them. */
  rows(): EventRow[] {
    return this.buffer.map((r) => r.row);
  }

  find(eventId: string): Recorded<E> | undefined {
    return this.byEvent.get(eventId);
  }

  add(recorded: Recorded<E>): void {
    this.buffer.push(recorded);
    this.byEvent.set(recorded.event.eventId, recorded);
    if (this.buffer.length >= FLUSH_COUNT) this.schedule(0);
    else this.schedule(FLUSH_MS);
  }

  /** Drops everything buffered: the webhook was deleted. */
  discard(): void {
    this.buffer = [];
    this.byEvent.clear();
  }

  /** Writes what is buffered now; resolves once it is written or the write failed. */
  async flush(): Promise<boolean> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.flushing) await this.flushing;
    if (this.buffer.length === 0) return true;
    const batch = this.buffer.slice();
    let ok = false;
    this.flushing = (async () => {
      try {
        const applicationId = await this.applicationId();
        // A deleted webhook's history has nowhere to go, and nothing can read it: released.
        if (applicationId !== null) {
          await writeEvents(
            this.deps().history,
            applicationId,
            batch.map((r) => r.row),
          );
        }
        ok = true;
      } catch (error) {
        this.failures += 1;
        this.deps().log("error", "writing delivery history failed; will retry", {
          events: batch.length,
          ...describeError(error),
        });
      }
    })();
    await this.flushing;
    this.flushing = null;
    if (!ok) {
      this.schedule(Math.min(MAX_RETRY_MS, 1000 * 2 ** this.failures));
      return false;
    }
    this.failures = 0;
    const written = new Set(batch);
    this.buffer = this.buffer.filter((r) => !written.has(r));
    for (const r of batch) {
      if (this.byEvent.get(r.event.eventId) === r) this.byEvent.delete(r.event.eventId);
    }
    this.onWritten(batch);
    if (this.buffer.length > 0) this.schedule(this.buffer.length >= FLUSH_COUNT ? 0 : FLUSH_MS);
    return true;
  }

  private schedule(ms: number): void {
    if (ms === 0) {
      // A full buffer goes now, not through a timer: a busy runtime runs
      // timers late. A flush under way schedules the next when it ends.
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      if (!this.flushing) void this.flush();
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, ms);
  }
}
