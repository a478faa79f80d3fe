import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { Deadlines, SWEEP_MS } from "../../../../src/delivery/attempt/deadlines";

// The clock and the sweep's timer are vitest's: time moves only when a test moves it.
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("attempt deadlines, one timer for all", () => {
  test("an attempt past its deadline is aborted within a sweep, never before it", () => {
    const deadlines = new Deadlines();
    const late = deadlines.start(150);
    const later = deadlines.start(400);
    vi.advanceTimersByTime(149);
    expect(late.timedOut()).toBe(false);
    vi.advanceTimersByTime(1 + SWEEP_MS);
    expect(late.timedOut()).toBe(true);
    expect(later.timedOut()).toBe(false);
    vi.advanceTimersByTime(399 - 250);
    expect(later.timedOut()).toBe(false);
    vi.advanceTimersByTime(1 + SWEEP_MS);
    expect(later.timedOut()).toBe(true);
  });

  test("an attempt that ended in time is never aborted", () => {
    const deadlines = new Deadlines();
    const done = deadlines.start(100);
    const running = deadlines.start(100);
    done.release();
    vi.advanceTimersByTime(100 + SWEEP_MS);
    expect(running.timedOut()).toBe(true);
    // Drained: nothing is due any more, so the sweep stopped and can abort nothing later.
    expect(vi.getTimerCount()).toBe(0);
    expect(done.signal.aborted).toBe(false);
  });
});
