/**
 * The tests' one way to wait for the system: polls `check` until it passes
 * (then resolves with what it returned) or `timeout` runs out (then fails
 * with its last error). Deliveries cross a queue, a Durable Object's alarm
 * and a loopback receiver, so they are waited for, never slept for. Plain
 * vitest, so the same in workerd and in Node.
 */
import { vi } from "vitest";

export function eventually<T>(check: () => T | Promise<T>, timeout = 30_000, interval = 100): Promise<T> {
  return vi.waitFor(check, { timeout, interval });
}
