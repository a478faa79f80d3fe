import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  admit,
  CIRCUIT_THRESHOLD,
  type Circuit,
  CLOSED,
  FAILING_DISABLE_AFTER_MS,
  INITIAL_COOLDOWN_MS,
  isFailing,
  MAX_COOLDOWN_MS,
  recordResult,
} from "../../../../src/delivery/policy/circuit";

/** `n` failures one after another, each sent alone (so, while open, as the probe). */
function failTimes(n: number, from: Circuit = CLOSED, at = 1_000): Circuit {
  let circuit = from;
  for (let i = 0; i < n; i++) circuit = recordResult(circuit, false, at + i, circuit.openUntil !== null);
  return circuit;
}

describe("circuit breaker", () => {
  test("closed: every free slot may start", () => {
    expect(admit(CLOSED, 0, 7, 3)).toBe(7);
  });

  test(`stays closed below ${CIRCUIT_THRESHOLD} consecutive failures, remembering when failing began`, () => {
    const circuit = failTimes(CIRCUIT_THRESHOLD - 1);
    expect(circuit.openUntil).toBeNull();
    expect(circuit.consecutiveFailures).toBe(CIRCUIT_THRESHOLD - 1);
    expect(circuit.failingSince).toBe(1_000);
  });

  test("opens at the threshold; while cooling nothing starts, then one probe and only with nothing in flight", () => {
    const open = failTimes(CIRCUIT_THRESHOLD, CLOSED, 0);
    const openedAt = CIRCUIT_THRESHOLD - 1;
    expect(open.openUntil).toBe(openedAt + INITIAL_COOLDOWN_MS);
    expect(admit(open, openedAt + INITIAL_COOLDOWN_MS - 1, 10, 0)).toBe(0);
    expect(admit(open, openedAt + INITIAL_COOLDOWN_MS, 10, 0)).toBe(1);
    expect(admit(open, openedAt + INITIAL_COOLDOWN_MS, 10, 1)).toBe(0);
    expect(admit(open, openedAt + INITIAL_COOLDOWN_MS, 0, 0)).toBe(0);
  });

  test("a failed probe doubles the cooldown up to the maximum; a success closes it", () => {
    let circuit = failTimes(CIRCUIT_THRESHOLD, CLOSED, 0);
    circuit = recordResult(circuit, false, 100_000, true);
    expect(circuit.cooldownMs).toBe(2 * INITIAL_COOLDOWN_MS);
    expect(circuit.openUntil).toBe(100_000 + 2 * INITIAL_COOLDOWN_MS);
    for (let i = 0; i < 20; i++) circuit = recordResult(circuit, false, 200_000 + i, true);
    expect(circuit.cooldownMs).toBe(MAX_COOLDOWN_MS);
    expect(circuit.failingSince).toBe(0);
    expect(recordResult(circuit, true, 300_000, true)).toEqual(CLOSED);
  });

  test("the schedule: 30 s, doubling with each failed probe, 15 min from the sixth on", () => {
    let circuit = failTimes(CIRCUIT_THRESHOLD, CLOSED, 0);
    const cooldowns = [circuit.cooldownMs];
    for (let probe = 1; probe <= 7; probe++) {
      circuit = recordResult(circuit, false, circuit.openUntil!, true);
      cooldowns.push(circuit.cooldownMs);
    }
    expect(cooldowns.map((ms) => ms / 1000)).toEqual([30, 60, 120, 240, 480, 900, 900, 900]);
  });

  test("failures of attempts already in flight when it opened count, but never lengthen the cooldown", () => {
    // Ten in flight at max_in_flight 10: the fifth failure opens it, five more come back failed.
    let circuit = failTimes(CIRCUIT_THRESHOLD, CLOSED, 0);
    const opened = circuit;
    for (let i = 0; i < 5; i++) circuit = recordResult(circuit, false, 10 + i, false);
    expect(circuit).toEqual({ ...opened, consecutiveFailures: 2 * CIRCUIT_THRESHOLD });
    expect(circuit.cooldownMs).toBe(INITIAL_COOLDOWN_MS);
    // One of them succeeding closes it: the receiver is up.
    expect(recordResult(circuit, true, 20, false)).toEqual(CLOSED);
  });

  test("any sequence of outcomes: cooldown within bounds, open only after the threshold, success resets", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 60 }), (outcomes) => {
        let circuit = CLOSED;
        let run = 0;
        outcomes.forEach((success, i) => {
          circuit = recordResult(circuit, success, i * 1000, circuit.openUntil !== null);
          run = success ? 0 : run + 1;
          expect(circuit.consecutiveFailures).toBe(run);
          expect(circuit.cooldownMs).toBeGreaterThanOrEqual(INITIAL_COOLDOWN_MS);
          expect(circuit.cooldownMs).toBeLessThanOrEqual(MAX_COOLDOWN_MS);
          expect(circuit.openUntil !== null).toBe(run >= CIRCUIT_THRESHOLD);
          if (success) expect(circuit).toEqual(CLOSED);
        });
      }),
    );
  });

  test("failing for 5 days (and not a moment less) disables", () => {
    const circuit = failTimes(1, CLOSED, 0);
    expect(isFailing(CLOSED, FAILING_DISABLE_AFTER_MS * 2)).toBe(false);
    expect(isFailing(circuit, FAILING_DISABLE_AFTER_MS - 1)).toBe(false);
    expect(isFailing(circuit, FAILING_DISABLE_AFTER_MS)).toBe(true);
  });
});
