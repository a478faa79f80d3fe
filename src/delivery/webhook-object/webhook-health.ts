/**
 * @module What a webhook's attempts say about its health, as its object
 * keeps it: the circuit breaker (../policy/circuit.ts) and its storage, the
 * hourly stats (../history/stats-buffer.ts), and the operational events
 * that its transitions and exhausted events mean (../operational-events/).
 */
import { updateWebhook } from "../../db/queries/webhooks";
import type { WebhookRow } from "../../db/schema";
import type { Deps } from "../../deps";
import { describeError } from "../../lib/log";
import { type AttemptResult, isSuccess } from "../attempt/attempt";
import type { Outcome } from "../attempt/outcome";
import { StatsBuffer } from "../history/stats-buffer";
import { OperationalOutbox } from "../operational-events/operational-outbox";
import { circuitEvents, eventExhausted, webhookDisabled } from "../operational-events/operations";
import { type Circuit, CLOSED, isFailing, recordResult, sameCircuit } from "../policy/circuit";
import type { HeldEvent } from "./held-events";
import type { WebhookStore } from "./webhook-store";

/** One attempt that ended, as the health bookkeeping needs it. */
export type EndedAttempt = {
  result: AttemptResult;
  outcome: Outcome;
  finishedAt: Date;
  /** It started while the circuit was open: the probe. */
  probe: boolean;
};

export class WebhookHealth {
  readonly stats: StatsBuffer;
  readonly outbox: OperationalOutbox;
  private current: Circuit;
  /** A failure streak's count changed since the circuit was written (see set). */
  private unsaved = false;

  constructor(
    private readonly store: WebhookStore,
    private readonly deps: () => Deps,
    webhookId: () => string | null,
  ) {
    this.current = store.readMeta<Circuit>("circuit") ?? CLOSED;
    this.stats = new StatsBuffer(store);
    this.outbox = new OperationalOutbox(store, deps, webhookId);
  }

  get circuit(): Circuit {
    return this.current;
  }

  /**
   * Counts the attempt in the stats and the circuit, and announces what it
   * means; answers why the webhook must be disabled now, if it must.
   */
  attemptEnded(webhook: WebhookRow, event: HeldEvent, ended: EndedAttempt, at: string): "gone" | "failing" | null {
    const { result, outcome, finishedAt, probe } = ended;
    const finished = outcome.deliveryStatus === "retrying" ? null : outcome.deliveryStatus;
    this.stats.add(finishedAt.getTime(), result.durationMs, finished);
    // A manual attempt (retry, recover, test) has someone watching: only automatic ones alert.
    if (finished === "failed" && !event.manual) this.outbox.announce([eventExhausted(webhook, event, at)]);
    const before = this.current;
    this.set(recordResult(before, isSuccess(result), finishedAt.getTime(), probe));
    this.outbox.announce(circuitEvents(webhook, before, this.current, at));
    return outcome.disableWebhook ?? (isFailing(this.current, finishedAt.getTime()) ? "failing" : null);
  }

  /** Disables the webhook (its receiver said 410, or five days without a success), and says so. */
  async disable(webhook: WebhookRow, reason: "gone" | "failing", at: string): Promise<void> {
    const deps = this.deps();
    webhook.enabled = false;
    webhook.disabledReason = reason;
    try {
      await updateWebhook(deps.db, webhook.id, { enabled: false, disabledReason: reason, updatedAt: at });
      deps.log("warn", "webhook disabled", { webhook_id: webhook.id, reason });
      this.disabled(webhook, reason, at);
    } catch (error) {
      // The next settings read finds it enabled and the rule fires again.
      deps.log("error", "disabling a webhook failed", { webhook_id: webhook.id, ...describeError(error) });
    }
  }

  /** The webhook was disabled: tell the operations application. */
  disabled(webhook: Pick<WebhookRow, "id" | "applicationId">, reason: "manual" | "gone" | "failing", at: string): void {
    this.outbox.announce([webhookDisabled(webhook, reason, at)]);
  }

  /** Re-enabling starts afresh: no open circuit, no failure streak carried over. */
  reset(): void {
    this.set(CLOSED);
  }

  /** Writes a failure streak's count, with the outcomes that make it (see set). */
  save(): void {
    if (!this.unsaved) return;
    this.unsaved = false;
    this.store.writeMeta("circuit", this.current);
  }

  /**
   * Opening or closing the circuit is written at once; a failure streak's
   * count waits for `save`, with the next settlement of outcomes, which
   * spares a storage write per failed attempt.
   */
  private set(next: Circuit): void {
    if (sameCircuit(next, this.current)) return;
    const openedOrClosed = next.openUntil !== this.current.openUntil;
    this.current = next;
    this.unsaved = !openedOrClosed;
    if (openedOrClosed) this.store.writeMeta("circuit", next);
  }
}
