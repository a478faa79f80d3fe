/** Which circuit changes are operational events, that a transition's key is its own, and minutes. */
import { describe, expect, test } from "vitest";
import { minuteOf } from "../../../../src/delivery/operational-events/operational-budget";
import { circuitEvents, eventExhausted, webhookDisabled } from "../../../../src/delivery/operational-events/operations";
import { CIRCUIT_THRESHOLD, CLOSED, recordResult } from "../../../../src/delivery/policy/circuit";

const webhook = { id: "w1", applicationId: "a1" };
const at = (ms: number) => new Date(ms).toISOString();

describe("minuteOf", () => {
  test("the start of the minute, whatever the offset or the precision", () => {
    expect(minuteOf("2026-03-01T10:15:59.999Z")).toBe("2026-03-01T10:15:00.000Z");
    expect(minuteOf("2026-03-01T10:15:00Z")).toBe("2026-03-01T10:15:00.000Z");
    expect(minuteOf("2026-03-01T12:15:30+02:00")).toBe("2026-03-01T10:15:00.000Z");
    expect(minuteOf("1969-12-31T23:59:30Z")).toBe("1969-12-31T23:59:00.000Z");
  });
});

describe("circuitEvents", () => {
  test("failures up to the threshold: webhook.failing once, when it opens; failed probes add nothing", () => {
    let circuit = CLOSED;
    const seen: string[] = [];
    for (let n = 0; n < CIRCUIT_THRESHOLD + 3; n++) {
      const next = recordResult(circuit, false, 1_000 + n, circuit.openUntil !== null);
      const events = circuitEvents(webhook, circuit, next, at(1_000 + n));
      seen.push(...events.map((e) => e.type));
      if (events.length) {
        expect(n).toBe(CIRCUIT_THRESHOLD - 1);
        expect(events[0]!.data).toEqual({
          webhook_id: "w1",
          application_id: "a1",
          consecutive_failures: CIRCUIT_THRESHOLD,
          since: at(1_000),
        });
      }
      circuit = next;
    }
    expect(seen).toEqual(["webhook.failing"]);

    const closed = recordResult(circuit, true, 9_000, true);
    const recovered = circuitEvents(webhook, circuit, closed, at(9_000));
    expect(recovered.map((e) => e.type)).toEqual(["webhook.recovered"]);
    expect(recovered[0]!.data).toEqual({ webhook_id: "w1", application_id: "a1" });
    // A success on a closed circuit is no event.
    expect(circuitEvents(webhook, closed, recordResult(closed, true, 9_500, false), at(9_500))).toEqual([]);
  });

  test("keys: the same transition has the same key; another streak, another", () => {
    const open = recordResult({ ...CLOSED, consecutiveFailures: CIRCUIT_THRESHOLD - 1, failingSince: 5 }, false, 10, false);
    const base = { ...CLOSED, consecutiveFailures: CIRCUIT_THRESHOLD - 1, failingSince: 5 };
    const [a] = circuitEvents(webhook, base, open, at(10));
    const [b] = circuitEvents(webhook, base, open, at(11));
    expect(a!.key).toBe(b!.key);
    const [c] = circuitEvents(webhook, { ...base, failingSince: 6 }, { ...open, failingSince: 6 }, at(10));
    expect(c!.key).not.toBe(a!.key);

    const failed = { eventId: "e1", messageId: "m1", attempts: 3, httpStatusCode: 500, errorMessage: "HTTP 500" };
    expect(eventExhausted(webhook, failed, at(1)).key).toBe(eventExhausted(webhook, failed, at(2)).key);
    expect(eventExhausted(webhook, { ...failed, attempts: 4 }, at(1)).key).not.toBe(
      eventExhausted(webhook, failed, at(1)).key,
    );
    // A disable is named by its minute and reason: toggling within a minute is one event.
    expect(webhookDisabled(webhook, "manual", at(60_000)).key).toBe(webhookDisabled(webhook, "manual", at(119_999)).key);
    expect(webhookDisabled(webhook, "manual", at(119_999)).key).not.toBe(
      webhookDisabled(webhook, "manual", at(120_000)).key,
    );
    expect(webhookDisabled(webhook, "gone", at(60_000)).key).not.toBe(webhookDisabled(webhook, "manual", at(60_000)).key);
    // Idempotency keys are printable ASCII of at most 256 characters.
    expect(webhookDisabled({ id: crypto.randomUUID(), applicationId: "a" }, "manual", at(1)).key).toMatch(
      /^[\x21-\x7e]{1,256}$/,
    );
  });
});
