/** @module What an attempt's result means for its event: pure, so each rule is testable alone. */
import { nextDelayMs, type RetryPolicy } from "../../domain/retry-policy";
import { type AttemptResult, isSuccess } from "./attempt";

export type Outcome = {
  deliveryStatus: "success" | "retrying" | "failed";
  /** Epoch ms of the next automatic attempt, when there is one. */
  nextAttemptAt: number | null;
  /** Set when the receiver asked never to be called again (410 Gone). */
  disableWebhook: "gone" | null;
};

export type OutcomeInput = {
  result: AttemptResult;
  /** The attempt just made, 1-based. */
  attempt: number;
  maxAttempts: number;
  /** Manual retries and recoveries are one attempt each, never rescheduled. */
  manual: boolean;
  policy: RetryPolicy;
  now: number;
  random: () => number;
};

export function decideOutcome(input: OutcomeInput): Outcome {
  const { result } = input;
  if (isSuccess(result))
    return { deliveryStatus: "success", nextAttemptAt: null, disableWebhook: null };
  if (result.httpStatusCode === 410) {
    return { deliveryStatus: "failed", nextAttemptAt: null, disableWebhook: "gone" };
  }
  const failed: Outcome = { deliveryStatus: "failed", nextAttemptAt: null, disableWebhook: null };
  if (input.manual || input.attempt >= input.maxAttempts) return failed;
  const delay = nextDelayMs(input.policy, input.attempt, input.random, result.retryAfterSeconds);
  if (delay === null) return failed;
  return { deliveryStatus: "retrying", nextAttemptAt: input.now + delay, disableWebhook: null };
}
