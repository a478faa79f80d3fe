/**
 * Cloudflare's published Workers Paid prices, per unit, beyond the plan's
 * included amounts (so the marginal cost at scale). One table, dated: update
 * the date and figures together when Cloudflare changes them.
 */
export const PRICES = {
  asOf: "2026-11-22",
  sources: [
    "https://developers.cloudflare.com/workers/platform/pricing/",
    "https://developers.cloudflare.com/queues/platform/pricing/",
    "https://developers.cloudflare.com/durable-objects/platform/pricing/",
    "https://developers.cloudflare.com/d1/platform/pricing/",
  ],
  /** USD per unit. */
  perUnit: {
    workerRequest: 0.3 / 1e6,
    workerCpuMs: 0.02 / 1e6,
    queueOperation: 0.4 / 1e6,
    doRequest: 0.15 / 1e6,
    doGbSecond: 12.5 / 1e6,
    doRowRead: 0.001 / 1e6,
    doRowWritten: 1.0 / 1e6,
    d1RowRead: 0.001 / 1e6,
    d1RowWritten: 1.0 / 1e6,
  },
  /** Memory a Durable Object is billed for while active. */
  doMemoryGb: 0.128,
} as const;
