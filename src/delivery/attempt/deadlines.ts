/**
 * @module Attempt timeouts, one timer for all the attempts a webhook's object
 * has in flight rather than one each: at a thousand attempts a second,
 * setting and clearing a timer per attempt was 3.4 % of the isolate's time.
 * An attempt is aborted within SWEEP_MS after its deadline.
 */

/** How often overdue attempts are looked for while any is in flight. */
export const SWEEP_MS = 100;

/** One attempt's deadline: the signal to send with, and whether it fired. */
export type Deadline = {
  signal: AbortSignal;
  timedOut(): boolean;
  /** The attempt ended: forget its deadline. */
  release(): void;
};

export class Deadlines {
  private readonly due = new Map<AbortController, number>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  /** A deadline `timeoutMs` from now. */
  start(timeoutMs: number): Deadline {
    const controller = new AbortController();
    this.due.set(controller, Date.now() + timeoutMs);
    this.timer ??= setTimeout(() => this.sweep(), SWEEP_MS);
    return {
      signal: controller.signal,
      timedOut: () => controller.signal.aborted,
      release: () => {
        this.due.delete(controller);
      },
    };
  }

  private sweep(): void {
    this.timer = null;
    const now = Date.now();
    for (const [controller, at] of this.due) {
      if (at > now) continue;
      this.due.delete(controller);
      controller.abort();
    }
    if (this.due.size > 0) this.timer = setTimeout(() => this.sweep(), SWEEP_MS);
  }
}
