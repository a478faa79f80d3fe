import { describe, expect, test } from "vitest";
import { Deadlines, SWEEP_MS } from "../../../src/delivery/deadlines";

const aborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("attempt deadlines, one timer for all", () => {
  test("an attempt past its deadline is aborted, never before it", async () => {
    const deadlines = new Deadlines();
    const started = Date.now();
    const late = deadlines.start(150);
    const later = deadlines.start(400);
    await aborted(late.signal);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(late.timedOut()).toBe(true);
    expect(later.timedOut()).toBe(false);
    await aborted(later.signal);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(later.timedOut()).toBe(true);
  });

  test("an attempt that ended in time is never aborted", async () => {
    const deadlines = new Deadlines();
    const done = deadlines.start(100);
    const running = deadlines.start(100);
    done.release();
    await aborted(running.signal);
    await sleep(3 * SWEEP_MS);
    expect(done.signal.aborted).toBe(false);
    expect(done.timedOut()).toBe(false);
  });
});
