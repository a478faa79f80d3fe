/**
 * @module The webhook object's outbox of operational events (SPEC §7.7,
 * operations.ts): each is stored in the same synchronous step as the
 * transition it reports, then published through the ordinary publish path
 * without being awaited, so an attempt never waits on it. A failed publish
 * keeps the rows for a later alarm; their keys make a repeat publish nothing
 * twice. Unset, nothing is stored.
 */
import type { Deps } from "../../deps";
import type { OperationalEvent } from "../../domain/operational-event";
import { describeError } from "../../lib/log";
import { publishOperational } from "./operations";

/** Where the outbox keeps its events: the webhook object's storage (src/delivery/webhook-object/webhook-store.ts). */
export type OutboxStore = {
  operationalCount(): number;
  /** Keeps an event; answers false when one with its key is kept already. */
  insertOperational(key: string, body: string): boolean;
  operationalBodies(): string[];
  deleteOperational(key: string): void;
};

/** Unpublished events get the object's alarm this often. */
const RETRY_MS = 30_000;

export class OperationalOutbox {
  /** Events stored and not yet published. */
  private stored: number;
  private publishing: Promise<void> | null = null;
  /** Set when events are stored while a publish runs, so that it goes round once more. */
  private again = false;

  constructor(
    private readonly store: OutboxStore,
    private readonly deps: () => Deps,
    /** For the logs. */
    private readonly webhookId: () => string | null,
  ) {
    this.stored = store.operationalCount();
  }

  /** When the object's alarm should come to publish again, if events wait (`now`'s clock). */
  wakeAt(now: number): number | null {
    return this.stored > 0 ? now + RETRY_MS : null;
  }

  /** Stores the events (in the caller's step), then publishes without waiting. */
  announce(events: OperationalEvent[]): void {
    if (events.length === 0 || !this.deps().settings.operationsApplication) return;
    for (const e of events) if (this.store.insertOperational(e.key, JSON.stringify(e))) this.stored += 1;
    void this.publish();
  }

  /** Publishes what is stored; one run at a time, which goes round again for events stored meanwhile. */
  publish(): Promise<void> {
    if (this.publishing) {
      this.again = true;
      return this.publishing;
    }
    if (this.stored === 0) return Promise.resolve();
    this.publishing = (async () => {
      try {
        do {
          this.again = false;
          const events = this.store.operationalBodies().map((b) => JSON.parse(b) as OperationalEvent);
          for (const key of await publishOperational(this.deps(), events)) this.store.deleteOperational(key);
        } while (this.again);
      } catch (error) {
        this.deps().log("warn", "publishing operational events failed; will retry", {
          webhook_id: this.webhookId(),
          ...describeError(error),
        });
      } finally {
        this.stored = this.store.operationalCount();
        this.publishing = null;
      }
    })();
    return this.publishing;
  }
}
