/**
 * @module A new webhook's settings where the create request leaves them out.
 * Values only, with no zod and no Worker import: the dashboard bundles this
 * file to show and send the same defaults the API applies.
 */
import type { RetryPolicy } from "../../domain/retry-policy";

/** SPEC §5's default retry schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (8 attempts over about 28 hours). */
const DEFAULT_RETRY_POLICY: RetryPolicy = {
  schedule_seconds: [5, 300, 1800, 7200, 18000, 36000, 36000],
};

export const WEBHOOK_DEFAULTS = {
  retry_policy: DEFAULT_RETRY_POLICY,
  timeout_ms: 15_000,
  ordering: "none" as const,
  max_in_flight: 10,
  payload_format: "raw" as const,
};
