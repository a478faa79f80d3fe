/**
 * @module Retry policies: pure functions from a policy and an attempt count to
 * the wait before the next attempt. The three forms are SPEC §5's.
 */
import { z } from "@hono/zod-openapi";

/** A wait of a policy: whole seconds, 30 days at most. */
const seconds = (min: number) => z.number().int().min(min).max(30 * 86_400);
const attemptsSchema = z.number().int().min(1).max(1000);

export const scheduleRetryPolicySchema = z
  .object({ schedule_seconds: z.array(seconds(0)).max(100) })
  .strict();

export const fixedRetryPolicySchema = z
  .object({
    strategy: z.literal("fixed"),
    interval_seconds: seconds(1),
    max_attempts: attemptsSchema,
  })
  .strict();

export const exponentialRetryPolicySchema = z
  .object({
    strategy: z.literal("exponential"),
    initial_interval_seconds: seconds(1),
    multiplier: z.number().min(1).max(100),
    max_interval_seconds: seconds(1),
    max_attempts: attemptsSchema,
  })
  .strict();

export const retryPolicySchema = z
  .union([scheduleRetryPolicySchema, fixedRetryPolicySchema, exponentialRetryPolicySchema])
  .openapi("RetryPolicy");

export type RetryPolicy = z.infer<typeof retryPolicySchema>;

/** Share of a delay that jitter may take off. */
export const JITTER = 0.1;

/** How many attempts the policy allows in all, the first included. */
export function maxAttempts(policy: RetryPolicy): number {
  return "schedule_seconds" in policy ? policy.schedule_seconds.length + 1 : policy.max_attempts;
}

/**
 * Seconds to wait after attempt `made` (1-based) before the next one, before
 * jitter. How many attempts there are is the event's `max_attempts`, fixed when
 * the event was created; past the end of a schedule its last entry repeats, so
 * an event that outlives a policy change still has a wait. Null when the
 * policy never retries.
 */
export function retryDelaySeconds(policy: RetryPolicy, made: number): number | null {
  if ("schedule_seconds" in policy) {
    const schedule = policy.schedule_seconds;
    if (schedule.length === 0) return null;
    return schedule[Math.min(made, schedule.length) - 1] ?? null;
  }
  if (policy.strategy === "fixed") return policy.interval_seconds;
  const grown = policy.initial_interval_seconds * policy.multiplier ** (made - 1);
  return Math.min(grown, policy.max_interval_seconds);
}

/**
 * Milliseconds to wait after attempt `made`, or null when the policy never retries.
 * Jitter only shortens the wait, so the published schedule stays an upper bound;
 * a receiver's Retry-After is a lower bound that jitter never undercuts.
 */
export function nextDelayMs(
  policy: RetryPolicy,
  made: number,
  random: () => number,
  retryAfterSeconds: number | null = null,
): number | null {
  const base = retryDelaySeconds(policy, made);
  if (base === null) return null;
  const jittered = Math.round(base * 1000 * (1 - JITTER * random()));
  return Math.max(jittered, (retryAfterSeconds ?? 0) * 1000);
}

/** Longest Retry-After we honour, so a hostile receiver cannot park an event forever. */
export const MAX_RETRY_AFTER_SECONDS = 86_400;

/** Parses Retry-After (delta seconds or an HTTP date) into whole seconds. */
export function parseRetryAfter(value: string | null, now: Date): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  let seconds: number;
  if (/^\d+$/.test(trimmed)) seconds = Number(trimmed);
  else {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return null;
    seconds = Math.ceil((at - now.getTime()) / 1000);
  }
  return Math.min(Math.max(seconds, 0), MAX_RETRY_AFTER_SECONDS);
}
