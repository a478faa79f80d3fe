/**
 * Cloudflare's published Workers Paid prices, per unit, beyond the plan's
 * included amounts (so the marginal cost at scale). One table, dated: update
 * the date and figures together when Cloudflare changes them.
 */
export const PRICES = {
  asOf: "2026-12-08",
  sources: [
    "https://developers.cloudflare.com/workers/platform/pricing/",
    "https://developers.cloudflare.com/queues/platform/pricing/",
    "https://developers.cloudflare.com/durable-objects/platform/pricing/",
    "https://developers.cloudflare.com/d1/platform/pricing/",
    "https://developers.cloudflare.com/r2/pricing/",
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
    /** R2 Standard: PutObject, ListObjects, … (DeleteObject is free). */
    r2ClassA: 4.5 / 1e6,
    /** R2 Standard: GetObject, HeadObject. */
    r2ClassB: 0.36 / 1e6,
  },
  /** USD per GB-month stored (GB = 1e9 bytes), beyond the included amounts. */
  perGbMonth: {
    d1: 0.75,
    doSqlite: 0.2,
    r2Standard: 0.015,
  },
  /** Memory a Durable Object is billed for while active. */
  doMemoryGb: 0.128,
} as const;
