import { describe, expect, test } from "vitest";
import type { AttemptResult } from "../../../../src/delivery/attempt/attempt";
import { decideOutcome } from "../../../../src/delivery/attempt/outcome";

const NOW = 1_800_000_000_000;
const result = (status: number, extra: Partial<AttemptResult> = {}): AttemptResult => ({
  httpStatusCode: status,
  durationMs: 12,
  responseBody: "",
  errorMessage: status >= 200 && status < 300 ? "" : `HTTP ${status}`,
  retryAfterSeconds: null,
  ...extra,
});
const base = {
  attempt: 1,
  maxAttempts: 3,
  manual: false,
  policy: { schedule_seconds: [10, 20] },
  now: NOW,
  random: () => 0,
};

describe("what an attempt means for its event", () => {
  test("any 2xx succeeds", () => {
    for (const status of [200, 201, 202, 204, 299]) {
      expect(decideOutcome({ ...base, result: result(status) }).deliveryStatus).toBe("success");
    }
  });

  test("a failure with attempts left is retried on the policy's schedule", () => {
    expect(decideOutcome({ ...base, result: result(500) })).toEqual({
      deliveryStatus: "retrying",
      nextAttemptAt: NOW + 10_000,
      disableWebhook: null,
    });
    expect(
      decideOutcome({ ...base, attempt: 2, result: result(0, { errorMessage: "timeout" }) })
        .nextAttemptAt,
    ).toBe(NOW + 20_000);
  });

  test("the last attempt's failure fails the event", () => {
    expect(decideOutcome({ ...base, attempt: 3, result: result(500) }).deliveryStatus).toBe(
      "failed",
    );
  });

  test("410 Gone fails the event and disables the webhook", () => {
    expect(decideOutcome({ ...base, result: result(410) })).toEqual({
      deliveryStatus: "failed",
      nextAttemptAt: null,
      disableWebhook: "gone",
    });
  });

  test("429 and 503 with Retry-After wait at least that long", () => {
    expect(
      decideOutcome({ ...base, result: result(429, { retryAfterSeconds: 3600 }) }).nextAttemptAt,
    ).toBe(NOW + 3_600_000);
    expect(
      decideOutcome({ ...base, result: result(503, { retryAfterSeconds: 1 }) }).nextAttemptAt,
    ).toBe(NOW + 10_000);
  });

  test("a manual attempt that fails is not retried by itself", () => {
    expect(decideOutcome({ ...base, manual: true, result: result(500) }).deliveryStatus).toBe(
      "failed",
    );
  });

  test("a redirect is a failure: redirects are not followed", () => {
    expect(decideOutcome({ ...base, result: result(302) }).deliveryStatus).toBe("retrying");
  });
});
